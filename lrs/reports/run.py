"""Running a report, and comparing two periods of one report."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.engine import Engine

from lrs.reports.definitions import REPORTS, ReportDefinition
from lrs.reports.model import SUPPRESSED, Cell, Column, ReportFilter, ReportTable, Suppressed
from lrs.store.interface import Store

#: The default smallest group a cell may show (``GSOG_LRS_REPORT_MIN_GROUP`` overrides it in the app and CLI).
DEFAULT_K = 5
#: Decimals of every fractional figure.
PRECISION = 6


class HasEngine(Protocol):
    """A store (e.g. :class:`lrs.store.sql.SqlStore`): reports read through its engine."""

    @property
    def engine(self) -> Engine:
        """The store's (reader) engine."""
        ...


class UnknownReportError(KeyError):
    """A report name not in :data:`REPORTS` (the message lists the known ones)."""

    def __str__(self) -> str:
        return str(self.args[0])


def definition(name: str) -> ReportDefinition:
    """The registered report ``name``; :class:`UnknownReportError` names the known ones."""
    try:
        return REPORTS[name]
    except KeyError:
        raise UnknownReportError(f"unknown report {name!r}; known: {', '.join(REPORTS)}") from None


#: What reports read from: an engine, or a store with one (:class:`lrs.store.sql.SqlStore`).
Target = Engine | HasEngine | Store


def _engine(target: Target) -> Engine:
    if isinstance(target, Engine):
        return target
    engine = getattr(target, "engine", None)
    if not isinstance(engine, Engine):
        raise TypeError(f"reports read an SQL database: {type(target).__name__} has no engine")
    return engine


def run_report(target: Target, name: str, flt: ReportFilter, *, k: int = DEFAULT_K) -> ReportTable:
    """Report ``name`` over the learners ``flt`` selects; no cell shows fewer than ``k`` learners."""
    if k < 1:
        raise ValueError("the smallest group shown (k) must be at least 1")
    report = definition(name)
    with _engine(target).connect() as conn:
        rows, summary = report.compute(conn, flt, k)
    # Six decimals: the same rows summed in another order (a rebuild, PostgreSQL vs SQLite) give the same figures.
    rows = [[round(cell, PRECISION) if isinstance(cell, float) else cell for cell in row] for row in rows]
    return ReportTable(
        name=report.name,
        titles=report.titles,
        explanation=report.explanation,
        columns=report.columns,
        rows=rows,
        k=k,
        filters=flt,
        summary=summary,
        summary_labels=report.summary_labels,
    )


def _suffixed(column: Column, suffix: str) -> Column:
    """``started_a`` "started (A)", ``started_b`` "started (B)", ``started_diff`` "started (Δ)"."""
    mark = "Δ" if suffix == "diff" else suffix.upper()
    return Column(
        f"{column.key}_{suffix}", {lang: f"{label} ({mark})" for lang, label in column.labels.items()}, column.kind
    )


def _difference(a: Cell, b: Cell) -> Cell:
    if isinstance(a, Suppressed) or isinstance(b, Suppressed):
        return SUPPRESSED
    if isinstance(a, int | float) and isinstance(b, int | float):
        return b - a
    return None


def compare(target: Target, name: str, flt_a: ReportFilter, flt_b: ReportFilter, *, k: int = DEFAULT_K) -> ReportTable:
    """Report ``name`` for two filters (usually two periods) side by side, with B minus A per figure.

    Rows are matched on the key columns (module, goal, ...); a row found in
    one period only has empty cells for the other. A difference involving a
    suppressed cell is suppressed; text columns get no difference.
    """
    a, b = run_report(target, name, flt_a, k=k), run_report(target, name, flt_b, k=k)
    keys = [i for i, c in enumerate(a.columns) if c.kind == "key"]
    values = [i for i, c in enumerate(a.columns) if c.kind != "key"]
    columns = [a.columns[i] for i in keys]
    for i in values:
        column = a.columns[i]
        columns += [_suffixed(column, "a"), _suffixed(column, "b")]
        if column.kind != "text":
            columns.append(_suffixed(column, "diff"))
    by_key_a = {tuple(row[i] for i in keys): row for row in a.rows}
    by_key_b = {tuple(row[i] for i in keys): row for row in b.rows}
    order = list(by_key_a) + [key for key in by_key_b if key not in by_key_a]
    rows: list[list[Cell]] = []
    for key in order:
        row_a, row_b = by_key_a.get(key), by_key_b.get(key)
        row: list[Cell] = list(key)
        for i in values:
            cell_a = row_a[i] if row_a is not None else None
            cell_b = row_b[i] if row_b is not None else None
            row += [cell_a, cell_b]
            if a.columns[i].kind != "text":
                row.append(_difference(cell_a, cell_b))
        rows.append(row)
    summary: dict[str, Cell] = {}
    labels: dict[str, dict[str, str]] = {}
    for figure in a.summary:
        summary[f"{figure}_a"], summary[f"{figure}_b"] = a.summary[figure], b.summary.get(figure)
        summary[f"{figure}_diff"] = _difference(a.summary[figure], b.summary.get(figure))
        for suffix in ("a", "b", "diff"):
            mark = "Δ" if suffix == "diff" else suffix.upper()
            labels[f"{figure}_{suffix}"] = {
                lang: f"{text} ({mark})" for lang, text in a.summary_labels.get(figure, {}).items()
            }
    return ReportTable(
        name=a.name,
        titles=a.titles,
        explanation=a.explanation,
        columns=columns,
        rows=rows,
        k=k,
        filters=flt_a,
        compared_with=flt_b,
        summary=summary,
        summary_labels=labels,
    )
