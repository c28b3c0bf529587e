"""Import, list, remove and read cmi5 course packages, all or nothing.

An import runs the builder's package validator (``course validate``: zip
safety, the cmi5.xml rules, the XSD when the schemas are present) and
refuses any package it finds a problem in, each problem naming the zip
entry, the line and the requirement broken. An accepted package is written
in one database transaction (its metadata, AUs and every file, streamed in
chunks), so a refusal or a failure half-way leaves the database as it was.

Versions: a package is identified by its cmi5 course id and its version
(``course.js``/``metadata.xml``, ``""`` when it declares none). Importing
the same course and version again replaces it atomically: readers see the
old package or the new one, never a mix. Importing another version adds it
beside the older ones, which stay (with their files) for the registrations
already in flight on them; the version imported last is the *current* one,
the one the catalogue shows and new registrations use. ``remove`` deletes
versions explicitly.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tempfile
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from builder.validate import check_package
from builder.validate.problems import Finding, PackageProblem
from builder.validate.zipsafe import ZipRejected, open_package
from lrs.courses.metadata import COURSE_STRUCTURE, AuInfo, Goal, LangMap, PackageInfo, read_package_info
from lrs.courses.tables import course_aus, course_file_chunks, course_files, course_packages
from lrs.store.dialect import WRITE
from lrs.store.interface import Store
from lrs.store.sql import engine_of

#: Bytes per stored chunk of a file: the most a read of a file holds in memory at a time.
CHUNK_BYTES: Final = 1024 * 1024
#: Most bytes a package may expand to. Our packages are ~10 MB; the builder's validator allows
#: 2 GiB, which is more than a database row store should take from one upload.
MAX_PACKAGE_BYTES: Final = 1024 * 1024 * 1024
#: Why a zip without cmi5.xml at its root is refused.
NO_COURSE_STRUCTURE: Final = (
    "no cmi5.xml at the root of the zip: not a cmi5 package "
    "(cmi5 14.0: a zip package MUST contain the course structure file cmi5.xml at its root directory)"
)


class CourseImportError(Exception):
    """A package was refused; ``problems`` lists each reason as ``pkg.zip!entry:line: message``."""

    def __init__(self, package: str, problems: Sequence[str]) -> None:
        super().__init__(f"{package}: refused, " + "; ".join(problems))
        self.package = package
        self.problems = tuple(problems)


@dataclass(frozen=True)
class ImportedCourse:
    """One stored package version: what the catalogue, the CLI and (later) the portal's launches read."""

    id: int
    course_iri: str
    version: str
    course_key: str
    current: bool
    languages: tuple[str, ...]
    sector: str | None
    level: str | None
    title: LangMap
    description: LangMap
    duration: str | None
    goals: tuple[Goal, ...]
    aus: tuple[AuInfo, ...]
    package_name: str
    sha256: str
    imported: dt.datetime
    files: int = 0
    size: int = 0
    replaced: bool = field(default=False, compare=False)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (``lrs course list --json``)."""
        return {
            "id": self.id,
            "course": self.course_iri,
            "version": self.version,
            "courseKey": self.course_key,
            "current": self.current,
            "languages": list(self.languages),
            "sector": self.sector,
            "level": self.level,
            "title": self.title,
            "description": self.description,
            "duration": self.duration,
            "goals": [g.as_dict() for g in self.goals],
            "aus": [au_dict(au) for au in self.aus],
            "package": self.package_name,
            "sha256": self.sha256,
            "imported": self.imported.isoformat(),
            "files": self.files,
            "bytes": self.size,
        }


def au_dict(au: AuInfo) -> dict[str, Any]:
    """JSON-ready form of an AU."""
    return {
        "id": au.au_id,
        "title": au.title,
        "description": au.description,
        "moveOn": au.move_on,
        "masteryScore": au.mastery_score,
        "launchMethod": au.launch_method,
        "url": au.url,
        "objectives": list(au.objectives),
    }


@dataclass(frozen=True)
class CourseFile:
    """One stored file of a package: enough to answer ETag and Range requests before reading bytes."""

    package_id: int
    path: str
    size: int
    crc: int

    @property
    def etag(self) -> str:
        """A strong validator: the zip's CRC-32 and the size (as the preview uses)."""
        return f"{self.crc:08x}-{self.size:x}"


