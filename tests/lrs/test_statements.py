"""The Statement resource over HTTP, on SQLite and PostgreSQL (fixtures of conftest.py).

Each test names the xAPI rule it pins down; the ADL conformance suite checks
the same rules from outside (scripts/conformance.sh).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import uuid
from typing import Any
from urllib.parse import urlencode

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

VOIDED = "http://adlnet.gov/expapi/verbs/voided"
SIGNATURE = "http://adlnet.gov/expapi/attachments/signature"


def statement(**overrides: Any) -> dict[str, Any]:
    """A valid statement with a fresh actor, verb and activity (tests do not see each other's data)."""
    tag = uuid.uuid4().hex[:12]
    base: dict[str, Any] = {
        "actor": {"objectType": "Agent", "name": "Learner", "mbox": f"mailto:learner-{tag}@example.com"},
        "verb": {"id": f"http://example.com/verbs/{tag}", "display": {"en-US": "did", "nl-BE": "deed"}},
        "object": {"objectType": "Activity", "id": f"http://example.com/activities/{tag}",
                   "definition": {"name": {"en-US": "Course", "nl-BE": "Cursus"}}},
    }
    base.update(overrides)
    return base


class Xapi:
    """The test client with the version header (and JSON helpers) on every request."""

    def __init__(self, client: FlaskClient, version: str = "2.0.0") -> None:
        self.client = client
        self.version = version

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {"X-Experience-API-Version": self.version, **(extra or {})}

    def post(self, body: Any, headers: dict[str, str] | None = None) -> TestResponse:
        return self.client.post("/xapi/statements", json=body, headers=self.headers(headers))

    def put(self, body: Any, statement_id: str | None) -> TestResponse:
        query = f"?statementId={statement_id}" if statement_id else ""
        return self.client.put("/xapi/statements" + query, json=body, headers=self.headers())

    def get(self, headers: dict[str, str] | None = None, **params: Any) -> TestResponse:
        encoded = {k: json.dumps(v) if isinstance(v, dict) else str(v).lower() if isinstance(v, bool) else v
                   for k, v in params.items()}
        query = "?" + urlencode(encoded) if encoded else ""
        return self.client.get("/xapi/statements" + query, headers=self.headers(headers))

    def store(self, *statements: dict[str, Any]) -> list[str]:
        response = self.post(list(statements))
        assert response.status_code == 200, response.get_data(as_text=True)
        ids: list[str] = response.get_json()
        return ids

    def ids(self, **params: Any) -> list[str]:
        response = self.get(**params)
        assert response.status_code == 200, response.get_data(as_text=True)
        return [s["id"] for s in response.get_json()["statements"]]


@pytest.fixture
def xapi(client: FlaskClient) -> Xapi:
    return Xapi(client)


@pytest.fixture
def xapi103(client: FlaskClient) -> Xapi:
    return Xapi(client, "1.0.3")


def error(response: TestResponse) -> str:
    message: str = response.get_json()["error"]["message"]
    return message


# --- versions, errors, headers ----------------------------------------------------


def test_version_header_is_required_and_echoed_on_errors(client: FlaskClient) -> None:
    missing = client.get("/xapi/statements")
    assert missing.status_code == 400
    assert missing.headers["X-Experience-API-Version"] == "2.0.0"
    assert "X-Experience-API-Version" in error(missing)
    assert missing.headers["X-Experience-API-Consistent-Through"]
    unsupported = client.get("/xapi/statements", headers={"X-Experience-API-Version": "0.95"})
    assert unsupported.status_code == 400
    old_patch = client.get("/xapi/statements", headers={"X-Experience-API-Version": "1.0.1"})
    assert old_patch.status_code == 200
    assert old_patch.headers["X-Experience-API-Version"] == "1.0.3"
    assert client.get("/xapi/statements", headers={"X-Experience-API-Version": "2.0"}).headers[
        "X-Experience-API-Version"] == "2.0.0"


def test_about_needs_no_version_or_credentials(app: Any) -> None:
    response = app.test_client().get("/xapi/about")
    assert response.status_code == 200
    assert response.get_json() == {"version": ["1.0.3", "2.0.0"], "extensions": {}}
    assert response.headers["X-Experience-API-Version"] == "2.0.0"


def test_credentials_are_required(app: Any) -> None:
    response = app.test_client().get("/xapi/statements", headers={"X-Experience-API-Version": "2.0.0"})
    assert response.status_code == 401
    assert response.headers["X-Experience-API-Version"] == "2.0.0"


def test_unknown_and_wrong_case_parameters_are_rejected(xapi: Xapi) -> None:
    unknown = xapi.get(foo="bar")
    assert unknown.status_code == 400
    assert unknown.headers["X-Experience-API-Consistent-Through"]
    wrong_case = xapi.get(Limit=1)
    assert wrong_case.status_code == 400
    assert "case-sensitive" in error(wrong_case)


def test_cors_preflight_and_headers(client: FlaskClient) -> None:
    origin = {"Origin": "https://player.example.com"}
    preflight = client.options("/xapi/statements", headers={
        **origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type,x-experience-api-version"})
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://player.example.com"
    assert "x-experience-api-version" in preflight.headers["Access-Control-Allow-Headers"]
    answer = client.get("/xapi/statements", headers={**origin, "X-Experience-API-Version": "2.0.0"})
    assert "X-Experience-API-Consistent-Through" in answer.headers["Access-Control-Expose-Headers"]


# --- writing --------------------------------------------------------------------------


def test_post_single_and_batch_return_ids(xapi: Xapi) -> None:
    single = xapi.post(statement())
    assert single.status_code == 200
    assert len(single.get_json()) == 1
    given = str(uuid.uuid4())
    assert xapi.store(statement(), statement(id=given)) [1] == given


def test_put_needs_statement_id_and_answers_204(xapi: Xapi) -> None:
    assert xapi.put(statement(), None).status_code == 400
    statement_id = str(uuid.uuid4())
    assert xapi.put(statement(), statement_id).status_code == 204
    assert xapi.get(statementId=statement_id).get_json()["id"] == statement_id
    mismatch = xapi.put(statement(id=str(uuid.uuid4())), str(uuid.uuid4()))
    assert mismatch.status_code == 400


def test_same_id_same_content_is_accepted_other_content_conflicts(xapi: Xapi) -> None:
    statement_id = str(uuid.uuid4())
    original = statement(id=statement_id)
    assert xapi.put(original, statement_id).status_code == 204
    assert xapi.put(original, statement_id).status_code == 204
    changed = {**original, "verb": {"id": "http://example.com/verbs/other"}}
    assert xapi.put(changed, statement_id).status_code == 409
    assert xapi.post(changed).status_code == 409
    assert xapi.get(statementId=statement_id).get_json()["verb"]["id"] == original["verb"]["id"]


def test_batch_is_all_or_nothing(xapi: Xapi) -> None:
    good_id = str(uuid.uuid4())
    response = xapi.post([statement(id=good_id), statement(verb={"id": "should fail"})])
    assert response.status_code == 400
    assert error(response).startswith("[1].verb.id: must be an IRI")
    assert xapi.get(statementId=good_id).status_code == 404
    twice = str(uuid.uuid4())
    assert xapi.post([statement(id=twice), statement(id=twice)]).status_code == 400


def test_invalid_json_and_content_type(xapi: Xapi) -> None:
    broken = xapi.client.post("/xapi/statements", data="{not json", headers=xapi.headers(
        {"Content-Type": "application/json"}))
    assert broken.status_code == 400
    form = xapi.client.post("/xapi/statements", data=json.dumps(statement()), headers=xapi.headers(
        {"Content-Type": "multipart/form-data; boundary=x"}))
    assert form.status_code == 400


def test_lrs_sets_stored_authority_version_timestamp(xapi: Xapi, xapi103: Xapi) -> None:
    [new_id] = xapi.store(statement(stored="2001-01-01T00:00:00Z"))
    got = xapi.get(statementId=new_id)
    body = got.get_json()
    assert body["stored"] != "2001-01-01T00:00:00Z"
    assert body["timestamp"] == body["stored"]
    assert body["version"] == "2.0.0"
    assert body["authority"]["account"]["name"] == "test-client"
    stored = dt.datetime.fromisoformat(body["stored"].replace("Z", "+00:00"))
    assert got.headers["Last-Modified"] == stored.strftime("%a, %d %b %Y %H:%M:%S GMT")
    [old_id] = xapi103.store(statement())
    assert xapi103.get(statementId=old_id).get_json()["version"] == "1.0.0"
    [kept_id] = xapi103.store(statement(version="1.0.3"))
    assert xapi103.get(statementId=kept_id).get_json()["version"] == "1.0.3"


def test_2_0_converts_timestamps_to_utc(xapi: Xapi) -> None:
    [new_id] = xapi.store(statement(timestamp="2023-05-04T12:00:00-05:00"))
    assert xapi.get(statementId=new_id).get_json()["timestamp"] == "2023-05-04T17:00:00Z"


def test_context_activities_are_returned_as_arrays(xapi: Xapi) -> None:
    parent = {"id": "http://example.com/activities/parent"}
    [new_id] = xapi.store(statement(context={"contextActivities": {"parent": parent}}))
    assert xapi.get(statementId=new_id).get_json()["context"]["contextActivities"]["parent"] == [parent]


def test_limits_answer_413(store: Any, store_url: str) -> None:
    from lrs.app import create_app
    from lrs.auth import add_client
    from lrs.config import LrsConfig

    app = create_app(LrsConfig(database_url=store_url, max_batch_statements=2, max_statement_bytes=2000), store=store)
    key, secret = add_client(store, "limits", ["all"])
    auth = "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()
    limited = Xapi(app.test_client())
    too_many = limited.post([statement(), statement(), statement()], {"Authorization": auth})
    assert too_many.status_code == 413
    assert "max_batch_statements" in error(too_many)
    too_big = limited.post(statement(result={"response": "x" * 3000}), {"Authorization": auth})
    assert too_big.status_code == 413
    assert "max_statement_bytes" in error(too_big)


# --- voiding --------------------------------------------------------------------------------


def void(target: str) -> dict[str, Any]:
    return statement(verb={"id": VOIDED, "display": {"en-US": "voided"}},
                     object={"objectType": "StatementRef", "id": target})


def test_voiding(xapi: Xapi) -> None:
    [target] = xapi.store(statement())
    [voiding] = xapi.store(void(target))
    assert xapi.get(statementId=target).status_code == 404
    assert xapi.get(voidedStatementId=target).get_json()["id"] == target
    assert xapi.get(voidedStatementId=voiding).status_code == 404
    refused = xapi.post(void(voiding))
    assert refused.status_code == 400
    assert "cannot itself be voided" in error(refused)
    assert xapi.get(statementId=voiding).status_code == 200
    assert xapi.post(void(str(uuid.uuid4()))).status_code == 200  # an unknown target is not a reason to refuse


def test_voided_statement_is_hidden_but_referring_statements_match(xapi: Xapi) -> None:
    target_statement = statement()
    verb = target_statement["verb"]["id"]
    [target] = xapi.store(target_statement)
    [voiding] = xapi.store(void(target))
    reference = statement(object={"objectType": "StatementRef", "id": target})
    [ref] = xapi.store(reference)
    assert xapi.ids(verb=verb) == [ref, voiding]


def test_single_get_rejects_other_filters(xapi: Xapi) -> None:
    [new_id] = xapi.store(statement())
    assert xapi.get(statementId=new_id, format="ids", attachments=False).status_code == 200
    assert xapi.get(statementId=new_id, limit=1).status_code == 400
    assert xapi.get(statementId=new_id, voidedStatementId=new_id).status_code == 400
    assert xapi.get(statementId="wrong").status_code == 400
    assert xapi.get(statementId=str(uuid.uuid4())).status_code == 404


# --- queries ---------------------------------------------------------------------------------------


def test_query_filters(xapi: Xapi) -> None:
    registration = str(uuid.uuid4())
    instructor = {"objectType": "Agent", "mbox": f"mailto:teacher-{uuid.uuid4().hex[:8]}@example.com"}
    category = {"id": f"http://example.com/category/{uuid.uuid4().hex[:8]}"}
    first = statement(context={"registration": registration, "instructor": instructor,
                               "contextActivities": {"category": [category]}})
    second = statement(actor=first["actor"], verb=first["verb"])
    first_id, second_id = xapi.store(first, second)
    assert xapi.ids(agent=first["actor"]) == [second_id, first_id]
    assert xapi.ids(agent={"mbox": first["actor"]["mbox"].upper().replace("MAILTO", "mailto")}) == [
        second_id, first_id]
    assert xapi.ids(verb=first["verb"]["id"], ascending=True) == [first_id, second_id]
    assert xapi.ids(activity=first["object"]["id"]) == [first_id]
    assert xapi.ids(registration=registration) == [first_id]
    assert xapi.ids(agent=instructor) == []
    assert xapi.ids(agent=instructor, related_agents=True) == [first_id]
    assert xapi.ids(activity=category["id"]) == []
    assert xapi.ids(activity=category["id"], related_activities=True) == [first_id]
    stored = xapi.get(statementId=first_id).get_json()["stored"]
    assert xapi.ids(verb=first["verb"]["id"], since=stored) == [second_id]
    assert xapi.ids(verb=first["verb"]["id"], until=stored) == [first_id]
    assert xapi.ids(verb=first["verb"]["id"], limit=1) == [second_id]


@pytest.mark.parametrize(
    "params",
    [{"agent": "wrong"}, {"agent": {"objectType": "Group", "member": []}}, {"verb": "not.a.valid.iri.com/verb"},
     {"activity": "no-scheme"}, {"registration": "wrong"}, {"since": "yesterday"}, {"limit": -1},
     {"format": "short"}, {"ascending": "yes"}, {"related_agents": "1"}],
    ids=lambda p: next(iter(p)),
)
def test_query_parameter_values_are_validated(xapi: Xapi, params: dict[str, Any]) -> None:
    response = xapi.get(**params)
    assert response.status_code == 400
    assert error(response).startswith(next(iter(params)))


def test_paging_with_more(xapi: Xapi) -> None:
    verb = {"id": f"http://example.com/verbs/paged-{uuid.uuid4().hex[:8]}"}
    ids = xapi.store(*[statement(verb=verb) for _ in range(5)])
    seen: list[str] = []
    response = xapi.get(verb=verb["id"], limit=2)
    while True:
        body = response.get_json()
        assert set(body) == {"statements", "more"}
        seen += [s["id"] for s in body["statements"]]
        if not body["more"]:
            break
        assert body["more"].startswith("/xapi/statements?more=")
        response = xapi.client.get(body["more"], headers=xapi.headers())
        assert response.status_code == 200
    assert seen == list(reversed(ids))
    assert xapi.client.get("/xapi/statements?more=garbage", headers=xapi.headers()).status_code == 400


def test_limit_zero_means_server_maximum(xapi: Xapi) -> None:
    verb = {"id": f"http://example.com/verbs/{uuid.uuid4().hex[:8]}"}
    xapi.store(*[statement(verb=verb) for _ in range(3)])
    assert len(xapi.ids(verb=verb["id"], limit=0)) == 3


def test_formats(xapi: Xapi) -> None:
    group = {"objectType": "Group", "name": "G", "member": [{"name": "M", "mbox": "mailto:m@example.com"}]}
    [new_id] = xapi.store(statement(actor=group))
    exact = xapi.get(statementId=new_id).get_json()
    assert exact["verb"]["display"] == {"en-US": "did", "nl-BE": "deed"}
    ids = xapi.get(statementId=new_id, format="ids").get_json()
    assert ids["verb"] == {"id": exact["verb"]["id"]}
    assert ids["object"] == {"id": exact["object"]["id"]}
    assert ids["actor"] == {"objectType": "Group", "member": [{"mbox": "mailto:m@example.com"}]}
    canonical = xapi.get(statementId=new_id, format="canonical", headers={"Accept-Language": "nl-BE, en;q=0.5"})
    body = canonical.get_json()
    assert body["verb"]["display"] == {"nl-BE": "deed"}
    assert body["object"]["definition"]["name"] == {"nl-BE": "Cursus"}
    english = xapi.get(statementId=new_id, format="canonical", headers={"Accept-Language": "en-GB"}).get_json()
    assert english["verb"]["display"] == {"en-US": "did"}


def test_head_has_no_body(xapi: Xapi) -> None:
    response = xapi.client.head("/xapi/statements", headers=xapi.headers())
    assert response.status_code == 200
    assert response.get_data() == b""
    assert response.headers["X-Experience-API-Consistent-Through"]


def test_content_type_and_unicode(xapi: Xapi) -> None:
    display = {"ja-JP": "出席した", "ar-EG": "حضر", "en-US": "attended"}
    [new_id] = xapi.store(statement(verb={"id": "http://adlnet.gov/expapi/verbs/attended", "display": display}))
    response = xapi.get(statementId=new_id)
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert response.get_json()["verb"]["display"] == display


def test_read_mine_scope_sees_only_its_statements(app: Any, xapi: Xapi) -> None:
    from lrs.auth import add_client

    store = app.extensions["lrs_store"]
    key, secret = add_client(store, "player", ["statements/write", "statements/read/mine"])
    mine = Xapi(app.test_client())
    auth = {"Authorization": "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()}
    shared = statement()
    own: list[str] = []
    for _ in range(3):  # interleaved with another client's statements
        [theirs] = xapi.store(statement(verb=shared["verb"]))
        own += mine.post(statement(verb=shared["verb"]), auth).get_json()
    first = mine.get(auth, verb=shared["verb"]["id"], limit=2).get_json()
    assert [s["id"] for s in first["statements"]] == own[:0:-1]  # a full page of its own
    rest = mine.client.get(first["more"], headers=mine.headers(auth)).get_json()
    assert [s["id"] for s in rest["statements"]] == own[:1] and rest["more"] == ""
    assert mine.get(auth, statementId=theirs).status_code == 404


# --- attachments ----------------------------------------------------------------------------------


def multipart(parts: list[tuple[dict[str, str], bytes]], boundary: str = "xapi-test-boundary") -> tuple[bytes, str]:
    chunks = []
    for headers, content in parts:
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        chunks.append(f"--{boundary}\r\n{head}\r\n".encode() + content + b"\r\n")
    return b"".join(chunks) + f"--{boundary}--\r\n".encode(), f"multipart/mixed; boundary={boundary}"


def with_attachment(content: bytes, usage: str = "http://example.com/usage/essay") -> tuple[dict[str, Any], str]:
    sha2 = hashlib.sha256(content).hexdigest()
    meta = {"usageType": usage, "display": {"en-US": "essay"}, "contentType": "text/plain", "length": len(content),
            "sha2": sha2}
    return statement(attachments=[meta]), sha2


def post_multipart(xapi: Xapi, first: Any, parts: list[tuple[dict[str, str], bytes]]) -> TestResponse:
    body, content_type = multipart([({"Content-Type": "application/json"}, json.dumps(first).encode()), *parts])
    return xapi.client.post("/xapi/statements", data=body, headers=xapi.headers({"Content-Type": content_type}))


def test_attachments_round_trip(xapi: Xapi) -> None:
    content = f"my essay {uuid.uuid4()}".encode()
    stmt, sha2 = with_attachment(content)
    part = ({"Content-Type": "text/plain", "Content-Transfer-Encoding": "binary", "X-Experience-API-Hash": sha2},
            content)
    response = post_multipart(xapi, stmt, [part])
    assert response.status_code == 200, response.get_data(as_text=True)
    [new_id] = response.get_json()
    plain = xapi.get(statementId=new_id)
    assert plain.headers["Content-Type"].startswith("application/json")
    with_bytes = xapi.get(statementId=new_id, attachments=True)
    assert with_bytes.headers["Content-Type"].startswith("multipart/mixed; boundary=")
    raw = with_bytes.get_data()
    assert content in raw
    assert raw.count(sha2.encode()) == 2
    listed = xapi.get(attachments=True, verb=stmt["verb"]["id"])
    assert content in listed.get_data()


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({"Content-Type": "text/plain", "Content-Transfer-Encoding": "binary"}, "no X-Experience-API-Hash"),
        ({"Content-Type": "text/plain", "X-Experience-API-Hash": "HASH"}, "Content-Transfer-Encoding: binary"),
        ({"Content-Type": "text/plain", "Content-Transfer-Encoding": "binary", "X-Experience-API-Hash": "0" * 64},
         "does not match"),
    ],
)
def test_attachment_part_rules(xapi: Xapi, headers: dict[str, str], message: str) -> None:
    content = b"attachment bytes"
    stmt, sha2 = with_attachment(content)
    headers = {k: v.replace("HASH", sha2) for k, v in headers.items()}
    response = post_multipart(xapi, stmt, [(headers, content)])
    assert response.status_code == 400
    assert message in error(response)


def test_attachment_data_must_match_the_statements(xapi: Xapi) -> None:
    stmt, _ = with_attachment(b"declared but never sent " + uuid.uuid4().bytes)
    missing = xapi.post(stmt)
    assert missing.status_code == 400
    assert "no fileUrl" in error(missing)
    extra = b"not declared"
    part = ({"Content-Type": "text/plain", "Content-Transfer-Encoding": "binary",
             "X-Experience-API-Hash": hashlib.sha256(extra).hexdigest()}, extra)
    assert post_multipart(xapi, statement(), [part]).status_code == 400
    text_first, content_type = multipart([({"Content-Type": "text/plain"}, b"{}")])
    first_not_json = xapi.client.post("/xapi/statements", data=text_first,
                                      headers=xapi.headers({"Content-Type": content_type}))
    assert first_not_json.status_code == 400
    no_boundary = xapi.client.post("/xapi/statements", data=b"{}", headers=xapi.headers(
        {"Content-Type": "multipart/mixed"}))
    assert no_boundary.status_code == 400
    with_url, _ = with_attachment(b"elsewhere")
    with_url["attachments"][0]["fileUrl"] = "http://example.com/essay.txt"
    assert xapi.post(with_url).status_code == 200


# --- signed statements -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def signer() -> tuple[rsa.RSAPrivateKey, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "LRS test signer")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    der = certificate.public_bytes(serialization.Encoding.DER)
    return key, base64.b64encode(der).decode()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def jws(key: rsa.RSAPrivateKey, payload: Any, header: dict[str, Any]) -> bytes:
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(payload).encode())}"
    algorithm = {"RS256": hashes.SHA256(), "RS384": hashes.SHA384(), "RS512": hashes.SHA512()}.get(
        header["alg"], hashes.SHA256())
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), algorithm)
    return f"{signing_input}.{b64url(signature)}".encode()


