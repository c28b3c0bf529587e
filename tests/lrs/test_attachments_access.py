"""Attachment bytes are served only through the statements they came with, and streamed.

Issue #10 item 4: a statement that lists another client's sha2 with a
``fileUrl`` must not serve that client's bytes. Item 8: the
``attachments=true`` answer is streamed from the store a chunk at a time
(the memory bound on a real worker is measured in ``test_memory.py``).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import uuid
from typing import Any

import pytest
from flask.testing import FlaskClient

from lrs.auth import add_client
from lrs.store.interface import Attachment, AttachmentInfo, StoreError
from lrs.store.sql import SqlStore
from lrs.xapi.multipart import MultipartError, boundary_of, split_parts, stream_multipart
from tests.lrs.test_store import make

V2 = {"X-Experience-API-Version": "2.0.0"}
OTHER_KEY = "other-client"
OTHER_SECRET = "other-secret-0123456789abcdef0123456789"


def _statement(**extra: Any) -> dict[str, Any]:
    return {
        "actor": {"mbox": "mailto:learner@example.org"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attempted"},
        "object": {"id": "http://example.org/activity"},
        **extra,
    }


def _meta(content: bytes, **extra: Any) -> dict[str, Any]:
    return {
        "usageType": "http://example.com/usage/essay",
        "display": {"en-US": "essay"},
        "contentType": "application/octet-stream",
        "length": len(content),
        "sha2": hashlib.sha256(content).hexdigest(),
        **extra,
    }


def _post_with_bytes(client: FlaskClient, statement: dict[str, Any], content: bytes) -> str:
    sha2 = hashlib.sha256(content).hexdigest()
    boundary = "test-boundary"
    body = (
        (
            f"--{boundary}\r\nContent-Type: application/json\r\n\r\n{json.dumps(statement)}\r\n"
            f"--{boundary}\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n"
            f"X-Experience-API-Hash: {sha2}\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = client.post(
        "/xapi/statements", data=body, headers={**V2, "Content-Type": f"multipart/mixed; boundary={boundary}"}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    [statement_id] = response.get_json()
    return str(statement_id)


def _parts(response: Any) -> list[Any]:
    assert response.status_code == 200
    return split_parts(response.get_data(), boundary_of(response.headers["Content-Type"]))


@pytest.fixture
def other(app: Any, store: SqlStore) -> FlaskClient:
    """A second client that reads only its own statements."""
    add_client(store, "other", ["statements/write", "statements/read/mine"], key=OTHER_KEY, secret=OTHER_SECRET)
    bare: FlaskClient = app.test_client()
    token = base64.b64encode(f"{OTHER_KEY}:{OTHER_SECRET}".encode()).decode()
    bare.environ_base["HTTP_AUTHORIZATION"] = f"Basic {token}"
    return bare


def test_a_statement_naming_another_clients_sha2_does_not_serve_its_bytes(
    client: FlaskClient, other: FlaskClient
) -> None:
    secret_bytes = b"client A's private essay " + uuid.uuid4().bytes
    _post_with_bytes(client, _statement(attachments=[_meta(secret_bytes)]), secret_bytes)
    # client B knows the sha2 (it is in A's statement, which B cannot read, or guessed) and lists it with a fileUrl
    forged = _statement(attachments=[_meta(secret_bytes, fileUrl="https://attacker.example/x")])
    posted = other.post("/xapi/statements", json=forged, headers=V2)
    assert posted.status_code == 200, posted.get_data(as_text=True)
    [forged_id] = posted.get_json()

    single = other.get("/xapi/statements", query_string={"statementId": forged_id, "attachments": "true"}, headers=V2)
    listed = other.get("/xapi/statements", query_string={"attachments": "true"}, headers=V2)
    for response in (single, listed):
        parts = _parts(response)
        assert [p.content_type for p in parts] == ["application/json"]  # the statements, no attachment part
        assert secret_bytes not in response.get_data()


def test_the_uploader_gets_its_bytes_streamed_with_an_exact_length(client: FlaskClient) -> None:
    content = bytes(range(256)) * 5000 + b"end"  # > 1 MiB: more than one chunk
    statement_id = _post_with_bytes(client, _statement(attachments=[_meta(content)]), content)
    response = client.get(
        "/xapi/statements", query_string={"statementId": statement_id, "attachments": "true"}, headers=V2
    )
    assert response.is_streamed
    assert int(response.headers["Content-Length"]) == len(response.get_data())
    first, attachment = _parts(response)
    assert json.loads(first.body)["id"] == statement_id
    assert attachment.body == content
    assert attachment.headers["x-experience-api-hash"] == hashlib.sha256(content).hexdigest()


def test_store_lists_only_the_bytes_a_statement_came_with(store: SqlStore) -> None:
    blob = Attachment(hashlib.sha256(b"bytes").hexdigest(), "text/plain", b"bytes")
    carrier = make(attachments=(blob.sha2,))
    plain = make()
    listing = [_meta(b"bytes", fileUrl="https://x.example/")]  # names the sha2; no bytes came with it
    lister = dataclasses.replace(plain, statement={**plain.statement, "attachments": listing})
    store.insert_statements([carrier, lister], [blob])
    assert store.statement_attachments([carrier.id]) == [AttachmentInfo(blob.sha2, "text/plain", 5)]
    assert store.statement_attachments([lister.id]) == []
    assert store.statement_attachments([]) == []


@pytest.mark.parametrize("size", [0, 1, 6, 7, 13])
def test_attachment_chunks_read_every_byte_in_order(store: SqlStore, size: int) -> None:
    content = bytes((n * 7) % 256 for n in range(size))
    blob = Attachment(hashlib.sha256(content).hexdigest(), "application/octet-stream", content)
    store.insert_statements([make(attachments=(blob.sha2,))], [blob])
    chunks = list(store.attachment_chunks(blob.sha2, 3))
    assert b"".join(chunks) == content
    assert all(len(chunk) == 3 for chunk in chunks[:-1])


def test_an_attachment_erased_midway_aborts_the_stream(store: SqlStore) -> None:
    actor = {"mbox": "mailto:gone@example.org"}
    content = b"0123456789"
    blob = Attachment(hashlib.sha256(content).hexdigest(), "text/plain", content)
    carrier = make(actor=actor, attachments=(blob.sha2,))
    store.insert_statements([carrier], [blob])
    [info] = store.statement_attachments([carrier.id])
    chunks = store.attachment_chunks(blob.sha2, 4)
    assert next(chunks) == b"0123"
    store.erase_agent("mbox:mailto:gone@example.org")
    with pytest.raises(StoreError):
        next(chunks)
    # the response never completes with a short part: its generator raises instead
    stream = stream_multipart(b"{}", [info], lambda _sha2, _size: iter([b"0123"]))
    with pytest.raises(MultipartError):
        b"".join(stream.chunks)


def test_head_announces_the_length_without_reading_the_bytes(client: FlaskClient) -> None:
    content = b"head request " + uuid.uuid4().bytes
    statement_id = _post_with_bytes(client, _statement(attachments=[_meta(content)]), content)
    query = {"statementId": statement_id, "attachments": "true"}
    got = client.get("/xapi/statements", query_string=query, headers=V2)
    head = client.head("/xapi/statements", query_string=query, headers=V2)
    assert head.status_code == 200
    assert head.get_data() == b""
    # the boundary is random per response; everything else has the same length
    assert head.headers["Content-Length"] == got.headers["Content-Length"] == str(len(got.get_data()))
