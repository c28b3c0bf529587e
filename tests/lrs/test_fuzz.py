"""Hostile and malformed input never breaks the LRS.

Whatever a client sends — wrong JSON types, absurd nesting, huge strings,
bytes that are not UTF-8, a content type that lies, an ``agent`` parameter
that is not an Agent — the answer must be a deliberate one: never a 500
(that would be an unhandled exception, i.e. a bug and often a DoS lever),
always the ``X-Experience-API-Version`` header (xAPI requires it on every
response, errors included), and every error body the JSON the design
promises, ``{"error": {"message": "..."}}``, so clients can show why.

Hypothesis runs derandomized (same examples every run) so the suite is
deterministic; the app runs in-process through Flask's test client, which
goes through the full WSGI stack without the cost of sockets.
"""

from __future__ import annotations

import base64
import json
import string
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.core import NotSet
from werkzeug.test import TestResponse

from lrs.api.ops import openapi_document
from lrs.api.statements import QUERY_PARAMS
from tests.lrs.conftest import PostgresServer

FUZZ = settings(
    max_examples=40,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

ACTIVITY = "http://example.com/activities/fuzz"
AGENT = {"objectType": "Agent", "mbox": "mailto:fuzz@example.com"}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def lrs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Flask, dict[str, str]]]:
    """One app per database (a temporary SQLite file, a fresh PostgreSQL database) and the headers of
    a client with scope ``all``: every fuzz test runs on both, as PostgreSQL refuses text SQLite takes."""
    from lrs.app import create_app
    from lrs.auth import add_client
    from lrs.config import LrsConfig

    server: PostgresServer | None = None
    database = ""
    if request.param == "sqlite":
        db: Path = tmp_path_factory.mktemp("fuzz") / "lrs.sqlite3"
        url = f"sqlite:///{db}"
    else:
        server = request.getfixturevalue("postgres_server")
        database = server.create_database()
        url = server.url(database)
    app = create_app(LrsConfig(database_url=url))
    app.testing = False  # errors must go through the app's handlers, as in production
    store = app.extensions["lrs_store"]
    key, secret = add_client(store, "fuzz", ["all"])
    auth = "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()
    try:
        yield app, {"Authorization": auth, "X-Experience-API-Version": "1.0.3"}
    finally:
        store.close()
        if server is not None:
            server.drop_database(database)


@pytest.fixture(scope="module")
def http(lrs: tuple[Flask, dict[str, str]]) -> FlaskClient:
    return lrs[0].test_client()


@pytest.fixture(scope="module")
def headers(lrs: tuple[Flask, dict[str, str]]) -> dict[str, str]:
    return lrs[1]


def check(resp: TestResponse, what: str, *, head: bool = False) -> None:
    """The three invariants every answer must hold, with the request named in the failure.

    ``head``: the request was (or stood for) a HEAD, whose answer has no body at all.
    """
    body = resp.get_data()
    assert resp.status_code < 500, f"{what}: {resp.status_code} {body[:300]!r}"
    assert resp.headers.get("X-Experience-API-Version"), f"{what}: no X-Experience-API-Version header"
    if head:
        assert body == b"", f"{what}: HEAD answered with a body {body[:100]!r}"
    elif resp.status_code >= 400:
        try:
            data = json.loads(body)
        except ValueError:
            pytest.fail(f"{what}: error body is not JSON: {resp.status_code} {body[:300]!r}")
        assert isinstance(data, dict) and isinstance(data.get("error"), dict), f"{what}: {data!r}"
        assert isinstance(data["error"].get("message"), str), f"{what}: {data!r}"


def valid_statement() -> dict[str, Any]:
    return {
        "actor": dict(AGENT),
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced", "display": {"en-US": "experienced"}},
        "object": {"objectType": "Activity", "id": ACTIVITY},
    }


# --------------------------------------------------------------------------- strategies

