"""HTTP Basic clients, scopes, 401/403 (xAPI 1.0.3 Communication §4, §3.2)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from flask import g, jsonify

from lrs.auth import CHALLENGE, add_client, parse_basic, permits, require
from lrs.auth.credentials import MAX_FAILURES, MIN_SECRET_CHARS, TooManyFailures, verify_secret

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
    fresh = "fresh-secret-" + uuid.uuid4().hex
    add_client(store, "rotating", ["all"], key=key, secret=fresh)
    assert anonymous.get(STATE, query_string=STATE_QUERY, headers={**V1, **basic(key, old)}).status_code == 401
    assert anonymous.get(STATE, query_string=STATE_QUERY, headers={**V1, **basic(key, fresh)}).status_code == 404


def test_add_client_stores_only_a_salted_hash_and_a_default_authority(app: Any) -> None:
    store = app.extensions["lrs_store"]
    key, secret = add_client(store, "hashing", [])
    record = store.get_client(key)
    assert record is not None
    scheme, salt, digest = record.secret_hash.split("$")
    assert scheme == "sha256" and len(salt) == 32 and len(digest) == 64 and secret not in record.secret_hash
    again, _ = add_client(store, "same secret", [], secret=secret)
    assert store.get_client(again).secret_hash != record.secret_hash  # salted per client
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
        ({"key": "nul\x00key"}, "not usable"),
        ({"key": "k" * 201}, "not usable"),
        ({"secret": "s3cret!"}, "at least 32"),
        ({"secret": "x" * (MIN_SECRET_CHARS - 1)}, "at least 32"),
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


def test_wrong_secrets_never_lock_out_a_client_that_sends_its_secret(app: Any, monkeypatch: Any) -> None:
    """Client keys are public: any number of wrong secrets costs no argon2 check and no lockout (issue #10 item 6)."""
    from lrs.auth import credentials

    argon2_checks = CountingHasher(credentials._ARGON2)
    monkeypatch.setattr(credentials, "_ARGON2", argon2_checks)
    key, secret = add_client(app.extensions["lrs_store"], "player", ["state"])
    client = app.test_client()

    def attempt(password: str) -> Any:
        return client.get(STATE, query_string=STATE_QUERY, headers={**V1, **basic(key, password)})

    for number in range(3 * MAX_FAILURES):
        assert attempt(f"wrong-{number}").status_code == 401
    assert attempt(secret).status_code == 404  # never 429: the real client gets in
    assert argon2_checks.count == 0


class CountingHasher:
    """Wraps argon2's PasswordHasher, counting verify calls (thread-safe)."""

    def __init__(self, hasher: Any) -> None:
        self.hasher = hasher
        self.count = 0
        self.lock = threading.Lock()

    def verify(self, hashed: str, password: str) -> bool:
        with self.lock:
            self.count += 1
        return bool(self.hasher.verify(hashed, password))


def _legacy_client(store: Any, secret: str) -> str:
    """A client stored before the fast format: an argon2id hash (cheap parameters: only the count matters)."""
    from argon2 import PasswordHasher

    from lrs.store.interface import ClientRecord

    key = "legacy-" + uuid.uuid4().hex[:8]
    hashed = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(secret)
    store.put_client(
        ClientRecord(key, hashed, "legacy", ("state",), {"mbox": "mailto:l@example.org"}, dt.datetime.now(dt.UTC))
    )
    return key


def test_legacy_argon2_client_checks_are_counted_in_the_database_across_threads(store: Any, monkeypatch: Any) -> None:
    """400 parallel wrong secrets for a legacy client run at most MAX_FAILURES argon2 checks (issue #10 item 6).

    The slot is taken atomically in the database before the check, so the
    count holds for any number of threads, workers or processes; a right
    secret later upgrades the hash, after which the client is never limited.
    """
    from lrs.auth import credentials

    secret = "legacy-secret-" + uuid.uuid4().hex
    key = _legacy_client(store, secret)
    client = store.get_client(key)
    checks = CountingHasher(credentials._ARGON2)
    monkeypatch.setattr(credentials, "_ARGON2", checks)
    window = dt.datetime(2026, 12, 5, 12, 0, 10, tzinfo=dt.UTC)

    def attempt(number: int) -> str:
        try:
            return "ok" if verify_secret(store, client, f"wrong-{number}", now=window) else "wrong"
        except TooManyFailures as error:
            assert 1 <= error.retry_after <= credentials.FAILURE_WINDOW_SECONDS
            return "limited"

    with ThreadPoolExecutor(max_workers=40) as pool:
        outcomes = list(pool.map(attempt, range(400)))
    assert checks.count == MAX_FAILURES
    assert outcomes.count("wrong") == MAX_FAILURES and outcomes.count("limited") == 400 - MAX_FAILURES
    with pytest.raises(TooManyFailures):  # the window is used up, even for the right secret (not yet proven)
        verify_secret(store, client, secret, now=window)

    later = window + dt.timedelta(seconds=credentials.FAILURE_WINDOW_SECONDS)
    assert verify_secret(store, client, secret, now=later)
    upgraded = store.get_client(key)
    assert upgraded.secret_hash.startswith("sha256$") and secret not in upgraded.secret_hash
    checks.count = 0
    for number in range(3 * MAX_FAILURES):
        assert not verify_secret(store, upgraded, f"wrong-again-{number}", now=later)
    assert verify_secret(store, upgraded, secret, now=later)  # upgraded: never locked out again
    assert checks.count == 0


def test_legacy_client_over_the_limit_gets_429_with_retry_after(app: Any, monkeypatch: Any) -> None:
    """Over HTTP: a legacy client's unproven secrets past the limit are refused unchecked, 429 + Retry-After."""
    from lrs.auth import credentials

    monkeypatch.setattr(credentials, "_window", lambda now: (1_800_000_000, 42))
    store = app.extensions["lrs_store"]
    secret = "legacy-secret-" + uuid.uuid4().hex
    key = _legacy_client(store, secret)
    other = _legacy_client(store, secret)
    client = app.test_client()

    def attempt(user: str, password: str) -> Any:
        return client.get(STATE, query_string=STATE_QUERY, headers={**V1, **basic(user, password)})

    for number in range(MAX_FAILURES):
        assert attempt(key, f"wrong-{number}").status_code == 401
    limited = attempt(key, "wrong-next")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "42"
    assert "Too many wrong secrets" in limited.get_json()["error"]["message"]
    assert attempt(other, secret).status_code == 404  # other clients are not affected, and get upgraded
    assert store.get_client(other).secret_hash.startswith("sha256$")


def test_nul_in_the_basic_user_name_is_401_not_500(app: Any) -> None:
    """PostgreSQL refuses NUL in text: such a user name is no client, answered 401 (issue #10 item 7)."""
    response = app.test_client().get(STATE, query_string=STATE_QUERY, headers={**V1, **basic("a\x00b", "x" * 40)})
    assert response.status_code == 401


def test_a_database_error_is_logged_without_its_parameters(
    app: Any, monkeypatch: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """A 500 from the database logs the error's type and place, never the values in its SQL (issue #10 rule)."""
    import sqlalchemy as sa

    from lrs.store.tables import clients

    store = app.extensions["lrs_store"]
    private = "mailto:secret.person@example.org"
    row = {"key": private, "secret_hash": "x", "name": "Secret Person", "scopes": "[]", "authority": "{}"}

    def failing_lookup(key: str) -> Any:
        def twice(conn: Any) -> None:
            conn.execute(sa.insert(clients).values(**row, created=dt.datetime.now(dt.UTC)))
            conn.execute(sa.insert(clients).values(**row, created=dt.datetime.now(dt.UTC)))  # duplicate key

        return store._write(twice)

    monkeypatch.setattr(store, "get_client", failing_lookup)
    with caplog.at_level(logging.DEBUG):
        response = app.test_client().get(STATE, query_string=STATE_QUERY, headers={**V1, **basic("k", "s" * 40)})
    assert response.status_code == 500
    assert "IntegrityError" in caplog.text and "test_auth.py" in caplog.text  # what and where
    assert "secret.person" not in caplog.text and "Secret Person" not in caplog.text
