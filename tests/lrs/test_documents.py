"""State, Activity Profile and Agent Profile resources, Activities and Agents.

Each case follows a rule of xAPI 1.0.3 Communication §2.2-2.7 / §3.1 or xAPI
2.0 §4.1.4 / §4.1.6, mostly as the ADL conformance suite checks it, on
SQLite and PostgreSQL (the ``client`` fixture is parametrised over both).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
import uuid
from typing import Any

import pytest

from lrs.xapi import documents as docs

V1 = {"X-Experience-API-Version": "1.0.3"}
V2 = {"X-Experience-API-Version": "2.0.0"}
ACTIVITY = "http://www.example.com/activityId/hashset"
AGENT = {"objectType": "Agent", "account": {"homePage": "http://www.example.com/agentId/1", "name": "Rick James"}}
STATE = "/xapi/activities/state"
ACTIVITY_PROFILE = "/xapi/activities/profile"
AGENT_PROFILE = "/xapi/agents/profile"


def state_params(**extra: Any) -> dict[str, str]:
    params = {"activityId": ACTIVITY, "agent": json.dumps(AGENT), "stateId": str(uuid.uuid4())}
    params.update({k: v for k, v in extra.items() if v is not None})
    return params


def profile_params(kind: str) -> dict[str, str]:
    if kind == "activity":
        return {"activityId": ACTIVITY + "/" + str(uuid.uuid4()), "profileId": str(uuid.uuid4())}
    return {"agent": json.dumps({"mbox": f"mailto:{uuid.uuid4().hex}@example.org"}), "profileId": str(uuid.uuid4())}


def without(params: dict[str, str], *names: str) -> dict[str, str]:
    return {k: v for k, v in params.items() if k not in names}


# --- state: round trips -----------------------------------------------------------


def test_put_then_get_echoes_bytes_content_type_etag_and_last_modified(client: Any) -> None:
    params = state_params()
    body = b"\x00binary \xff state"
    put = client.put(STATE, query_string=params, data=body, headers={**V1, "Content-Type": "image/png"})
    assert put.status_code == 204 and put.data == b""
    got = client.get(STATE, query_string=params, headers=V1)
    assert got.status_code == 200
    assert got.data == body
    assert got.headers["Content-Type"] == "image/png"
    assert got.headers["ETag"] == '"' + hashlib.sha1(body).hexdigest() + '"'
    modified = dt.datetime.strptime(got.headers["Last-Modified"], "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=dt.UTC)
    assert abs((dt.datetime.now(dt.UTC) - modified).total_seconds()) < 60
    assert got.headers["X-Experience-API-Version"] == "1.0.3"


def test_head_gives_the_headers_without_the_body(client: Any) -> None:
    params = state_params()
    client.post(STATE, query_string=params, json={"a": 1}, headers=V1)
    head = client.head(STATE, query_string=params, headers=V1)
    assert head.status_code == 200 and head.data == b"" and head.headers["ETag"].startswith('"')


def test_post_merges_top_level_properties_and_creates_when_missing(client: Any) -> None:
    params = state_params()
    first = {"car": {"make": "Ford", "model": "Escape"}, "driver": "Dale", "keep": True}
    assert client.post(STATE, query_string=params, json=first, headers=V1).status_code == 204
    assert client.get(STATE, query_string=params, headers=V1).get_json() == first
    second = {"car": {"make": "Dodge"}, "driver": "Jeff", "type": "Civic"}
    assert client.post(STATE, query_string=params, json=second, headers=V1).status_code == 204
    merged = client.get(STATE, query_string=params, headers=V1)
    assert merged.get_json() == {"car": {"make": "Dodge"}, "driver": "Jeff", "keep": True, "type": "Civic"}
    assert merged.headers["Content-Type"].startswith("application/json")


@pytest.mark.parametrize(
    ("body", "content_type"),
    [(b"abcdefg", "not/json"), (b'{"a": 1}{', "application/json"), (b"[1, 2]", "application/json")],
    ids=["not-json-type", "broken-json", "json-array"],
)
def test_post_that_cannot_merge_is_400_and_changes_nothing(client: Any, body: bytes, content_type: str) -> None:
    params = state_params()
    original = {"name": "kept"}
    client.post(STATE, query_string=params, json=original, headers=V1)
    refused = client.post(STATE, query_string=params, data=body, headers={**V1, "Content-Type": content_type})
    assert refused.status_code == 400
    assert "error" in refused.get_json()
    assert client.get(STATE, query_string=params, headers=V1).get_json() == original


def test_post_onto_a_non_json_document_is_400_and_changes_nothing(client: Any) -> None:
    params = state_params()
    client.put(STATE, query_string=params, data=b"/ asdf / undefined", headers={**V1, "Content-Type": "text/plain"})
    refused = client.post(STATE, query_string=params, json={"a": 1}, headers=V1)
    assert refused.status_code == 400
    assert "not application/json" in refused.get_json()["error"]["message"]
    assert client.get(STATE, query_string=params, headers=V1).data == b"/ asdf / undefined"


def test_get_without_state_id_lists_ids_since_exclusive(client: Any) -> None:
    context = state_params(registration=str(uuid.uuid4()))
    ids = []
    for _ in range(2):
        ids.append(str(uuid.uuid4()))
        client.post(STATE, query_string={**context, "stateId": ids[-1]}, json={"x": 1}, headers=V1)
    listing = without(context, "stateId")
    assert sorted(client.get(STATE, query_string=listing, headers=V1).get_json()) == sorted(ids)
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)).isoformat()
    assert sorted(client.get(STATE, query_string={**listing, "since": past}, headers=V1).get_json()) == sorted(ids)
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert client.get(STATE, query_string={**listing, "since": future}, headers=V1).get_json() == []


def test_registration_separates_state_contexts(client: Any) -> None:
    with_reg = state_params(registration=str(uuid.uuid4()))
    client.post(STATE, query_string=with_reg, json={"r": 1}, headers=V1)
    assert client.get(STATE, query_string=without(with_reg, "registration"), headers=V1).status_code == 404
    other = {**with_reg, "registration": str(uuid.uuid4())}
    assert client.get(STATE, query_string=other, headers=V1).status_code == 404
    assert client.get(STATE, query_string=with_reg, headers=V1).get_json() == {"r": 1}


def test_delete_one_and_delete_all_of_a_context(client: Any) -> None:
    context = state_params()
    context["activityId"] += "/" + str(uuid.uuid4())
    keep = state_params()
    client.post(STATE, query_string=keep, json={"k": 1}, headers=V1)
    for name in ("a", "b"):
        client.post(STATE, query_string={**context, "stateId": name}, json={"v": name}, headers=V1)
    assert client.delete(STATE, query_string={**context, "stateId": "a"}, headers=V1).status_code == 204
    assert client.get(STATE, query_string={**context, "stateId": "a"}, headers=V1).status_code == 404
    assert client.delete(STATE, query_string={**context, "stateId": "a"}, headers=V1).status_code == 204  # idempotent
    assert client.delete(STATE, query_string=without(context, "stateId"), headers=V1).status_code == 204
    assert client.get(STATE, query_string=without(context, "stateId"), headers=V1).get_json() == []
    assert client.get(STATE, query_string=keep, headers=V1).get_json() == {"k": 1}


def test_missing_document_is_404(client: Any) -> None:
    assert client.get(STATE, query_string=state_params(), headers=V1).status_code == 404
    missing = client.get(ACTIVITY_PROFILE, query_string=profile_params("activity"), headers=V2)
    assert missing.status_code == 404 and missing.headers["X-Experience-API-Version"] == "2.0.0"


# --- parameters ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "names"),
    [
        ({"activityId": None}, "activityId"),
        ({"agent": None}, "agent"),
        ({"stateId": None}, "stateId"),
        ({"agent": "not JSON"}, "agent"),
        ({"agent": "true"}, "agent"),
        ({"agent": json.dumps({"objectType": "Agent", "name": "no identifier"})}, "agent"),
        ({"agent": json.dumps({"mbox": "someone@example.org"})}, "agent.mbox"),
        ({"agent": json.dumps({"mbox": "mailto:a@b.c", "openid": "http://x.org/a"})}, "agent"),
        ({"registration": "true"}, "registration"),
        ({"activityId": "no-scheme"}, "activityId"),
        ({"Stateid": "x"}, "Stateid"),
    ],
)
@pytest.mark.parametrize("method", ["PUT", "POST"])
def test_invalid_parameters_are_400_naming_them(client: Any, method: str, change: dict[str, Any], names: str) -> None:
    params = state_params()
    for name, value in change.items():
        if value is None:
            params.pop(name)
        else:
            params[name] = value
    response = client.open(STATE, method=method, query_string=params, json={"a": 1}, headers=V1)
    assert response.status_code == 400
    assert names in response.get_json()["error"]["message"]


def test_invalid_get_and_delete_parameters(client: Any) -> None:
    params = state_params()
    assert (
        client.get(
            STATE, query_string={**without(params, "stateId"), "since": "not a timestamp"}, headers=V1
        ).status_code
        == 400
    )
    assert client.get(STATE, query_string=without(params, "agent"), headers=V1).status_code == 400
    assert client.delete(STATE, query_string={**params, "registration": "true"}, headers=V1).status_code == 400
    assert client.delete(STATE, query_string={**params, "since": "2020-01-01T00:00:00Z"}, headers=V1).status_code == 400
    profile = profile_params("agent")
    assert client.delete(AGENT_PROFILE, query_string=without(profile, "profileId"), headers=V1).status_code == 400
    group = json.dumps({"objectType": "Group", "mbox": "mailto:team@example.org"})
    assert client.get(AGENT_PROFILE, query_string={**profile, "agent": group}, headers=V1).status_code == 400


def test_state_accepts_an_identified_group_as_agent(client: Any) -> None:
    params = state_params(agent=json.dumps({"objectType": "Group", "mbox": "mailto:team@example.org"}))
    assert client.put(STATE, query_string=params, json={"g": 1}, headers=V2).status_code == 204


def test_documents_over_the_size_limit_are_413(store_url: str, store: Any, client: Any) -> None:
    from lrs.app import create_app
    from lrs.config import LrsConfig

    small = create_app(LrsConfig(database_url=store_url, max_document_bytes=16), store=store).test_client()
    small.environ_base.update(client.environ_base)
    params = state_params()
    assert small.put(STATE, query_string=params, data=b"x" * 17, headers=V1).status_code == 413
    assert small.put(STATE, query_string=params, data=b"x" * 16, headers=V1).status_code == 204


# --- concurrency ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["activity", "agent"])
def test_profile_put_needs_a_precondition_in_1_0_3(client: Any, kind: str) -> None:
    path = ACTIVITY_PROFILE if kind == "activity" else AGENT_PROFILE
    params = profile_params(kind)
    bare = client.put(path, query_string=params, json={"a": 1}, headers=V1)
    assert bare.status_code == 400 and "If-None-Match" in bare.get_json()["error"]["message"]
    assert client.put(path, query_string=params, json={"a": 1}, headers={**V1, "If-None-Match": "*"}).status_code == 204
    again = client.put(path, query_string=params, json={"a": 2}, headers={**V1, "If-None-Match": "*"})
    assert again.status_code == 412
    conflict = client.put(path, query_string=params, json={"a": 3}, headers=V1)
    assert conflict.status_code == 409 and "If-Match" in conflict.get_json()["error"]["message"]
    assert client.get(path, query_string=params, headers=V1).get_json() == {"a": 1}


@pytest.mark.parametrize("path", [STATE, ACTIVITY_PROFILE, AGENT_PROFILE])
def test_2_0_put_without_precondition_creates_but_never_overwrites(client: Any, path: str) -> None:
    params = state_params() if path == STATE else profile_params("activity" if path == ACTIVITY_PROFILE else "agent")
    assert client.put(path, query_string=params, json={"v": 1}, headers=V2).status_code == 204
    conflict = client.put(path, query_string=params, json={"v": 2}, headers=V2)
    assert conflict.status_code == 409
    assert client.get(path, query_string=params, headers=V2).get_json() == {"v": 1}


def test_1_0_3_state_put_without_precondition_overwrites(client: Any) -> None:
    params = state_params()
    client.put(STATE, query_string=params, json={"v": 1}, headers=V1)
    assert client.put(STATE, query_string=params, json={"v": 2}, headers=V1).status_code == 204
    assert client.get(STATE, query_string=params, headers=V1).get_json() == {"v": 2}


@pytest.mark.parametrize("version", [V1, V2])
def test_if_match_on_put_post_and_delete(client: Any, version: dict[str, str]) -> None:
    params = profile_params("agent")
    client.post(AGENT_PROFILE, query_string=params, json={"n": 1}, headers=version)
    etag = client.get(AGENT_PROFILE, query_string=params, headers=version).headers["ETag"]
    wrong = '"1111111111111111111111111111111111111111"'
    for method in ("PUT", "POST", "DELETE"):
        refused = client.open(
            AGENT_PROFILE, method=method, query_string=params, json={"n": 9}, headers={**version, "If-Match": wrong}
        )
        assert refused.status_code == 412, method
    assert client.get(AGENT_PROFILE, query_string=params, headers=version).get_json() == {"n": 1}
    listed = f'"0000", {etag}'
    put = client.put(AGENT_PROFILE, query_string=params, json={"n": 2}, headers={**version, "If-Match": listed})
    assert put.status_code == 204
    etag = client.get(AGENT_PROFILE, query_string=params, headers=version).headers["ETag"]
    post = client.post(AGENT_PROFILE, query_string=params, json={"m": 3}, headers={**version, "If-Match": etag})
    assert post.status_code == 204
    assert client.get(AGENT_PROFILE, query_string=params, headers=version).get_json() == {"n": 2, "m": 3}
    etag = client.get(AGENT_PROFILE, query_string=params, headers=version).headers["ETag"]
    assert client.delete(AGENT_PROFILE, query_string=params, headers={**version, "If-Match": etag}).status_code == 204
    assert client.get(AGENT_PROFILE, query_string=params, headers=version).status_code == 404
    gone = client.delete(AGENT_PROFILE, query_string=params, headers={**version, "If-Match": etag})
    assert gone.status_code == 412


def test_if_none_match_star_on_post_refuses_an_existing_document(client: Any) -> None:
    params = state_params()
    assert (
        client.post(STATE, query_string=params, json={"a": 1}, headers={**V1, "If-None-Match": "*"}).status_code == 204
    )
    assert (
        client.post(STATE, query_string=params, json={"b": 1}, headers={**V1, "If-None-Match": "*"}).status_code == 412
    )


def test_last_modified_moves_forward_on_update(client: Any) -> None:
    params = state_params()
    client.post(STATE, query_string=params, json={"a": 1}, headers=V2)
    before = client.get(STATE, query_string=params, headers=V2).headers["Last-Modified"]
    time.sleep(1.1)
    client.post(STATE, query_string=params, json={"a": 2}, headers=V2)
    after = client.get(STATE, query_string=params, headers=V2).headers["Last-Modified"]
    parse = lambda value: dt.datetime.strptime(value, "%a, %d %b %Y %H:%M:%S GMT")  # noqa: E731
    assert parse(after) > parse(before)


# --- activities and agents ----------------------------------------------------------------


def test_unknown_activity_still_gets_an_activity_object(client: Any) -> None:
    iri = f"http://www.example.com/unknown/{uuid.uuid4()}"
    got = client.get("/xapi/activities", query_string={"activityId": iri}, headers=V2)
    assert got.status_code == 200 and got.get_json() == {"objectType": "Activity", "id": iri}
    assert client.get("/xapi/activities", headers=V2).status_code == 400
    assert client.get("/xapi/activities", query_string={"activityId": "true"}, headers=V2).status_code == 400


def test_activity_definitions_from_statements_are_merged(client: Any) -> None:
    iri = f"http://www.example.com/verify/complete/{uuid.uuid4()}"
    actor = {"mbox": "mailto:xapi@adlnet.gov"}
    verb = {"id": "http://adlnet.gov/expapi/verbs/attended"}
    sent = []
    for lang, name in (("en-US", "example meeting"), ("fr-FR", "réunion")):
        obj = {"objectType": "Activity", "id": iri, "definition": {"name": {lang: name}}}
        sent.append({"actor": actor, "verb": verb, "object": obj})
    assert client.post("/xapi/statements", json=sent, headers=V1).status_code == 200
    got = client.get("/xapi/activities", query_string={"activityId": iri}, headers=V1).get_json()
    assert got["objectType"] == "Activity" and got["id"] == iri
    assert got["definition"]["name"] == {"en-US": "example meeting", "fr-FR": "réunion"}


def test_person_object_for_known_and_unknown_agents(client: Any) -> None:
    mbox = f"mailto:{uuid.uuid4().hex}@example.org"
    statement = {
        "actor": {"objectType": "Agent", "name": "Seen Name", "mbox": mbox},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attended"},
        "object": {"id": "http://www.example.com/meetings/1"},
    }
    assert client.post("/xapi/statements", json=statement, headers=V1).status_code == 200
    person = client.get("/xapi/agents", query_string={"agent": json.dumps({"mbox": mbox})}, headers=V1).get_json()
    assert person["objectType"] == "Person" and person["mbox"] == [mbox] and person["name"] == ["Seen Name"]
    unknown = {"objectType": "Agent", "name": "Rick James", "account": AGENT["account"]}
    person = client.get("/xapi/agents", query_string={"agent": json.dumps(unknown)}, headers=V1).get_json()
    assert person == {"objectType": "Person", "name": ["Rick James"], "account": [AGENT["account"]]}
    assert client.get("/xapi/agents", headers=V1).status_code == 400
    nameless = json.dumps({"objectType": "Agent", "name": "Rick James"})
    assert client.get("/xapi/agents", query_string={"agent": nameless}, headers=V1).status_code == 400


# --- pure rules --------------------------------------------------------------------------


def test_etag_lists_and_bare_tags_are_parsed() -> None:
    assert docs.parse_etags(None) is None
    assert docs.parse_etags("*") == ("*",)
    assert docs.parse_etags('"a", W/"b" ,"c"') == ('"a"', '"b"', '"c"')
    assert docs.parse_etags("abc") == ('"abc"',)


def test_since_parsing() -> None:
    assert docs.parse_since("2024-05-01T10:00:00Z") == dt.datetime(2024, 5, 1, 10, tzinfo=dt.UTC)
    assert docs.parse_since("2024-05-01T12:00:00+02:00") == dt.datetime(2024, 5, 1, 10, tzinfo=dt.UTC)
    assert docs.parse_since("2024-05-01T10:00:00") == dt.datetime(2024, 5, 1, 10, tzinfo=dt.UTC)
    with pytest.raises(docs.DocumentError, match="since"):
        docs.parse_since("yesterday")


def test_concurrency_rules_per_version() -> None:
    rules = docs.ConcurrencyRules.for_request
    assert rules("state", "1.0.3") == docs.ConcurrencyRules(conflict_on_existing=False, require_on_create=False)
    assert rules("agent_profile", "1.0.3") == docs.ConcurrencyRules(conflict_on_existing=True, require_on_create=True)
    assert rules("state", "2.0.0") == docs.ConcurrencyRules(conflict_on_existing=True, require_on_create=False)


def test_json_nested_too_deeply_is_a_400_not_a_crash() -> None:
    deep = ("[" * 100_000 + "]" * 100_000).encode()
    with pytest.raises(docs.DocumentError) as refused:
        docs.parse_json_object(b'{"a": ' + deep + b"}", "the posted document")
    assert refused.value.status == 400
    with pytest.raises(docs.DocumentError):
        docs.parse_agent(deep.decode())


# --- documents are served so a browser never runs them (issue 10, item 5) ---------------

ACTIVE_TYPES = [
    "text/html",
    "text/html; charset=utf-8",
    "image/svg+xml",
    "application/xml",
    "text/javascript",
    "application/pdf",
    "application/x-custom",
    "application/json, text/html",
]


@pytest.mark.parametrize("content_type", ACTIVE_TYPES)
def test_a_stored_active_document_is_served_as_an_inert_download(client: Any, content_type: str) -> None:
    params = state_params()
    body = b"<script>alert(document.cookie)</script>"
    put = client.put(STATE, query_string=params, data=body, headers={**V1, "Content-Type": content_type})
    assert put.status_code == 204
    got = client.get(STATE, query_string=params, headers=V1)
    assert got.status_code == 200 and got.data == body
    assert got.headers["Content-Type"] == "application/octet-stream"
    assert got.headers["Content-Disposition"] == "attachment"
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert got.headers["Content-Security-Policy"] == "sandbox; default-src 'none'"


def test_the_alternate_syntax_cannot_fetch_a_document_as_html(client: Any) -> None:
    """A cross-site form POST with ?method=GET gets the bytes only as an inert download."""
    params = state_params()
    client.put(STATE, query_string=params, data=b"<script>1</script>", headers={**V1, "Content-Type": "text/html"})
    form = {**params, "X-Experience-API-Version": "1.0.3"}
    got = client.post(STATE, query_string={"method": "GET"}, data=form)
    assert got.status_code == 200 and got.data == b"<script>1</script>"
    assert got.headers["Content-Type"] == "application/octet-stream"
    assert got.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("content_type", ["application/json", "text/plain; charset=utf-8", "application/octet-stream"])
def test_passive_documents_keep_their_content_type(client: Any, content_type: str) -> None:
    params = state_params()
    client.put(STATE, query_string=params, data=b'{"a":1}', headers={**V1, "Content-Type": content_type})
    got = client.get(STATE, query_string=params, headers=V1)
    assert got.headers["Content-Type"] == content_type
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert ("Content-Disposition" in got.headers) == (content_type != "application/json")