def post_signed(xapi: Xapi, signed: dict[str, Any], token: bytes, content_type: str = "application/octet-stream"
                ) -> TestResponse:
    sha2 = hashlib.sha256(token).hexdigest()
    body = {**signed, "attachments": [{"usageType": SIGNATURE, "display": {"en-US": "signature"},
                                       "contentType": content_type, "length": len(token), "sha2": sha2}]}
    part = ({"Content-Type": content_type, "Content-Transfer-Encoding": "binary", "X-Experience-API-Hash": sha2},
            token)
    return post_multipart(xapi, body, [part])


@pytest.mark.parametrize("alg", ["RS256", "RS384", "RS512"])
def test_signed_statement_is_accepted(xapi: Xapi, signer: tuple[rsa.RSAPrivateKey, str], alg: str) -> None:
    key, certificate = signer
    signed = statement(id=str(uuid.uuid4()), result={"duration": "PT1.25S"})
    response = post_signed(xapi, signed, jws(key, signed, {"alg": alg, "x5c": [certificate]}))
    assert response.status_code == 200, response.get_data(as_text=True)
    stored = xapi.get(statementId=signed["id"], attachments=True)
    assert b"X-Experience-API-Hash" in stored.get_data()


def test_signed_statement_comparison_ignores_extra_duration_precision(
    xapi: Xapi, signer: tuple[rsa.RSAPrivateKey, str]
) -> None:
    key, _ = signer
    signed = statement(result={"duration": "PT1.25S"})
    sent = {**signed, "result": {"duration": "PT1.2567S"}}
    assert post_signed(xapi, sent, jws(key, signed, {"alg": "RS256"})).status_code == 200


