"""Reading back what ffmpeg drew: pixels, frames, sizes (tests compare images with these)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any


def gray(image: Path, width: int, height: int) -> bytes:
    """The image's pixels as 8-bit gray, scaled to ``width`` x ``height``."""
    return subprocess.run(
        [
            *("ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(image)),
            *("-frames:v", "1", "-vf", f"scale={width}:{height}", "-f", "rawvideo", "-pix_fmt", "gray", "-"),
        ],
        capture_output=True,
        check=True,
    ).stdout


def lowest_marked_row(image: Path, width: int, height: int) -> int:
    """The lowest pixel row that differs from the background (the bottom-right pixel); -1 if none."""
    pixels = gray(image, width, height)
    background = pixels[-1]
    for y in range(height - 1, -1, -1):
        if any(abs(v - background) > 8 for v in pixels[y * width : (y + 1) * width]):
            return y
    return -1


def shown_at(video: Path, seconds: float, folder: Path) -> Path:
    """The frame a browser shows at ``seconds``: a constant-rate copy seeked on output.

    (An input seek would take the first frame after ``seconds``, seconds later
    in our drafts, which hold one frame per slide.)
    """
    frame = folder / f"frame-{seconds:g}.png"
    subprocess.run(
        [
            *("ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(video), "-ss", f"{seconds:g}"),
            *("-vf", "fps=10", "-frames:v", "1", "-update", "1", str(frame)),
        ],
        check=True,
    )
    return frame


def distance(a: bytes, b: bytes) -> float:
    """Mean absolute difference of two gray images of one size."""
    return sum(abs(x - y) for x, y in zip(a, b, strict=True)) / len(a)


def streams(path: Path, entries: str) -> list[dict[str, Any]]:
    """ffprobe's ``stream=<entries>`` of a media file, one dict per stream."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", f"stream={entries}", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found: list[dict[str, Any]] = json.loads(out)["streams"]
    return found


def size(image: Path) -> tuple[int, int]:
    """Width and height of an image or video."""
    stream = streams(image, "width,height")[0]
    return int(stream["width"]), int(stream["height"])
