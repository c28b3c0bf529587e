"""WebVTT captions: a strict line-numbered checker and a writer.

We check captions ourselves because players differ in what they forgive
(Chromium drops a cue with a bad timestamp silently); authors need the line.
The rules follow the W3C WebVTT file syntax for the parts LMS players use:
header, NOTE/STYLE/REGION blocks, cue identifiers, timings and payloads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_VTT_BYTES = 1024 * 1024
MAX_CUES = 10_000

_TIMESTAMP = r"(?:(\d{2,}):)?([0-5]\d):([0-5]\d)\.(\d{3})"
_TIMING = re.compile(rf"^{_TIMESTAMP}[ \t]+-->[ \t]+{_TIMESTAMP}(?:[ \t]+(.*))?$")
#: What may follow a ``<`` in cue text: a cue span tag (opening or closing) or a timestamp.
#: Anything else makes the browser read the rest of the line up to the next ``>`` as a tag and drop it.
_CUE_TAG = re.compile(r"</?(?:c|i|b|u|ruby|rt|v|lang)(?=[.\t >/])[^>\n]*>|<[0-9][0-9:.]*>")
#: A character reference the WebVTT parser decodes; any other ``&`` is a raw ampersand.
_CHAR_REF = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]*;|#[0-9]+;|#[xX][0-9A-Fa-f]+;)")
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


@dataclass(frozen=True)
class Cue:
    """One caption: shown from ``start`` to ``end`` seconds."""

    start: float
    end: float
    text: str
    voice: str | None = None


def _seconds(h: str | None, m: str, s: str, ms: str) -> float:
    return int(h or 0) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000


def check_webvtt(text: str) -> list[tuple[int, str]]:
    """Return ``(line, message)`` for each problem; empty when the file is valid."""
    if len(text.encode("utf-8")) > MAX_VTT_BYTES:
        return [(0, f"captions file is larger than {MAX_VTT_BYTES} bytes")]
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    problems: list[tuple[int, str]] = []
    if not re.match(r"^WEBVTT(?:[ \t].*)?$", lines[0]):
        return [(1, "first line must be 'WEBVTT'")]
    i = 1
    while i < len(lines) and lines[i].strip():
        if "-->" in lines[i]:
            problems.append((i + 1, "header must be followed by a blank line before the first cue"))
        i += 1
    previous_start = -1.0
    cues = 0
    seen_cue = False
    while i < len(lines):
        while i < len(lines) and not lines[i].strip():
            i += 1
        if i >= len(lines):
            break
        block_start = i
        block: list[str] = []
        while i < len(lines) and lines[i].strip():
            block.append(lines[i])
            i += 1
        first = block[0]
        if re.match(r"^NOTE(?:[ \t]|$)", first):
            continue
        if first in ("STYLE", "REGION") or re.match(r"^(STYLE|REGION)[ \t]", first):
            if seen_cue:
                problems.append((block_start + 1, f"{first.split()[0]} blocks must come before the first cue"))
            continue
        if "-->" in first:
            timing_index = 0
        elif len(block) > 1 and "-->" in block[1]:
            timing_index = 1
        else:
            problems.append(
                (
                    block_start + 1,
                    f"'{first[:40]}' is not a cue: expected a timing line 'hh:mm:ss.ttt --> hh:mm:ss.ttt'",
                )
            )
            continue
        timing_line = block_start + timing_index + 1
        match = _TIMING.match(block[timing_index])
        if match is None:
            problems.append(
                (
                    timing_line,
                    "timing must read 'hh:mm:ss.ttt --> hh:mm:ss.ttt' (minutes and seconds below 60, three decimals)",
                )
            )
            continue
        g = match.groups()
        start, end = _seconds(*g[0:4]), _seconds(*g[4:8])
        if end <= start:
            problems.append((timing_line, "cue must end after it starts"))
        if start < previous_start:
            problems.append((timing_line, "cue starts before the previous cue; order cues by start time"))
        previous_start = max(previous_start, start)
        for offset, payload in enumerate(block[timing_index + 1 :], start=timing_index + 1):
            if "-->" in payload:
                problems.append(
                    (block_start + offset + 1, "cue text must not contain '-->'; separate cues with a blank line")
                )
            else:
                problems.extend((block_start + offset + 1, message) for message in _raw_characters(payload))
        seen_cue = True
        cues += 1
        if cues > MAX_CUES:
            problems.append((timing_line, f"more than {MAX_CUES} cues"))
            break
    if not seen_cue:
        problems.append((1, "captions file has no cues"))
    return problems


def _raw_characters(payload: str) -> list[str]:
    """Unescaped ``<`` or ``&`` in one line of cue text.

    A browser takes a stray ``<`` as the start of a tag and hides the text
    after it ("score < 3 op" shows as "score "), so it must be ``&lt;``.
    """
    found: list[str] = []
    for match in re.finditer(r"[<&]", payload):
        at = match.start()
        if payload[at] == "<" and not _CUE_TAG.match(payload, at):
            found.append(f"raw '<' in cue text at column {at + 1}; write '&lt;' (browsers hide the text after it)")
        elif payload[at] == "&" and not _CHAR_REF.match(payload, at):
            found.append(f"raw '&' in cue text at column {at + 1}; write '&amp;'")
    return found


def escape_cue_text(text: str) -> str:
    """Cue text with ``&``, ``<`` and ``>`` written as character references, as WebVTT requires."""
    return re.sub(r"[&<>]", lambda m: _ESCAPES[m.group()], text)


def timestamp(seconds: float) -> str:
    """Format seconds as ``hh:mm:ss.ttt``."""
    total_ms = round(seconds * 1000)
    h, rest = divmod(total_ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def write_webvtt(cues: list[Cue]) -> str:
    """Serialise cues; a cue with a ``voice`` gets a ``<v Name>`` span.

    Text and voice are escaped: cue text is markup, so an author's ``<`` or
    ``&`` would otherwise be read as the start of a tag or reference.
    """
    out = ["WEBVTT", ""]
    for number, cue in enumerate(cues, start=1):
        text = escape_cue_text(cue.text)
        if cue.voice is not None:
            text = f"<v {escape_cue_text(cue.voice)}>{text}"
        out += [str(number), f"{timestamp(cue.start)} --> {timestamp(cue.end)}", text, ""]
    return "\n".join(out)