def writing(target: Store | Engine) -> Engine:
    """The engine for a write transaction: on SQLite it begins with BEGIN IMMEDIATE (see ``lrs.store.dialect``).

    An import reads (is this version stored?) and then writes; a deferred
    SQLite transaction doing so could fail when another writer got in
    between, whatever the busy timeout.
    """
    return engine_of(target).execution_options(**{WRITE: True})


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# --- import -----------------------------------------------------------------------------------------------------


@contextmanager
def _as_file(package: bytes | str | Path) -> Iterator[Path]:
    """The package as a file: a path as given, bytes in a temporary file removed afterwards."""
    if not isinstance(package, bytes):
        yield Path(package)
        return
    with tempfile.NamedTemporaryFile(suffix=".zip") as handle:
        handle.write(package)
        handle.flush()
        yield Path(handle.name)


def _where(name: str, finding: Finding | PackageProblem) -> str:
    """``pkg.zip!entry:line: message``, with the name the user knows (never a temporary path)."""
    place = name + (f"!{finding.file}" if finding.file else "") + (f":{finding.line}" if finding.line else "")
    return f"{place}: {finding.message}"


def validate(path: Path, name: str, max_bytes: int = MAX_PACKAGE_BYTES) -> None:
    """Refuse the package unless it is a safe zip holding a valid cmi5 course structure.

    The rules are the builder's (:mod:`builder.validate`); this adds what an
    importer needs beyond ``course validate``: the package must be cmi5 and
    fit the size the LRS stores.
    """
    try:
        with open_package(path) as package:
            names = package.names
    except ZipRejected as rejected:
        raise CourseImportError(name, [_where(name, f) for f in rejected.findings]) from None
    if COURSE_STRUCTURE not in names:
        raise CourseImportError(name, [f"{name}: {NO_COURSE_STRUCTURE}"])
    with zipfile.ZipFile(path) as archive:
        total = sum(info.file_size for info in archive.infolist())
    if total > max_bytes:
        raise CourseImportError(
            name, [f"{name}: the package expands to {total:,} bytes; the LRS stores packages of at most {max_bytes:,}"]
        )
    report = check_package(path)
    if report.problems:
        raise CourseImportError(name, [_where(name, p) for p in report.problems])
    if report.format != "cmi5":
        raise CourseImportError(name, [f"{name}: read as {report.format}, not cmi5 ({NO_COURSE_STRUCTURE})"])


def import_package(
    target: Store | Engine,
    package: bytes | str | Path,
    *,
    name: str | None = None,
    max_bytes: int = MAX_PACKAGE_BYTES,
    now: dt.datetime | None = None,
) -> ImportedCourse:
    """Validate a cmi5 package zip (a path or its bytes) and store it, or raise :class:`CourseImportError`.

    ``name`` is how messages call the package (default: the file's name).
    """
    with _as_file(package) as path:
        label = name or (path.name if not isinstance(package, bytes) else "package.zip")
        validate(path, label, max_bytes)
        with open_package(path) as safe:
            info = read_package_info(safe)
        digest = _sha256(path)
        try:
            with writing(target).begin() as conn:
                return _store(conn, path, label, info, digest, now or _utcnow())
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
            raise CourseImportError(label, [f"{label}: a file could not be read from the zip ({exc})"]) from exc
        except sa.exc.IntegrityError as exc:
            raise CourseImportError(
                label, [f"{label}: another import of {info.course_iri} {info.version} ran at the same time; retry"]
            ) from exc


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(CHUNK_BYTES), b""):
            digest.update(block)
    return digest.hexdigest()


