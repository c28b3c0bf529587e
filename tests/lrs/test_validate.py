"""Statement validation: the spec's own examples pass, broken statements name the broken field."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest

from lrs.xapi.validate import (
    StatementInvalid,
    check_agent,
    check_statement,
    is_duration,
    is_language_tag,
    parse_timestamp,
    statement_problems,
)

ACTOR = {"objectType": "Agent", "name": "Learner", "mbox": "mailto:learner@example.com"}
VERB = {"id": "http://adlnet.gov/expapi/verbs/attended", "display": {"en-US": "attended", "nl-BE": "bijgewoond"}}
ACTIVITY = {"objectType": "Activity", "id": "http://example.com/activities/course"}
BASE: dict[str, Any] = {"actor": ACTOR, "verb": VERB, "object": ACTIVITY}

#: xAPI 1.0.3 Data, Appendix A: the long example statement, as an LRS returns it.
SPEC_LONG_EXAMPLE: dict[str, Any] = {
    "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee",
    "actor": {
        "name": "Team PB",
        "mbox": "mailto:teampb@example.com",
        "member": [
            {"name": "Andrew Downes", "account": {"homePage": "http://www.example.com", "name": "13936749"},
             "objectType": "Agent"},
            {"name": "Toby Nichols", "openid": "http://toby.openid.example.org/", "objectType": "Agent"},
            {"name": "Ena Hills", "mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9", "objectType": "Agent"},
        ],
        "objectType": "Group",
    },
    "verb": {"id": "http://adlnet.gov/expapi/verbs/attended", "display": {"en-GB": "attended", "en-US": "attended"}},
    "result": {
        "extensions": {"http://example.com/profiles/meetings/resultextensions/minuteslocation": "X:\\meetings"},
        "success": True,
        "completion": True,
        "response": "We agreed on some example actions.",
        "duration": "PT1H0M0S",
    },
    "context": {
        "registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7",
        "contextActivities": {
            "parent": [{"id": "http://www.example.com/meetings/series/267", "objectType": "Activity"}],
            "category": [{
                "id": "http://www.example.com/meetings/categories/teammeeting",
                "objectType": "Activity",
                "definition": {
                    "name": {"en": "team meeting"},
                    "description": {"en": "A category of meeting used for regular team meetings."},
                    "type": "http://example.com/expapi/activities/meetingcategory",
                },
            }],
            "other": [
                {"id": "http://www.example.com/meetings/occurances/34257", "objectType": "Activity"},
                {"id": "http://www.example.com/meetings/occurances/3425567", "objectType": "Activity"},
            ],
        },
        "instructor": {"name": "Andrew Downes", "account": {"homePage": "http://www.example.com", "name": "13936749"},
                       "objectType": "Agent"},
        "team": {"name": "Team PB", "mbox": "mailto:teampb@example.com", "objectType": "Group"},
        "platform": "Example virtual meeting software",
        "language": "tlh",
        "statement": {"objectType": "StatementRef", "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee"},
    },
    "timestamp": "2013-05-18T05:32:34.804+00:00",
    "stored": "2013-05-18T05:32:34.804+00:00",
    "authority": {"account": {"homePage": "http://cloud.scorm.com/", "name": "anonymous"}, "objectType": "Agent"},
    "version": "1.0.0",
    "object": {
        "id": "http://www.example.com/meetings/occurances/34534",
        "definition": {
            "extensions": {"http://example.com/profiles/meetings/activitydefinitionextensions/room": {"name": "Kilby"}},
            "name": {"en-GB": "example meeting", "en-US": "example meeting"},
            "description": {"en-GB": "An example meeting.", "en-US": "An example meeting."},
            "type": "http://adlnet.gov/expapi/activities/meeting",
            "moreInfo": "http://virtualmeeting.example.com/345256",
        },
        "objectType": "Activity",
    },
}

INTERACTIONS: list[dict[str, Any]] = [
    {"interactionType": "true-false", "correctResponsesPattern": ["true"]},
    {"interactionType": "choice", "correctResponsesPattern": ["golf[,]tetris"],
     "choices": [{"id": "golf", "description": {"en-US": "Golf"}}, {"id": "tetris", "description": {"en-US": "T"}}]},
    {"interactionType": "fill-in", "correctResponsesPattern": ["Bob's your uncle"]},
    {"interactionType": "long-fill-in", "correctResponsesPattern": ["{case_matters=false}{lang=en}To store."]},
    {"interactionType": "likert", "correctResponsesPattern": ["likert_3"],
     "scale": [{"id": "likert_0", "description": {"en-US": "OK"}}, {"id": "likert_3", "description": {"en-US": "!"}}]},
    {"interactionType": "matching", "correctResponsesPattern": ["ben[.]3"],
     "source": [{"id": "ben", "description": {"en-US": "Ben"}}],
     "target": [{"id": "3", "description": {"en-US": "D"}}]},
    {"interactionType": "performance", "correctResponsesPattern": ["pong[.]1:[,]dg[.]:10"],
     "steps": [{"id": "pong", "description": {"en-US": "Net pong"}}, {"id": "dg", "description": {"en-US": "Disc"}}]},
    {"interactionType": "sequencing", "correctResponsesPattern": ["tim[,]mike"],
     "choices": [{"id": "tim", "description": {"en-US": "Tim"}}, {"id": "mike", "description": {"en-US": "Mike"}}]},
    {"interactionType": "numeric", "correctResponsesPattern": ["4[:]"]},
    {"interactionType": "other", "correctResponsesPattern": ["(35.937432,-86.868896)"]},
]


def with_(path: str, value: Any, base: dict[str, Any] | None = None) -> dict[str, Any]:
    """A copy of ``base`` with the dotted ``path`` set (``...`` deletes it)."""
    result = copy.deepcopy(base if base is not None else BASE)
    node: Any = result
    keys = path.split(".")
    for key in keys[:-1]:
        node = node[int(key)] if isinstance(node, list) else node.setdefault(key, {})
    last: Any = int(keys[-1]) if isinstance(node, list) else keys[-1]
    if value is ...:
        del node[last]
    else:
        node[last] = value
    return result


def messages(statement: Any, api: str = "2.0.0") -> list[str]:
    return [str(p) for p in statement_problems(statement, api)]  # type: ignore[arg-type]


# --- valid statements -----------------------------------------------------------


@pytest.mark.parametrize("api", ["1.0.3", "2.0.0"])
def test_spec_examples_are_valid(api: str) -> None:
    assert messages(SPEC_LONG_EXAMPLE, api) == []
    assert messages(BASE, api) == []


@pytest.mark.parametrize("definition", INTERACTIONS, ids=lambda d: d["interactionType"])
def test_spec_interaction_examples_are_valid(definition: dict[str, Any]) -> None:
    activity = {**ACTIVITY, "definition": {"type": "http://adlnet.gov/expapi/activities/cmi.interaction",
                                           "description": {"en-US": "q"}, **definition}}
    assert messages(with_("object", activity)) == []


@pytest.mark.parametrize(
    "obj",
    [
        {"objectType": "Agent", "mbox": "mailto:andrew@example.co.uk", "name": "Andrew"},
        {"objectType": "Group", "name": "Example Group", "account": {"homePage": "http://example.com/h", "name": "G"},
         "member": [{"mbox": "mailto:a@example.com"}, {"openid": "http://aaron.openid.example.org"}]},
        {"objectType": "StatementRef", "id": "9e13cefd-53d3-4eac-b5ed-2cf6693903bb"},
        {"objectType": "SubStatement", "actor": {"objectType": "Agent", "mbox": "mailto:agent@example.com"},
         "verb": {"id": "http://example.com/confirmed", "display": {"en": "confirmed"}},
         "object": {"objectType": "StatementRef", "id": "9e13cefd-53d3-4eac-b5ed-2cf6693903bb"}},
    ],
    ids=["agent", "group", "statementref", "substatement"],
)
def test_spec_object_examples_are_valid(obj: dict[str, Any]) -> None:
    assert messages(with_("object", obj)) == []


def test_extensions_may_hold_null_empty_and_empty_objects() -> None:
    extensions = {"http://example.com/a": None, "http://example.com/b": "", "http://example.com/c": {}}
    assert messages(with_("result", {"extensions": extensions})) == []
    assert messages(with_("context", {"extensions": {}})) == []


def test_single_context_activity_and_anonymous_group_are_valid() -> None:
    statement = with_("context", {"contextActivities": {"parent": ACTIVITY}})
    statement["actor"] = {"objectType": "Group", "member": [ACTOR]}
    assert messages(statement) == []


def test_context_agents_and_groups_are_2_0_only() -> None:
    context = {
        "contextAgents": [{"objectType": "contextAgent", "agent": ACTOR,
                           "relevantTypes": ["http://example.com/types/instructor"]}],
        "contextGroups": [{"objectType": "contextGroup", "group": {"objectType": "Group", "member": [ACTOR]}}],
    }
    statement = with_("context", context)
    assert messages(statement, "2.0.0") == []
    assert any(m.startswith("context.contextAgents:") for m in messages(statement, "1.0.3"))


def test_statement_version_property_per_api() -> None:
    assert messages(with_("version", "1.0.9"), "1.0.3") == []
    assert messages(with_("version", "2.0.0"), "2.0.0") == []
    assert messages(with_("version", "2.0.0"), "1.0.3") == ["version: must be a version string starting 1.0.x"]
    assert messages(with_("version", "1.1.0"), "2.0.0")


# --- invalid statements: the message names the field -------------------------------

INVALID: list[tuple[str, Any, str]] = [
    ("actor", ..., "actor: is required"),
    ("verb", ..., "verb: is required"),
    ("object", ..., "object: is required"),
    ("actor", None, "actor: must not be null"),
    ("context", None, "context: must not be null"),
    ("actor.mbox", "learner@example.com", "actor.mbox: must start with mailto:"),
    ("actor.mbox", "mailto:not-an-address", "actor.mbox: must be mailto: followed by an e-mail address"),
    ("actor.openid", "http://openid.example.org/1", "actor: an Agent must have only one identifier"),
    ("actor.mbox_sha1sum", "abc", "actor.mbox_sha1sum: must be the 40-character hex SHA-1"),
    ("actor.account", {"name": "x"}, "actor.account.homePage: is required"),
    ("actor.account", {"homePage": "ab=c://x", "name": "x"}, "actor.account.homePage: must be an IRL"),
    ("actor.name", 5, "actor.name: must be a string"),
    ("actor.objectType", "agent", 'actor.objectType: must be "Agent"'),
    ("actor.Mbox", "mailto:a@example.com", 'actor.Mbox: is not allowed (property names are case-sensitive'),
    ("verb.id", "attended", "verb.id: must be an IRI with a scheme"),
    ("verb.display", {"a12345678": "x"}, "verb.display.a12345678: is not an RFC 5646 language tag"),
    ("verb.display", "attended", "verb.display: must be a language map"),
    ("object.id", "not.a.valid.iri.com/activity", "object.id: must be an IRI"),
    ("object.objectType", "activity", "object.objectType: must be Activity, Agent, Group, StatementRef or"),
    ("object.definition", {"correctResponsesPattern": ["x"]},
     "object.definition.correctResponsesPattern: needs an interactionType"),
    ("object.definition", {"interactionType": "Other"}, "object.definition.interactionType: must be one of"),
    ("object.definition", {"interactionType": "true-false", "choices": []},
     "object.definition.choices: is not used with interactionType true-false"),
    ("object.definition", {"interactionType": "choice", "choices": [{"id": "a"}, {"id": "a"}]},
     "object.definition.choices[1].id: interaction component ids must be distinct"),
    ("object.definition", {"moreInfo": "www.example.com"}, "object.definition.moreInfo: must be an IRL"),
    ("object.definition", {"extensions": {"color": "red"}}, "object.definition.extensions.color: extension keys"),
    ("id", "not-a-uuid", "id: must be a UUID"),
    ("timestamp", "2008-09-15T15:53:00.601-00:00", "timestamp: must be an ISO 8601 timestamp"),
    ("timestamp", "01/011/2015", "timestamp: must be an ISO 8601 timestamp"),
    ("stored", "yesterday", "stored: must be an ISO 8601 timestamp"),
    ("result", {"score": {"scaled": 1.01}}, "result.score.scaled: must be between -1 and 1"),
    ("result", {"score": {"raw": 5, "min": 6, "max": 10}}, "result.score.raw: must not be less than min"),
    ("result", {"score": {"raw": 11, "min": 0, "max": 10}}, "result.score.raw: must not be greater than max"),
    ("result", {"score": {"min": 10, "max": 1}}, "result.score.min: must be less than max"),
    ("result", {"score": {"max": "one hundred"}}, "result.score.max: must be a number"),
    ("result", {"success": "true"}, "result.success: must be true or false"),
    ("result", {"duration": "P4W1D"}, "result.duration: must be an ISO 8601 duration"),
    ("context", {"registration": "MA97B177-9383-4934-8543-0F91A7A02836"}, "context.registration: must be a UUID"),
    ("context", {"team": ACTOR}, "context.team: must be a Group"),
    ("context", {"language": "english please"}, "context.language: must be an RFC 5646 language tag"),
    ("context", {"contextActivities": {"consequences": ACTIVITY}},
     "context.contextActivities.consequences: is not allowed here"),
    ("context", {"contextActivities": {"parent": [{"id": "nope"}]}},
     "context.contextActivities.parent[0].id: must be an IRI"),
    ("context", {"statement": {"objectType": "StatementRef", "id": 12345}}, "context.statement.id: must be a UUID"),
    ("attachments", {"usageType": "http://example.com/u"}, "attachments: must be an array"),
    ("attachments", [{"usageType": "should fail", "display": {"en": "x"}, "contentType": "text/plain", "length": 1,
                      "sha2": "a" * 64}], "attachments[0].usageType: must be an IRI"),
    ("attachments", [{"usageType": "http://example.com/u", "display": {"en": "x"}, "contentType": "text/plain",
                      "length": "1", "sha2": "a" * 64}], "attachments[0].length: must be a whole number"),
    ("attachments", [{"usageType": "http://example.com/u", "display": {"en": "x"}, "contentType": "text/plain",
                      "length": 1}], "attachments[0].sha2: is required"),
    ("attachments", [{"usageType": "http://example.com/u", "display": {"en": "x"}, "contentType": "text/plain",
                      "length": 1, "sha2": "a" * 64, "fileUrl": "should fail"}],
     "attachments[0].fileUrl: must be an IRL"),
    ("dummy", "dummy", "dummy: is not allowed here"),
    ("iD", "5b2915d3-cdac-4e0d-b433-cdae4159b0d3", 'iD: is not allowed (property names are case-sensitive'),
]


@pytest.mark.parametrize(("path", "value", "expected"), INVALID, ids=[f"{p}={v!r}"[:60] for p, v, _ in INVALID])
def test_invalid_statement_names_the_field(path: str, value: Any, expected: str) -> None:
    found = messages(with_(path, value))
    assert any(m.startswith(expected) for m in found), found


def test_authority_rules() -> None:
    oauth_pair = {"objectType": "Group", "member": [
        {"account": {"homePage": "http://example.com/xAPI/OAuth/Token", "name": "oauth_consumer_x75db"}},
        {"mbox": "mailto:bob@example.com"},
    ]}
    assert messages(with_("authority", oauth_pair)) == []
    three = with_("authority.member", [*oauth_pair["member"], {"mbox": "mailto:c@example.com"}],
                  with_("authority", oauth_pair))
    assert "authority.member: a Group authority must have exactly two Agents" in messages(three)
    identified = with_("authority.mbox", "mailto:g@example.com", with_("authority", oauth_pair))
    assert any("must be anonymous" in m for m in messages(identified))


def test_group_rules() -> None:
    anonymous_without_members = with_("actor", {"objectType": "Group", "name": "nobody"})
    assert messages(anonymous_without_members) == [
        "actor.member: is required for an anonymous Group (one without identifier)"
    ]
    nested = with_("actor", {"objectType": "Group", "member": [{"objectType": "Group", "member": [ACTOR]}]})
    assert messages(nested) == ["actor.member[0].objectType: a Group's members must be Agents, not Groups"]
    agent_object_without_type = with_("object", {"mbox": "mailto:a@example.com"})
    assert any(m.startswith("object.mbox: is not allowed") for m in messages(agent_object_without_type))


def test_substatement_rules() -> None:
    sub = {"objectType": "SubStatement", "actor": ACTOR, "verb": VERB, "object": ACTIVITY}
    assert messages(with_("object", {**sub, "id": "9e13cefd-53d3-4eac-b5ed-2cf6693903bb"})) == [
        "object.id: is not allowed in a SubStatement"
    ]
    nested = {**sub, "object": dict(sub)}
    assert messages(with_("object", nested)) == [
        "object.object.objectType: a SubStatement cannot contain another SubStatement"
    ]


def test_voiding_needs_a_statement_ref_and_revision_needs_an_activity() -> None:
    voiding = with_("verb", {"id": "http://adlnet.gov/expapi/verbs/voided"})
    assert messages(voiding) == ["object: a voiding statement's object must be a StatementRef"]
    agent_object = with_("object", {"objectType": "Agent", "mbox": "mailto:a@example.com"})
    with_revision = with_("context", {"revision": "1", "platform": "x"}, agent_object)
    assert messages(with_revision) == [
        "context.revision: is only allowed when the statement's object is an Activity",
        "context.platform: is only allowed when the statement's object is an Activity",
    ]


def test_check_statement_raises_with_every_problem() -> None:
    broken = with_("verb.id", "nope", with_("actor.mbox", "nope"))
    with pytest.raises(StatementInvalid) as caught:
        check_statement(broken, "2.0.0")
    assert [p.path for p in caught.value.problems] == ["actor.mbox", "verb.id"]
    assert "actor.mbox: must start with mailto:" in str(caught.value)


def test_non_objects_are_rejected_without_crashing() -> None:
    for value in (None, [], "statement", 5, {"actor": [], "verb": 1, "object": "x"}):
        assert messages(value)


def test_agent_parameter() -> None:
    check_agent({"mbox": "mailto:a@example.com"}, "2.0.0")
    with pytest.raises(StatementInvalid, match="agent"):
        check_agent("wrong", "2.0.0")
    with pytest.raises(StatementInvalid, match="must identify"):
        check_agent({"objectType": "Group", "member": [ACTOR]}, "2.0.0")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2013-05-18T05:32:34.804+00:00", dt.datetime(2013, 5, 18, 5, 32, 34, 804000, tzinfo=dt.UTC)),
        ("2023-05-04T12:00:00-05:00", dt.datetime(2023, 5, 4, 17, 0, tzinfo=dt.UTC)),
        ("2023-05-04T12:00:00.123456789Z", dt.datetime(2023, 5, 4, 12, 0, 0, 123456, tzinfo=dt.UTC)),
        ("2023-05-04T12:00:00+0530", dt.datetime(2023, 5, 4, 6, 30, tzinfo=dt.UTC)),
        ("2023-05-04T12:00:00", dt.datetime(2023, 5, 4, 12, 0, tzinfo=dt.UTC)),
        ("2008-09-15T15:53:00.601-00", None),
        ("2008-09-15T15:53:00.601-0000", None),
        ("2023-02-30T12:00:00Z", None),
        ("2023-05-04 12:00", None),
    ],
)
def test_timestamps(text: str, expected: dt.datetime | None) -> None:
    assert parse_timestamp(text) == expected


@pytest.mark.parametrize("value", ["PT4H35M59.14S", "PT16559.14S", "P3Y1M29DT4H35M59.14S", "P3Y", "P4W", "PT0.1257S"])
def test_valid_durations(value: str) -> None:
    assert is_duration(value)


@pytest.mark.parametrize("value", ["P4W1D", "P", "PT", "1H", "PT1H2", "P1Y2H", 5])
def test_invalid_durations(value: Any) -> None:
    assert not is_duration(value)


@pytest.mark.parametrize("tag", ["de", "de-DE", "zh-Hant", "sr-Latn-RS", "cmn", "es-419", "en-GB-oed", "x-private",
                                 "tlh", "de-CH-1901", "en-a-bbb-x-a-ccc"])
def test_language_tags_valid(tag: str) -> None:
    assert is_language_tag(tag)


@pytest.mark.parametrize("tag", ["", "a12345678", "zh-something-ccc", "zh-z-aaa-z-bbb-c-ccc", "de-1901-1901", "en_US",
                                 "e"])
def test_language_tags_invalid(tag: str) -> None:
    assert not is_language_tag(tag)
