"""The shapes every report shares: the filter, the columns, the table a report answers with."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Final, Literal

#: A filter value selecting the statements that did not carry the dimension (never guessed).
UNKNOWN: Final = "unknown"

#: ``key``: identifies the row (module, goal, ...); ``text``: a description; ``count``: learners;
#: ``share``: a fraction 0..1; ``number``: any other figure (mean, gain, correlation).
Kind = Literal["key", "text", "count", "share", "number"]


class Suppressed:
    """A cell hidden because it would show a group of fewer than ``k`` learners (or let one be recovered)."""

    _instance: Suppressed | None = None

    def __new__(cls) -> Suppressed:
        """One instance: compare with ``is SUPPRESSED``."""
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "SUPPRESSED"


SUPPRESSED: Final = Suppressed()

#: A table cell: a value, None (not applicable / no data), or suppressed.
Cell = str | int | float | None | Suppressed


@dataclass(frozen=True)
class ReportFilter:
    """Which learners' rows a report counts.

    ``start``/``end``: inclusive UTC days of the statement ``timestamp`` the
    row dates from (see each report). A dimension given as ``"unknown"``
    selects the rows whose statements did not carry it; None means "any".
    """

    start: dt.date | None = None
    end: dt.date | None = None
    sector: str | None = None
    organisation: str | None = None
    region: str | None = None
    language: str | None = None
    level: str | None = None
    module: str | None = None
    package_version: str | None = None

    def __post_init__(self) -> None:
        """A period that ends before it starts is a mistake worth saying."""
        if self.start is not None and self.end is not None and self.end < self.start:
            raise ValueError(f"the period ends ({self.end}) before it starts ({self.start})")

    def as_dict(self) -> dict[str, str | None]:
        """The filter as JSON-ready text (ISO days)."""
        out: dict[str, str | None] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = value.isoformat() if isinstance(value, dt.date) else value
        return out

    @property
    def period(self) -> str:
        """``2026-01-01..2026-12-31``; an open end stays empty (``2026-01-01..``); ``all`` without either."""
        if self.start is None and self.end is None:
            return "all"
        return f"{self.start.isoformat() if self.start else ''}..{self.end.isoformat() if self.end else ''}"


@dataclass(frozen=True)
class Column:
    """A column: its key in JSON, its header per language (nl, fr, en), what kind of value it holds."""

    key: str
    labels: Mapping[str, str]
    kind: Kind


@dataclass(frozen=True)
class ReportTable:
    """A report's answer: the table plus everything needed to read it right.

    ``rows`` hold cells in ``columns`` order. ``summary`` holds single
    figures outside the table (e.g. the number of organisations), labelled
    in ``summary_labels``. ``compared_with`` is set for a cycle comparison
    (``filters`` is then period A, ``compared_with`` period B).
    """

    name: str
    titles: Mapping[str, str]
    explanation: Mapping[str, str]
    columns: Sequence[Column]
    rows: list[list[Cell]]
    k: int
    filters: ReportFilter
    suppressed_marker: str = ""
    compared_with: ReportFilter | None = None
    summary: Mapping[str, Cell] = field(default_factory=dict)
    summary_labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """The marker follows ``k`` unless given."""
        if not self.suppressed_marker:
            object.__setattr__(self, "suppressed_marker", f"<{self.k}")

    @property
    def period(self) -> str:
        """What the table covers, e.g. ``2026-01-01..2026-12-31 vs 2027-01-01..2027-12-31`` for a comparison."""
        if self.compared_with is None:
            return self.filters.period
        return f"{self.filters.period} vs {self.compared_with.period}"

    def records(self) -> list[dict[str, Cell]]:
        """Rows as ``{column key: cell}``."""
        keys = [c.key for c in self.columns]
        return [dict(zip(keys, row, strict=True)) for row in self.rows]
