"""Everything that differs between SQLite and PostgreSQL, in one place.

The rest of the store is written once against SQLAlchemy Core; this module
opens the engine with the right settings and builds the two statements that
standard SQL lacks (insert-or-ignore, upsert).
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from lrs.store.sqlite_writes import BACKSTOP_PAGES

#: Execution option marking a connection whose transaction will write.
WRITE = "lrs_write"

#: How long a SQLite writer waits for another writer before giving up.
SQLITE_BUSY_MS = 10_000
#: Bytes of the SQLite file read through a memory map.
SQLITE_MMAP_BYTES = 2**31 - 2**16
#: ``PRAGMA synchronous`` levels an operator may choose (``LrsConfig.sqlite_synchronous``).
#: ``full`` (default): every commit is fsynced before the LRS answers, so an
#: acknowledged statement survives an OS crash or power cut. ``normal``: in WAL mode
#: SQLite fsyncs only at checkpoints, so a power cut may drop the last
#: acknowledged transactions (the database stays consistent); faster on disks
#: with slow fsync. Other levels (``off``, ``extra``) are not offered: ``off``
#: can corrupt the database and ``extra`` adds nothing to WAL mode.
SQLITE_SYNCHRONOUS_LEVELS = ("full", "normal")
DEFAULT_SQLITE_SYNCHRONOUS = "full"


def check_sqlite_synchronous(level: str) -> str:
    """``level`` lower-cased, or ValueError naming the allowed values."""
    lowered = level.strip().lower()
    if lowered not in SQLITE_SYNCHRONOUS_LEVELS:
        allowed = " or ".join(SQLITE_SYNCHRONOUS_LEVELS)
        raise ValueError(f"sqlite_synchronous (GSOG_LRS_SQLITE_SYNCHRONOUS): must be {allowed}, got {level!r}")
    return lowered


def normalise_url(url: str) -> sa.URL:
    """Accept ``postgresql://`` and ``postgres://`` but always use psycopg 3."""
    parsed = sa.make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise ValueError(f"unsupported database {parsed.get_backend_name()!r}: use sqlite:/// or postgresql+psycopg://")
    if parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:"):
        # Every pooled connection would see its own empty in-memory database.
        raise ValueError("SQLite needs a file: sqlite:///path/to/lrs.sqlite3 (a temp file in tests)")
    return parsed


def create_engine(url: str, *, sqlite_synchronous: str = DEFAULT_SQLITE_SYNCHRONOUS) -> Engine:
    """An engine tuned for the LRS on either database (reads, and writes on PostgreSQL).

    ``sqlite_synchronous`` (``full`` or ``normal``, see
    :data:`SQLITE_SYNCHRONOUS_LEVELS`) applies to SQLite only; PostgreSQL's
    durability is the server's ``synchronous_commit`` (on by default).
    """
    level = check_sqlite_synchronous(sqlite_synchronous)
    parsed = normalise_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, writer=False, synchronous=level)
    return _postgresql_engine(parsed)


def writer_engine(engine: Engine, *, sqlite_synchronous: str = DEFAULT_SQLITE_SYNCHRONOUS) -> Engine:
    """The engine write transactions use.

    SQLite: a separate engine holding one connection with a 256 MiB page
    cache. SQLite runs one writer at a time anyway, so concurrent writes
    now queue in the pool instead of polling the file lock, and the index
    pages every insert touches stay in that one cache: ingest into a large
    database gets markedly faster. Readers keep their own, smaller caches.
    PostgreSQL: the same engine (the server has its own shared cache).
    ``sqlite_synchronous`` as for :func:`create_engine` (the writer's is the
    one that matters: only it commits).
    """
    if engine.dialect.name == "sqlite":
        return _sqlite_engine(engine.url, writer=True, synchronous=check_sqlite_synchronous(sqlite_synchronous))
    return engine.execution_options(**{WRITE: True})


def _enable_wal(cursor: Any) -> None:
    """``PRAGMA journal_mode=WAL``, waiting while another connection switches a fresh file.

    Switching the journal mode needs an exclusive lock, and SQLite answers
    "database is locked" at once, without its busy handler, when several
    processes open a new database together (gunicorn workers at first
    start): retry for up to the busy timeout instead of failing the worker.
    """
    deadline = time.monotonic() + SQLITE_BUSY_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.005)


