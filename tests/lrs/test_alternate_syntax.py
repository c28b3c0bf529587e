"""The 1.0.3 alternate request syntax reads its form as a stream, with bounded fields.

The memory bound itself is measured on a real worker in ``test_memory.py``;
here: the streamed parse means exactly what ``parse_qsl`` meant, whatever
the chunking, and the limits answer 400s that name the field.
"""

from __future__ import annotations

import io
import json
import uuid
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import pytest
from flask.testing import FlaskClient
from hypothesis import given, settings
from hypothesis import strategies as st

from lrs.api import form_stream
from lrs.api.form_stream import MAX_FIELD_BYTES, MAX_FIELDS, FormError, percent_decode, read_form


class _Trickle(io.BytesIO):
    """A client body that arrives a few bytes at a time (splitting escapes and fields anywhere)."""

    def __init__(self, data: bytes, step: int) -> None:
        super().__init__(data)
        self.step = step

    def read(self, size: int | None = -1) -> bytes:
        return super().read(self.step if size is None or size < 0 else min(size, self.step))


def _old_parse(raw: bytes) -> list[tuple[str, str]] | None:
    """What the alternate syntax did before it streamed (None: refused)."""
    try:
        return parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(raw))
    except (UnicodeDecodeError, ValueError):
        return None


def _new_parse(raw: bytes, step: int) -> list[tuple[str, str]] | None:
    try:
        form = read_form(_Trickle(raw, step).read, len(raw))
    except FormError:
        return None
    fields = list(form.fields)
    if form.content is not None:
        fields.append(("content", form.content.read().decode("utf-8")))
    return fields


_ALPHABET = st.sampled_from(["%", "%4", "%41", "%e9", "%C3%A9", "%zz", "=", "&", "+", "a", "F", "é", " ", "\r\n", "_"])


@settings(max_examples=400, deadline=None)
@given(
    names=st.lists(st.sampled_from(["content", "a", "Authorization", "x%2By", "content "]), min_size=1, max_size=4),
    values=st.lists(st.lists(_ALPHABET, max_size=12).map("".join), min_size=4, max_size=4),
    step=st.integers(min_value=1, max_value=7),
)
def test_streamed_form_means_what_parse_qsl_meant(names: list[str], values: list[str], step: int) -> None:
    raw = "&".join(f"{name}={value}" for name, value in zip(names, values, strict=False)).encode()
    expected = _old_parse(raw)
    got = _new_parse(raw, step)
    if expected is None:
        assert got is None
        return
    assert got is not None
    # "content" is kept apart (the last one wins); every other field keeps its order
    content = [value for name, value in expected if name == "content"]
    assert [f for f in got if f[0] != "content"] == [f for f in expected if f[0] != "content"]
    assert [value for name, value in got if name == "content"] == content[-1:]


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=300), step=st.integers(min_value=1, max_value=5))
def test_content_decoding_matches_urllib_on_any_bytes(data: bytes, step: int) -> None:
    encoded = quote(data.decode("latin-1"), safe="", encoding="latin-1").encode()
    assert percent_decode(encoded) == data
    raw = b"content=" + encoded
    assert _new_parse(raw, step) == _old_parse(raw)


@pytest.mark.parametrize("raw", [b"a=1&", b"&a=1", b"a=1&&b=2", b"noequals", b"a=1&b", b"\xff=1", b"a=\xc3"], ids=repr)
def test_malformed_forms_are_refused_as_before(raw: bytes) -> None:
    assert _old_parse(raw) is None
    assert _new_parse(raw, 2) is None


V1 = {"X-Experience-API-Version": "1.0.3"}


