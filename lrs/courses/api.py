"""GET /courses/catalogue: the public course catalogue as JSON, for the portal's pages and anyone else.

Public and without personal data (titles, modules, goals of the imported
courses), so it needs no credentials and may be cached briefly. ``lang``
and ``sector`` filter to a learner's variants (:mod:`lrs.courses.catalogue`);
anything that is not a language tag or a code is a 400 naming the
parameter, never a 500.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

from flask import Blueprint, Response, current_app, request

from lrs.courses.catalogue import catalogue

bp = Blueprint("courses", __name__)

CATALOGUE_PATH: Final = "/courses/catalogue"
#: A minute: a new import shows up soon, and a busy portal page does not query the database each time.
MAX_AGE: Final = 60
#: BCP 47 language tags as learners' preferences give them (``fr``, ``nl-BE``), at most 35 characters.
LANGUAGE_TAG: Final = re.compile(r"[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8}){0,4}")
#: Sector codes, like the learner context's (``police``, ``psychosocial``).
CODE: Final = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


def _error(message: str, status: int = 400) -> Response:
    body = json.dumps({"error": {"message": message}})
    return Response(body, status=status, mimetype="application/json", headers={"Cache-Control": "no-store"})


def _parameter(name: str, pattern: re.Pattern[str], what: str) -> str | Response | None:
    """The query parameter ``name``, None when absent or empty, or a 400 response saying what is wrong."""
    value = request.args.get(name)
    if not value:
        return None
    if len(value) > 64 or not pattern.fullmatch(value):
        return _error(f"{name}: {what}")
    return value


@bp.route(CATALOGUE_PATH, methods=["GET"])
def catalogue_view() -> Response:
    """The catalogue, filtered to ``lang`` and ``sector`` when given."""
    language = _parameter("lang", LANGUAGE_TAG, "must be a language tag such as fr or nl-BE")
    if isinstance(language, Response):
        return language
    sector = _parameter("sector", CODE, "must be a sector code such as police (lower-case letters, digits, - or _)")
    if isinstance(sector, Response):
        return sector
    entries = catalogue(current_app.extensions["lrs_store"], language=language, sector=sector)
    body = json.dumps({"courses": [e.as_dict() for e in entries]}, ensure_ascii=False, allow_nan=False)
    headers = {"Cache-Control": f"public, max-age={MAX_AGE}", "Access-Control-Allow-Origin": "*"}
    return Response(body, status=200, mimetype="application/json", headers=headers)


def openapi_paths() -> dict[str, Any]:
    """The catalogue's part of ``/openapi.json`` (:func:`lrs.api.ops.openapi_document` includes it)."""
    langmap = {"type": "object", "additionalProperties": {"type": "string"}, "description": "text per language tag"}
    goal = {
        "type": "object",
        "required": ["id", "title", "description"],
        "properties": {"id": {"type": "string"}, "title": langmap, "description": langmap},
    }
    module = {
        "type": "object",
        "required": ["id", "title", "moveOn"],
        "properties": {
            "id": {"type": "string"},
            "title": langmap,
            "description": langmap,
            "moveOn": {"enum": ["NotApplicable", "Passed", "Completed", "CompletedAndPassed", "CompletedOrPassed"]},
            "masteryScore": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
            "goals": {"type": "array", "items": {"type": "string"}},
        },
    }
    entry = {
        "type": "object",
        "required": ["course", "title", "languages", "sectors", "modules", "goals", "variants"],
        "properties": {
            "course": {"type": "string"},
            "title": langmap,
            "description": langmap,
            "languages": {"type": "array", "items": {"type": "string"}},
            "sectors": {"type": "array", "items": {"type": "string"}},
            "duration": {"type": ["string", "null"], "description": "ISO 8601 duration, when the package declares one"},
            "modules": {"type": "array", "items": module},
            "goals": {"type": "array", "items": goal},
            "variants": {"type": "array", "items": {"type": "object"}},
        },
    }
    return {
        CATALOGUE_PATH: {
            "get": {
                "summary": "The catalogue of imported cmi5 courses (public, no personal data)",
                "operationId": "courseCatalogue",
                "parameters": [
                    {
                        "name": "lang",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "pattern": f"^{LANGUAGE_TAG.pattern}$", "maxLength": 35},
                        "description": "only variants in this language",
                    },
                    {
                        "name": "sector",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "pattern": f"^{CODE.pattern}$"},
                        "description": "only variants for this sector (or for none)",
                    },
                ],
                "responses": {
                    "200": {
                        "description": "The matching courses",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["courses"],
                                    "properties": {"courses": {"type": "array", "items": entry}},
                                }
                            }
                        },
                    },
                    "400": {"description": "lang or sector malformed"},
                },
            }
        }
    }
