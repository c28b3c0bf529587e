"""Hostile input gets a 4xx naming what is wrong, never a 500 (issue #10 items 2, 7 and 9).

Each test sends, through the real app on SQLite and on PostgreSQL, one input
that used to crash the LRS or poison what it serves: non-finite numbers,
NUL characters and lone surrogates, instants out of range once converted to
UTC, hand-made ``more`` cursors, non-ASCII digits, malformed header weights,
and hostile cmi5 launch bodies.
"""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import pytest

from lrs.store.codec import loads_object

V1 = {"X-Experience-API-Version": "1.0.3"}
ACTIVITY = "http://example.com/activities/hostile"
AGENT = {"objectType": "Agent", "mbox": "mailto:learner@example.com"}
STATE = {"activityId": ACTIVITY, "agent": json.dumps(AGENT), "stateId": "s"}


def statement(**extra: Any) -> dict[str, Any]:
    return {
        "actor": dict(AGENT),
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
        "object": {"objectType": "Activity", "id": ACTIVITY},
        **extra,
    }


def post_text(client: Any, text: str) -> Any:
    return client.post("/xapi/statements", data=text, content_type="application/json", headers=V1)


def message(response: Any) -> str:
    text: str = response.get_json()["error"]["message"]
    return text


# --- item 2: only finite numbers ------------------------------------------------------------


@pytest.mark.parametrize("number", ["1e400", "-1e400", "9" * 400])
def test_statement_with_non_finite_score_is_refused_naming_the_field(client: Any, number: str) -> None:
    text = json.dumps(statement(result={"score": {"raw": 0}})).replace('"raw": 0', f'"raw": {number}')
    response = post_text(client, text)
    assert response.status_code == 400
    assert "result.score.raw" in message(response)
    page = client.get("/xapi/statements", headers=V1)
    assert page.status_code == 200 and page.get_json()["statements"] == []


@pytest.mark.parametrize("body", ['{"c": 1e400}', '{"c": NaN}', '{"c": -Infinity}'])
def test_document_merge_with_non_finite_number_is_refused(client: Any, body: str) -> None:
    headers = {**V1, "Content-Type": "application/json"}
    first = client.post("/xapi/activities/state", query_string=STATE, data='{"a": 1}', headers=headers)
    assert first.status_code == 204
    response = client.post("/xapi/activities/state", query_string=STATE, data=body, headers=headers)
    assert response.status_code == 400
    served = client.get("/xapi/activities/state", query_string=STATE, headers=V1)
    assert json.loads(served.get_data()) == {"a": 1}  # strict JSON, unchanged


def test_legacy_infinity_in_a_stored_row_reads_as_the_largest_finite_number() -> None:
    """Rows written before the fix hold bare Infinity/NaN: they read back as JSON every client can parse."""
    value = loads_object('{"raw": Infinity, "min": -Infinity, "x": NaN}')
    assert value["raw"] > 1e308 and value["min"] < -1e308 and value["x"] is None
    json.dumps(value, allow_nan=False)


# --- item 7: NUL and lone surrogates ---------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "patch"),
    [
        ("verb.id", {"verb": {"id": "http://e.com/v\u0000"}}),
        ("object.id", {"object": {"id": "http://e.com/a\u0000"}}),
        ("actor.mbox", {"actor": {"mbox": "mailto:a\u0000@e.com"}}),
        ("actor.account.name", {"actor": {"account": {"homePage": "http://e.com", "name": "n\u0000"}}}),
        ("result.extensions", {"result": {"extensions": {"http://e.com/x": "\u0000"}}}),
    ],
)
def test_nul_in_a_statement_string_is_a_400_naming_the_field(client: Any, field: str, patch: dict[str, Any]) -> None:
    response = client.post("/xapi/statements", json=statement(**patch), headers=V1)
    assert response.status_code == 400, response.get_data()
    assert field in message(response) and "NUL" in message(response)


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({**STATE, "stateId": "s\u0000"}, "stateId"),
        ({**STATE, "activityId": ACTIVITY + "\u0000"}, "activityId"),
        ({**STATE, "agent": json.dumps({"mbox": "mailto:a\u0000@e.com"})}, "agent"),
    ],
)
def test_nul_in_document_parameters_is_a_400(client: Any, params: dict[str, str], name: str) -> None:
    response = client.put("/xapi/activities/state", query_string=params, data=b"x", headers=V1)
    assert response.status_code == 400
    assert name in message(response)


def test_nul_in_statement_query_parameters_is_a_400(client: Any) -> None:
    for name, value in (("verb", "http://e.com/\u0000"), ("agent", '{"mbox":"mailto:\\u0000@e.com"}')):
        response = client.get("/xapi/statements", query_string={name: value}, headers=V1)
        assert response.status_code == 400, (name, response.get_data())
        assert name in message(response)