def _statement() -> dict[str, Any]:
    return {
        "actor": {"mbox": "mailto:learner@example.org"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attempted"},
        "object": {"id": "http://example.org/activity"},
    }


def _auth(client: FlaskClient) -> str:
    header: str = client.environ_base["HTTP_AUTHORIZATION"]
    return header


def test_a_field_over_the_limit_is_a_400_naming_it(app: Any, client: FlaskClient) -> None:
    form = {"Authorization": _auth(client), "X-Experience-API-Version": "1.0.3", "agent": "x" * (MAX_FIELD_BYTES + 1)}
    response = app.test_client().post(
        "/xapi/statements?method=GET", data=urlencode(form), content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert "'agent'" in response.get_json()["error"]["message"]
    assert str(MAX_FIELD_BYTES) in response.get_json()["error"]["message"]


def test_too_many_fields_is_a_400(app: Any) -> None:
    form = "&".join(f"f{n}=1" for n in range(MAX_FIELDS + 1))
    response = app.test_client().post(
        "/xapi/statements?method=GET", data=form, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert f"more than {MAX_FIELDS} fields" in response.get_json()["error"]["message"]


def test_a_content_length_that_is_not_a_number_is_a_400(app: Any) -> None:
    response = app.test_client().post(
        "/xapi/statements?method=GET",
        data=b"a=1",
        content_type="application/x-www-form-urlencoded",
        environ_overrides={"CONTENT_LENGTH": "-1"},  # read(-1) would read the body whatever its size
    )
    assert response.status_code == 400
    assert "Content-Length" in response.get_json()["error"]["message"]


def test_an_oversized_form_is_refused_before_it_is_read(app: Any) -> None:
    class Unreadable(io.BytesIO):
        def read(self, _size: int | None = -1) -> bytes:
            raise AssertionError("the body was read")

        def readinto(self, _buffer: Any) -> int:
            raise AssertionError("the body was read")

    limit = app.config["LRS"].max_request_bytes
    response = app.test_client().post(
        "/xapi/statements?method=PUT",
        input_stream=Unreadable(),
        content_type="application/x-www-form-urlencoded",
        environ_overrides={"CONTENT_LENGTH": str(limit + 1)},
    )
    assert response.status_code == 413
    assert "larger than this LRS accepts" in response.get_json()["error"]["message"]


def test_a_large_content_goes_through_the_disk_spool_intact(app: Any, client: FlaskClient, monkeypatch: Any) -> None:
    """A document far over the in-memory spool, every byte escaped, with escapes split across reads."""
    monkeypatch.setattr(form_stream, "CHUNK_BYTES", 1000)  # an odd size: escapes straddle the reads
    document = json.dumps({"text": "é%+&= " * 400_000})  # ~ 2.8 MB of text
    assert len(document.encode()) > form_stream.SPOOL_MEMORY_BYTES
    agent = json.dumps({"mbox": "mailto:learner@example.org"})
    params = {"activityId": "http://example.org/activity", "agent": agent, "stateId": str(uuid.uuid4())}
    form = {
        **params,
        "Authorization": _auth(client),
        "X-Experience-API-Version": "1.0.3",
        "Content-Type": "application/json",
        "content": document,
    }
    put = app.test_client().post(
        "/xapi/activities/state?method=PUT",
        data=urlencode(form, quote_via=quote),
        content_type="application/x-www-form-urlencoded",
    )
    assert put.status_code == 204, put.get_data(as_text=True)
    got = client.get("/xapi/activities/state", query_string=params, headers=V1)
    assert got.status_code == 200
    assert got.get_data(as_text=True) == document


def test_a_statement_put_through_the_form_is_stored(app: Any, client: FlaskClient) -> None:
    statement_id = str(uuid.uuid4())
    form = {
        "statementId": statement_id,
        "content": json.dumps(_statement()),
        "X-Experience-API-Version": "1.0.3",
        "Authorization": _auth(client),
    }
    put = app.test_client().post(
        "/xapi/statements?method=PUT", data=urlencode(form), content_type="application/x-www-form-urlencoded"
    )
    assert put.status_code == 204, put.get_data(as_text=True)
    got = client.get("/xapi/statements", query_string={"statementId": statement_id}, headers=V1)
    assert got.get_json()["verb"]["id"] == _statement()["verb"]["id"]
