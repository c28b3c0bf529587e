"""A :class:`~lrs.reports.model.ReportTable` as text (rich), CSV, XLSX (openpyxl) or JSON.

Every format shows the same cells: suppressed cells as the table's marker
(``<5``) in text, CSV and XLSX and as ``{"suppressed": true}`` in JSON;
empty (not applicable) cells as empty. CSV and JSON keep shares as
fractions (0.25) for further computation; text shows them as percentages
and XLSX as numbers formatted as percentages. Headers are in the chosen
language (nl, fr or en).
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from rich.console import Console
from rich.table import Table

from lrs.reports.model import Cell, Column, ReportTable, Suppressed

LANGUAGES = ("nl", "fr", "en")


def _lang(lang: str) -> str:
    if lang not in LANGUAGES:
        raise ValueError(f"language {lang!r} is not one of {', '.join(LANGUAGES)}")
    return lang


def _plain(cell: Cell, table: ReportTable) -> str | int | float | None:
    """A cell for CSV and XLSX: the marker for a suppressed one; floats rounded to 4 decimals."""
    if isinstance(cell, Suppressed):
        return table.suppressed_marker
    if isinstance(cell, float):
        return round(cell, 4)
    return cell


def _text(cell: Cell, column: Column, table: ReportTable) -> str:
    """A cell as people read it: percentages for shares, 2 decimals for other figures."""
    if isinstance(cell, Suppressed):
        return table.suppressed_marker
    if cell is None:
        return "–"
    if isinstance(cell, float):
        return f"{cell * 100:.1f}%" if column.kind == "share" else f"{cell:.2f}"
    if column.kind == "key" and isinstance(cell, str) and cell.startswith(("http://", "https://")):
        return _short(cell)
    return str(cell)


def _short(iri: str) -> str:
    """The end of an activity IRI (``items/i1``, ``assessments/post``), so a terminal table stays readable.

    The other formats keep the full IRI.
    """
    parts = [p for p in iri.split("/")[3:] if p]
    return "/".join(parts[-2:]) if parts else iri


def _json_cell(cell: Cell) -> Any:
    return {"suppressed": True} if isinstance(cell, Suppressed) else cell


def to_json(table: ReportTable) -> bytes:
    """The report as UTF-8 JSON: metadata, columns with their labels, rows as objects."""
    document = {
        "name": table.name,
        "titles": dict(table.titles),
        "explanation": dict(table.explanation),
        "k": table.k,
        "suppressed_marker": table.suppressed_marker,
        "filters": table.filters.as_dict(),
        "compared_with": table.compared_with.as_dict() if table.compared_with else None,
        "period": table.period,
        "columns": [{"key": c.key, "labels": dict(c.labels), "kind": c.kind} for c in table.columns],
        "rows": [{key: _json_cell(cell) for key, cell in record.items()} for record in table.records()],
        "summary": {key: _json_cell(cell) for key, cell in table.summary.items()},
        "summary_labels": {key: dict(labels) for key, labels in table.summary_labels.items()},
    }
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")


def to_csv(table: ReportTable, lang: str = "en") -> bytes:
    """The report's rows as UTF-8 CSV with one header row (labels in ``lang``); summary figures follow as rows."""
    lang = _lang(lang)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.labels[lang] for c in table.columns])
    for row in table.rows:
        writer.writerow([_plain(cell, table) for cell in row])
    for key, cell in table.summary.items():
        writer.writerow([])
        writer.writerow([table.summary_labels.get(key, {}).get(lang, key), _plain(cell, table)])
    return out.getvalue().encode("utf-8")


def to_xlsx(table: ReportTable, lang: str = "en") -> bytes:
    """A workbook: sheet ``report`` (header row, then the rows), sheet ``about`` (title, period, filters, k)."""
    lang = _lang(lang)
    from openpyxl import Workbook  # loaded on the first XLSX, not with every worker
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new Workbook always has its first sheet
    sheet.title = "report"
    sheet.append([c.labels[lang] for c in table.columns])
    for header in sheet[1]:
        header.font = Font(bold=True)
    for row in table.rows:
        sheet.append([_plain(cell, table) for cell in row])
    for index, column in enumerate(table.columns, start=1):
        if column.kind == "share":
            for (target,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                if isinstance(target.value, float):
                    target.number_format = "0.0%"
    about = book.create_sheet("about")
    about.append([table.titles.get(lang, table.name)])
    about.append(["period", table.period])
    about.append(["k", table.k])
    about.append(["suppressed", table.suppressed_marker])
    for key, value in table.filters.as_dict().items():
        if key not in ("start", "end") and value is not None:
            about.append([key, value])
    for key, figure in table.summary.items():
        about.append([table.summary_labels.get(key, {}).get(lang, key), _plain(figure, table)])
    if lang in table.explanation:
        about.append([table.explanation[lang]])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def to_text(table: ReportTable, lang: str = "en", width: int = 160) -> str:
    """The report as a terminal table (rich), with title, period, summary figures and the suppression note."""
    lang = _lang(lang)
    title = f"{table.titles.get(lang, table.name)} — {table.period}"
    grid = Table(title=title, show_lines=False)
    for column in table.columns:
        grid.add_column(column.labels[lang], justify="left" if column.kind in ("key", "text") else "right")
    for row in table.rows:
        grid.add_row(*(_text(cell, column, table) for cell, column in zip(row, table.columns, strict=True)))
    console = Console(file=io.StringIO(), width=width, record=True, color_system=None)
    console.print(grid)
    for key, cell in table.summary.items():
        label = table.summary_labels.get(key, {}).get(lang, key)
        console.print(f"{label}: {_text(cell, Column(key, {}, 'count'), table)}")
    console.print(f"{table.suppressed_marker}: fewer than {table.k} learners (suppressed)")
    return console.export_text()
