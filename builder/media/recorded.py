"""Where a unit's recorded video and captions are, if an author supplied them.

A unit may name its files (``video: {nl: media/x.mp4}``); otherwise a file
dropped in as ``media/<unit-id>.<lang>.mp4`` (or ``.webm``) with
``media/<unit-id>.<lang>.vtt`` takes the place of the rendered draft.
"""

from __future__ import annotations

from pathlib import Path

from builder.model.base import pick
from builder.model.units import VideoUnit

VIDEO_SUFFIXES = (".mp4", ".webm")
CAPTION_SUFFIX = ".vtt"
MEDIA_DIR = "media"


def recorded_video(root: Path, unit: VideoUnit, lang: str) -> Path | None:
    """The recorded video for ``lang``: named in the unit, or dropped in place."""
    named = pick(unit.video, lang) or None
    if named is not None:
        return root / named
    for suffix in VIDEO_SUFFIXES:
        candidate = root / MEDIA_DIR / f"{unit.id}.{lang}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def recorded_captions(root: Path, unit: VideoUnit, lang: str) -> Path | None:
    """The captions for a recorded video: named in the unit, or beside it."""
    named = pick(unit.captions, lang) or None
    if named is not None:
        return root / named
    candidate = root / MEDIA_DIR / f"{unit.id}.{lang}{CAPTION_SUFFIX}"
    return candidate if candidate.is_file() else None
