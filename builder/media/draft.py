"""Draft videos rendered from a unit's script until a recorded video exists.

Each slide becomes a still frame (title and on-screen lines); its narration
is spoken by espeak-ng in the unit's language; captions are timed to the
synthesized speech sentence by sentence; the first slide's still is the
video's poster. Output is deterministic (fixed encoder settings, bit-exact
flags, one encoder thread) and cached under a hash of everything that shapes
it, so an unchanged script is never rendered twice.

Browsers draw captions over the bottom of the video, so slide text is laid
out above ``TEXT_BOTTOM``: the lowest quarter of the frame stays empty (the
footer with the unit title is at the top). Chromium draws two caption lines
in the lowest 10-15% while the video plays, and lifts them above its control
bar while the controls show, so a fifth would only just do. Positioning cues
with WebVTT ``line:`` settings instead would depend on each player honouring
them, and would leave recorded videos' captions where they were.

French slide text and captions are typeset (``builder.typography``) before
they are wrapped into lines, so no line starts with "?" or ":"; the
narration is spoken as written.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import tempfile
import textwrap
import wave
from dataclasses import dataclass
from pathlib import Path

from builder.media.narration import caption_chunks, sentences, slide_text
from builder.media.poster import POSTER_ENCODING, POSTER_SUFFIX, still_poster
from builder.media.tools import require_tools, run_tool
from builder.media.webvtt import Cue, write_webvtt
from builder.model.base import pick
from builder.model.units import VideoUnit
from builder.typography import VERSION as TYPOGRAPHY_VERSION
from builder.typography import applies, typeset

#: Bump when the rendering changes, so cached drafts are rendered again.
RENDERER_VERSION = "5"
VOICES = {"nl": "nl", "fr": "fr-be"}
SPEECH_RATE = 160  # words per minute: calm, clear narration
WIDTH, HEIGHT = 1280, 720
LEAD_IN, SENTENCE_GAP, SLIDE_GAP, TAIL = 0.5, 0.3, 0.7, 1.0


def voice(lang: str) -> str:
    """The espeak-ng voice for a language tag: ours, else espeak's own for the tag or its language."""
    return VOICES.get(lang) or VOICES.get(lang.split("-")[0]) or lang.lower()


FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
FONT_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
BACKGROUND, FOREGROUND, ACCENT = "0x1f2a44", "0xffffff", "0xf2c14e"

#: Share of the frame's height, at the bottom, where browsers draw captions: no slide text there.
CAPTION_AREA = 0.25
TEXT_BOTTOM = round(HEIGHT * (1 - CAPTION_AREA))
LEFT = 80
TEXT_WIDTH = WIDTH - 2 * LEFT
#: Height of drawtext's line box for DejaVu Sans, accented capitals to descenders, in font sizes
#: (measured 1.12; the margin keeps the estimate on the safe side).
LINE_HEIGHT = 1.15
#: Average advance of a DejaVu Sans character in font sizes, to wrap lines within ``TEXT_WIDTH``.
ADVANCE = 0.62
TITLE_SIZE, SPEAKER_SIZE, FOOTER_SIZE = 50, 30, 22
#: On-screen lines shrink through these sizes until they fit above ``TEXT_BOTTOM``.
BODY_SIZES = (34, 31, 28, 25, 22)
ELLIPSIS = "\u2026"


@dataclass(frozen=True)
class DraftPaths:
    """Where a draft's video, captions and poster live in the cache."""

    video: Path
    captions: Path
    poster: Path

    def exists(self) -> bool:
        """True when all three files were rendered before."""
        return self.video.is_file() and self.captions.is_file() and self.poster.is_file()


def render_key(unit: VideoUnit, lang: str) -> str:
    """Hash of everything that shapes the draft: text, voice, typography, renderer version."""
    slides = [slide_text(s, lang) + (pick(s.narration, lang),) for s in unit.script]
    payload = {
        "renderer": RENDERER_VERSION,
        "lang": lang,
        "voice": voice(lang),
        "rate": SPEECH_RATE,
        "size": [WIDTH, HEIGHT],
        "poster": POSTER_ENCODING,
        "typography": TYPOGRAPHY_VERSION if applies(lang) else None,
        "title": pick(unit.title, lang),
        "slides": slides,
    }
    if any(char in text for slide in slides for text in slide for char in "&<>"):
        # captions escape these characters since renderer 5 (before, a '<' hid the rest of a cue);
        # only drafts whose texts hold one get a new key, so the rest of the cache stays valid
        payload["captions"] = "escaped"
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def draft_paths(cache: Path, unit: VideoUnit, lang: str) -> DraftPaths:
    """Cache location of a unit's draft in ``lang``."""
    key = render_key(unit, lang)
    folder = cache / key[:2]
    return DraftPaths(folder / f"{key}.mp4", folder / f"{key}.vtt", folder / f"{key}{POSTER_SUFFIX}")


