"""multipart/mixed bodies: statements with attachments in, and out (``attachments=true``).

xAPI (1.0.3 Communication §1.5.2, 2.0 §4.1.3) sends attachment bytes as a
multipart/mixed request: the statement(s) as the first, application/json
part; every further part one attachment, with ``X-Experience-API-Hash`` (its
sha2) and ``Content-Transfer-Encoding: binary``. Parsing is strict because the
conformance suite checks each rule, and every violation is a 400 naming the
part.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from lrs.store.interface import Attachment, AttachmentInfo


class MultipartError(ValueError):
    """The body is not an acceptable xAPI multipart/mixed message."""


@dataclass(frozen=True)
class Part:
    """One body part: lower-cased header names, raw bytes."""

    headers: dict[str, str]
    body: bytes = field(repr=False)

    @property
    def content_type(self) -> str:
        """The bare media type ('' when the part has no Content-Type)."""
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def boundary_of(content_type: str) -> str:
    """The ``boundary`` parameter of a multipart Content-Type header."""
    for param in content_type.split(";")[1:]:
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "boundary":
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            if value:
                return value
    raise MultipartError("Content-Type multipart/mixed needs a boundary parameter")


def split_parts(body: bytes, boundary: str) -> list[Part]:
    """Parts of a multipart body (RFC 2046 §5.1.1; preamble and epilogue ignored)."""
    delimiter = b"--" + boundary.encode("latin-1")
    if body.startswith(delimiter):
        pos = len(delimiter)
    else:
        found = body.find(b"\r\n" + delimiter)
        if found < 0:
            raise MultipartError("the body has no part: the boundary line was not found")
        pos = found + 2 + len(delimiter)
    parts: list[Part] = []
    while True:
        if body[pos : pos + 2] == b"--":
            return parts
        line_end = body.find(b"\r\n", pos)
        if line_end < 0 or body[pos:line_end].strip(b" \t"):
            raise MultipartError("a boundary line is malformed")
        start = line_end + 2
        end = body.find(b"\r\n" + delimiter, start)
        if end < 0:
            raise MultipartError("the closing boundary (--boundary--) is missing")
        parts.append(_parse_part(body[start:end]))
        pos = end + 2 + len(delimiter)


def _parse_part(raw: bytes) -> Part:
    if raw.startswith(b"\r\n"):
        return Part({}, raw[2:])
    head, sep, content = raw.partition(b"\r\n\r\n")
    if not sep:
        raise MultipartError("a part has no blank line between its headers and its content")
    headers: dict[str, str] = {}
    for line in head.decode("latin-1").split("\r\n"):
        name, colon, value = line.partition(":")
        if not colon or not name.strip():
            raise MultipartError(f"malformed part header line {line[:60]!r}")
        headers[name.strip().lower()] = value.strip()
    return Part(headers, content)


def sha2_hex(data: bytes, length: int = 64) -> str:
    """SHA-2 of ``data`` in the variant a hex digest of ``length`` characters implies."""
    algorithm = {56: hashlib.sha224, 64: hashlib.sha256, 96: hashlib.sha384, 128: hashlib.sha512}.get(length)
    return (algorithm or hashlib.sha256)(data).hexdigest()


@dataclass(frozen=True)
class StatementUpload:
    """A statements request split into its JSON and its attachment bytes by sha2."""

    json_bytes: bytes
    attachments: dict[str, Attachment]


def parse_statement_request(content_type: str, body: bytes) -> StatementUpload:
    """Split a multipart/mixed statements request, checking the xAPI part rules."""
    parts = split_parts(body, boundary_of(content_type))
    if not parts:
        raise MultipartError("the multipart body has no parts")
    first = parts[0]
    if first.content_type != "application/json":
        raise MultipartError("the first part must be the statements, with Content-Type application/json")
    attachments: dict[str, Attachment] = {}
    for number, part in enumerate(parts[1:], start=2):
        sha2 = part.headers.get("x-experience-api-hash", "").strip().lower()
        if not sha2:
            raise MultipartError(f"part {number} has no X-Experience-API-Hash header")
        if part.headers.get("content-transfer-encoding", "").strip().lower() != "binary":
            raise MultipartError(f"part {number} needs Content-Transfer-Encoding: binary")
        if sha2_hex(part.body, len(sha2)) != sha2:
            raise MultipartError(f"part {number}: X-Experience-API-Hash does not match the SHA-2 of its content")
        attachments[sha2] = Attachment(sha2=sha2, content_type=part.headers.get("content-type", ""), content=part.body)
    return StatementUpload(first.body, attachments)


def attachment_hashes(statement: Mapping[str, Any]) -> list[tuple[str, bool]]:
    """(sha2, has fileUrl) of a statement's attachments (sub-statement's included)."""
    found: list[tuple[str, bool]] = []
    for part in (statement, statement.get("object")):
        if not isinstance(part, Mapping):
            continue
        for item in part.get("attachments") or []:
            if isinstance(item, Mapping) and isinstance(item.get("sha2"), str):
                found.append((item["sha2"].lower(), "fileUrl" in item))
    return found


#: Bytes of an attachment read from the store and sent at a time: the response's memory,
#: whatever the size of the attachments (up to ``max_attachment_bytes`` each, a page of them).
STREAM_CHUNK_BYTES: Final = 1024 * 1024


@dataclass(frozen=True)
class MultipartStream:
    """A multipart/mixed response to send as it is produced: chunks, exact length, Content-Type."""

    chunks: Iterator[bytes]
    length: int
    content_type: str


def stream_multipart(
    first: bytes,
    attachments: Sequence[AttachmentInfo],
    read: Callable[[str, int], Iterable[bytes]],
    chunk_bytes: int = STREAM_CHUNK_BYTES,
) -> MultipartStream:
    """The ``attachments=true`` answer: JSON first, then each attachment, read chunk by chunk.

    ``read(sha2, chunk_bytes)`` yields an attachment's stored bytes
    (:meth:`lrs.store.interface.Store.attachment_chunks`). Nothing is read
    before the response is sent, and at most one chunk is held at a time,
    so a page of large attachments costs a constant amount of memory. The
    length is known up front from the stored sizes; if the bytes read do
    not match them (an attachment erased meanwhile), the generator raises
    and the server drops the connection instead of sending a wrong body.
    """
    boundary = "xapi-" + secrets.token_hex(16)
    delimiter = f"--{boundary}\r\n".encode("ascii")
    head = delimiter + b"Content-Type: application/json; charset=utf-8\r\n\r\n"
    part_heads = [
        delimiter
        + f"Content-Type: {_header_value(info.content_type) or 'application/octet-stream'}\r\n".encode(
            "latin-1", "replace"
        )
        + b"Content-Transfer-Encoding: binary\r\n"
        + f"X-Experience-API-Hash: {info.sha2}\r\n\r\n".encode("ascii")
        for info in attachments
    ]
    closing = f"--{boundary}--\r\n".encode("ascii")
    sizes = sum(len(part_head) + info.size + 2 for part_head, info in zip(part_heads, attachments, strict=True))
    length = len(head) + len(first) + 2 + sizes + len(closing)

    def chunks() -> Iterator[bytes]:
        yield head + first + b"\r\n"
        for part_head, info in zip(part_heads, attachments, strict=True):
            yield part_head
            sent = 0
            for chunk in read(info.sha2, chunk_bytes):
                sent += len(chunk)
                if sent > info.size:
                    break
                yield chunk
            if sent != info.size:
                raise MultipartError(f"attachment {info.sha2} changed while it was being sent")
            yield b"\r\n"
        yield closing

    return MultipartStream(chunks(), length, f"multipart/mixed; boundary={boundary}")


def _header_value(value: str) -> str:
    """A stored Content-Type as a header value: no line breaks can end the header early."""
    return " ".join(value.split())