def _sqlite_engine(url: sa.URL, *, writer: bool, synchronous: str) -> Engine:
    """SQLite: WAL, synchronous (FULL unless configured), foreign keys, busy timeout, BEGIN IMMEDIATE for writers.

    The driver's own transaction handling is switched off (``isolation_level
    = None``) so we emit BEGIN ourselves: a read gets a plain (deferred)
    snapshot, a write takes the write lock up front with BEGIN IMMEDIATE. A
    deferred transaction that reads and then writes could otherwise fail with
    SQLITE_BUSY when another writer got in between, which no timeout cures.
    """
    pool: dict[str, Any] = {"pool_size": 1, "max_overflow": 0, "pool_timeout": 60} if writer else {}
    engine = sa.create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_MS / 1000},
        pool_pre_ping=False,
        hide_parameters=True,  # error texts (and so logs) never carry statement content
        **pool,
    )
    cache_kib = 262_144 if writer else 65_536

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            # WAL: readers never block the writer and commits are one append.
            _enable_wal(cursor)
            # FULL (default): each commit is fsynced before it is acknowledged,
            # so it survives an OS crash or power cut. NORMAL (opt-out): durable
            # across application crashes only; see SQLITE_SYNCHRONOUS_LEVELS.
            cursor.execute(f"PRAGMA synchronous={synchronous.upper()}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
            cursor.execute(f"PRAGMA cache_size=-{cache_kib}")  # KiB of page cache for this connection
            cursor.execute("PRAGMA temp_store=MEMORY")
            # Read pages straight from the OS cache instead of a pread() and a
            # copy each: on a database larger than the page cache, ingest and
            # queries touch hundreds of random index pages per request.
            # (Writes still go through the WAL; SQLite caps this at its
            # compile-time maximum, 2 GiB by default.)
            cursor.execute(f"PRAGMA mmap_size={int(os.environ.get('XMMAP', SQLITE_MMAP_BYTES))}")
            # The writer leaves checkpoints to lrs.store.sqlite_writes' thread
            # and only steps in past ~200 MB of WAL (the backstop). Readers
            # never checkpoint (SQLite runs it on a write's commit only).
            cursor.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")
            cursor.execute(f"PRAGMA journal_size_limit={64 * 1024 * 1024}")
        finally:
            cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    if writer:
        engine = engine.execution_options(**{WRITE: True})
    return engine


def _postgresql_engine(url: sa.URL) -> Engine:
    """PostgreSQL through psycopg 3; a small pool that checks connections before use.

    psycopg's executemany sends one INSERT per row (pipelined); with
    ``use_insertmanyvalues_wo_returning`` SQLAlchemy sends multi-row
    ``INSERT ... VALUES`` pages instead, for the executemany writes that are
    not :func:`bulk_insert` (agents seen, activities). The psycopg2 dialect
    has it on by default; for psycopg 3 we opt in.
    """
    # hide_parameters: error texts (and so logs) never carry learners' names, e-mails or statement content
    engine = sa.create_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True, hide_parameters=True)
    engine.dialect.use_insertmanyvalues_wo_returning = True
    return engine


def read_options(engine: Engine) -> dict[str, Any]:
    """Execution options for a multi-query read that must see one snapshot.

    PostgreSQL's default READ COMMITTED takes a new snapshot per query, so
    reads use REPEATABLE READ (read-only, so it never fails to serialise).
    SQLite's BEGIN already gives one snapshot.
    """
    if engine.dialect.name == "postgresql":
        return {"isolation_level": "REPEATABLE READ"}
    return {}


def _insert(table: sa.Table, dialect_name: str) -> sqlite.Insert | postgresql.Insert:
    """The dialect's INSERT construct, which knows ON CONFLICT."""
    if dialect_name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def insert_ignore(table: sa.Table, dialect_name: str) -> sa.Insert:
    """``INSERT ... ON CONFLICT DO NOTHING`` (same syntax on both databases)."""
    return _insert(table, dialect_name).on_conflict_do_nothing()