#: Any code point, lone surrogates included (json.dumps escapes them as \\udXXX, which json.loads accepts).
any_text = st.text(st.characters(exclude_categories=()), max_size=30)
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | any_text
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(any_text, children, max_size=4),
    max_leaves=20,
)
# Where a statement has structure a validator must walk.
STATEMENT_PATHS: list[tuple[str, ...]] = [
    ("id",),
    ("actor",),
    ("actor", "mbox"),
    ("actor", "objectType"),
    ("actor", "member"),
    ("actor", "account"),
    ("verb",),
    ("verb", "id"),
    ("verb", "display"),
    ("object",),
    ("object", "id"),
    ("object", "objectType"),
    ("object", "definition"),
    ("object", "definition", "interactionType"),
    ("object", "definition", "choices"),
    ("object", "definition", "extensions"),
    ("result",),
    ("result", "score"),
    ("result", "score", "scaled"),
    ("result", "duration"),
    ("result", "extensions"),
    ("context",),
    ("context", "registration"),
    ("context", "contextActivities"),
    ("context", "contextActivities", "parent"),
    ("context", "instructor"),
    ("context", "statement"),
    ("context", "language"),
    ("timestamp",),
    ("stored",),
    ("authority",),
    ("version",),
    ("attachments",),
]


def set_path(doc: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    node = doc
    for part in path[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[path[-1]] = value
    return doc


@st.composite
def mutated_statements(draw: st.DrawFn) -> dict[str, Any]:
    """A valid statement with one to three places replaced by arbitrary JSON."""
    statement = valid_statement()
    for _ in range(draw(st.integers(1, 3))):
        set_path(statement, draw(st.sampled_from(STATEMENT_PATHS)), draw(json_values))
    return statement


def deep_json(depth: int) -> str:
    """JSON text nested ``depth`` levels (objects and arrays alternating), built as text:
    ``json.dumps`` itself cannot encode what the server must be able to refuse."""
    opening = "".join('{"k":' if i % 2 else "[" for i in range(depth))
    closing = "".join("}" if i % 2 else "]" for i in reversed(range(depth)))
    return opening + "1" + closing


# --------------------------------------------------------------------------- statements


@FUZZ
@given(body=json_values)
def test_statements_post_any_json(http: FlaskClient, headers: dict[str, str], body: Any) -> None:
    resp = http.post("/xapi/statements", json=body, headers=headers)
    check(resp, f"POST /statements {json.dumps(body)[:200]}")


@FUZZ
@given(statement=mutated_statements(), version=st.sampled_from(["1.0.3", "2.0.0"]))
def test_statements_post_mutated(
    http: FlaskClient, headers: dict[str, str], statement: dict[str, Any], version: str
) -> None:
    resp = http.post("/xapi/statements", json=statement, headers={**headers, "X-Experience-API-Version": version})
    check(resp, f"POST /statements ({version}) {json.dumps(statement)[:300]}")


@FUZZ
@given(statement=mutated_statements())
def test_statements_put_mutated(http: FlaskClient, headers: dict[str, str], statement: dict[str, Any]) -> None:
    sid = statement.get("id") if isinstance(statement.get("id"), str) else str(uuid.uuid4())
    resp = http.put("/xapi/statements", query_string={"statementId": sid}, json=statement, headers=headers)
    check(resp, f"PUT /statements?statementId={sid!r} {json.dumps(statement)[:300]}")


@pytest.mark.parametrize("depth", [50, 400, 600, 5_000])
def test_statements_deeply_nested_extension(http: FlaskClient, headers: dict[str, str], depth: int) -> None:
    """Extensions may hold any JSON, but nesting must not reach Python's recursion limit (deepcopy, dumps).

    600 levels are 1.2 KB: far under every size limit, so only a depth check (or catching
    RecursionError) keeps this from being a one-request 500.
    """
    statement = valid_statement()
    statement["result"] = {"extensions": {"http://example.com/ext": "PLACEHOLDER"}}
    text = json.dumps(statement).replace('"PLACEHOLDER"', deep_json(depth))
    resp = http.post("/xapi/statements", data=text, content_type="application/json", headers=headers)
    check(resp, f"POST /statements with an extension nested {depth} deep")


@pytest.mark.parametrize("depth", [50, 900, 5_000, 100_000])
def test_statements_deeply_nested_body(http: FlaskClient, headers: dict[str, str], depth: int) -> None:
    """A body that is only brackets: the JSON parser itself recurses (RecursionError past ~1000)."""
    raw = "[" * depth + "]" * depth
    resp = http.post("/xapi/statements", data=raw, content_type="application/json", headers=headers)
    check(resp, f"POST /statements body nested {depth} deep")
    assert resp.status_code == 400, resp.status_code


@pytest.mark.parametrize("field", ["verb.display", "object.id", "actor.name", "result.response"])
def test_statements_huge_strings(http: FlaskClient, headers: dict[str, str], field: str) -> None:
    """A statement over ``max_statement_bytes`` (256 KiB) is refused with 413 or 400, never stored."""
    statement = valid_statement()
    big = "x" * (300 * 1024)
    if field == "verb.display":
        statement["verb"]["display"] = {"en-US": big}
    elif field == "object.id":
        statement["object"]["id"] = "http://example.com/" + big
    elif field == "actor.name":
        statement["actor"]["name"] = big
    else:
        statement["result"] = {"response": big}
    resp = http.post("/xapi/statements", json=statement, headers=headers)
    check(resp, f"POST /statements with a 300 KiB {field}")
    assert resp.status_code in (400, 413), resp.status_code


def test_request_over_max_request_bytes(http: FlaskClient, headers: dict[str, str]) -> None:
    """A body over ``max_request_bytes`` (64 MiB) is 413 in the xAPI error format, not werkzeug's HTML."""
    body = b"[" + b" " * (65 * 1024 * 1024) + b"]"
    resp = http.post("/xapi/statements", data=body, content_type="application/json", headers=headers)
    check(resp, "POST /statements of 65 MiB")
    assert resp.status_code == 413


@FUZZ
@given(body=st.binary(min_size=1, max_size=200))
def test_statements_arbitrary_bytes(http: FlaskClient, headers: dict[str, str], body: bytes) -> None:
    resp = http.post("/xapi/statements", data=body, content_type="application/json", headers=headers)
    check(resp, f"POST /statements bytes {body[:80]!r}")


@pytest.mark.parametrize(
    "body",
    [
        b'{"actor": {"mbox": "mailto:\xff\xfe@example.com"}, "verb": {"id": "http://e.com/v"}, "object": {"id": "http://e.com/a"}}',
        b"\xef\xbb\xbf" + json.dumps(valid_statement()).encode(),  # UTF-8 BOM
        json.dumps(valid_statement()).encode("utf-16"),
        b'{"actor": "\\ud800", "verb": {}, "object": {}}',  # lone surrogate escape
        b"\x00" * 64,
        b'{"a": NaN}',
        b'{"a": Infinity}',
        b'{"a": 1e999999}',
        b'{"a": 123456789012345678901234567890123456789012345678901234567890}',
        b'{"id": "' + b"\xc0\xaf" * 10 + b'"}',  # overlong encoding
    ],
    ids=[
        "invalid-utf8",
        "bom",
        "utf16",
        "lone-surrogate",
        "nul",
        "nan",
        "infinity",
        "huge-exponent",
        "huge-int",
        "overlong",
    ],
)
def test_statements_bad_encodings(http: FlaskClient, headers: dict[str, str], body: bytes) -> None:
    resp = http.post("/xapi/statements", data=body, content_type="application/json", headers=headers)
    check(resp, f"POST /statements {body[:60]!r}")
    assert resp.status_code != 200 or body.startswith(b"\xef\xbb\xbf"), resp.get_data()[:200]


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/xml",
        "application/x-www-form-urlencoded",
        "multipart/mixed",
        "multipart/mixed; boundary=",
        "multipart/mixed; boundary=abc",
        "multipart/form-data; boundary=abc",
        "application/json; charset=latin-1",
        "application/jsonx",
        "",
        "*/*",
        "application/json; boundary=abc; charset=utf-8; q=0.5; x=" + "y" * 5000,
    ],
)
def test_statements_content_types(http: FlaskClient, headers: dict[str, str], content_type: str) -> None:
    data = json.dumps(valid_statement()).encode()
    for body in (data, b"--abc\r\nContent-Type: application/json\r\n\r\n" + data + b"\r\n--abc--", b"garbage"):
        resp = http.post("/xapi/statements", data=body, headers={**headers, "Content-Type": content_type})
        check(resp, f"POST /statements Content-Type {content_type[:60]!r} body {body[:40]!r}")


