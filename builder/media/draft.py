"""Draft videos rendered from a unit's script until a recorded video exists.

Each slide becomes a still frame (title and on-screen lines); its narration
is spoken by espeak-ng in the unit's language; captions are timed to the
synthesized speech sentence by sentence. Output is deterministic (fixed
encoder settings, bit-exact flags, one encoder thread) and cached under a hash
of everything that shapes it, so an unchanged script is never rendered twice.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import textwrap
import wave
from dataclasses import dataclass
from pathlib import Path

from builder.media.narration import caption_chunks, sentences, slide_text
from builder.media.webvtt import Cue, write_webvtt
from builder.model.base import pick
from builder.model.units import VideoUnit

#: Bump when the rendering changes, so cached drafts are rendered again.
RENDERER_VERSION = "3"
VOICES = {"nl": "nl", "fr": "fr-be"}
SPEECH_RATE = 160  # words per minute: calm, clear narration
WIDTH, HEIGHT = 1280, 720
LEAD_IN, SENTENCE_GAP, SLIDE_GAP, TAIL = 0.5, 0.3, 0.7, 1.0
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
FONT_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
BACKGROUND, FOREGROUND, ACCENT = "0x1f2a44", "0xffffff", "0xf2c14e"
TOOLS = ("ffmpeg", "espeak-ng")


class MediaToolMissing(RuntimeError):
    """ffmpeg or espeak-ng is not installed."""


@dataclass(frozen=True)
class DraftPaths:
    """Where a draft's video and captions live in the cache."""

    video: Path
    captions: Path

    def exists(self) -> bool:
        """True when both files were rendered before."""
        return self.video.is_file() and self.captions.is_file()


def render_key(unit: VideoUnit, lang: str) -> str:
    """Hash of everything that shapes the draft: text, voice, renderer version."""
    slides = [slide_text(s, lang) + (pick(s.narration, lang),) for s in unit.script]
    payload = {
        "renderer": RENDERER_VERSION,
        "lang": lang,
        "voice": VOICES.get(lang, lang),
        "rate": SPEECH_RATE,
        "size": [WIDTH, HEIGHT],
        "title": pick(unit.title, lang),
        "slides": slides,
    }
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def draft_paths(cache: Path, unit: VideoUnit, lang: str) -> DraftPaths:
    """Cache location of a unit's draft in ``lang``."""
    key = render_key(unit, lang)
    folder = cache / key[:2]
    return DraftPaths(folder / f"{key}.mp4", folder / f"{key}.vtt")


def require_tools() -> None:
    """Fail with an install hint when a rendering tool is missing."""
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        raise MediaToolMissing(
            f"{', '.join(missing)} not found; install with: apt-get install -y ffmpeg espeak-ng fonts-dejavu-core"
        )


def _run(args: list[str], cwd: Path) -> None:
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{args[0]} failed ({done.returncode}): {done.stderr.strip()[-800:]}")


def _speak(text: str, lang: str, target: Path, cwd: Path) -> None:
    _run(["espeak-ng", "-v", VOICES.get(lang, lang), "-s", str(SPEECH_RATE), "-w", str(target), text], cwd)


def _escape(text: str) -> str:
    """Write ``text`` for ffmpeg's textfile= (no escaping needed there beyond %)."""
    return text.replace("%", "%%")


def _slide_image(title: str, body: str, speaker: str, footer: str, target: Path, cwd: Path) -> None:
    """Render one still: footer line and title on top, on-screen lines below.

    The bottom of the frame stays free of slide text: that is where browsers
    show the captions, which would otherwise cover it.
    """
    files: list[tuple[str, str]] = [
        ("title.txt", "\n".join(textwrap.wrap(title, 36)) or " "),
        ("body.txt", "\n".join(line for raw in body.splitlines() for line in textwrap.wrap(raw, 52)) or " "),
        ("speaker.txt", speaker or " "),
        ("footer.txt", footer),
    ]
    for name, text in files:
        (cwd / name).write_text(_escape(text), encoding="utf-8")
    draw = ",".join(
        [
            f"drawbox=x=0:y=0:w={WIDTH}:h=12:color={ACCENT}:t=fill",
            f"drawtext=fontfile={FONT_BOLD}:textfile=title.txt:fontcolor={FOREGROUND}:fontsize=50:x=80:y=80:line_spacing=12",
            f"drawtext=fontfile={FONT_BOLD}:textfile=speaker.txt:fontcolor={ACCENT}:fontsize=30:x=80:y=270",
            f"drawtext=fontfile={FONT}:textfile=body.txt:fontcolor={FOREGROUND}:fontsize=34:x=80:y=330:line_spacing=18",
            f"drawtext=fontfile={FONT}:textfile=footer.txt:fontcolor={ACCENT}:fontsize=22:x=80:y=32",
        ]
    )
    _run(
        [
            "ffmpeg",
            "-nostdin",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"color=c={BACKGROUND}:s={WIDTH}x{HEIGHT}:d=1",
            "-vf",
            draw,
            "-frames:v",
            "1",
            "-fflags",
            "+bitexact",
            "-flags",
            "+bitexact",
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
                title, body, speaker = slide_text(slide, lang)
                footer = f"{pick(unit.title, lang)}  ·  {index + 1} / {len(unit.script)}"
                _slide_image(title, body, speaker, footer, tmp / f"slide{index:03d}.png", tmp)
                narration = pick(slide.narration, lang)
                for number, sentence in enumerate(sentences(narration)):
                    wav = tmp / f"s{index:03d}_{number:03d}.wav"
                    _speak(sentence, lang, wav, tmp)
                    spoken = _append_wav(audio, wav)
                    chunks = caption_chunks(sentence)
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
        _run(
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
        captions_tmp = tmp / "draft.vtt"
        captions_tmp.write_text(write_webvtt(cues), encoding="utf-8")
        os.replace(captions_tmp, paths.captions) if _same_fs(tmp, paths.captions) else shutil.move(
            captions_tmp, paths.captions
        )
        os.replace(video_tmp, paths.video) if _same_fs(tmp, paths.video) else shutil.move(video_tmp, paths.video)
    return paths


def _same_fs(a: Path, b: Path) -> bool:
    try:
        return a.stat().st_dev == b.parent.stat().st_dev
    except OSError:
        return False
