"""The canonical Activity object kept for GET /activities."""

from __future__ import annotations

from typing import Any

#: Definition members that are maps merged key by key (language maps, extensions);
#: every other member is replaced by the latest statement's value.
_MERGED_MAPS = ("name", "description", "extensions")


def merge_activity(current: dict[str, Any] | None, seen: dict[str, Any]) -> dict[str, Any]:
    """Fold an Activity object from a new statement into the canonical one.

    The latest statement wins member by member, but a language it does not
    mention is kept: a course sending only ``{"en-US": ...}`` must not wipe
    the ``nl-BE`` name an earlier statement gave.
    """
    merged: dict[str, Any] = dict(current) if current else {"objectType": "Activity", "id": seen["id"]}
    definition = seen.get("definition")
    if isinstance(definition, dict):
        old = merged.get("definition")
        target: dict[str, Any] = dict(old) if isinstance(old, dict) else {}
        for name, value in definition.items():
            previous = target.get(name)
            if name in _MERGED_MAPS and isinstance(value, dict) and isinstance(previous, dict):
                target[name] = {**previous, **value}
            else:
                target[name] = value
        merged["definition"] = target
    return merged
