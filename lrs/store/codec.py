"""JSON text and digests as the store writes them."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def dumps(value: Any) -> str:
    """Compact JSON keeping non-ASCII as is (smaller rows, statements as sent)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def loads_object(text: str) -> dict[str, Any]:
    """A JSON object read back from a row."""
    value = json.loads(text)
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