def test_nul_in_the_basic_user_name_is_refused_without_credentials(app: Any) -> None:
    token = base64.b64encode(b"cli\x00ent:secret").decode()
    response = app.test_client().get("/xapi/statements", headers={**V1, "Authorization": f"Basic {token}"})
    assert response.status_code == 401


def test_nul_in_a_document_content_type_is_a_400(client: Any) -> None:
    headers = {**V1, "Content-Type": "text/plain\u0000"}
    response = client.put("/xapi/activities/state", query_string=STATE, data=b"x", headers=headers)
    assert response.status_code == 400 and "Content-Type" in message(response)


def test_json_document_with_nul_merge_refused_put_kept_as_bytes(client: Any) -> None:
    """POST merges parse JSON, so the client-JSON rule (no NUL in any string) applies: 400.

    PUT keeps a document as opaque bytes (a binary column on every database), so the
    same text is stored and served exactly as sent: no 500 either way.
    """
    headers = {**V1, "Content-Type": "application/json"}
    text = '{"a": "x\\u0000"}'
    first = client.post("/xapi/activities/state", query_string=STATE, data=text, headers=headers)
    assert first.status_code == 400 and "NUL" in message(first)
    assert client.put("/xapi/activities/state", query_string=STATE, data=text, headers=headers).status_code == 204
    assert client.get("/xapi/activities/state", query_string=STATE, headers=V1).get_data() == text.encode()


def test_lone_surrogate_in_a_document_is_a_400(client: Any) -> None:
    headers = {**V1, "Content-Type": "application/json"}
    first = client.post("/xapi/activities/state", query_string=STATE, data='{"a": 1}', headers=headers)
    assert first.status_code == 204
    response = client.post("/xapi/activities/state", query_string=STATE, data='{"c": "\\ud800"}', headers=headers)
    assert response.status_code == 400 and "surrogate" in message(response)


# --- item 9: the remaining 500s --------------------------------------------------------------


def test_since_underflowing_utc_is_a_400(client: Any) -> None:
    response = client.get("/xapi/statements", query_string={"since": "0001-01-01T00:00:00+14:00"}, headers=V1)
    assert response.status_code == 400 and "since" in message(response)
    params = {"activityId": ACTIVITY, "agent": json.dumps(AGENT), "since": "0001-01-01T00:00:00+14:00"}
    response = client.get("/xapi/activities/state", query_string=params, headers=V1)
    assert response.status_code == 400 and "since" in message(response)


def test_timestamp_overflowing_utc_is_a_400(client: Any) -> None:
    for version in ("1.0.3", "2.0.0"):
        body = statement(timestamp="9999-12-31T23:59:59-01:00")
        response = client.post("/xapi/statements", json=body, headers={"X-Experience-API-Version": version})
        assert response.status_code == 400 and "timestamp" in message(response)


def _cursor(payload: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "payload",
    [
        {"p": {}, "a": ["0001-01-01T00:00:00+14:00", str(uuid.uuid4())]},
        {"p": {}, "a": ["2024-01-01T00:00:00Z", "not-an-id\u0000"]},
        {"p": {}, "a": ["2024-01-01T00:00:00Z", "x" * 500]},
        {"p": {"verb": "http://e.com/\u0000"}, "a": ["2024-01-01T00:00:00Z", str(uuid.uuid4())]},
        {"p": {"limit": "²"}, "a": ["2024-01-01T00:00:00Z", str(uuid.uuid4())]},
        {"p": {"statementId": str(uuid.uuid4())}, "a": ["2024-01-01T00:00:00Z", str(uuid.uuid4())]},
        {"p": {"since": "9999-12-31T23:59:59-01:00"}, "a": ["2024-01-01T00:00:00Z", str(uuid.uuid4())]},
        {"p": {}, "a": [1e300, str(uuid.uuid4())]},
    ],
    ids=["bad-time", "nul-id", "long-id", "nul-verb", "superscript-limit", "single", "overflow-since", "number"],
)
def test_hand_made_more_cursor_is_a_400(client: Any, payload: Any) -> None:
    response = client.get("/xapi/statements", query_string={"more": _cursor(payload)}, headers=V1)
    assert response.status_code == 400, response.get_data()


def test_cursor_with_deep_nesting_is_a_400(client: Any) -> None:
    token = base64.urlsafe_b64encode(b"[" * 5000 + b"]" * 5000).decode()
    assert client.get("/xapi/statements", query_string={"more": token}, headers=V1).status_code == 400


