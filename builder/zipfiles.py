"""Reproducible zips: same input, same bytes.

Entries are written in a fixed order with a fixed timestamp and permissions
(``FILE_MODE``: web servers and LMS content servers that unpack a package run
as another user and must be able to read every file; the zip itself gets the
same mode, as ``mkstemp`` would leave it owner-only);
already-compressed media are stored, text is deflated at a fixed level. Media
are streamed from disk in chunks, so memory does not grow with package size,
and the zip is written beside its target and renamed into place, so a failed
build never leaves a half-written package behind.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path

FIXED_TIME = (1980, 1, 1, 0, 0, 0)
STORED_SUFFIXES = {".mp4", ".webm", ".png", ".jpg", ".jpeg", ".gif", ".woff2", ".zip", ".mp3", ".ogg"}
DEFLATE_LEVEL = 1  # media dominate the size; fast deflate keeps rebuilds quick
CHUNK = 1024 * 1024
FILE_MODE = 0o644  # rw-r--r--: readable by the web server that serves the unpacked package

#: An entry: name in the zip and either bytes or a file to stream.
ZipEntry = tuple[str, bytes | Path]


def _info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
    info.create_system = 3  # unix, so the permission bits below are read
    info.external_attr = (stat.S_IFREG | FILE_MODE) << 16
    stored = Path(name).suffix.lower() in STORED_SUFFIXES
    info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    return info


def write_zip(target: Path, entries: Iterable[ZipEntry]) -> int:
    """Write ``entries`` in the given order to ``target`` atomically; return its size."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(handle)
    temp = Path(temp_name)
    try:
        with zipfile.ZipFile(temp, "w", zipfile.ZIP_DEFLATED, allowZip64=True, compresslevel=DEFLATE_LEVEL) as archive:
            for name, data in entries:
                info = _info(name)
                if isinstance(data, bytes):
                    archive.writestr(info, data, compresslevel=DEFLATE_LEVEL)
                    continue
                info.file_size = data.stat().st_size
                with data.open("rb") as source, archive.open(info, "w", force_zip64=info.file_size > 2**31) as sink:
                    shutil.copyfileobj(source, sink, CHUNK)
        os.chmod(temp, FILE_MODE)
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return target.stat().st_size