def upsert(table: sa.Table, dialect_name: str, keys: Sequence[str]) -> sa.Insert:
    """``INSERT ... ON CONFLICT (keys) DO UPDATE`` every other column."""
    stmt = _insert(table, dialect_name)
    updates = {c.name: stmt.excluded[c.name] for c in table.columns if c.name not in keys}
    return stmt.on_conflict_do_update(index_elements=list(keys), set_=updates)


def bulk_insert(conn: Connection, table: sa.Table, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert many new rows, given as tuples of ``columns``' values, in one statement.

    PostgreSQL: ``INSERT ... SELECT * FROM unnest(:col1, :col2, ...)`` with
    one array parameter per column. The driver sends a few arrays instead of
    a thousand-row VALUES text it would have to build and parse, and the
    server plans one short statement: ingest gets several times faster.
    SQLite: the driver's executemany (a C loop over one prepared statement)
    on plain tuples, skipping SQLAlchemy's per-row parameter handling, which
    costs as much as SQLite's own work here; column types still convert the
    values (bind processors, applied only to the columns that have one).
    """
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        compiled = _compiled_insert(conn, table, tuple(columns))
        processors = [
            (position, processor)
            for position, name in enumerate(columns)
            if (processor := table.c[name].type.bind_processor(conn.dialect)) is not None
        ]
        if processors:
            converted = []
            for row in rows:
                values = list(row)
                for position, processor in processors:
                    values[position] = processor(values[position])
                converted.append(tuple(values))
            conn.exec_driver_sql(compiled, converted)
        else:
            conn.exec_driver_sql(compiled, list(rows))
        return
    arrays = [
        sa.cast(
            sa.bindparam(f"bulk_{name}", list(values), type_=postgresql.ARRAY(table.c[name].type)),
            postgresql.ARRAY(table.c[name].type),
        )
        for name, values in zip(columns, zip(*rows, strict=True), strict=True)
    ]
    source = sa.func.unnest(*arrays).table_valued(*columns).render_derived()
    conn.execute(sa.insert(table).from_select(list(columns), sa.select(*(source.c[name] for name in columns))))


def _compiled_insert(conn: Connection, table: sa.Table, columns: tuple[str, ...]) -> str:
    """The driver-level INSERT text for ``columns`` (qmark placeholders in ``columns`` order)."""
    key = (table.name, columns)
    text = _INSERT_TEXT.get(key)
    if text is None:
        preparer = conn.dialect.identifier_preparer
        names = ", ".join(preparer.quote(name) for name in columns)
        placeholders = ", ".join("?" for _ in columns)
        text = _INSERT_TEXT[key] = f"INSERT INTO {preparer.format_table(table)} ({names}) VALUES ({placeholders})"
    return text


#: INSERT texts by (table, columns): building them is pure overhead repeated per batch.
_INSERT_TEXT: dict[tuple[str, tuple[str, ...]], str] = {}


def reserve_seqs(conn: Connection, table: sa.Table, count: int) -> list[int]:
    """``count`` new, increasing values of ``table``'s ``seq`` key, for rows inserted with them.

    Assigning the keys up front lets :func:`bulk_insert` write a batch
    without ``RETURNING`` (which SQLAlchemy can only do through its slower
    per-row parameter path). PostgreSQL: from the column's sequence (safe
    with concurrent writers). SQLite: after the highest key ever handed out
    (``sqlite_sequence``, kept by AUTOINCREMENT), which only the transaction
    holding the write lock (BEGIN IMMEDIATE) can move.
    """
    if conn.dialect.name == "postgresql":
        sequence = sa.func.pg_get_serial_sequence(table.name, "seq")
        values = conn.execute(
            sa.select(sa.func.nextval(sequence)).select_from(sa.func.generate_series(1, count))
        ).scalars()
        return sorted(values)
    highest = conn.exec_driver_sql("SELECT seq FROM sqlite_sequence WHERE name = ?", (table.name,)).scalar()
    start = int(highest or 0) + 1
    return list(range(start, start + count))


def is_retryable(error: sa.exc.DBAPIError) -> bool:
    """Errors a concurrent writer causes, after which the whole transaction can run again.

    A unique violation (two requests storing the same new id at once),
    PostgreSQL's deadlock / serialisation failures.
    """
    if isinstance(error, sa.exc.IntegrityError):
        return True
    sqlstate = getattr(error.orig, "sqlstate", None)
    return sqlstate in ("40001", "40P01")
