"""The one translation of a :class:`~lrs.reports.model.ReportFilter` into SQL conditions on a projection table."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from lrs.reports.model import UNKNOWN, ReportFilter
from lrs.reports.tables import DIMENSIONS


def _equals(column: sa.ColumnElement[Any], value: str) -> sa.ColumnElement[bool]:
    """``"unknown"`` selects the rows whose statements did not carry the dimension."""
    return column.is_(None) if value == UNKNOWN else column == value


def dimensions(table: sa.Table, flt: ReportFilter) -> list[sa.ColumnElement[bool]]:
    """The conditions of the filter's dimensions and module (not the period)."""
    conditions = [_equals(table.c[name], getattr(flt, name)) for name in DIMENSIONS if getattr(flt, name) is not None]
    if flt.module is not None:
        conditions.append(_equals(table.c.module, flt.module))
    return conditions


def period(day: sa.ColumnElement[dt.date], flt: ReportFilter) -> list[sa.ColumnElement[bool]]:
    """``day`` within the filter's inclusive period."""
    conditions: list[sa.ColumnElement[bool]] = []
    if flt.start is not None:
        conditions.append(day >= flt.start)
    if flt.end is not None:
        conditions.append(day <= flt.end)
    return conditions


def where(table: sa.Table, flt: ReportFilter) -> list[sa.ColumnElement[bool]]:
    """Dimensions, module and period (on the row's ``day``)."""
    return dimensions(table, flt) + period(table.c.day, flt)


def reached(day: sa.ColumnElement[dt.date | None]) -> sa.ColumnElement[bool]:
    """A milestone reached, whenever it was.

    A period selects learners by when they started (a cohort) and counts
    what that cohort achieved, also after the period, so late starters are
    not counted as drop-outs.
    """
    return day.is_not(None)
