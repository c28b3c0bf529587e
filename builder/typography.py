"""French typography, applied once at build time to every French text a package carries.

French sets a space before ``? ! : ;`` and inside ``« »``. Authors type an
ordinary space there, so a browser may wrap the line right before the
punctuation and start the next line with "?" or ":". The build replaces those
spaces (and the wider no-break space U+00A0 some texts already have, so a
package uses one convention) with a NARROW NO-BREAK SPACE (U+202F); where
there is no space, none is added. The source YAML and the player's string
files stay as their authors wrote them. Dutch (and any other language) is
left as it is.

HTML tags and their attributes, URLs and ``{placeholders}`` of the player's
interface strings are never touched; times like 14:30 have no space before
the colon, so they are not either.

Where it is applied: over the whole content document when a variant is
compiled, over the player's strings and the launch page's noscript text in
the payload, over the LOM metadata, and in the draft renderer to slide text
and captions (before they are wrapped into lines, which a typeset space
then holds together). Package manifests take their titles from the content
document, so they are typeset with it.
"""

from __future__ import annotations

import re
from typing import TypeVar

NARROW_NBSP = "\u202f"
#: Bump when the rules change, so French drafts (typeset slides and captions) are rendered again.
VERSION = "2"

#: Runs of text the rule must not change: HTML tags, URLs, {placeholders}.
_PROTECTED = re.compile(r"<[^<>]*>|https?://[^\s<>\"']+|\{[^{}\s]*\}")
_SPACES = r"[ \u00a0]+"  # ordinary and no-break spaces; a line break is left to the text's structure
_BEFORE_PUNCTUATION = re.compile(f"{_SPACES}(?=[?!:;»])")
_AFTER_GUILLEMET = re.compile(f"(?<=«){_SPACES}")

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
    return lang.split("-")[0] == "fr"  # fr, fr-BE, fr-CA ...


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