@FUZZ
@given(
    method=st.sampled_from(["GET", "PUT", "POST", "DELETE", "get", "HEAD"])
    | st.text(alphabet=string.ascii_letters, min_size=1, max_size=8),
    form=st.dictionaries(st.text(max_size=15), st.text(max_size=40), max_size=5),
)
def test_alternate_request_syntax(
    http: FlaskClient, headers: dict[str, str], method: str, form: dict[str, str]
) -> None:
    """1.0.3 ``?method=`` POST form with arbitrary fields (headers and content passed as form fields)."""
    resp = http.post(
        "/xapi/statements",
        query_string={"method": method},
        data={**form, "X-Experience-API-Version": "1.0.3", "Authorization": headers["Authorization"]},
        content_type="application/x-www-form-urlencoded",
        headers={"X-Experience-API-Version": "1.0.3"},
    )
    # the LRS reads the method case-insensitively: "hEAD" stands for a HEAD too
    check(resp, f"POST /statements?method={method} form {form!r}", head=method.upper() == "HEAD")


@pytest.mark.parametrize(
    ("where", "count"),
    [("grouping", 6_000), ("extensions", 9_000), ("members", 3_000), ("choices", 4_000)],
)
def test_statements_many_small_items(http: FlaskClient, headers: dict[str, str], where: str, count: int) -> None:
    """Just under the 256 KiB limit but thousands of items: answered, and in bounded time (no quadratic work)."""
    statement = valid_statement()
    if where == "grouping":
        grouping = [{"id": f"http://e.com/g/{i}"} for i in range(count)]
        statement["context"] = {"contextActivities": {"grouping": grouping}}
    elif where == "extensions":
        statement["result"] = {"extensions": {f"http://e.com/x/{i}": i for i in range(count)}}
    elif where == "members":
        members = [{"mbox": f"mailto:m{i}@e.com"} for i in range(count)]
        statement["actor"] = {"objectType": "Group", "name": "big", "member": members}
    else:
        choices = [{"id": f"c{i}", "description": {"en-US": "c"}} for i in range(count)]
        statement["object"]["definition"] = {"interactionType": "choice", "choices": choices}
    body = json.dumps(statement)
    assert len(body) < 256 * 1024
    start = time.perf_counter()
    resp = http.post("/xapi/statements", data=body, content_type="application/json", headers=headers)
    elapsed = time.perf_counter() - start
    check(resp, f"POST /statements with {count} {where}")
    assert elapsed < 5, f"{count} {where} took {elapsed:.1f} s"


