"""`course schema` describes the authoring files well enough to validate them."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from builder.cli import main
from builder.model.catalog import FILE_KINDS
from builder.source.yaml_tree import load_yaml
from tests.conftest import COURSE_SRC


def _as_json(value: Any) -> Any:
    """What an editor's YAML language server sees: dates are strings."""
    if isinstance(value, dict):
        return {str(k): _as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_json(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def _load(path: Path) -> Any:
    return _as_json(load_yaml(path).data)


@pytest.fixture(scope="module")
def schemas() -> dict[str, Any]:
    result = CliRunner().invoke(main, ["schema"])
    assert result.exit_code == 0
    return json.loads(result.stdout)


def test_schema_validates_every_file_of_the_real_course(schemas: dict[str, Any]) -> None:
    checked = 0
    for kind in FILE_KINDS:
        schema = schemas[kind.pattern]
        jsonschema.Draft202012Validator.check_schema(schema)
        for path in sorted(COURSE_SRC.glob(kind.pattern)):
            jsonschema.validate(_load(path), schema, cls=jsonschema.Draft202012Validator)
            checked += 1
    assert checked >= 25


def test_schema_rejects_what_course_check_rejects(schemas: dict[str, Any]) -> None:
    case = _load(COURSE_SRC / "cases" / "case-police.yaml")
    schema = schemas["cases/*.yaml"]
    # sectors and languages are the course's own (course check tests membership); the schema knows their form
    with pytest.raises(jsonschema.ValidationError, match="Politie zone"):
        jsonschema.validate({**case, "sector": "Politie zone"}, schema)
    with pytest.raises(jsonschema.ValidationError, match="Nederlands"):
        jsonschema.validate({**case, "title": {"Nederlands": "Casus"}}, schema)
    with pytest.raises(jsonschema.ValidationError, match="titel"):
        jsonschema.validate({**case, "titel": case["title"]}, schema)


def test_committed_editor_schemas_are_current(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["schema", "--out", str(tmp_path)])
    assert result.exit_code == 0
    for fresh in sorted(tmp_path.glob("*.schema.json")):
        committed = COURSE_SRC / ".schema" / fresh.name
        assert committed.read_text() == fresh.read_text(), f"run: course schema --out course_src/.schema ({fresh.name})"


def test_one_kind_prints_one_schema() -> None:
    result = CliRunner().invoke(main, ["schema", "clip"])
    assert json.loads(result.stdout)["title"].startswith("knowledge clip")