def _store(conn: Connection, path: Path, name: str, info: PackageInfo, digest: str, now: dt.datetime) -> ImportedCourse:
    """Write one package version in the caller's transaction, replacing the same version if stored."""
    p = course_packages.c
    _lock_course(conn, info.course_iri)
    old = conn.execute(
        sa.select(p.id).where(p.course_iri == info.course_iri, p.version == info.version).with_for_update()
    ).scalar()
    if old is not None:
        _delete_packages(conn, [old])
    conn.execute(sa.update(course_packages).where(p.course_iri == info.course_iri).values(current=False))
    package_id = conn.execute(
        sa.insert(course_packages)
        .values(
            course_iri=info.course_iri,
            version=info.version,
            course_key=info.course_key,
            current=True,
            languages=list(info.languages),
            sector=info.sector,
            level=info.level,
            title=info.title,
            description=info.description,
            duration=info.duration,
            goals=[g.as_dict() for g in info.goals],
            package_name=name,
            sha256=digest,
            imported=now,
        )
        .returning(p.id)
    ).scalar_one()
    if info.aus:
        conn.execute(
            sa.insert(course_aus),
            [
                {
                    "package_id": package_id,
                    "position": n,
                    "au_id": au.au_id,
                    "title": au.title,
                    "description": au.description,
                    "move_on": au.move_on,
                    "mastery_score": au.mastery_score,
                    "launch_method": au.launch_method,
                    "url": au.url,
                    "objectives": list(au.objectives),
                }
                for n, au in enumerate(info.aus)
            ],
        )
    files, size = _store_files(conn, path, package_id)
    return ImportedCourse(
        id=package_id,
        course_iri=info.course_iri,
        version=info.version,
        course_key=info.course_key,
        current=True,
        languages=info.languages,
        sector=info.sector,
        level=info.level,
        title=info.title,
        description=info.description,
        duration=info.duration,
        goals=info.goals,
        aus=info.aus,
        package_name=name,
        sha256=digest,
        imported=now,
        files=files,
        size=size,
        replaced=old is not None,
    )


def _store_files(conn: Connection, path: Path, package_id: int) -> tuple[int, int]:
    """Copy every file of the zip into the database, one chunk in memory at a time; (count, bytes)."""
    count = total = 0
    with zipfile.ZipFile(path) as archive:
        for member in archive.infolist():
            if member.is_dir():
                continue
            conn.execute(
                sa.insert(course_files).values(
                    package_id=package_id, path=member.filename, size=member.file_size, crc=member.CRC
                )
            )
            with archive.open(member) as stream:  # checks the CRC at the end: a corrupt member raises
                for seq, chunk in enumerate(iter(lambda: stream.read(CHUNK_BYTES), b"")):
                    conn.execute(
                        sa.insert(course_file_chunks).values(
                            package_id=package_id, path=member.filename, seq=seq, data=chunk
                        )
                    )
            count += 1
            total += member.file_size
    return count, total


