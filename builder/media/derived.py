"""Files made from a packaged media file (posters, typeset captions), cached by content hash.

Like the drafts, a derived file lives in the media cache under a hash of
everything that shapes it: what it is (``kind``, which carries its own
version) and the bytes of the file it is made from. A recorded video dropped
in, or a draft rendered again, therefore gets a new poster without anyone
clearing the cache, and an unchanged one is never made twice.
"""

from __future__ import annotations

import functools
import hashlib
import os
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from builder.media.draft import require_tools

#: Seconds into the video for the poster frame: past a fade-in, still on the title slide.
POSTER_AT = 1.0
POSTER_WIDTH = 640  # small: a still that is shown only until the learner presses play


@functools.lru_cache(maxsize=4096)
def _digest(path: Path, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        for block in iter(lambda: source.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes, remembered while its size and mtime stay the same."""
    stat = path.stat()
    return _digest(path.resolve(), stat.st_size, stat.st_mtime_ns)


def derived(cache: Path, kind: str, source: Path, suffix: str, make: Callable[[Path, Path], None]) -> Path:
    """The file ``make(source, target)`` writes, cached under ``kind`` and ``source``'s bytes."""
    key = hashlib.sha256(f"{kind}\0{file_digest(source)}".encode()).hexdigest()
    target = cache / "derived" / key[:2] / f"{key}{suffix}"
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=".", suffix=f".part{suffix}", dir=target.parent)
    os.close(handle)
    temp = Path(temp_name)
    try:
        make(source, temp)
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return target


def _grab_frame(video: Path, target: Path) -> None:
    require_tools()
    stderr = ""
    for at in (POSTER_AT, 0.0):  # a video shorter than POSTER_AT has no frame there: take its first
        done = subprocess.run(
            [
                *("ffmpeg", "-nostdin", "-loglevel", "error", "-y"),
                *("-ss", f"{at:g}", "-i", str(video), "-frames:v", "1"),
                *("-vf", f"scale={POSTER_WIDTH}:-2", "-q:v", "5", "-update", "1"),
                *("-map_metadata", "-1", "-fflags", "+bitexact", "-flags:v", "+bitexact"),
                str(target),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        stderr = done.stderr.strip()
        if done.returncode == 0 and target.stat().st_size > 0:
            return
    raise RuntimeError(f"ffmpeg could not take a poster frame from {video}: {stderr}")


def poster(cache: Path, video: Path) -> Path:
    """A small JPEG of the frame at ``POSTER_AT`` s of ``video``, shown before it is played."""
    return derived(cache, f"poster-1-{POSTER_AT:g}-{POSTER_WIDTH}", video, ".jpg", _grab_frame)
