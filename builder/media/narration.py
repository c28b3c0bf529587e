"""From a unit's script to spoken sentences, caption chunks and a transcript."""

from __future__ import annotations

import re
import textwrap

from builder.model.base import pick
from builder.model.units import Slide, VideoUnit

#: Caption lines stay within what broadcasters use: 42 characters, two lines.
CAPTION_LINE = 42
CAPTION_LINES = 2

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[\"'«“(]?[A-ZÀ-ÖØ-Þ0-9])")


def sentences(text: str) -> list[str]:
    """Split narration into sentences, so captions follow the speech closely."""
    flat = " ".join(text.split())
    return [s for s in _SENTENCE_END.split(flat) if s]


def caption_chunks(sentence: str) -> list[str]:
    """Cut a sentence into caption-sized pieces of at most two 42-character lines."""
    lines = textwrap.wrap(sentence, CAPTION_LINE, break_long_words=True, break_on_hyphens=False)
    return ["\n".join(lines[i : i + CAPTION_LINES]) for i in range(0, len(lines), CAPTION_LINES)]


def slide_text(slide: Slide, lang: str) -> tuple[str, str, str]:
    """Title, on-screen lines and speaker label of a slide in ``lang``."""
    return pick(slide.title, lang), pick(slide.on_screen, lang), pick(slide.speaker, lang)


def transcript(unit: VideoUnit, lang: str) -> str:
    """The written transcript: the author's own, or titles and narration in order."""
    if pick(unit.transcript, lang):
        return pick(unit.transcript, lang)
    parts: list[str] = []
    for slide in unit.script:
        title, _, speaker = slide_text(slide, lang)
        said = pick(slide.narration, lang)
        parts.append(f"## {title}\n\n" + (f"**{speaker}:** " if speaker else "") + said)
    return "\n\n".join(parts) + "\n"
