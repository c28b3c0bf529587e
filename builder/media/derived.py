"""Files made from a media file (a recorded video's poster), cached by content hash.

Like the drafts, a derived file lives in the media cache under a hash of
everything that shapes it: what it is (``kind``, which carries its own
version) and the bytes of the file it is made from. A recorded video dropped
in again with other bytes therefore gets a new poster without anyone
clearing the cache, and an unchanged one is never made twice.
"""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path


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


def derived_path(cache: Path, kind: str, source: Path, suffix: str) -> Path:
    """Where the ``kind`` file made from ``source``'s bytes lives in the cache (made or not)."""
    key = hashlib.sha256(f"{kind}\0{file_digest(source)}".encode()).hexdigest()
    return cache / "derived" / key[:2] / f"{key}{suffix}"


def write_atomically(target: Path, make: Callable[[Path], None]) -> None:
    """Let ``make`` write a temporary file beside ``target``, then rename it into place.

    A reader (or a build running in parallel) sees the whole file or none,
    never one half-written by a run that was interrupted.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=".", suffix=f".part{target.suffix}", dir=target.parent)
    os.close(handle)
    temp = Path(temp_name)
    try:
        make(temp)
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
