"""JSON text and digests as the store writes them."""

from __future__ import annotations

import hashlib
import json
import sys
from typing import Any, Final


def dumps(value: Any) -> str:
    """Compact JSON keeping non-ASCII as is (smaller rows, statements as sent)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


#: What ``Infinity``, ``-Infinity`` and ``NaN`` in rows written before the LRS refused non-finite
#: numbers read back as: the nearest finite double keeps a score's sign and order, and NaN (no value)
#: becomes null. Every response is written with ``allow_nan=False``, so without this such an old
#: row would turn each page holding it into a 500 instead of invalid JSON.
LEGACY_CONSTANTS: Final[dict[str, float | None]] = {
    "Infinity": sys.float_info.max,
    "-Infinity": -sys.float_info.max,
    "NaN": None,
}


def loads_object(text: str) -> dict[str, Any]:
    """A JSON object read back from a row (legacy non-finite numbers made finite, see above)."""
    value = json.loads(text, parse_constant=LEGACY_CONSTANTS.__getitem__)
    if not isinstance(value, dict):
        raise ValueError("stored JSON is not an object")
    return value


def canonical(value: Any) -> str:
    """Key-sorted JSON: equal objects give equal text."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def sha256_hex(text: str) -> str:
    """SHA-256 of UTF-8 text, hex."""
    return hashlib.sha256(text.encode()).hexdigest()


def sha1_hex(text: str) -> str:
    """SHA-1 of UTF-8 text, hex (identity only, not security)."""
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()