@pytest.mark.parametrize("limit", ["²", "١٢", "1e3", "-1", " 1", "9" * 5000])
def test_limit_takes_ascii_digits_only(client: Any, limit: str) -> None:
    response = client.get("/xapi/statements", query_string={"limit": limit}, headers=V1)
    if limit == "9" * 5000:
        assert response.status_code == 200  # a whole number: as many as the LRS allows
    else:
        assert response.status_code == 400 and "limit" in message(response)


@pytest.mark.parametrize("header", ["en;q=NaN", "en;q=sNaN", "en;q=2", "en;q=1e0"])
def test_malformed_accept_language_weight_is_a_400(client: Any, header: str) -> None:
    response = client.get(
        "/xapi/statements", query_string={"format": "canonical"}, headers={**V1, "Accept-Language": header}
    )
    assert response.status_code == 400 and "Accept-Language" in message(response)


def test_wellformed_accept_language_still_works(client: Any) -> None:
    headers = {**V1, "Accept-Language": "fr;q=0.5, en-US;q=1.000, *;q=0"}
    assert client.get("/xapi/statements", query_string={"format": "canonical"}, headers=headers).status_code == 200


LAUNCH = {"actor": AGENT, "activityId": "https://example.com/au/1"}


@pytest.mark.parametrize(
    "body",
    [
        '{"actor": ' + "[" * 5000 + "]" * 5000 + ', "activityId": "https://example.com/au/1"}',
        json.dumps(LAUNCH)[:-1] + ', "returnURL": "\\ud800"}',
        json.dumps(LAUNCH)[:-1] + ', "returnURL": "\\u0000"}',
        json.dumps(LAUNCH)[:-1] + ', "masteryScore": 1e400}',
        b"\xff\xfe",
    ],
    ids=["deep", "surrogate", "nul", "non-finite", "not-utf8"],
)
def test_hostile_cmi5_launch_body_is_a_400(client: Any, body: str | bytes) -> None:
    response = client.post("/xapi/extensions/cmi5/launches", data=body, content_type="application/json")
    assert response.status_code == 400, response.get_data()


def test_every_response_is_strict_json(client: Any) -> None:
    """What the LRS serves parses with a strict parser (no bare NaN/Infinity), scores included."""
    body = statement(result={"score": {"raw": 1.7976931348623157e308, "scaled": -1}})
    assert client.post("/xapi/statements", json=body, headers=V1).status_code == 200
    page = client.get("/xapi/statements", headers=V1)

    def refuse(name: str) -> Any:
        raise AssertionError(f"served {name}")

    served = json.loads(page.get_data(), parse_constant=refuse)
    assert served["statements"][0]["result"]["score"]["raw"] == 1.7976931348623157e308


# --- identifiers longer than PostgreSQL can index (found while fuzzing: a 500 on PostgreSQL) ---------


@pytest.mark.parametrize(
    ("field", "patch"),
    [
        ("verb.id", lambda long: {"verb": {"id": "http://e.com/" + long}}),
        ("object.id", lambda long: {"object": {"id": "http://e.com/" + long}}),
        ("actor.account", lambda long: {"actor": {"account": {"homePage": "http://e.com", "name": long}}}),
    ],
)
def test_overlong_identifier_in_a_statement_is_a_400(client: Any, field: str, patch: Any) -> None:
    long = "".join(str(uuid.uuid4()) for _ in range(100))  # 3,600 distinct characters
    response = client.post("/xapi/statements", json=statement(**patch(long)), headers=V1)
    assert response.status_code == 400, response.get_data()
    assert field in message(response) and "800 bytes" in message(response)


def test_overlong_document_ids_are_a_400(client: Any) -> None:
    long = "".join(str(uuid.uuid4()) for _ in range(100))
    for params, name in (
        ({**STATE, "stateId": long}, "stateId"),
        ({**STATE, "activityId": "http://e.com/" + long}, "activityId"),
        ({**STATE, "agent": json.dumps({"mbox": f"mailto:{long}@e.com"})}, "agent"),
    ):
        response = client.put("/xapi/activities/state", query_string=params, data=b"x", headers=V1)
        assert response.status_code == 400 and name in message(response), (name, response.get_data())


def test_identifier_at_the_limit_is_stored(client: Any) -> None:
    verb = "http://e.com/" + "".join(str(uuid.uuid4()) for _ in range(22))[: 800 - 13]
    assert len(verb.encode()) == 800
    assert client.post("/xapi/statements", json=statement(verb={"id": verb}), headers=V1).status_code == 200
    found = client.get("/xapi/statements", query_string={"verb": verb}, headers=V1).get_json()
    assert len(found["statements"]) == 1