def test_tampered_more_links(http: FlaskClient, headers: dict[str, str]) -> None:
    """A ``more`` token is opaque to clients; any edit of it must be a 400, not a crash."""
    registration = str(uuid.uuid4())
    statements = [{**valid_statement(), "context": {"registration": registration}} for _ in range(3)]
    assert http.post("/xapi/statements", json=statements, headers=headers).status_code == 200
    page = http.get("/xapi/statements", query_string={"registration": registration, "limit": 1}, headers=headers)
    more = page.get_json()["more"]
    assert more, page.get_json()
    path, _, token = more.partition("?more=")
    variants = [token[:-1], token + "A", token[::-1], token.upper(), "", "=" * 8, token[: len(token) // 2]]
    variants += [token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1 :] for i in range(0, len(token), 7)]
    for variant in variants:
        resp = http.get(path, query_string={"more": variant}, headers=headers)
        check(resp, f"GET more={variant[:60]}")


# --------------------------------------------------------------------------- query parameters

agent_params = st.one_of(
    st.text(max_size=60),
    json_values.map(json.dumps),
    st.sampled_from(
        [
            "{",
            "null",
            "[]",
            '"mailto:a@b.c"',
            '{"mbox": 5}',
            '{"mbox": "a@b.c"}',
            '{"mbox": "mailto:a@b.c", "openid": "http://x.y"}',
            '{"objectType": "Group"}',
            '{"objectType": "Group", "member": [{"mbox": "mailto:a@b.c"}]}',
            '{"account": {"homePage": 1, "name": []}}',
            '{"account": "x"}',
            '{"mbox_sha1sum": {"$gt": ""}}',
            deep_json(3000),
        ]
    ),
)
STATEMENT_PARAMS = [*QUERY_PARAMS, "more"]


@FUZZ
@given(agent=agent_params)
def test_agent_parameter_everywhere(http: FlaskClient, headers: dict[str, str], agent: str) -> None:
    for url, extra in (
        ("/xapi/statements", {}),
        ("/xapi/activities/state", {"activityId": ACTIVITY}),
        ("/xapi/activities/state", {"activityId": ACTIVITY, "stateId": "s"}),
        ("/xapi/agents", {}),
        ("/xapi/agents/profile", {}),
        ("/xapi/agents/profile", {"profileId": "p"}),
    ):
        resp = http.get(url, query_string={"agent": agent, **extra}, headers=headers)
        check(resp, f"GET {url} agent={agent[:120]!r}")


@FUZZ
@given(params=st.dictionaries(st.sampled_from(STATEMENT_PARAMS), st.text(max_size=40) | json_values.map(json.dumps)))
def test_statement_query_parameters(http: FlaskClient, headers: dict[str, str], params: dict[str, str]) -> None:
    resp = http.get("/xapi/statements", query_string=params, headers=headers)
    check(resp, f"GET /statements {params!r}")


@pytest.mark.parametrize(
    "query",
    [
        b"agent=%ff%fe",
        b"agent=%7B%22mbox%22%3A%22mailto%3A%ff%40x.y%22%7D",
        b"verb=%00",
        b"limit=99999999999999999999999999",
        b"limit=-1",
        b"since=9999-99-99T99:99:99Z",
        b"since=2020-01-01T00:00:00+99:00",
        b"statementId=" + b"a" * 10000,
        b"format=" + b"%ff" * 10,
        b"more=%ff%fe%00",
        b"registration=not-a-uuid",
        b"&&&==&",
        b"agent=" + b"%5B" * 5000,
    ],
    ids=lambda q: q[:40].decode("latin-1"),
)
def test_statement_raw_query_strings(http: FlaskClient, headers: dict[str, str], query: bytes) -> None:
    """Raw query bytes, including percent-encoded invalid UTF-8, as a hostile client sends them."""
    resp = http.get("/xapi/statements?" + query.decode("latin-1"), headers=headers)
    check(resp, f"GET /statements?{query[:80]!r}")


@FUZZ
@given(version=st.one_of(st.text(max_size=12), st.sampled_from(["", "1.0", "1.0.9", "2.0", "2.0.1", "0.95", "3.0"])))
def test_version_header_always_echoed(http: FlaskClient, headers: dict[str, str], version: str) -> None:
    """Even an unsupported or garbled version header gets an answer that names a version."""
    for method, url in (("GET", "/xapi/statements"), ("GET", "/xapi/about"), ("POST", "/xapi/statements")):
        try:
            resp = http.open(url, method=method, headers={**headers, "X-Experience-API-Version": version})
        except ValueError:  # werkzeug refuses header values with newlines before sending
            return
        check(resp, f"{method} {url} with X-Experience-API-Version {version!r}")


@FUZZ
@given(
    auth=st.one_of(st.text(max_size=40), st.binary(max_size=40).map(lambda b: "Basic " + base64.b64encode(b).decode()))
)
def test_bad_credentials(http: FlaskClient, headers: dict[str, str], auth: str) -> None:
    try:
        resp = http.get("/xapi/statements", headers={**headers, "Authorization": auth})
    except ValueError:
        return
    check(resp, f"GET /statements Authorization {auth!r}")
    assert resp.status_code in (400, 401), resp.status_code


# --------------------------------------------------------------------------- documents

document_urls = st.sampled_from(
    [
        ("/xapi/activities/state", {"activityId": ACTIVITY, "agent": json.dumps(AGENT), "stateId": "fuzz"}),
        ("/xapi/activities/profile", {"activityId": ACTIVITY, "profileId": "fuzz"}),
        ("/xapi/agents/profile", {"agent": json.dumps(AGENT), "profileId": "fuzz"}),
    ]
)
content_types = st.sampled_from(
    ["application/json", "application/octet-stream", "text/plain", "application/json; charset=utf-8", "", "x/y"]
)


@FUZZ
@given(
    target=document_urls,
    method=st.sampled_from(["PUT", "POST"]),
    body=st.one_of(st.binary(max_size=300), json_values.map(lambda v: json.dumps(v).encode())),
    content_type=content_types,
    etag=st.one_of(st.none(), st.sampled_from(["*", '"abc"', "abc", "", 'W/"x"', '"' + "f" * 40 + '"'])),
)
def test_documents_write(
    http: FlaskClient,
    headers: dict[str, str],
    target: tuple[str, dict[str, str]],
    method: str,
    body: bytes,
    content_type: str,
    etag: str | None,
) -> None:
    url, params = target
    extra = {"Content-Type": content_type}
    if etag is not None:
        extra["If-Match" if len(body) % 2 else "If-None-Match"] = etag
    resp = http.open(url, method=method, query_string=params, data=body, headers={**headers, **extra})
    check(resp, f"{method} {url} {content_type!r} etag={etag!r} body {body[:80]!r}")


@FUZZ
@given(
    target=document_urls,
    params=st.dictionaries(
        st.sampled_from(["activityId", "agent", "stateId", "profileId", "registration", "since"]),
        st.text(max_size=40) | json_values.map(json.dumps),
        max_size=4,
    ),
    method=st.sampled_from(["GET", "PUT", "POST", "DELETE"]),
)
def test_documents_parameters(
    http: FlaskClient, headers: dict[str, str], target: tuple[str, dict[str, str]], params: dict[str, str], method: str
) -> None:
    url, _ = target
    resp = http.open(url, method=method, query_string=params, json={"a": 1}, headers=headers)
    check(resp, f"{method} {url} {params!r}")


@pytest.mark.parametrize("depth", [100, 900, 5_000])
@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("/xapi/activities/state", {"activityId": ACTIVITY, "agent": json.dumps(AGENT), "stateId": "deep"}),
        ("/xapi/activities/profile", {"activityId": ACTIVITY, "profileId": "deep"}),
        ("/xapi/agents/profile", {"agent": json.dumps(AGENT), "profileId": "deep"}),
    ],
    ids=["state", "activity-profile", "agent-profile"],
)
@pytest.mark.parametrize("method", ["PUT", "POST"])
def test_documents_deep_json(
    http: FlaskClient, headers: dict[str, str], url: str, params: dict[str, str], depth: int, method: str
) -> None:
    """POST merges JSON documents (so parses them); a deeply nested one must not blow the stack."""
    text = '{"a": ' + deep_json(depth) + "}"
    id_param = "profileId" if "profileId" in params else "stateId"
    query = {**params, id_param: f"deep-{method}-{depth}"}
    for attempt in (1, 2):  # a second POST merges into the first; a second PUT replaces it
        extra = {"Content-Type": "application/json"}
        if method == "PUT":  # profiles need a precondition under 1.0.3: create, then replace anything
            extra["If-None-Match" if attempt == 1 else "If-Match"] = "*"
        resp = http.open(url, method=method, query_string=query, data=text, headers={**headers, **extra})
        check(resp, f"{method} {url} JSON nested {depth} deep (attempt {attempt})")


