"""Our xAPI Profile (learner-context extensions): served, well formed, and what launches put in statements."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from lrs.xapi.profile import (
    EXTENSIONS,
    LAUNCH_FIELDS,
    PROFILE_ID,
    PROFILE_PATH,
    PROFILE_VERSION,
    launch_context_problem,
    player_vocabulary,
)
from tests.lrs.test_cmi5 import ACTOR, AU, LAUNCHES, PUBLISHER, launch

LANGUAGE_MAP = {"type": "object", "minProperties": 1, "additionalProperties": {"type": "string", "minLength": 1}}
IRI = {"type": "string", "pattern": "^https?://[^\\s]+$"}

#: The xAPI Profiles 1.0 document structure (Part Two, "Profile Properties", "Profile Version
#: Objects", "Organizations and Persons", "Extensions"), written from the specification's tables:
#: ADL publishes no JSON Schema of it. Only what our profile uses is allowed (extension concepts).
PROFILE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["@context", "id", "type", "conformsTo", "prefLabel", "definition", "author", "versions"],
    "additionalProperties": False,
    "properties": {
        "@context": {"const": "https://w3id.org/xapi/profiles/context"},
        "id": IRI,
        "type": {"const": "Profile"},
        "conformsTo": {"const": "https://w3id.org/xapi/profiles#1.0"},
        "prefLabel": LANGUAGE_MAP,
        "definition": LANGUAGE_MAP,
        "seeAlso": IRI,
        "author": {
            "type": "object",
            "required": ["type", "name"],
            "additionalProperties": False,
            "properties": {
                "type": {"enum": ["Organization", "Person"]},
                "name": {"type": "string", "minLength": 1},
                "url": IRI,
            },
        },
        "versions": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["id", "generatedAtTime"],
                "additionalProperties": False,
                "properties": {
                    "id": IRI,
                    "generatedAtTime": {"type": "string", "format": "date-time"},
                    "wasRevisionOf": {"type": "array", "minItems": 1, "items": IRI},
                },
            },
        },
        "concepts": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["id", "type", "inScheme", "prefLabel", "definition"],
                "additionalProperties": False,
                "properties": {
                    "id": IRI,
                    "type": {"enum": ["ContextExtension", "ResultExtension", "ActivityExtension"]},
                    "inScheme": IRI,
                    "prefLabel": LANGUAGE_MAP,
                    "definition": LANGUAGE_MAP,
                    "deprecated": {"type": "boolean"},
                    "recommendedVerbs": {"type": "array", "minItems": 1, "items": IRI},
                    "context": IRI,
                    "schema": IRI,
                    "inlineSchema": {"type": "string", "minLength": 1},
                },
                "not": {"required": ["schema", "inlineSchema"]},
            },
        },
    },
}


def test_profile_is_served_without_credentials_as_cacheable_json_ld(app: Any) -> None:
    response = app.test_client().get(PROFILE_PATH)
    assert response.status_code == 200
    assert response.mimetype == "application/ld+json"
    assert "public" in response.headers["Cache-Control"] and "max-age" in response.headers["Cache-Control"]
    again = app.test_client().get(PROFILE_PATH, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    # the IRI of the profile ends with the path it is served at (it resolves where the LRS is the publisher's)
    assert PROFILE_ID.endswith(PROFILE_PATH)


def test_profile_follows_the_xapi_profiles_structure(app: Any) -> None:
    profile = json.loads(app.test_client().get(PROFILE_PATH).data)
    jsonschema.validate(profile, PROFILE_SCHEMA, format_checker=jsonschema.FormatChecker())
    versions = {v["id"] for v in profile["versions"]}
    assert PROFILE_VERSION in versions
    ids = [c["id"] for c in profile["concepts"]]
    assert len(ids) == len(set(ids))
    for concept in profile["concepts"]:
        assert concept["inScheme"] in versions
        # inlineSchema: a legal JSON Schema, as a string
        jsonschema.Draft202012Validator.check_schema(json.loads(concept["inlineSchema"]))


def test_every_extension_the_player_is_given_is_a_concept_of_the_served_profile(app: Any) -> None:
    profile = json.loads(app.test_client().get(PROFILE_PATH).data)
    served = {c["id"] for c in profile["concepts"] if c["type"] == "ContextExtension"}
    assert set(player_vocabulary()["extensions"].values()) == served
    wanted = {"sector", "organisation", "region", "language", "role", "level", "course-version", "package-version"}
    assert wanted <= set(player_vocabulary()["extensions"])
    # what is learner context says it is not personal data
    for ext in EXTENSIONS:
        if ext.name in {"sector", "organisation", "region", "role", "level"}:
            assert "never personal data" in ext.definition["en"], ext.name


def test_launch_learner_context_goes_into_the_context_template_and_the_launched_statement(client: Any) -> None:
    given = {"organisation": "pz-antwerpen", "region": "BE-VAN", "role": "inspector", "level": "deepening"}
    created = launch(client, learnerContext=given)
    iris = player_vocabulary()["extensions"]
    extensions = created["launchData"]["contextTemplate"]["extensions"]
    for key, value in given.items():
        assert extensions[iris[key]] == value
    stored = client.get("/xapi/statements", query_string={"statementId": created["launchedStatement"]},
                        headers={"X-Experience-API-Version": "1.0.3"}).get_json()
    for key, value in given.items():
        assert stored["context"]["extensions"][iris[key]] == value


def test_launch_without_learner_context_adds_none(client: Any) -> None:
    created = launch(client)
    extensions = created["launchData"]["contextTemplate"]["extensions"]
    assert not set(extensions) & {f.iri for f in LAUNCH_FIELDS}


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"employer": "x"}, "learnerContext.employer"),
        ({"organisation": 42}, "learnerContext.organisation"),
        ({"region": None}, "learnerContext.region"),
        ({"role": "Lies Peeters"}, "learnerContext.role"),  # a name, not a code
        ({"level": "expert"}, "learnerContext.level"),
        ({"organisation": "x" * 65}, "learnerContext.organisation"),
        ({"sector": "police"}, "learnerContext.sector"),  # the package knows its sector; a launch cannot change it
        (["organisation"], "learnerContext"),
    ],
)
def test_invalid_learner_context_is_400_naming_the_field(client: Any, given: Any, field: str) -> None:
    payload = {"actor": ACTOR, "activityId": AU, "publisherId": PUBLISHER, "learnerContext": given}
    response = client.post(LAUNCHES, json=payload)
    assert response.status_code == 400
    assert field in response.get_json()["error"]["message"]


def test_launch_values_are_checked_by_the_same_schema_the_player_gets() -> None:
    schemas = player_vocabulary()["launch"]
    assert set(schemas) == {"organisation", "region", "role", "level"}
    assert launch_context_problem({"level": "basic", "region": "BE-BRU"}) is None
    for name, schema in schemas.items():
        jsonschema.Draft202012Validator.check_schema(schema)
        bad = "with space"
        assert launch_context_problem({name: bad}) is not None
        assert not jsonschema.Draft202012Validator(schema).is_valid(bad)
