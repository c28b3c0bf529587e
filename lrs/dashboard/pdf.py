"""The printable report of one period: every report's title, plain-language explanation, chart and table.

fpdf2 writes the PDF (pure Python, no system libraries); text is set in the
DejaVu Sans font matplotlib ships, so Dutch and French accents and the
typographic characters of the explanations print as they are. The charts
are the dashboard's own figures, rendered as PNG; key cells are shortened
as the chart's labels are (an IRI by its last segments), and a wide table
is printed in parts of at most :data:`MAX_PDF_COLUMNS` columns.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final

import matplotlib
from fpdf import FPDF
from fpdf.fonts import FontFace

from lrs.dashboard.charts import chart_data, render_png, short_label

#: DejaVu Sans from matplotlib's own data (regular and bold).
_FONTS: Final = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
#: Most table rows printed per report (the CSV and XLSX downloads hold all).
MAX_PDF_ROWS: Final = 60
#: Most columns of one printed table (wider tables are printed in several parts).
MAX_PDF_COLUMNS: Final = 8


def _title(table: Any, lang: str) -> str:
    titles: dict[str, str] = table.titles
    return titles.get(lang) or titles.get("en") or str(table.name)


def new_pdf(title: str, lang: str, orientation: str = "portrait") -> FPDF:
    """An A4 document with its title, language and creator set, and DejaVu Sans (regular, bold) as "DejaVu".

    DejaVu is the font matplotlib ships, so it is there wherever the LRS is
    installed, and it has the letters of every language a course may add
    (the PDF core fonts have Latin-1 only). The dashboard's report and the
    portal's certificates both start here.
    """
    pdf = FPDF(orientation=orientation, format="A4")
    pdf.set_title(title)
    pdf.set_lang(lang)
    pdf.set_creator("GSOG LRS")
    pdf.add_font("DejaVu", "", str(_FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(_FONTS / "DejaVuSans-Bold.ttf"))
    return pdf


def report_pdf(
    tables: Sequence[Any],
    lang: str,
    *,
    heading: str,
    lines: Sequence[str],
    cell_text: Callable[[Any, Any, Any], str],
    labels: Callable[[Any], str],
    no_data: str,
    footnote: Callable[[Any], str],
    summary: Callable[[Any], list[str]],
) -> bytes:
    """The PDF of ``tables`` in ``lang``; ``heading`` and ``lines`` open it (period, filters, date).

    ``cell_text(table, column, cell)`` formats a cell as the dashboard's
    tables do, ``labels(column)`` names a column, ``footnote(table)`` says
    what the suppression marker means, ``summary(table)`` gives the single
    figures printed above the table (e.g. the number of organisations).
    """
    pdf = new_pdf(heading, lang)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 16)
    pdf.multi_cell(0, 9, heading, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    for line in lines:
        pdf.multi_cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
    for table in tables:
        title = _title(table, lang)
        pdf.add_page()
        pdf.start_section(title)
        pdf.set_font("DejaVu", "B", 13)
        pdf.multi_cell(0, 7, title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 10)
        explanations: dict[str, str] = table.explanation
        pdf.multi_cell(0, 5, explanations.get(lang) or "", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
        png = render_png(chart_data(table, lang), title, no_data)
        pdf.image(io.BytesIO(png), w=pdf.epw)
        pdf.ln(2)
        for line in summary(table):
            pdf.multi_cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
        _print_table(pdf, table, cell_text, labels)
        pdf.set_font("DejaVu", "", 8)
        pdf.multi_cell(0, 4, footnote(table), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def column_groups(columns: Sequence[Any], most: int = MAX_PDF_COLUMNS) -> list[list[int]]:
    """Column indexes per printed table: every group repeats the key columns, then at most ``most`` in all.

    A wide table (a cycle comparison has three columns per figure) is
    printed as several narrower tables one under the other, so every
    column stays readable on A4.
    """
    keys = [i for i, c in enumerate(columns) if c.kind == "key"][: most - 1]
    rest = [i for i in range(len(columns)) if i not in keys]
    per = most - len(keys)
    return [keys + rest[n : n + per] for n in range(0, len(rest), per)] or [keys]


def _print_table(
    pdf: FPDF, table: Any, cell_text: Callable[[Any, Any, Any], str], labels: Callable[[Any], str]
) -> None:
    """The report's table (its first :data:`MAX_PDF_ROWS` rows), in groups of columns that fit the page."""
    rows = table.rows[:MAX_PDF_ROWS]
    header = FontFace(emphasis="BOLD", fill_color=(230, 236, 244))
    for group in column_groups(table.columns):
        pdf.set_font("DejaVu", "", 7)
        with pdf.table(headings_style=header, repeat_headings=1, text_align="LEFT") as grid:
            row = grid.row()
            for i in group:
                row.cell(labels(table.columns[i]))
            for values in rows:
                row = grid.row()
                for i in group:
                    column, cell = table.columns[i], values[i]
                    row.cell(short_label(cell) if column.kind == "key" else cell_text(table, column, cell))
        pdf.ln(2)
    if len(table.rows) > len(rows):  # the downloads hold every row
        pdf.multi_cell(0, 4, f"1–{len(rows)} / {len(table.rows)}", new_x="LMARGIN", new_y="NEXT")
