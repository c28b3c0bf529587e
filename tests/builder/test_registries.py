"""The Python registries (formats, unit kinds, spec facts) and the player's lists agree.

The player keeps its own list (``player/bundle.json``), which the build reads;
a format or a unit kind added on one side only would build packages that
cannot track or cannot show a unit, so these tests name what is missing.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

import builder.spec
from builder.checker import check_course
from builder.formats import FORMATS
from builder.model.catalog import FILE_KINDS
from builder.model.kinds import UNIT_KINDS, kind_of
from builder.payload import PLAYER_DIR
from builder.validate.formats import MANIFEST_NAMES
from builder.variants import Variant, compile_variant
from tests.conftest import COURSE_SRC

BUILDER_DIR = Path(builder.spec.__file__).parent
#: ``GSOG.units.register("kind"`` and ``GSOG.adapters.fmt =`` in the player's scripts.
UNIT_REGISTRATION = re.compile(r"""GSOG\.units\.register\(\s*["']([\w-]+)["']""")
ADAPTER_REGISTRATION = re.compile(r"GSOG\.adapters\.(\w+)\s*=\s*function")


def _bundle() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PLAYER_DIR / "bundle.json").read_text(encoding="utf-8"))
    return data


def _script(name: str) -> str:
    return (PLAYER_DIR / name).read_text(encoding="utf-8")


def test_bundle_has_one_adapter_per_registered_format_and_no_other() -> None:
    assert set(_bundle()["adapters"]) == set(FORMATS)


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_each_format_adapter_registers_that_format(fmt: str) -> None:
    script = _bundle()["adapters"][fmt]
    assert ADAPTER_REGISTRATION.findall(_script(script)) == [fmt], script


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_each_format_manifest_is_one_course_validate_reads_as_its_family(fmt: str) -> None:
    spec = FORMATS[fmt]
    assert spec.validates_as in MANIFEST_NAMES[spec.manifest]


def test_bundle_scripts_register_exactly_the_registered_unit_kinds() -> None:
    registered: dict[str, list[str]] = {}
    for name in _bundle()["scripts"]:
        for kind in UNIT_REGISTRATION.findall(_script(name)):
            registered.setdefault(kind, []).append(name)
    assert registered == {kind.name: [kind.player_script] for kind in UNIT_KINDS.values()}


def test_every_unit_kind_is_an_authoring_file_kind_with_the_same_model() -> None:
    file_models = {k.name: k.model for k in FILE_KINDS}
    assert {name: kind.model for name, kind in UNIT_KINDS.items()} == {
        name: file_models.get(name) for name in UNIT_KINDS
    }


def test_compiled_content_uses_the_registered_kind_of_each_unit() -> None:
    report = check_course(COURSE_SRC)
    assert report.course is not None, [p.format() for p in report.problems.errors]
    course = report.course
    variant = Variant(course.meta.languages[0], course.cases[0].sector)
    compiled = compile_variant(course, variant, Path("/nonexistent-cache"))
    units = course.units
    kinds = {uid: unit["kind"] for uid, unit in compiled.content["units"].items()}
    assert kinds == {uid: kind_of(units[uid]).name for uid in kinds}
    # the real course shows every kind, so this test covers each one
    assert set(kinds.values()) == set(UNIT_KINDS)


def test_kind_of_refuses_a_model_that_is_not_a_unit() -> None:
    report = check_course(COURSE_SRC)
    assert report.course is not None
    with pytest.raises(TypeError, match="CourseFile is not a registered unit kind"):
        kind_of(report.course.meta)


def _spec_facts() -> dict[str, str]:
    return {
        name: value
        for name, value in vars(builder.spec).items()
        if name.isupper() and isinstance(value, str) and value.startswith("http")
    }


@pytest.mark.parametrize("name", sorted(_spec_facts()))
def test_each_spec_fact_is_written_out_only_in_builder_spec(name: str) -> None:
    value = _spec_facts()[name]
    # a string literal of the value, not an attribute inside an XML snippet (xmlns="...")
    literal = re.compile(r'(?<!=)"' + re.escape(value) + '"')
    elsewhere = [
        str(path.relative_to(BUILDER_DIR))
        for path in sorted(BUILDER_DIR.rglob("*.py"))
        if path.name != "spec.py" and literal.search(path.read_text(encoding="utf-8"))
    ]
    assert elsewhere == [], f"{name} ({value}) is defined again; import it from builder.spec"
