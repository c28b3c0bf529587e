"""cmi5 launches and the fetch URL (cmi5 §8.1, §8.2, §9.3.1, §10), and launch-session bounds."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import json
import logging
import uuid
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from lrs.auth import add_client
from lrs.auth.launch import authenticate_session, statement_forbids
from lrs.store.interface import LaunchToken

V1 = {"X-Experience-API-Version": "1.0.3"}
LAUNCHES = "/xapi/extensions/cmi5/launches"
STATE = "/xapi/activities/state"
ACTOR = {
    "objectType": "Agent",
    "name": "Lies Peeters",
    "account": {"homePage": "https://lms.example.org", "name": "lp-42"},
}
AU = "https://gsog.example.org/course/nl-police/m4-close"
PUBLISHER = "https://gsog.example.org/au/m4-close"


def basic(key: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()}


def launch(client: Any, **body: Any) -> dict[str, Any]:
    payload = {"actor": ACTOR, "activityId": AU, "publisherId": PUBLISHER, **body}
    response = client.post(LAUNCHES, json=payload)
    assert response.status_code == 201, response.get_json()
    result: dict[str, Any] = response.get_json()
    return result


def fetch_path(created: dict[str, Any]) -> str:
    return urlsplit(created["fetch"]).path


def session(app: Any, created: dict[str, Any]) -> dict[str, str]:
    answer = app.test_client().post(fetch_path(created)).get_json()
    return {**V1, "Authorization": "Basic " + answer["auth-token"]}


def state_query(created: dict[str, Any], state_id: str, **changes: Any) -> dict[str, str]:
    query = {
        "activityId": created["activityId"],
        "agent": json.dumps(ACTOR),
        "registration": created["registration"],
        "stateId": state_id,
    }
    query.update(changes)
    return query


# --- creating launches -------------------------------------------------------------


def test_launch_writes_launch_data_and_answers_launch_parameters(client: Any) -> None:
    registration = str(uuid.uuid4())
    created = launch(
        client,
        registration=registration,
        masteryScore=0.75,
        moveOn="CompletedAndPassed",
        returnURL="https://lms.example.org/back",
        auUrl="https://cdn.example.org/pkg/index.html?module=m4-close",
    )
    assert created["registration"] == registration and created["activityId"] == AU
    assert created["endpoint"].endswith("/xapi/")
    assert urlsplit(created["fetch"]).path.startswith("/xapi/extensions/cmi5/fetch/")
    query = parse_qsl(created["query"])
    assert [name for name, _ in query] == ["endpoint", "fetch", "actor", "registration", "activityId"]
    assert json.loads(dict(query)["actor"]) == ACTOR
    assert created["url"] == "https://cdn.example.org/pkg/index.html?module=m4-close&" + created["query"]

    data = client.get(STATE, query_string=state_query(created, "LMS.LaunchData"), headers=V1).get_json()
    session_id = created["sessionId"]
    assert data == {
        "contextTemplate": {
            "contextActivities": {"grouping": [{"objectType": "Activity", "id": PUBLISHER}]},
            "extensions": {"https://w3id.org/xapi/cmi5/context/extensions/sessionid": session_id},
        },
        "launchMode": "Normal",
        "moveOn": "CompletedAndPassed",
        "masteryScore": 0.75,
        "returnURL": "https://lms.example.org/back",
    }


def test_launch_records_the_launched_statement(client: Any) -> None:
    created = launch(client, auUrl="https://cdn.example.org/pkg/index.html", masteryScore=0.8)
    got = client.get("/xapi/statements", query_string={"statementId": created["launchedStatement"]}, headers=V1)
    assert got.status_code == 200
    statement = got.get_json()
    assert statement["verb"]["id"] == "http://adlnet.gov/expapi/verbs/launched"
    assert statement["actor"] == ACTOR and statement["object"]["id"] == AU
    context = statement["context"]
    assert context["registration"] == created["registration"]
    assert context["contextActivities"]["category"] == [{"id": "https://w3id.org/xapi/cmi5/context/categories/cmi5"}]
    assert context["contextActivities"]["grouping"][0]["id"] == PUBLISHER
    ext = "https://w3id.org/xapi/cmi5/context/extensions/"
    assert context["extensions"][ext + "sessionid"] == created["sessionId"]
    assert context["extensions"][ext + "launchmode"] == "Normal"
    assert context["extensions"][ext + "launchurl"] == "https://cdn.example.org/pkg/index.html"
    assert context["extensions"][ext + "masteryscore"] == 0.8


def test_new_registration_when_none_given(client: Any) -> None:
    created = launch(client)
    assert uuid.UUID(created["registration"])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"actor": None}, "actor"),
        ({"actor": {"name": "no identifier"}}, "actor"),
        ({"activityId": "not an iri"}, "activityId"),
        ({"activityId": PUBLISHER}, "publisherId"),
        ({"registration": "nope"}, "registration"),
        ({"masteryScore": 1.5}, "masteryScore"),
        ({"masteryScore": True}, "masteryScore"),
        ({"launchMode": "Fast"}, "launchMode"),
        ({"moveOn": "Always"}, "moveOn"),
        ({"returnURL": 5}, "returnURL"),
    ],
)
def test_invalid_launch_requests_are_400_naming_the_field(client: Any, body: dict[str, Any], field: str) -> None:
    payload = {"actor": ACTOR, "activityId": AU, "publisherId": PUBLISHER, **body}
    payload = {k: v for k, v in payload.items() if v is not None}
    response = client.post(LAUNCHES, json=payload)
    assert response.status_code == 400
    assert field in response.get_json()["error"]["message"]


def test_launch_body_must_be_json(client: Any) -> None:
    assert client.post(LAUNCHES, data="actor=x", content_type="text/plain").status_code == 400


def test_creating_launches_needs_the_launch_scope(app: Any) -> None:
    store = app.extensions["lrs_store"]
    anonymous = app.test_client()
    payload = {"actor": ACTOR, "activityId": AU}
    assert anonymous.post(LAUNCHES, json=payload).status_code == 401
    assert anonymous.post(LAUNCHES, json=payload, headers=basic(*add_client(store, "s", ["state"]))).status_code == 403
    launcher = basic(*add_client(store, "preview", ["cmi5/launch"]))
    assert anonymous.post(LAUNCHES, json=payload, headers=launcher).status_code == 201


# --- fetch URL -------------------------------------------------------------------------


def test_fetch_returns_a_token_once_then_error_1(app: Any, client: Any) -> None:
    created = launch(client)
    au = app.test_client()  # the AU sends no credentials and no xAPI version to the fetch URL
    first = au.post(fetch_path(created))
    assert first.status_code == 200 and first.mimetype == "application/json"
    assert first.headers["Cache-Control"] == "no-store"
    token = first.get_json()["auth-token"]
    user, _, secret = base64.b64decode(token).decode().partition(":")
    assert user == "cmi5" and len(secret) >= 40
    second = au.post(fetch_path(created))
    assert second.status_code == 200
    assert second.get_json() == {"error-code": "1", "error-text": "The authorization token has already been returned."}


def test_fetch_errors(app: Any, client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    au = app.test_client()
    unknown = au.post("/xapi/extensions/cmi5/fetch/does-not-exist").get_json()
    assert unknown["error-code"] == "2"
    created = launch(client)
    assert au.get(fetch_path(created)).status_code == 405
    store = app.extensions["lrs_store"]

    def broken(*_args: Any) -> None:
        raise RuntimeError("database gone")

    monkeypatch.setattr(store, "take_launch_token", broken)
    failed = au.post(fetch_path(created))
    assert failed.status_code == 200 and failed.get_json()["error-code"] == "3"


def test_expired_fetch_url_is_error_1(store_url: str, store: Any) -> None:
    from lrs.app import create_app
    from lrs.config import LrsConfig

    app = create_app(LrsConfig(database_url=store_url, cmi5_token_seconds=0), store=store)
    launcher = basic(*add_client(store, "preview", ["cmi5/launch"]))
    created = app.test_client().post(LAUNCHES, json={"actor": ACTOR, "activityId": AU}, headers=launcher).get_json()
    answer = app.test_client().post(fetch_path(created)).get_json()
    assert answer["error-code"] == "1" and "expired" in answer["error-text"]


# --- the session token ----------------------------------------------------------------------


def test_session_reads_launch_data_and_keeps_its_own_state(app: Any, client: Any) -> None:
    created = launch(client)
    au, headers = app.test_client(), session(app, created)
    assert au.get(STATE, query_string=state_query(created, "LMS.LaunchData"), headers=headers).status_code == 200
    suspend = state_query(created, "gsog.suspend")
    assert au.put(STATE, query_string=suspend, json={"sent": {}}, headers=headers).status_code == 204
    assert au.put(STATE, query_string=suspend, json={"sent": {"c": 1}}, headers=headers).status_code == 204
    assert au.get(STATE, query_string=suspend, headers=headers).get_json() == {"sent": {"c": 1}}
    prefs = {"agent": json.dumps(ACTOR), "profileId": "cmi5LearnerPreferences"}
    # no language in the launch: no preferences document, the AU uses its defaults (cmi5 11.0)
    assert au.get("/xapi/agents/profile", query_string=prefs, headers=headers).status_code == 404
    # the LMS keeps the learner preferences: an AU's change is refused with 403, an invalid one naming the rule
    incomplete = au.put(
        "/xapi/agents/profile", query_string=prefs, json={"languagePreference": "nl-BE"}, headers=headers
    )
    assert incomplete.status_code == 403
    assert incomplete.get_json()["error"]["message"].startswith("11.0.0.0-5 - ")
    bad_language = {"languagePreference": "nl BE", "audioPreference": "on"}
    put = au.put("/xapi/agents/profile", query_string=prefs, json=bad_language, headers=headers)
    assert put.status_code == 403 and put.get_json()["error"]["message"].startswith("11.1.0.0-1 - ")
    valid = {"languagePreference": "nl-BE,fr-BE", "audioPreference": "on"}
    put = au.put("/xapi/agents/profile", query_string=prefs, json=valid, headers=headers)
    assert put.status_code == 403 and "Rejected request to alter" in put.get_json()["error"]["message"]
    assert au.delete("/xapi/agents/profile", query_string=prefs, headers=headers).status_code == 403
    assert au.get("/xapi/agents/profile", query_string=prefs, headers=headers).status_code == 404


def test_launch_language_becomes_the_learner_preference(app: Any, client: Any) -> None:
    created = launch(client, languagePreference="fr-BE")
    prefs = {"agent": json.dumps(ACTOR), "profileId": "cmi5LearnerPreferences"}
    got = app.test_client().get("/xapi/agents/profile", query_string=prefs, headers=session(app, created))
    assert got.status_code == 200 and got.get_json() == {"languagePreference": "fr-BE"}
    bad = client.post(LAUNCHES, json={"actor": ACTOR, "activityId": AU, "languagePreference": "fr BE"})
    assert bad.status_code == 400 and "languagePreference" in bad.get_json()["error"]["message"]


@pytest.mark.parametrize(
    ("method", "path", "changes"),
    [
        ("PUT", STATE, {"stateId": "LMS.LaunchData"}),
        ("DELETE", STATE, {"stateId": "LMS.LaunchData"}),
        ("DELETE", STATE, {"stateId": None}),
        ("GET", STATE, {"registration": str(uuid.uuid4())}),
        ("GET", STATE, {"registration": None}),
        ("GET", STATE, {"activityId": "https://gsog.example.org/other"}),
        ("GET", STATE, {"agent": json.dumps({"mbox": "mailto:other@example.org"})}),
        ("GET", "/xapi/agents/profile", {"agent": json.dumps({"mbox": "mailto:other@example.org"})}),
        ("PUT", "/xapi/activities/profile", {}),
        ("GET", "/xapi/agents", {"agent": json.dumps({"mbox": "mailto:other@example.org"})}),
        ("GET", "/xapi/statements", {}),
    ],
)
def test_session_is_bounded_to_its_launch(
    app: Any, client: Any, method: str, path: str, changes: dict[str, Any]
) -> None:
    created = launch(client)
    headers = session(app, created)
    query: dict[str, str]
    if path == STATE:
        query = state_query(created, "gsog.suspend")
    elif path == "/xapi/activities/profile":
        query = {"activityId": created["activityId"], "profileId": "p"}
    elif path == "/xapi/statements" or path == "/xapi/agents":
        query = {}
    else:
        query = {"agent": json.dumps(ACTOR), "profileId": "p"}
    for name, value in changes.items():
        if value is None:
            query.pop(name, None)
        else:
            query[name] = value
    response = app.test_client().open(path, method=method, query_string=query, json={"x": 1}, headers=headers)
    assert response.status_code == 403, response.get_json()


def test_session_sends_statements_about_its_actor_only(app: Any, client: Any) -> None:
    created = launch(client)
    headers = session(app, created)
    au = app.test_client()
    assert au.get(STATE, query_string=state_query(created, "LMS.LaunchData"), headers=headers).status_code == 200
    prefs = {"agent": json.dumps(ACTOR), "profileId": "cmi5LearnerPreferences"}
    assert au.get("/xapi/agents/profile", query_string=prefs, headers=headers).status_code == 404
    context = copy.deepcopy(created["launchData"]["contextTemplate"])
    context["registration"] = created["registration"]
    context["contextActivities"]["category"] = [{"id": "https://w3id.org/xapi/cmi5/context/categories/cmi5"}]
    statement = {
        "id": str(uuid.uuid4()),
        "timestamp": "2026-05-04T10:00:00Z",
        "actor": ACTOR,
        "verb": {"id": "http://adlnet.gov/expapi/verbs/initialized"},
        "object": {"objectType": "Activity", "id": created["activityId"]},
        "context": context,
    }
    other = {**statement, "id": str(uuid.uuid4()), "actor": {"mbox": "mailto:other@example.org"}}
    refused = au.post("/xapi/statements", json=other, headers=headers)
    assert refused.status_code == 403 and refused.get_json()["error"]["message"].startswith("8.1.3.0-3 - ")
    assert au.post("/xapi/statements", json=statement, headers=headers).status_code == 200


def test_session_expires(app: Any, client: Any) -> None:
    created = launch(client)
    token = session(app, created)["Authorization"].split(" ", 1)[1]
    secret = base64.b64decode(token).decode().partition(":")[2]
    store = app.extensions["lrs_store"]
    now = dt.datetime.now(dt.UTC)
    assert authenticate_session(store, secret, now=now) is not None
    assert authenticate_session(store, secret, now=now + dt.timedelta(hours=13)) is None
    assert authenticate_session(store, "guess", now=now) is None


def test_statement_bounds() -> None:
    launch_token = LaunchToken(
        token="s.x",
        actor_key="mbox:mailto:a@b.org",
        actor={"mbox": "mailto:a@b.org"},
        registration="r",
        activity_id="https://x.org/au",
        expires=dt.datetime.now(dt.UTC),
        fetched=True,
    )
    mine = {
        "actor": {"mbox": "mailto:A@b.org"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "context": {"registration": "r"},
    }
    assert statement_forbids(launch_token, mine) is None
    victim = {"objectType": "Agent", "mbox": "mailto:victim@b.org"}
    forged = {**mine, "actor": {"objectType": "Group", "mbox": "mailto:a@b.org", "member": [victim]}}
    assert (statement_forbids(launch_token, forged) or "").startswith("8.1.3.0-3 - ")
    about_victim = {**mine, "object": victim}
    assert (statement_forbids(launch_token, about_victim) or "").startswith("8.1.3.0-3 - ")
    other_registration = {**mine, "context": {"registration": "s"}}
    assert (statement_forbids(launch_token, other_registration) or "").startswith("9.6.1.0-1 - ")
    assert statement_forbids(launch_token, {**mine, "context": {}}) is not None
    voiding = {**mine, "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"}}
    assert "void" in (statement_forbids(launch_token, voiding) or "")
    assert statement_forbids(launch_token, {"actor": {"name": "x"}}) is not None
    assert statement_forbids(launch_token, {}) is not None


def test_the_development_server_logs_no_fetch_id(
    app: Any, client: Any, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    """A fetch id is a one-time credential: `lrs serve` writes no request line holding it (issue #10 item 10).

    Every logger at DEBUG, through the request handler ``lrs serve`` uses,
    over a real socket.
    """
    import threading
    import urllib.error
    import urllib.request

    from werkzeug.serving import make_server

    from lrs.cli import _RequestHandler

    fetch_id = fetch_path(launch(client)).rsplit("/", 1)[1]
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_RequestHandler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with caplog.at_level(logging.DEBUG):
            logging.getLogger("werkzeug").setLevel(logging.DEBUG)
            url = f"http://127.0.0.1:{server.port}/xapi/extensions/cmi5/fetch/{fetch_id}"
            # a GET matches no route (405): its path must not be logged either
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(url)
            assert refused.value.code == 405
            with urllib.request.urlopen(urllib.request.Request(url, method="POST")) as answer:
                assert "auth-token" in json.loads(answer.read())
    finally:
        server.shutdown()
        thread.join()
        logging.getLogger("werkzeug").setLevel(logging.NOTSET)
    logged = caplog.text + "".join(capfd.readouterr())
    assert "/extensions/cmi5/fetch/<fetch_id>" in caplog.text  # our request line, with the route pattern
    assert fetch_id not in logged
