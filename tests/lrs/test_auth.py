"""HTTP Basic clients, scopes, 401/403 (xAPI 1.0.3 Communication §4, §3.2)."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import pytest
from flask import g, jsonify

from lrs.auth import CHALLENGE, add_client, parse_basic, permits, require
from lrs.auth.credentials import forget_all

V1 = {"X-Experience-API-Version": "1.0.3"}
STATE = "/xapi/activities/state"
STATE_QUERY = {
    "activityId": "http://example.org/activity",
    "agent": json.dumps({"mbox": "mailto:learner@example.org"}),
    "stateId": "bookmark",
}


def basic(key: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()}


def new_client(app: Any, *scopes: str) -> dict[str, str]:
    key, secret = add_client(app.extensions["lrs_store"], f"client {uuid.uuid4().hex[:6]}", scopes)
    return basic(key, secret)


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Basic " + base64.b64encode(b"RobCIsNot:AUserOnThisLRS123").decode(),
        "Basic:" + base64.b64encode(b"RobCIsNot:AUserOnThisLRS").decode(),
        "Basic not-base64!!",
        "Bearer abc",
        "Basic " + base64.b64encode(b"no-colon").decode(),
    ],
    ids=["missing", "unknown-client", "malformed", "not-base64", "other-scheme", "no-colon"],
)
def test_missing_or_bad_credentials_are_401_with_a_challenge(app: Any, authorization: str | None) -> None:
    anonymous = app.test_client()
    headers = dict(V1)
    if authorization is not None:
        headers["Authorization"] = authorization
    response = anonymous.get(STATE, query_string=STATE_QUERY, headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == CHALLENGE
    assert response.get_json()["error"]["message"]
    assert response.headers["X-Experience-API-Version"] == "1.0.3"


def test_wrong_secret_is_401_and_right_secret_passes(app: Any) -> None:
    key, secret = add_client(app.extensions["lrs_store"], "alice", ["state"])
    anonymous = app.test_client()
    assert anonymous.get(STATE, query_string=STATE_QUERY, headers={**V1, **basic(key, secret + "x")}).status_code == 401
    assert anonymous.get(STATE, query_string=STATE_QUERY, headers={**V1, **basic(key, secret)}).status_code == 404


def test_scopes_decide_403(app: Any) -> None:
    anonymous = app.test_client()
    writer = new_client(app, "statements/write")
    assert anonymous.get(STATE, query_string=STATE_QUERY, headers={**V1, **writer}).status_code == 403
    reader = new_client(app, "all/read")
    assert anonymous.get(STATE, query_string=STATE_QUERY, headers={**V1, **reader}).status_code == 404
    refused = anonymous.put(STATE, query_string=STATE_QUERY, json={"a": 1}, headers={**V1, **reader})
    assert refused.status_code == 403 and "state" in refused.get_json()["error"]["message"]
    state_only = new_client(app, "state")
    assert (
        anonymous.put(STATE, query_string=STATE_QUERY, json={"a": 1}, headers={**V1, **state_only}).status_code == 204
    )
    profile = {"activityId": "http://example.org/activity", "profileId": "p"}
    forbidden = anonymous.get("/xapi/activities/profile", query_string=profile, headers={**V1, **state_only})
    assert forbidden.status_code == 403
    agents = {"agent": STATE_QUERY["agent"]}
    assert anonymous.get("/xapi/agents", query_string=agents, headers={**V1, **state_only}).status_code == 403
    assert anonymous.get("/xapi/agents", query_string=agents, headers={**V1, **reader}).status_code == 200


def test_removed_client_is_refused_at_once_even_after_a_cached_success(app: Any) -> None:
    store = app.extensions["lrs_store"]
    key, secret = add_client(store, "temporary", ["all"])
    anonymous = app.test_client()
    assert anonymous.get(STATE, query_string=STATE_QUERY, headers={**V1, **basic(key, secret)}).status_code == 404
    assert store.remove_client(key)
    assert anonymous.get(STATE, query_string=STATE_QUERY, headers={**V1, **basic(key, secret)}).status_code == 401


def test_new_secret_for_the_same_key_invalidates_the_old_one(app: Any) -> None:
    store = app.extensions["lrs_store"]
    key, old = add_client(store, "rotating", ["all"])
    anonymous = app.test_client()
    assert anonymous.get(STATE, query_string=STATE_QUERY, headers={**V1, **basic(key, old)}).status_code == 404
    add_client(store, "rotating", ["all"], key=key, secret="fresh-secret")
    assert anonymous.get(STATE, query_string=STATE_QUERY, headers={**V1, **basic(key, old)}).status_code == 401
    forget_all()
    assert (
        anonymous.get(STATE, query_string=STATE_QUERY, headers={**V1, **basic(key, "fresh-secret")}).status_code == 404
    )


def test_add_client_stores_only_an_argon2_hash_and_a_default_authority(app: Any) -> None:
    store = app.extensions["lrs_store"]
    key, secret = add_client(store, "hashing", [])
    record = store.get_client(key)
    assert record is not None
    assert record.secret_hash.startswith("$argon2id$") and secret not in record.secret_hash
    assert record.scopes == ("statements/write", "statements/read/mine")
    assert record.authority["account"]["name"] == key and record.authority["objectType"] == "Agent"
    custom = {"objectType": "Agent", "mbox": "mailto:lms@example.org"}
    key2, _ = add_client(store, "custom", ["all"], custom)
    assert store.get_client(key2).authority == custom


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scopes": ["everything"]}, "unknown scope"),
        ({"name": " "}, "name"),
        ({"key": "a:b"}, "not usable"),
        ({"key": "cmi5"}, "not usable"),
    ],
)
def test_add_client_refuses_bad_input(app: Any, kwargs: dict[str, Any], message: str) -> None:
    args = {"name": "x", "scopes": ["all"], **kwargs}
    with pytest.raises(ValueError, match=message):
        add_client(app.extensions["lrs_store"], args.pop("name"), args.pop("scopes"), **args)


def test_require_sets_the_principal_on_g(store_url: str, store: Any) -> None:
    from lrs.app import create_app
    from lrs.config import LrsConfig

    app = create_app(LrsConfig(database_url=store_url), store=store)

    @require("state")
    def whoami() -> Any:
        return jsonify(key=g.client.key, scopes=sorted(g.client.scopes), authority=g.client.authority)

    app.add_url_rule("/whoami", view_func=whoami)
    key, secret = add_client(store, "me", ["state", "define"])
    got = app.test_client().get("/whoami", headers=basic(key, secret)).get_json()
    assert got["key"] == key and got["scopes"] == ["define", "state"]
    assert got["authority"]["account"]["name"] == key


def test_parse_basic() -> None:
    token = base64.b64encode(b"user:pa:ss").decode()
    assert parse_basic(f"Basic {token}") == ("user", "pa:ss")
    assert parse_basic(f"basic   {token}  ") == ("user", "pa:ss")
    assert parse_basic(None) is None
    assert parse_basic("Basic") is None
    assert parse_basic("Basic " + base64.b64encode(b":secret").decode()) is None


def test_scope_implications() -> None:
    assert permits(["all"], ["statements/write"], read_only=False)
    assert permits(["all/read"], ["state"], read_only=True)
    assert not permits(["all/read"], ["state"], read_only=False)
    assert permits(["statements/read"], ["statements/read/mine"], read_only=True)
    assert not permits(["statements/read/mine"], ["statements/read"], read_only=True)
    assert permits(["define"], [], read_only=False)
    assert not permits(["state"], ["profile"], read_only=True)


def test_without_define_statements_do_not_define_activities_or_agents(app: Any) -> None:
    """xAPI scope ``define``: a client without it stores statements, but not their definitions."""
    activity = f"http://example.org/defined/{uuid.uuid4().hex[:8]}"
    learner = {"objectType": "Agent", "name": "Ann Peeters", "mbox": f"mailto:{uuid.uuid4().hex[:8]}@example.org"}

    def send(headers: dict[str, str], name: str) -> None:
        body = {
            "actor": learner,
            "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
            "object": {"id": activity, "definition": {"name": {"nl-BE": name}}},
        }
        response = app.test_client().post("/xapi/statements", json=body, headers={**V1, **headers})
        assert response.status_code == 200, response.get_data(as_text=True)

    reader = new_client(app, "all/read")

    def served() -> tuple[Any, Any]:
        client = app.test_client()
        got = client.get("/xapi/activities", query_string={"activityId": activity}, headers={**V1, **reader})
        who = json.dumps({"mbox": learner["mbox"]})
        person = client.get("/xapi/agents", query_string={"agent": who}, headers={**V1, **reader})
        return got.get_json().get("definition"), person.get_json().get("name")

    send(new_client(app, "statements/write"), "Module 1")
    assert served() == (None, None)
    send(new_client(app, "statements/write", "define"), "Module 1: geweld herkennen")
    assert served() == ({"name": {"nl-BE": "Module 1: geweld herkennen"}}, ["Ann Peeters"])
    send(new_client(app, "statements/write"), "Renamed without define")
    assert served()[0] == {"name": {"nl-BE": "Module 1: geweld herkennen"}}


def test_wrong_secrets_are_limited_per_client_without_locking_out_a_proven_one(app: Any) -> None:
    """Each wrong secret costs an argon2 check: past MAX_FAILURES per window they are refused unchecked (429)."""
    from lrs.auth.credentials import MAX_FAILURES

    forget_all()
    key, secret = add_client(app.extensions["lrs_store"], "player", ["state"])
    client = app.test_client()

    def attempt(password: str) -> Any:
        return client.get(STATE, query_string=STATE_QUERY, headers={**V1, **basic(key, password)})

    assert attempt(secret).status_code == 404  # proven once: remembered
    assert attempt("wrong-0").status_code == 401
    assert attempt("wrong-0").status_code == 401  # the same wrong secret again: refused from memory, not counted
    for number in range(1, MAX_FAILURES):
        assert attempt(f"wrong-{number}").status_code == 401
    limited = attempt("wrong-next")
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert "Too many wrong secrets" in limited.get_json()["error"]["message"]
    assert attempt(secret).status_code == 404  # the client that proved its secret is not locked out
    other_key, other_secret = add_client(app.extensions["lrs_store"], "other", ["state"])
    other = client.get(STATE, query_string=STATE_QUERY, headers={**V1, **basic(other_key, other_secret)})
    assert other.status_code == 404  # other clients are not affected
    forget_all()
