"""Open a package zip for reading without trusting it, and without extracting anything to disk.

A package comes from anyone: an LMS export, a colleague, an attacker. Before a
single manifest byte is parsed, every entry's name, type, size and header is
checked against the rules below, so the later layers can assume a well-formed,
modestly sized archive whose names are plain relative paths. Any violation
rejects the whole zip (:class:`ZipRejected` lists every violation found), since
an LMS would extract the same hostile entries.

Nothing is ever extracted: names are checked in the central directory, and the
only content read is the manifest, through :meth:`SafeZip.read` with a size cap.
"""

from __future__ import annotations

import re
import stat
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from builder.validate.problems import Finding, shown

MAX_ENTRIES = 10_000
"""Most entries a package may hold. Course packages hold hundreds; a zip with
millions of tiny entries exhausts LMS inodes and our memory alike."""

MAX_TOTAL_UNCOMPRESSED = 2 * 1024**3
"""Most bytes (2 GiB) all entries may expand to, as declared in the central directory."""

MAX_RATIO = 200
"""Highest compression ratio accepted for a large entry. Text and media compress
at most ~20:1; ratios in the hundreds or thousands are the signature of a zip bomb."""

RATIO_MIN_SIZE = 10 * 1024**2
"""The ratio limit applies only to entries expanding past this size (10 MiB): a
small file of repeated bytes may compress 1000:1 and harms nobody."""

MAX_MANIFEST_BYTES = 8 * 1024**2
"""Most bytes read from a manifest (8 MiB). Real manifests are well under 1 MiB;
the cap holds even when the central directory lies about an entry's size."""

SYMLINK_NOTE = "symbolic link entries are refused: on extraction they can point anywhere on the server"

_DRIVE = re.compile(r"^[A-Za-z]:")
_ENCRYPTED_FLAG = 0x1


class ZipRejected(Exception):
    """The file is not a zip, cannot be read, or breaks a safety rule; ``findings`` says how."""

    def __init__(self, findings: list[Finding]) -> None:
        super().__init__("; ".join(f.message for f in findings))
        self.findings = findings


class EntryUnreadable(Exception):
    """An entry could not be read: corrupt data, bad checksum, or over the size cap."""


class SafeZip:
    """A zip that passed every check in this module: entry lookups and capped reads only."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self._archive = archive
        self._files = {i.filename: i for i in archive.infolist() if not i.is_dir()}

    @property
    def names(self) -> frozenset[str]:
        """Names of the file entries (directories left out), exactly as stored."""
        return frozenset(self._files)

    def read(self, name: str, limit: int | None = None) -> bytes:
        """Read one entry into memory, refusing more than ``limit`` bytes whatever its header claims.

        ``limit`` defaults to :data:`MAX_MANIFEST_BYTES`, looked up at call time.
        """
        limit = MAX_MANIFEST_BYTES if limit is None else limit
        info = self._files.get(name)
        if info is None:
            raise EntryUnreadable(f"no entry named {shown(name)!r}")
        if info.file_size > limit:
            raise EntryUnreadable(f"entry is {info.file_size:,} bytes; at most {limit:,} are read")
        try:
            with self._archive.open(info) as stream:
                data = stream.read(limit + 1)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, ValueError) as exc:
            raise EntryUnreadable(f"entry is corrupt or unreadable ({exc})") from exc
        if len(data) > limit:
            raise EntryUnreadable(f"entry expands past {limit:,} bytes")
        return data


@contextmanager
def open_package(path: Path) -> Iterator[SafeZip]:
    """Open ``path`` as a package zip, or raise :class:`ZipRejected` naming every problem found."""
    archive = _open_archive(path)
    with archive:
        infos = archive.infolist()
        findings = archive_findings(infos) or header_findings(archive, infos)
        if findings:
            raise ZipRejected(findings)
        yield SafeZip(archive)


def _open_archive(path: Path) -> zipfile.ZipFile:
    """Open the zip's central directory; every way this can fail becomes one clear finding."""
    if not path.exists():
        raise ZipRejected([Finding("", None, "file not found")])
    if not path.is_file():
        raise ZipRejected([Finding("", None, "not a file (a package must be a .zip file)")])
    try:
        return zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise ZipRejected([Finding("", None, f"not a readable zip file ({exc})")]) from exc
    except (OSError, EOFError, ValueError, NotImplementedError, zipfile.LargeZipFile) as exc:
        raise ZipRejected([Finding("", None, f"cannot read the zip ({type(exc).__name__}: {exc})")]) from exc


