"""A real third-party xAPI client (Rustici's ``tincan`` for Python, xAPI 1.0.3) against a live LRS.

Our own tests speak the protocol the way we read the spec; a widely used
client shows whether what it sends (its header spelling, its query
encoding, its ``more`` URL handling, its ETag use on documents) works with
our server. The server is real HTTP: the app runs in a werkzeug server in a
thread on 127.0.0.1 with a temporary SQLite database, and the client
credentials are made through ``lrs.auth.add_client`` like ``lrs client add``.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from tincan import (  # noqa: E402
    Activity,
    ActivityDefinition,
    ActivityProfileDocument,
    Agent,
    AgentProfileDocument,
    Context,
    LanguageMap,
    RemoteLRS,
    Result,
    Score,
    StateDocument,
    Statement,
    Verb,
)

ACTIVITY_ID = "http://example.com/activities/tincan-client"


@pytest.fixture(scope="module")
def lrs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RemoteLRS]:
    """A live LRS on a free loopback port and a ``RemoteLRS`` logged in with scope ``all``."""
    from werkzeug.serving import make_server

    from lrs.app import create_app
    from lrs.auth import add_client
    from lrs.config import LrsConfig

    db: Path = tmp_path_factory.mktemp("tincan") / "lrs.sqlite3"
    app = create_app(LrsConfig(database_url=f"sqlite:///{db}"))
    key, secret = add_client(app.extensions["lrs_store"], "tincan", ["all"])
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield RemoteLRS(
            version="1.0.3",
            endpoint=f"http://127.0.0.1:{server.server_port}/xapi/",
            username=key,
            password=secret,
        )
    finally:
        server.shutdown()
        thread.join(10)


def ok(response: object) -> None:
    """Fail with the LRS's answer, not just 'False is not true'."""
    if not response.success:  # type: ignore[attr-defined]
        http = response.response  # type: ignore[attr-defined]
        pytest.fail(f"{response.request.method} {response.request.resource}: {http.status} {response.data!r}")  # type: ignore[attr-defined]


def learner(n: int = 1) -> Agent:
    return Agent(name=f"Learner {n}", mbox=f"mailto:learner{n}@example.com")


def statement(n: int = 1, registration: str | None = None) -> Statement:
    return Statement(
        actor=learner(n),
        verb=Verb(id="http://adlnet.gov/expapi/verbs/completed", display=LanguageMap({"en-US": "completed"})),
        object=Activity(
            id=ACTIVITY_ID,
            definition=ActivityDefinition(name=LanguageMap({"en-US": "tincan client test"})),
        ),
        result=Result(score=Score(scaled=0.75), completion=True, success=True),
        context=Context(registration=registration) if registration else None,
    )


def test_about(lrs: RemoteLRS) -> None:
    """GET /about through tincan's transport.

    ``RemoteLRS.about()`` itself cannot be used: tincan 1.0.0 refuses any
    version it does not know, and this LRS rightly lists "2.0.0" too.
    """
    from tincan.http_request import HTTPRequest

    response = lrs._send_request(HTTPRequest(method="GET", resource="about"))  # noqa: SLF001
    ok(response)
    versions = json.loads(response.data)["version"]
    assert "1.0.3" in versions and "2.0.0" in versions
    assert response.response.getheader("X-Experience-API-Version") == "1.0.3"


def test_save_and_retrieve_statement(lrs: RemoteLRS) -> None:
    saved = lrs.save_statement(statement())
    ok(saved)
    sid = saved.content.id
    assert sid is not None
    got = lrs.retrieve_statement(sid)
    ok(got)
    assert str(got.content.id) == str(sid)
    assert got.content.actor.mbox == "mailto:learner1@example.com"
    assert got.content.verb.id == "http://adlnet.gov/expapi/verbs/completed"
    assert got.content.result.score.scaled == 0.75
    assert got.content.stored is not None and got.content.authority is not None


def test_put_statement_with_id(lrs: RemoteLRS) -> None:
    s = statement(2)
    s.id = str(uuid.uuid4())
    ok(lrs.save_statement(s))  # PUT ?statementId=
    got = lrs.retrieve_statement(s.id)
    ok(got)
    assert str(got.content.id) == str(s.id)


