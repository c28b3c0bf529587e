r"""The one way JSON and text from clients are read, and JSON written back.

Everything a client sends as JSON (statements, the ``agent`` parameter, JSON
documents merged by POST, the cmi5 launch body, ``more`` cursors, JWS
payloads) goes through :func:`parse_client_json`, so one set of rules holds
everywhere:

* **Finite numbers only.** ``NaN``/``Infinity`` are not JSON, and a literal
  such as ``1e400`` (or an integer of 310 digits) parses to a value no
  IEEE double holds: Python would store ``inf`` and serve it back as bare
  ``Infinity``, which makes every page containing it invalid JSON for every
  reader. Such numbers are refused with the path where they stand.
* **Text valid for every database.** ``\u0000`` decodes to NUL, which
  PostgreSQL text cannot hold (``psycopg.DataError``), and a lone surrogate
  (``\ud800``) is not text at all (it cannot be encoded as UTF-8). Both are
  refused in keys and values, with the path.
* **Bounded nesting** (:data:`MAX_JSON_DEPTH`): Python's parser and every
  recursive walk after it would otherwise hit the recursion limit.

:func:`dumps_json` is the writing side: it refuses non-finite numbers
(``allow_nan=False``) so the LRS can never emit invalid JSON.

This module has no Flask dependency: :func:`lrs.api.common.load_json` turns
:class:`ClientJsonError` into a 400, the document rules into their own error.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Iterator
from typing import Any, Final

#: Deepest JSON nesting accepted from clients: statements need about ten levels, extensions and
#: documents a few more; the limit keeps hostile nesting from exhausting Python's recursion.
MAX_JSON_DEPTH: Final = 64

#: Decimal digits of the largest integer a double can hold (``sys.float_info.max`` ~ 1.8e308):
#: a JSON integer with more digits (JSON forbids leading zeros) is beyond every reader's range.
_MAX_INT_DIGITS: Final = len(str(int(sys.float_info.max)))
_MAX_INT: Final = int(sys.float_info.max)

#: A JSON escape that can decode to NUL or to a UTF-16 surrogate: only then is the parsed data walked.
_SUSPECT_ESCAPE: Final = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")

#: Characters no stored string may contain: NUL (PostgreSQL text refuses it) and lone surrogates.
_BAD_CHAR: Final = re.compile("[\x00\ud800-\udfff]")


class ClientJsonError(ValueError):
    """JSON or text from a client that the LRS refuses; the message names the input and the place."""


def text_problem(value: str) -> str | None:
    """Why a client string cannot be stored in every database, or None when it can."""
    found = _BAD_CHAR.search(value)
    if found is None:
        return None
    if found.group() == "\x00":
        return "contains a NUL character (\\u0000), which databases cannot store as text"
    return "contains a lone UTF-16 surrogate (\\ud800-\\udfff), which is not text"


def check_text(value: str, what: str) -> None:
    """Raise :class:`ClientJsonError` naming ``what`` when ``value`` has NUL or a lone surrogate."""
    problem = text_problem(value)
    if problem is not None:
        raise ClientJsonError(f"{what} {problem}.")


class _NonFinite(Exception):
    """Raised from inside the parser for a number outside the double range (carries its literal)."""

    def __init__(self, literal: str) -> None:
        super().__init__(literal)
        self.literal = literal


class _Marker:
    """Stands for a refused number in the second parse that finds its path."""

    def __init__(self, literal: str) -> None:
        self.literal = literal


def _finite_float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise _NonFinite(literal)
    return value


def _bounded_int(literal: str) -> int:
    digits = len(literal) - (literal[0] == "-")
    # Checked on the digit count first: int() of thousands of digits is itself refused (and slow).
    if digits > _MAX_INT_DIGITS:
        raise _NonFinite(literal)
    value = int(literal)
    if digits == _MAX_INT_DIGITS and abs(value) > _MAX_INT:
        raise _NonFinite(literal)
    return value


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _mark_float(literal: str) -> Any:
    value = float(literal)
    return value if math.isfinite(value) else _Marker(literal)


def _mark_int(literal: str) -> Any:
    try:
        return _bounded_int(literal)
    except _NonFinite:
        return _Marker(literal)


def join_path(path: str, key: str | int) -> str:
    """``a.b[0].c``: the same path spelling the statement validator uses."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _walk(data: Any) -> Iterator[tuple[str, Any, bool]]:
    """Every (path, value, is_key) of parsed JSON, without recursion (the depth is already bounded)."""
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                yield join_path(path, key), key, True
                stack.append((join_path(path, key), item))
        elif isinstance(value, list):
            stack.extend((join_path(path, index), item) for index, item in enumerate(value))
        else:
            yield path, value, False


