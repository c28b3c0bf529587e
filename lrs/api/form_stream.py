"""Reading an ``application/x-www-form-urlencoded`` body as a stream, in constant memory.

The xAPI 1.0.3 alternate request syntax (see :class:`lrs.api.common.AlternateSyntax`)
puts the whole request in a form: headers, parameters, and the body as the
``content`` field. That form arrives before any credentials are checked (the
``Authorization`` header is one of its fields), so it must not cost memory in
proportion to its size: :func:`read_form` reads it in chunks of
:data:`CHUNK_BYTES`, keeps every field but ``content`` in memory under
:data:`MAX_FIELD_BYTES` each (at most :data:`MAX_FIELDS` of them), and
percent-decodes ``content`` chunk by chunk into a file that stays in memory
up to :data:`SPOOL_MEMORY_BYTES` and goes to disk beyond.

The result equals :func:`urllib.parse.parse_qsl` with ``keep_blank_values``
and ``strict_parsing`` on the decoded body (``content`` UTF-8 encoded), which
is what the alternate syntax did before it streamed.
"""

from __future__ import annotations

import binascii
import codecs
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Final
from urllib.parse import unquote

#: Bytes read from the client at a time.
CHUNK_BYTES: Final = 16 * 1024
#: Longest field name or value other than ``content`` (as sent, percent-encoded). The fields
#: stand for headers and query parameters, which gunicorn caps at 8190 bytes per header line
#: and 4094 for the whole request line: a form field needs no more than a header could carry.
MAX_FIELD_BYTES: Final = 8 * 1024
#: Most fields other than ``content``: six header fields and the dozen or so parameters of
#: the richest resource (GET /statements) fit many times over.
MAX_FIELDS: Final = 50
#: Decoded ``content`` kept in memory; a larger body goes to a temporary file.
SPOOL_MEMORY_BYTES: Final = 256 * 1024
#: The form field holding the request body.
CONTENT_FIELD: Final = "content"

#: A ``%`` not followed by two hex digits: kept literally, like :func:`urllib.parse.unquote` does.
_STRAY_PERCENT: Final = re.compile(rb"%(?![0-9A-Fa-f]{2})")
_TO_QP: Final = bytes.maketrans(b"%+", b"= ")


class FormError(ValueError):
    """The body is not an acceptable form; the message says why (for a 400)."""


def percent_decode(raw: bytes) -> bytes:
    """``raw`` with ``+`` as space and ``%XX`` escapes decoded (bytes; stray ``%`` kept).

    The same as ``urllib.parse.unquote_to_bytes(raw.replace(b"+", b" "))``,
    which loops in Python over every escape (seconds for a 60 MB body of
    ``%41``). Here the escapes are rewritten into quoted-printable's
    ``=XX`` and decoded by :func:`binascii.a2b_qp` in C: literal ``=``
    becomes ``=3D`` and a stray ``%`` ``=25`` first, so every ``=`` the
    decoder sees starts a valid escape and none of its other rules (soft
    line breaks) can apply.
    """
    escaped = _STRAY_PERCENT.sub(b"=25", raw.replace(b"=", b"=3D"))
    return binascii.a2b_qp(escaped.translate(_TO_QP))


class _ContentDecoder:
    """Percent-decodes the ``content`` value piece by piece into ``sink`` (UTF-8 text, as before).

    An escape may be split between two reads (``...%4`` then ``1...``): the
    last two bytes are held back while they hold a ``%``. Decoded bytes
    that are not UTF-8 become U+FFFD, as :func:`urllib.parse.unquote` does.
    """

    def __init__(self, sink: IO[bytes]) -> None:
        self.sink = sink
        self.held = b""
        self.text = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def feed(self, piece: bytes) -> None:
        data = self.held + piece
        cut = data.rfind(b"%", max(len(data) - 2, 0))
        if cut < 0:
            cut = len(data)
        self.held = data[cut:]
        self._write(data[:cut], final=False)

    def finish(self) -> None:
        self._write(self.held, final=True)
        self.held = b""

    def _write(self, raw: bytes, *, final: bool) -> None:
        decoded = percent_decode(raw) if raw else b""
        self.sink.write(self.text.decode(decoded, final=final).encode("utf-8"))


@dataclass
class Form:
    """A parsed form: the small fields in order, and ``content`` (None when absent) as a file at 0."""

    fields: list[tuple[str, str]]
    content: IO[bytes] | None


