"""Package zips: entries readable by the web server that serves them, bytes reproducible."""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

from builder.zipfiles import write_zip


def _write(tmp_path: Path, name: str) -> Path:
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"\0" * 4096)
    target = tmp_path / name
    write_zip(target, [("index.html", b"<!DOCTYPE html>"), ("media/clip.mp4", video)])
    return target


def test_every_entry_is_a_regular_file_with_mode_0644(tmp_path: Path) -> None:
    target = _write(tmp_path, "package.zip")
    with zipfile.ZipFile(target) as archive:
        infos = archive.infolist()
    assert [i.filename for i in infos] == ["index.html", "media/clip.mp4"]
    for info in infos:
        assert info.create_system == 3, info.filename  # unix: unzip honours the mode bits
        mode = info.external_attr >> 16
        assert stat.S_ISREG(mode), info.filename
        assert stat.S_IMODE(mode) == 0o644, (info.filename, oct(mode))


def test_the_zip_itself_is_readable_by_others(tmp_path: Path) -> None:
    assert stat.S_IMODE(_write(tmp_path, "package.zip").stat().st_mode) == 0o644


def test_same_entries_give_the_same_bytes(tmp_path: Path) -> None:
    assert _write(tmp_path, "a.zip").read_bytes() == _write(tmp_path, "b.zip").read_bytes()