def archive_findings(infos: list[zipfile.ZipInfo]) -> list[Finding]:
    """Check the central directory: entry count, every name, duplicates, and total and per-entry sizes."""
    if len(infos) > MAX_ENTRIES:
        return [Finding("", None, f"zip holds {len(infos):,} entries; at most {MAX_ENTRIES:,} are accepted")]
    findings = [f for info in infos for f in entry_findings(info)]
    findings += duplicate_findings(infos)
    total = sum(info.file_size for info in infos)
    if total > MAX_TOTAL_UNCOMPRESSED:
        findings.append(
            Finding("", None, f"entries expand to {total:,} bytes; at most {MAX_TOTAL_UNCOMPRESSED:,} are accepted")
        )
    return findings


def entry_findings(info: zipfile.ZipInfo) -> list[Finding]:
    """Everything wrong with one entry on its own: its name, its type, encryption, compression ratio."""
    name = shown(info.filename)
    messages = name_problems(info.filename)
    if stat.S_ISLNK(info.external_attr >> 16):
        messages.append(SYMLINK_NOTE)
    if info.flag_bits & _ENCRYPTED_FLAG:
        messages.append("entry is encrypted; an LMS cannot open it")
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > RATIO_MIN_SIZE and ratio > MAX_RATIO:
        messages.append(
            f"entry expands {ratio:,.0f}:1 to {info.file_size:,} bytes (limit {MAX_RATIO}:1 above "
            f"{RATIO_MIN_SIZE // 1024**2} MiB); refusing a likely zip bomb"
        )
    return [Finding(name, None, message) for message in messages]


def name_problems(name: str) -> list[str]:
    """Why an entry name is unsafe to extract: anything but a plain relative path with ``/`` separators."""
    problems = []
    if not name:
        problems.append("entry has an empty name")
    if name.startswith("/"):
        problems.append("absolute path; entries must be relative to the package root")
    if _DRIVE.match(name):
        problems.append("path starts with a drive letter; entries must be relative to the package root")
    if "\\" in name:
        problems.append("backslash in path; zip entries must use '/' (a backslash can hide '..\\' on Windows)")
    if ".." in name.replace("\\", "/").split("/"):
        problems.append("'..' in path would write outside the extraction folder (zip slip)")
    if any(not c.isprintable() for c in name):
        problems.append("control character in path")
    return problems


def duplicate_findings(infos: list[zipfile.ZipInfo]) -> list[Finding]:
    """Names stored twice, or twice up to case: extraction keeps one silently, and which one differs per system."""
    seen: dict[str, str] = {}
    findings = []
    for info in infos:
        key = info.filename.casefold()
        if key not in seen:
            seen[key] = info.filename
            continue
        first = seen[key]
        how = "twice" if first == info.filename else f"twice up to case (also as {shown(first)!r})"
        findings.append(Finding(shown(info.filename), None, f"entry name stored {how}; extraction would keep one"))
    return findings


def header_findings(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> list[Finding]:
    """Check each entry's local header against the central directory, without decompressing anything.

    A zip whose local headers disagree with its directory shows different files
    to different tools - a known way to slip content past a validator.
    """
    findings = []
    for info in infos:
        if info.is_dir():
            continue
        try:
            archive.open(info).close()
        except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError, zlib.error) as exc:
            findings.append(Finding(shown(info.filename), None, f"entry header is corrupt or unsupported ({exc})"))
    return findings