def printable(value: str) -> str:
    r"""``value`` with NUL and surrogates written as ``\uXXXX``: safe to put in a message (and to encode)."""
    return _BAD_CHAR.sub(lambda found: f"\\u{ord(found.group()):04x}", value)


def _where(path: str) -> str:
    return f" at {printable(path)}" if path else ""


def _too_deep(data: Any) -> bool:
    """Whether JSON nests past :data:`MAX_JSON_DEPTH` (checked without recursion)."""
    level = [data] if isinstance(data, (dict, list)) else []
    depth = 0
    # Level by level, containers only: a statement has a few dozen, and hundreds of scalars.
    while level:
        depth += 1
        if depth > MAX_JSON_DEPTH:
            return True
        inner: list[Any] = []
        for value in level:
            items = value.values() if isinstance(value, dict) else value
            inner.extend([item for item in items if isinstance(item, (dict, list))])
        level = inner
    return False


def parse_client_json(raw: str | bytes, what: str) -> Any:
    """Parse JSON from a client, or raise :class:`ClientJsonError` saying what is wrong and where.

    ``what`` names the input in the message ("The body", "agent"). Refused:
    bytes that are not UTF-8, syntax errors, ``NaN``/``Infinity``, numbers
    beyond the double range, nesting past :data:`MAX_JSON_DEPTH`, NUL and
    lone surrogates in any key or string.
    """
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ClientJsonError(f"{what} is not UTF-8 encoded JSON.") from None
    else:
        text = raw
    try:
        data = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float, parse_int=_bounded_int)
    except RecursionError:
        raise ClientJsonError(f"{what} nests JSON deeper than {MAX_JSON_DEPTH} levels.") from None
    except _NonFinite as error:
        raise ClientJsonError(_non_finite_message(text, what, error.literal)) from None
    except ValueError as error:
        raise ClientJsonError(f"{what} is not valid JSON: {error}.") from None
    if _too_deep(data):
        raise ClientJsonError(f"{what} nests JSON deeper than {MAX_JSON_DEPTH} levels.")
    # A str from a client may carry a raw surrogate (bytes decoded as UTF-8 cannot); otherwise only an
    # escape can put NUL or a surrogate in the data, and only then is the whole of it walked.
    if _SUSPECT_ESCAPE.search(text) or (not isinstance(raw, bytes) and _BAD_CHAR.search(text)):
        for path, value, is_key in _walk(data):
            if isinstance(value, str):
                problem = text_problem(value)
                if problem is not None:
                    name = "a property name" if is_key else "a string"
                    raise ClientJsonError(f"{what}: {name}{_where(path)} {problem}.")
    return data


def _non_finite_message(text: str, what: str, literal: str) -> str:
    """Name the path of the first refused number (a second parse, only on this error path)."""
    path = ""
    try:
        marked = json.loads(text, parse_constant=_reject_constant, parse_float=_mark_float, parse_int=_mark_int)
    except (ValueError, RecursionError):
        marked = None
    if marked is not None and not _too_deep(marked):
        for where, value, _is_key in _walk(marked):
            if isinstance(value, _Marker):
                path, literal = where, value.literal
                break
    shown = literal if len(literal) <= 40 else literal[:20] + "..." + literal[-10:]
    return (
        f"{what}: the number {shown}{_where(path)} is outside the range of JSON numbers this LRS accepts "
        "(finite values up to about 1.8e308, the range of a double)."
    )


def dumps_json(data: Any) -> str:
    """Compact JSON keeping non-ASCII as UTF-8; refuses NaN/Infinity (``ValueError``) rather than emit them."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


__all__ = [
    "MAX_JSON_DEPTH",
    "ClientJsonError",
    "check_text",
    "dumps_json",
    "join_path",
    "parse_client_json",
    "printable",
    "text_problem",
]
