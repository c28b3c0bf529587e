"""French typography, applied once at build time to every French text a package carries.

French sets a space before ``? ! : ;`` and inside ``« »``. Authors type an
ordinary space there, so a browser may wrap the line right before the
punctuation and start the next line with "?" or ":". The build replaces those
spaces with a NARROW NO-BREAK SPACE (U+202F); the source YAML stays as the
authors wrote it. Dutch (and any other language) is left as it is.

HTML tags and their attributes, URLs and ``{placeholders}`` of the player's
interface strings are never touched; times like 14:30 have no space before
the colon, so they are not either.
"""

from __future__ import annotations

import re
from typing import TypeVar

NARROW_NBSP = "\u202f"
#: Bump when the rules change, so typeset copies in the media cache are made again.
VERSION = "1"

#: Runs of text the rule must not change: HTML tags, URLs, {placeholders}.
_PROTECTED = re.compile(r"<[^<>]*>|https?://[^\s<>\"']+|\{[^{}\s]*\}")
_BEFORE_PUNCTUATION = re.compile(r" +(?=[?!:;»])")
_AFTER_GUILLEMET = re.compile(r"(?<=«) +")

T = TypeVar("T")


def _space(text: str) -> str:
    return _AFTER_GUILLEMET.sub(NARROW_NBSP, _BEFORE_PUNCTUATION.sub(NARROW_NBSP, text))


def french_spacing(text: str) -> str:
    """``text`` with the spaces before ``? ! : ;`` and inside ``« »`` made narrow and non-breaking."""
    out: list[str] = []
    start = 0
    for protected in _PROTECTED.finditer(text):
        out.append(_space(text[start : protected.start()]))
        out.append(protected.group())
        start = protected.end()
    out.append(_space(text[start:]))
    return "".join(out)


def applies(lang: str) -> bool:
    """Whether texts in ``lang`` get French typography."""
    return lang == "fr"


def typeset(value: T, lang: str) -> T:
    """``value`` (a text, or JSON-like data holding texts) typeset for ``lang``.

    Walks dicts and lists so a whole content document or string table is
    handled in one call; keys and non-text values are kept as they are.
    """
    if not applies(lang):
        return value
    if isinstance(value, str):
        return french_spacing(value)  # type: ignore[return-value]
    if isinstance(value, dict):
        return {k: typeset(v, lang) for k, v in value.items()}  # type: ignore[return-value]
    if isinstance(value, list):
        return [typeset(v, lang) for v in value]  # type: ignore[return-value]
    return value


def typeset_webvtt(text: str, lang: str) -> str:
    """WebVTT captions typeset for ``lang``: cue text only, never the timing lines."""
    if not applies(lang):
        return text
    return "\n".join(line if "-->" in line else french_spacing(line) for line in text.split("\n"))