def _speak(text: str, lang: str, target: Path, cwd: Path) -> None:
    run_tool(["espeak-ng", "-v", voice(lang), "-s", str(SPEECH_RATE), "-w", str(target), text], cwd)


def _escape(text: str) -> str:
    """Write ``text`` for ffmpeg's textfile= (no escaping needed there beyond %)."""
    return text.replace("%", "%%")


@dataclass(frozen=True)
class TextBox:
    """A block of slide text as drawtext draws it: ``lines`` from ``y`` down."""

    name: str
    lines: tuple[str, ...]
    font: str
    size: int
    color: str
    y: int
    spacing: int = 0

    @property
    def bottom(self) -> int:
        """The lowest pixel row the block may paint."""
        count = len(self.lines)
        return self.y + count * math.ceil(self.size * LINE_HEIGHT) + max(count - 1, 0) * self.spacing


def _wrap(text: str, size: int) -> tuple[str, ...]:
    width = int(TEXT_WIDTH / (ADVANCE * size))
    return tuple(line for raw in text.splitlines() for line in textwrap.wrap(raw, width))


def _fit(box: TextBox) -> TextBox:
    """``box`` cut to the lines that end above ``TEXT_BOTTOM``; the last one kept says "…" when cut."""
    lines = box.lines
    while lines and TextBox(box.name, lines, box.font, box.size, box.color, box.y, box.spacing).bottom > TEXT_BOTTOM:
        lines = lines[:-1]
    if lines != box.lines and lines:
        lines = (*lines[:-1], lines[-1].rstrip(" .,;:") + ELLIPSIS)
    return TextBox(box.name, lines, box.font, box.size, box.color, box.y, box.spacing)


