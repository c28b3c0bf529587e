"""cmi5 moveOn per module: what an LMS must see for the learner's work to count and be recorded."""

from __future__ import annotations

from typing import Any

from builder.writers.cmi5 import move_on

UNITS: dict[str, Any] = {
    "pre-test": {"kind": "assessment", "role": "pre", "required": False},
    "post-test": {"kind": "assessment", "role": "post", "required": True},
    "clip": {"kind": "clip", "required": True},
    "factsheet": {"kind": "factsheet", "required": False},
    "glossary": {"kind": "glossary", "required": False},
}


def _rule(*unit_ids: str) -> str:
    return move_on({"id": "m", "units": list(unit_ids)}, UNITS, "post-test")


def test_a_module_with_the_pre_test_is_completed_not_not_applicable() -> None:
    assert _rule("pre-test") == "Completed"
    assert _rule("pre-test", "factsheet") == "Completed"


def test_the_post_test_module_is_completed_and_passed() -> None:
    assert _rule("clip", "post-test") == "CompletedAndPassed"


def test_optional_reference_material_only_is_not_applicable() -> None:
    assert _rule("factsheet", "glossary") == "NotApplicable"


def test_a_module_with_required_units_is_completed() -> None:
    assert _rule("clip", "glossary") == "Completed"