def test_malformed_signatures_are_rejected(xapi: Xapi, signer: tuple[rsa.RSAPrivateKey, str]) -> None:
    key, certificate = signer
    signed = statement()
    tampered = {**signed, "verb": {"id": "http://example.com/verbs/other"}}
    mismatch = post_signed(xapi, tampered, jws(key, signed, {"alg": "RS256"}))
    assert mismatch.status_code == 400
    assert "does not match" in error(mismatch)
    assert post_signed(xapi, signed, jws(key, signed, {"alg": "HS256"})).status_code == 400
    assert post_signed(xapi, signed, b"not.a-jws").status_code == 400
    bad_type = post_signed(xapi, signed, jws(key, signed, {"alg": "RS256"}), "text/plain")
    assert bad_type.status_code == 400
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = post_signed(xapi, signed, jws(other_key, signed, {"alg": "RS256", "x5c": [certificate]}))
    assert forged.status_code == 400
    assert "does not verify" in error(forged)


# --- alternate request syntax (1.0.3 only) ------------------------------------------------------------------


def test_alternate_syntax_put_and_get_in_1_0_3(app: Any, client: FlaskClient) -> None:
    auth = client.environ_base["HTTP_AUTHORIZATION"]
    bare = app.test_client()
    statement_id = str(uuid.uuid4())
    form = {"statementId": statement_id, "content": json.dumps(statement()), "X-Experience-API-Version": "1.0.3",
            "Authorization": auth, "Content-Type": "application/json"}
    put = bare.post("/xapi/statements?method=PUT", data=form)
    assert put.status_code == 204, put.get_data(as_text=True)
    got = bare.post("/xapi/statements?method=GET", data={"statementId": statement_id, "Authorization": auth,
                                                          "X-Experience-API-Version": "1.0.3"})
    assert got.status_code == 200
    assert got.get_json()["id"] == statement_id
    assert got.headers["X-Experience-API-Version"] == "1.0.3"


@pytest.mark.parametrize(
    ("method", "query", "data", "version"),
    [
        ("post", "?method=GET", {}, "2.0.0"),
        ("put", "?method=POST", {}, "1.0.3"),
        ("post", "?method=PUT&statementId=" + str(uuid.uuid4()), {"content": "{}"}, "1.0.3"),
        ("post", "?method=PUT", {"X-Experience-API-Version": "0.8", "statementId": str(uuid.uuid4()), "content": "{}"},
         "1.0.3"),
    ],
    ids=["2.0-refuses", "not-a-post", "extra-query-parameter", "form-version-header"],
)
def test_alternate_syntax_rejections(
    client: FlaskClient, method: str, query: str, data: dict[str, str], version: str
) -> None:
    response = getattr(client, method)("/xapi/statements" + query, data=data,
                                       headers={"X-Experience-API-Version": version})
    assert response.status_code == 400
    assert "X-Experience-API-Version" in response.headers