def slide_layout(title: str, body: str, speaker: str, footer: str) -> list[TextBox]:
    """Where a slide's texts go: footer and title on top, speaker and on-screen lines below, all above the captions.

    The on-screen lines take the largest of ``BODY_SIZES`` at which they fit;
    text that does not fit even at the smallest is cut with "…" (a draft is
    a stand-in, and the narration and transcript carry the full text).
    """
    boxes = [
        TextBox("footer.txt", (footer,), FONT, FOOTER_SIZE, ACCENT, 32),
        _fit(TextBox("title.txt", _wrap(title, TITLE_SIZE), FONT_BOLD, TITLE_SIZE, FOREGROUND, 84, 12)),
    ]
    if speaker:
        boxes.append(_fit(TextBox("speaker.txt", (speaker,), FONT_BOLD, SPEAKER_SIZE, ACCENT, boxes[-1].bottom + 28)))
    if body.strip():
        top = boxes[-1].bottom + 36
        candidates = [
            TextBox("body.txt", _wrap(body, size), FONT, size, FOREGROUND, top, size // 2) for size in BODY_SIZES
        ]
        body_box = next((box for box in candidates if box.bottom <= TEXT_BOTTOM), _fit(candidates[-1]))
        boxes.append(body_box)
    return [box for box in boxes if box.lines]


def slide_image(boxes: list[TextBox], target: Path, cwd: Path) -> None:
    """Render one still from its laid-out text."""
    draw = [f"drawbox=x=0:y=0:w={WIDTH}:h=12:color={ACCENT}:t=fill"]
    for box in boxes:
        (cwd / box.name).write_text(_escape("\n".join(box.lines)), encoding="utf-8")
        draw.append(
            f"drawtext=fontfile={box.font}:textfile={box.name}:fontcolor={box.color}"
            f":fontsize={box.size}:x={LEFT}:y={box.y}:line_spacing={box.spacing}"
        )
    run_tool(
        [
            *("ffmpeg", "-nostdin", "-loglevel", "error", "-y"),
            *("-f", "lavfi", "-i", f"color=c={BACKGROUND}:s={WIDTH}x{HEIGHT}:d=1"),
            *("-vf", ",".join(draw), "-frames:v", "1", "-fflags", "+bitexact", "-flags", "+bitexact"),
            str(target),
        ],
        cwd,
    )


def _append_wav(out: wave.Wave_write, source: Path) -> float:
    with wave.open(str(source), "rb") as part:
        if out.getnframes() == 0 and out.getnchannels() == 0:
            out.setparams(part.getparams())
        frames = part.readframes(part.getnframes())
        out.writeframes(frames)
        return part.getnframes() / part.getframerate()


def _silence(out: wave.Wave_write, seconds: float) -> float:
    frames = round(seconds * out.getframerate())
    out.writeframes(b"\x00" * frames * out.getsampwidth() * out.getnchannels())
    return frames / out.getframerate()


def render_draft(unit: VideoUnit, lang: str, cache: Path) -> DraftPaths:
    """Render the draft of ``unit`` in ``lang`` into the cache (if not there)."""
    paths = draft_paths(cache, unit, lang)
    if paths.exists():
        return paths
    require_tools()
    paths.video.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="gsog-draft-") as tmp_name:
        tmp = Path(tmp_name)
        cues: list[Cue] = []
        slide_times: list[float] = []
        clock = 0.0
        audio_path = tmp / "narration.wav"
        sample = tmp / "probe.wav"
        _speak(" ", lang, sample, tmp)
        with wave.open(str(sample), "rb") as probe:
            params = probe.getparams()
        with wave.open(str(audio_path), "wb") as audio:
            audio.setparams(params)
            clock += _silence(audio, LEAD_IN)
            for index, slide in enumerate(unit.script):
                start = clock
                title, body, speaker = (typeset(text, lang) for text in slide_text(slide, lang))
                footer = typeset(f"{pick(unit.title, lang)}  ·  {index + 1} / {len(unit.script)}", lang)
                slide_image(slide_layout(title, body, speaker, footer), tmp / f"slide{index:03d}.png", tmp)
                narration = pick(slide.narration, lang)
                for number, sentence in enumerate(sentences(narration)):
                    wav = tmp / f"s{index:03d}_{number:03d}.wav"
                    _speak(sentence, lang, wav, tmp)
                    spoken = _append_wav(audio, wav)
                    chunks = caption_chunks(typeset(sentence, lang))  # typeset first: wrapping keeps "x ?" together
                    total = sum(len(c) for c in chunks) or 1
                    at = clock
                    for chunk in chunks:
                        length = spoken * len(chunk) / total
                        cues.append(Cue(at, at + length, chunk, speaker or None))
                        at += length
                    clock += spoken
                    clock += _silence(audio, SENTENCE_GAP)
                clock += _silence(audio, SLIDE_GAP if index < len(unit.script) - 1 else TAIL)
                slide_times.append(clock - start)
        concat = tmp / "slides.txt"
        lines = []
        for index, seconds in enumerate(slide_times):
            lines += [f"file 'slide{index:03d}.png'", f"duration {seconds:.3f}"]
        lines.append(f"file 'slide{len(slide_times) - 1:03d}.png'")
        concat.write_text("\n".join(lines) + "\n", encoding="utf-8")
        video_tmp = tmp / "draft.mp4"
        run_tool(
            [
                *("ffmpeg", "-nostdin", "-loglevel", "error", "-y"),
                *("-f", "concat", "-safe", "0", "-i", "slides.txt", "-i", "narration.wav"),
                *("-map", "0:v", "-map", "1:a"),
                # one frame per slide change (variable frame rate): a still needs no more,
                # and encoding a handful of frames instead of thousands keeps drafts cheap
                *("-fps_mode", "vfr", "-c:v", "libx264", "-preset", "veryfast", "-tune", "stillimage"),
                *("-crf", "30", "-pix_fmt", "yuv420p", "-threads", "1"),
                *("-c:a", "aac", "-aac_coder", "fast", "-b:a", "40k", "-ac", "1"),
                *("-shortest", "-movflags", "+faststart", "-map_metadata", "-1", "-map_chapters", "-1"),
                *("-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact"),
                str(video_tmp),
            ],
            tmp,
        )
        poster_tmp = tmp / "poster.jpg"
        still_poster(tmp / "slide000.png", poster_tmp)
        captions_tmp = tmp / "draft.vtt"
        captions_tmp.write_text(write_webvtt(cues), encoding="utf-8")
        # the video last: ``DraftPaths.exists`` takes the draft as rendered once all three are in place
        for done, target in ((poster_tmp, paths.poster), (captions_tmp, paths.captions), (video_tmp, paths.video)):
            _place(done, target)
    return paths


def _place(source: Path, target: Path) -> None:
    """Move a rendered file into the cache: a rename when both are on one file system."""
    try:
        same = source.stat().st_dev == target.parent.stat().st_dev
    except OSError:
        same = False
    if same:
        os.replace(source, target)
    else:
        shutil.move(source, target)