def test_save_statements_batch(lrs: RemoteLRS) -> None:
    batch = [statement(3), statement(4)]
    saved = lrs.save_statements(batch)
    ok(saved)
    ids = [str(s.id) for s in saved.content]
    assert len(ids) == 2 and all(ids)
    for sid in ids:
        ok(lrs.retrieve_statement(sid))


def test_void_and_retrieve_voided(lrs: RemoteLRS) -> None:
    saved = lrs.save_statement(statement(5))
    ok(saved)
    target = str(saved.content.id)
    voiding = Statement(
        actor=learner(5),
        verb=Verb(id="http://adlnet.gov/expapi/verbs/voided", display=LanguageMap({"en-US": "voided"})),
        object={"objectType": "StatementRef", "id": target},
    )
    ok(lrs.save_statement(voiding))
    assert not lrs.retrieve_statement(target).success  # voided: 404 on statementId
    voided = lrs.retrieve_voided_statement(target)
    ok(voided)
    assert str(voided.content.id) == target


@pytest.mark.parametrize("ascending", [None, "true"], ids=["newest-first", "ascending"])
def test_query_with_paging(lrs: RemoteLRS, ascending: str | None) -> None:
    """25 statements of one registration read back 10 per page through the ``more`` link.

    One batch, so the statements' ``stored`` instants are microseconds apart
    and every page boundary falls between statements stored together.
    """
    registration = str(uuid.uuid4())
    sent = lrs.save_statements([statement(6, registration) for _ in range(25)])
    ok(sent)
    expected = {str(s.id) for s in sent.content}
    response = lrs.query_statements(
        {"registration": registration, "limit": 10, "agent": learner(6), "ascending": ascending}
    )
    ok(response)
    seen: list[str] = [str(s.id) for s in response.content.statements]
    pages = 1
    result = response.content
    while result.more:
        pages += 1
        assert pages <= 5, "more links do not end"
        response = lrs.more_statements(result)
        ok(response)
        result = response.content
        seen.extend(str(s.id) for s in result.statements)
    assert len(seen) == len(set(seen)), f"statements repeated across pages: {len(seen)} for {len(set(seen))}"
    assert set(seen) == expected, f"{len(expected - set(seen))} statements never returned"
    assert pages == 3
    stored = [
        s.stored
        for s in lrs.query_statements(
            {"registration": registration, "limit": 25, "ascending": ascending}
        ).content.statements
    ]
    assert stored == sorted(stored, reverse=ascending is None)


def test_query_filters(lrs: RemoteLRS) -> None:
    registration = str(uuid.uuid4())
    ok(lrs.save_statements([statement(7, registration), statement(8, registration)]))
    response = lrs.query_statements({"registration": registration, "agent": learner(7)})
    ok(response)
    assert [s.actor.mbox for s in response.content.statements] == ["mailto:learner7@example.com"]
    response = lrs.query_statements(
        # "true", not True: tincan sends str(value), and "True" is not an xAPI boolean
        {"registration": registration, "verb": Verb(id="http://adlnet.gov/expapi/verbs/completed"), "ascending": "true"}
    )
    ok(response)
    assert len(response.content.statements) == 2


def etag(response: object) -> str:
    """The ETag the LRS sent; tincan 1.0.0 reads headers wrongly and never fills ``doc.etag`` itself."""
    value = response.response.getheader("ETag")  # type: ignore[attr-defined]
    assert value, "no ETag header on a document GET"
    return str(value)


def create(lrs: RemoteLRS, resource: str, params: dict[str, str], content: str, content_type: str) -> None:
    """Create a profile document with ``If-None-Match: *`` through tincan's own transport.

    Under 1.0.3 this LRS answers a header-less PUT that creates an Activity or
    Agent Profile with 400 (the 1.0.3 conformance suite requires that for
    Activity Profiles), and tincan 1.0.0's ``save_*_profile`` can only send
    ``If-Match`` — so tincan alone cannot create a profile here (see the
    report). Everything after creation goes through tincan's public API.
    """
    from tincan.http_request import HTTPRequest

    request = HTTPRequest(method="PUT", resource=resource, content=content)
    request.headers.update({"Content-Type": content_type, "If-None-Match": "*"})
    request.query_params = params
    ok(lrs._send_request(request))  # noqa: SLF001