def read_form(read: Callable[[int], bytes], length: int) -> Form:
    """Parse ``length`` bytes of a form read through ``read``, in constant memory.

    Raises :class:`FormError` naming the field over a limit, or when the body
    is not a strict form (every field ``name=value``, joined by ``&``, UTF-8).
    """
    parser = _Parser()
    remaining = length
    try:
        while remaining > 0:
            chunk = read(min(CHUNK_BYTES, remaining))
            if not chunk:
                break  # the client sent less than it announced: parse what came
            remaining -= len(chunk)
            parser.feed(chunk)
        return parser.finish()
    except BaseException:
        parser.discard()
        raise


class _Parser:
    """The state of :func:`read_form` between chunks."""

    def __init__(self) -> None:
        self.fields: list[tuple[str, str]] = []
        self.spool: IO[bytes] | None = None
        self.started = False
        self.name = bytearray()
        self.value = bytearray()
        self.in_value = False
        self.field_name = ""
        self.content: _ContentDecoder | None = None
        self.raw_text = codecs.getincrementaldecoder("utf-8")()

    def feed(self, chunk: bytes) -> None:
        self.started = True
        try:
            self.raw_text.decode(chunk)
        except UnicodeDecodeError:
            raise FormError("The alternate request syntax body is not a valid form.") from None
        pos, end = 0, len(chunk)
        while pos < end:
            if self.in_value:
                amp = chunk.find(b"&", pos)
                stop = end if amp < 0 else amp
                self._value_piece(chunk[pos:stop])
                if amp < 0:
                    return
                self._end_field()
                pos = amp + 1
                continue
            amp, eq = chunk.find(b"&", pos), chunk.find(b"=", pos)
            if eq >= 0 and (amp < 0 or eq < amp):
                self._name_piece(chunk[pos:eq])
                self._start_value()
                pos = eq + 1
            elif amp >= 0:
                raise FormError("The alternate request syntax body is not a valid form.")  # a field without "="
            else:
                self._name_piece(chunk[pos:])
                return

    def finish(self) -> Form:
        try:
            self.raw_text.decode(b"", final=True)
        except UnicodeDecodeError:
            raise FormError("The alternate request syntax body is not a valid form.") from None
        if self.in_value:
            self._end_field()
        elif self.started:
            raise FormError("The alternate request syntax body is not a valid form.")  # empty or "="-less field
        if self.spool is not None:
            self.spool.seek(0)
        return Form(self.fields, self.spool)

    def discard(self) -> None:
        if self.spool is not None:
            self.spool.close()
            self.spool = None

    def _name_piece(self, piece: bytes) -> None:
        self.name += piece
        if len(self.name) > MAX_FIELD_BYTES:
            raise FormError(f"The alternate request syntax form has a field name longer than {MAX_FIELD_BYTES} bytes.")

    def _start_value(self) -> None:
        self.field_name = _decode_text(bytes(self.name))
        self.name.clear()
        self.in_value = True
        if self.field_name == CONTENT_FIELD:
            if self.spool is None:
                self.spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY_BYTES)  # noqa: SIM115 - returned
            else:  # a repeated "content": the last one counts, as before
                self.spool.seek(0)
                self.spool.truncate()
            self.content = _ContentDecoder(self.spool)
        elif len(self.fields) >= MAX_FIELDS:
            raise FormError(f"The alternate request syntax form has more than {MAX_FIELDS} fields.")

    def _value_piece(self, piece: bytes) -> None:
        if self.content is not None:
            self.content.feed(piece)
            return
        self.value += piece
        if len(self.value) > MAX_FIELD_BYTES:
            shown = self.field_name if len(self.field_name) <= 80 else self.field_name[:80] + "..."
            raise FormError(
                f"The alternate request syntax form field {shown!r} is longer than {MAX_FIELD_BYTES} bytes "
                f"(only {CONTENT_FIELD!r}, the body, may be larger)."
            )

    def _end_field(self) -> None:
        if self.content is not None:
            self.content.finish()
            self.content = None
        else:
            self.fields.append((self.field_name, _decode_text(bytes(self.value))))
            self.value.clear()
        self.in_value = False


def _decode_text(raw: bytes) -> str:
    """A small field as :func:`urllib.parse.parse_qsl` decodes it (``raw`` is valid UTF-8 here)."""
    return unquote(raw.decode("utf-8").replace("+", " "))
