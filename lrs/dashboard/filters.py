"""The dashboard's filter form, read from a query string into the reports' ``ReportFilter``.

One query string serves the page, its chart, its downloads and the PDF, so
they always show the same selection. A bad value is a :class:`BadFilter`
naming the field, shown on a 400 page (never a 500).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Final

from lrs.reports import UNKNOWN, ReportFilter
from lrs.xapi.profile import CODE, LEVELS

#: The text filters (learner-context codes), in the form's order.
CODE_FIELDS: Final = ("sector", "organisation", "region", "language", "level", "module", "package_version")
#: Sectors offered in the form (the course's sectors; any code is accepted in the query).
SECTORS: Final = ("police", "justice", "medical", "psychosocial", "education")
#: Package languages offered in the form.
PACKAGE_LANGUAGES: Final = ("nl", "fr")
#: Choices offered as a select; the others are free text codes.
#: ``unknown`` selects the statements that did not carry the dimension (never guessed).
CHOICES: Final[dict[str, tuple[str, ...]]] = {
    "sector": (*SECTORS, UNKNOWN),
    "language": (*PACKAGE_LANGUAGES, UNKNOWN),
    "level": (*LEVELS, UNKNOWN),
}
#: Query parameters of the two periods.
PERIOD_FIELDS: Final = ("from", "to", "compare_from", "compare_to")

_CODE = re.compile(CODE)
#: Module ids and package versions may be IRIs or version strings: printable, no spaces.
_FREE = re.compile(r"^[^\s\x00-\x1f]{1,500}$")


class BadFilter(ValueError):
    """A filter value the reports cannot use: ``field`` names the form field, ``problem`` is a message key.

    The page shows it in the user's language (:mod:`lrs.dashboard.i18n`,
    with ``values`` filled in); ``str()`` gives the English gist for logs
    and callers outside a request.
    """

    def __init__(self, field: str, problem: str, gist: str, **values: str) -> None:
        super().__init__(f"{field}: {gist}")
        self.field = field
        self.problem = problem
        self.values = values


@dataclass(frozen=True)
class Selection:
    """The selection of one page: the filter, and the second period's filter when comparing."""

    filter: ReportFilter
    compare: ReportFilter | None
    #: the query parameters that made it (for links to the chart, downloads and PDF)
    args: dict[str, str]


def _date(args: Mapping[str, str], field: str) -> dt.date | None:
    raw = args.get(field, "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise BadFilter(
            field, "bad_date", f"{raw[:40]!r} is not a date; use YYYY-MM-DD", value=repr(raw[:40])
        ) from None


def _period(args: Mapping[str, str], start_field: str, end_field: str) -> tuple[dt.date | None, dt.date | None]:
    start, end = _date(args, start_field), _date(args, end_field)
    if start and end and end < start:
        raise BadFilter(
            end_field,
            "bad_period",
            f"the period ends ({end}) before it starts ({start})",
            start=start.isoformat(),
            end=end.isoformat(),
        )
    return start, end


def parse_selection(args: Mapping[str, str]) -> Selection:
    """The selection in query ``args``; BadFilter naming the first bad field."""
    codes: dict[str, str | None] = {}
    for field in CODE_FIELDS:
        raw = args.get(field, "").strip()
        pattern = _FREE if field in ("module", "package_version") else _CODE
        if raw and not pattern.match(raw):
            raise BadFilter(field, "bad_code", f"{raw[:40]!r} is not a code", value=repr(raw[:40]))
        codes[field] = raw or None
    start, end = _period(args, "from", "to")
    flt = ReportFilter(start=start, end=end, **codes)
    compare = None
    if args.get("compare_from", "").strip() or args.get("compare_to", "").strip():
        b_start, b_end = _period(args, "compare_from", "compare_to")
        compare = replace(flt, start=b_start, end=b_end)
    kept = {k: v.strip() for k, v in args.items() if k in (*CODE_FIELDS, *PERIOD_FIELDS) and v.strip()}
    return Selection(filter=flt, compare=compare, args=kept)