def test_document_too_large(http: FlaskClient, headers: dict[str, str]) -> None:
    """A document over ``max_document_bytes`` (8 MiB) is 413 with a JSON message."""
    url, params = "/xapi/activities/profile", {"activityId": ACTIVITY, "profileId": "big"}
    resp = http.put(
        url,
        query_string=params,
        data=b"x" * (9 * 1024 * 1024),
        headers={**headers, "Content-Type": "application/octet-stream"},
    )
    check(resp, "PUT 9 MiB document")
    assert resp.status_code == 413


# --------------------------------------------------------------------------- every resource, every method


@pytest.mark.parametrize(
    "url",
    [
        "/xapi/statements",
        "/xapi/about",
        "/xapi/activities",
        "/xapi/activities/state",
        "/xapi/activities/profile",
        "/xapi/agents",
        "/xapi/agents/profile",
        "/xapi/nonexistent",
    ],
)
@pytest.mark.parametrize("method", ["GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS"])
def test_every_resource_every_method(http: FlaskClient, headers: dict[str, str], url: str, method: str) -> None:
    """Unknown routes and methods are JSON errors with the version header too (405, 404)."""
    resp = http.open(url, method=method, data=b"{}", headers={**headers, "Content-Type": "application/json"})
    check(resp, f"{method} {url}")