def _lock_course(conn: Connection, course_iri: str) -> None:
    """Serialise the transactions changing one course's versions, so exactly one version stays current.

    SQLite's writers are serialised already (BEGIN IMMEDIATE); on PostgreSQL
    two imports of different versions would otherwise each clear the other's
    ``current`` before either committed. The lock ends with the transaction.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:iri, 0))"), {"iri": course_iri})


def _delete_packages(conn: Connection, ids: Sequence[int]) -> None:
    """Delete package versions and everything under them (children first: no reliance on cascades)."""
    conn.execute(sa.delete(course_file_chunks).where(course_file_chunks.c.package_id.in_(ids)))
    conn.execute(sa.delete(course_files).where(course_files.c.package_id.in_(ids)))
    conn.execute(sa.delete(course_aus).where(course_aus.c.package_id.in_(ids)))
    conn.execute(sa.delete(course_packages).where(course_packages.c.id.in_(ids)))


# --- reading ----------------------------------------------------------------------------------------------------


def _goal(value: Any) -> Goal:
    return Goal(str(value["id"]), dict(value.get("title") or {}), dict(value.get("description") or {}))


def load_packages(conn: Connection, where: sa.ColumnElement[bool] | None = None) -> list[ImportedCourse]:
    """Stored package versions (all, or those ``where`` selects), with their AUs and file counts."""
    p, a, f = course_packages.c, course_aus.c, course_files.c
    query = sa.select(course_packages).order_by(p.course_key, p.course_iri, p.imported, p.id)
    rows = conn.execute(query if where is None else query.where(where)).all()
    ids = [row.id for row in rows]
    aus: dict[int, list[AuInfo]] = {i: [] for i in ids}
    stats: dict[int, tuple[int, int]] = {}
    if ids:
        for au in conn.execute(sa.select(course_aus).where(a.package_id.in_(ids)).order_by(a.package_id, a.position)):
            aus[au.package_id].append(
                AuInfo(
                    au_id=au.au_id,
                    title=dict(au.title),
                    description=dict(au.description),
                    move_on=au.move_on,
                    mastery_score=au.mastery_score,
                    launch_method=au.launch_method,
                    url=au.url,
                    objectives=tuple(au.objectives),
                )
            )
        counted = sa.select(f.package_id, sa.func.count(), sa.func.coalesce(sa.func.sum(f.size), 0))
        for package_id, count, size in conn.execute(counted.where(f.package_id.in_(ids)).group_by(f.package_id)):
            stats[package_id] = (int(count), int(size))
    return [
        ImportedCourse(
            id=row.id,
            course_iri=row.course_iri,
            version=row.version,
            course_key=row.course_key,
            current=bool(row.current),
            languages=tuple(row.languages),
            sector=row.sector,
            level=row.level,
            title=dict(row.title),
            description=dict(row.description),
            duration=row.duration,
            goals=tuple(_goal(g) for g in row.goals),
            aus=tuple(aus[row.id]),
            package_name=row.package_name,
            sha256=row.sha256,
            imported=row.imported,
            files=stats.get(row.id, (0, 0))[0],
            size=stats.get(row.id, (0, 0))[1],
        )
        for row in rows
    ]


def list_courses(target: Store | Engine, *, current_only: bool = False) -> list[ImportedCourse]:
    """Every stored package version (or only the current ones), grouped by course."""
    with engine_of(target).connect() as conn:
        return load_packages(conn, course_packages.c.current.is_(True) if current_only else None)


def remove_course(target: Store | Engine, ident: str, version: str | None = None) -> int:
    """Remove a package version by id, or a course's versions by its cmi5 course IRI; how many were removed.

    With ``version``, only that version of the course goes. When the current
    version is removed and older ones remain, the one imported last becomes
    current.
    """
    p = course_packages.c
    chosen = p.id == int(ident) if ident.isdigit() else p.course_iri == ident
    if version is not None:
        chosen = sa.and_(chosen, p.version == version)
    with writing(target).begin() as conn:
        rows = conn.execute(sa.select(p.id, p.course_iri).where(chosen)).all()
        if not rows:
            return 0
        for course_iri in sorted({row.course_iri for row in rows}):
            _lock_course(conn, course_iri)
        rows = conn.execute(sa.select(p.id, p.course_iri).where(chosen).with_for_update()).all()
        _delete_packages(conn, [row.id for row in rows])
        for course_iri in {row.course_iri for row in rows}:
            _promote_latest(conn, course_iri)
    return len(rows)


def _promote_latest(conn: Connection, course_iri: str) -> None:
    """Make the version imported last current, if no remaining version is."""
    p = course_packages.c
    remaining = conn.execute(
        sa.select(p.id, p.current).where(p.course_iri == course_iri).order_by(p.imported.desc(), p.id.desc())
    ).all()
    if remaining and not any(row.current for row in remaining):
        conn.execute(sa.update(course_packages).where(p.id == remaining[0].id).values(current=True))


# --- files ------------------------------------------------------------------------------------------------------


def course_file(target: Store | Engine, package_id: int, path: str) -> CourseFile | None:
    """A stored file of a package by its exact name in the zip, or None."""
    f = course_files.c
    with engine_of(target).connect() as conn:
        row = conn.execute(sa.select(f.size, f.crc).where(f.package_id == package_id, f.path == path)).first()
    return None if row is None else CourseFile(package_id, path, int(row.size), int(row.crc))


def file_chunks(target: Store | Engine, file: CourseFile, start: int = 0, end: int | None = None) -> Iterator[bytes]:
    """Bytes ``start`` to ``end`` (default: the end) of a stored file, at most one chunk in memory at a time."""
    end = file.size if end is None else min(end, file.size)
    c = course_file_chunks.c
    engine = engine_of(target)
    position = start - start % CHUNK_BYTES
    seq = start // CHUNK_BYTES
    while position < end:
        with engine.connect() as conn:
            data = conn.execute(
                sa.select(c.data).where(c.package_id == file.package_id, c.path == file.path, c.seq == seq)
            ).scalar()
        if data is None:
            return
        chunk = bytes(data)
        yield chunk[max(start - position, 0) : end - position]
        position += len(chunk)
        seq += 1
