"""Checks of our player's content inside a package: the titles a learner sees.

The manifests' titles are checked in :mod:`builder.validate.semantics`, but a
learner reads the course, module and unit titles from ``content/course.js``
(``window.GSOG_CONTENT={...};``, written by :mod:`builder.payload`). A
package whose manifests are fine can still show blank headings, so the
validator reads that document too. A zip without our content document (any
other tool's package) has nothing to check here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any, Final

from builder.spec import CONTENT_GLOBAL, CONTENT_SCRIPT, script_line_prefix
from builder.validate.problems import Finding, shown
from builder.validate.zipsafe import EntryUnreadable, SafeZip

CONTENT_PREFIX: Final = script_line_prefix(CONTENT_GLOBAL)
"""The start of the line that assigns the content document (JSON), ended by ``;``."""
MAX_CONTENT_BYTES: Final = 64 * 1024**2
"""A larger script is not ours (the real course's is about 250 KB): it is reported, not parsed."""


def content_findings(package: SafeZip) -> list[Finding]:
    """Problems of the content document in ``package``; empty when there is none or it is sound."""
    if CONTENT_SCRIPT not in package.names:
        return []
    try:
        data = package.read(CONTENT_SCRIPT, MAX_CONTENT_BYTES)
    except EntryUnreadable as exc:
        return [Finding(CONTENT_SCRIPT, None, str(exc))]
    text = data.decode("utf-8", errors="replace")
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith(CONTENT_PREFIX):
            return list(_document_findings(line[len(CONTENT_PREFIX) :], number))
    return []  # not our player's content: another tool's file of the same name


def _document_findings(assigned: str, line: int) -> Iterator[Finding]:
    """Findings for the JSON assigned on ``line``: unreadable, or an empty title (named by its path)."""
    try:
        document = json.loads(assigned.rstrip().removesuffix(";"))
    except ValueError as exc:
        yield Finding(CONTENT_SCRIPT, line, f"the content document is not valid JSON ({exc})")
        return
    if not isinstance(document, Mapping):
        yield Finding(CONTENT_SCRIPT, line, "the content document is not a JSON object")
        return
    for path, title in _titles(document):
        if not isinstance(title, str) or not title.strip():
            yield Finding(CONTENT_SCRIPT, line, f"{shown(path)} is empty; every title needs its text")


def _titles(document: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    """Every title the player shows, with its path in the document: the course's, each module's and each unit's."""
    course = document.get("course")
    yield "course.title", course.get("title") if isinstance(course, Mapping) else None
    modules = document.get("modules")
    for index, module in enumerate(modules if isinstance(modules, list) else []):
        if isinstance(module, Mapping):
            yield f"modules[{index}] ({module.get('id')!r}).title", module.get("title")
    units = document.get("units")
    for unit_id, unit in (units if isinstance(units, Mapping) else {}).items():
        if isinstance(unit, Mapping):
            yield f"units[{unit_id!r}].title", unit.get("title")