@pytest.mark.parametrize("url", ["/xapi/statements", "/xapi/activities/state", "/xapi/agents/profile"])
def test_unauthenticated(http: FlaskClient, url: str) -> None:
    resp = http.get(url, headers={"X-Experience-API-Version": "1.0.3"})
    check(resp, f"GET {url} without credentials")
    assert resp.status_code == 401


# --------------------------------------------------------------------------- every operation of /openapi.json

#: The LRS's own OpenAPI document (xAPI resources included): schemathesis turns each operation into
#: Hypothesis strategies of valid (positive) and invalid (negative) parameters, headers and bodies.
#: Its pytest plugin does not run under this pytest, so the cases are drawn here and sent through the
#: Flask test client of the module's app (SQLite and PostgreSQL).
OPENAPI = schemathesis.openapi.from_dict(openapi_document("/xapi"))
OPERATIONS = {result.ok().label: result.ok() for result in OPENAPI.get_all_operations()}
#: (operation, mode) pairs: invalid input only exists for operations that take parameters or a body.
CASES = [
    (label, mode)
    for label, operation in sorted(OPERATIONS.items())
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if mode == GenerationMode.POSITIVE
    or operation.body
    # a path parameter of type string has no invalid value: negative cases need a query/header parameter
    or any(p.get("in") != "path" for p in operation.definition.raw.get("parameters", []))
]
SCHEMA_FUZZ = settings(
    FUZZ,
    max_examples=8,
    # negative cases of an operation with one path parameter are mostly filtered by schemathesis itself
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


@pytest.mark.parametrize(("label", "mode"), CASES, ids=[f"{label}-{mode.value}" for label, mode in CASES])
@SCHEMA_FUZZ
@given(data=st.data())
def test_openapi_operations_never_answer_5xx(
    http: FlaskClient, headers: dict[str, str], label: str, mode: GenerationMode, data: st.DataObject
) -> None:
    """No operation of /openapi.json answers 5xx, whatever schemathesis generates for it.

    Credentials are the fuzz client's (scope ``all``) unless the case brings its own
    ``Authorization``, so both the refused and the authorised paths are exercised.
    """
    case = data.draw(OPERATIONS[label].as_strategy(generation_mode=mode))
    sent_headers = {name: str(value) for name, value in (case.headers or {}).items()}
    sent_headers.setdefault("Authorization", headers["Authorization"])
    body: Any = None
    if not isinstance(case.body, NotSet):
        if isinstance(case.body, bytes):
            body = case.body
        elif case.media_type == "application/json":
            body = json.dumps(case.body)
        else:
            body = case.body if isinstance(case.body, bytes) else str(case.body).encode("utf-8")
        sent_headers["Content-Type"] = case.media_type or "application/octet-stream"
    query = {name: value if isinstance(value, str) else json.dumps(value) for name, value in (case.query or {}).items()}
    try:
        resp = http.open(case.formatted_path, method=case.method, query_string=query, data=body, headers=sent_headers)
    except ValueError:  # werkzeug refuses to send header values with newlines
        return
    what = f"{case.method} {case.formatted_path} query={query!r} headers={sent_headers!r} body={str(body)[:200]}"
    assert resp.status_code < 500, f"{what}: {resp.status_code} {resp.get_data()[:300]!r}"
