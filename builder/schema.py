"""JSON Schemas of the authoring files, for editors that validate while typing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from builder.model.catalog import FILE_KINDS, FileKind

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def schema_for(kind: FileKind) -> dict[str, Any]:
    """The JSON Schema of one file kind, generated from its pydantic model."""
    schema = kind.model.model_json_schema(mode="validation")
    return {
        "$schema": SCHEMA_DIALECT,
        "$id": f"urn:gsog:course-src:{kind.name}",
        "title": f"{kind.description} ({kind.pattern})",
        **{k: v for k, v in schema.items() if k != "title"},
    }


def bundle() -> dict[str, Any]:
    """All schemas keyed by the file pattern they apply to."""
    return {kind.pattern: schema_for(kind) for kind in FILE_KINDS}


def write_schemas(out: Path) -> dict[str, str]:
    """Write ``<kind>.schema.json`` files; return VS Code's ``yaml.schemas`` map."""
    out.mkdir(parents=True, exist_ok=True)
    mapping: dict[str, str] = {}
    for kind in FILE_KINDS:
        target = out / f"{kind.name}.schema.json"
        target.write_text(json.dumps(schema_for(kind), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        mapping[target.name] = kind.pattern
    return mapping