def test_state_round_trip(lrs: RemoteLRS) -> None:
    """State save/retrieve/ids/delete/clear.

    tincan's ``save_state`` sends the PUT twice and leaves out ``registration``
    (and ``delete_state`` too), so this round trip uses no registration and no
    If-Match on save; ``clear_state`` does pass a registration.
    """
    activity, agent = Activity(id=ACTIVITY_ID), learner(9)
    doc = StateDocument(activity=activity, agent=agent, id="bookmark", content='{"page": 3}')
    doc.content_type = "application/json"
    ok(lrs.save_state(doc))
    got = lrs.retrieve_state(activity, agent, "bookmark")
    ok(got)
    assert got.content.content == b'{"page": 3}'
    etag(got)
    ids = lrs.retrieve_state_ids(activity, agent)
    ok(ids)
    assert ids.content == ["bookmark"]
    doc.content = '{"page": 4}'
    ok(lrs.save_state(doc))  # state PUT needs no concurrency header: last write wins
    assert lrs.retrieve_state(activity, agent, "bookmark").content.content == b'{"page": 4}'
    ok(lrs.delete_state(doc))
    missing = lrs.retrieve_state(activity, agent, "bookmark")
    assert missing.response.status == 404
    ok(lrs.save_state(doc))
    ok(lrs.clear_state(activity, agent))
    assert lrs.retrieve_state_ids(activity, agent).content == []
    # a registration-scoped state, cleared by registration only
    registration = str(uuid.uuid4())
    ok(lrs.clear_state(activity, agent, registration=registration))  # nothing there: still 204


def test_activity_profile_round_trip(lrs: RemoteLRS) -> None:
    activity = Activity(id=ACTIVITY_ID)
    doc = ActivityProfileDocument(activity=activity, id="settings", content="plain text profile")
    doc.content_type = "text/plain"
    create(
        lrs,
        "activities/profile",
        {"activityId": ACTIVITY_ID, "profileId": "settings"},
        doc.content.decode(),
        "text/plain",
    )
    got = lrs.retrieve_activity_profile(activity, "settings")
    ok(got)
    assert got.content.content == b"plain text profile"
    ids = lrs.retrieve_activity_profile_ids(activity)
    ok(ids)
    assert "settings" in ids.content
    # replace with the ETag read back (a PUT over an existing profile without one is 409 in 1.0.3)
    doc.content = "second version"
    doc.etag = etag(got)
    ok(lrs.save_activity_profile(doc))
    stale = lrs.save_activity_profile(doc)  # same, now outdated, ETag
    assert stale.response.status == 412, (stale.response.status, stale.data)
    got = lrs.retrieve_activity_profile(activity, "settings")
    assert got.content.content == b"second version"
    doc.etag = etag(got)
    ok(lrs.delete_activity_profile(doc))
    assert lrs.retrieve_activity_profile(activity, "settings").response.status == 404


def test_agent_profile_round_trip(lrs: RemoteLRS) -> None:
    agent = learner(10)
    doc = AgentProfileDocument(agent=agent, id="preferences", content='{"lang": "nl"}')
    doc.content_type = "application/json"
    params = {"agent": agent.to_json("1.0.3"), "profileId": "preferences"}
    create(lrs, "agents/profile", params, doc.content.decode(), "application/json")
    got = lrs.retrieve_agent_profile(agent, "preferences")
    ok(got)
    assert got.content.content == b'{"lang": "nl"}'
    ids = lrs.retrieve_agent_profile_ids(agent)
    ok(ids)
    assert ids.content == ["preferences"]
    doc.content = '{"lang": "fr"}'
    doc.etag = etag(got)
    ok(lrs.save_agent_profile(doc))
    got = lrs.retrieve_agent_profile(agent, "preferences")
    assert got.content.content == b'{"lang": "fr"}'
    doc.etag = etag(got)
    ok(lrs.delete_agent_profile(doc))
    assert lrs.retrieve_agent_profile(agent, "preferences").response.status == 404
