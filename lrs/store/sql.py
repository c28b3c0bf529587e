"""``SqlStore``: the :class:`~lrs.store.interface.Store` on SQLite or PostgreSQL.

One code path through SQLAlchemy Core; what differs per database lives in
:mod:`lrs.store.dialect`. Every write method runs in one transaction (all or
nothing) and is rerun when a concurrent writer made it fail in a way a rerun
cures (see :func:`lrs.store.dialect.is_retryable`). The schema is brought to
the newest Alembic revision when the store opens.
"""

from __future__ import annotations

import datetime as dt
import itertools
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from functools import partial
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from lrs.store import access, cmi5, documents, erase, ingest, retention
from lrs.store.codec import loads_object
from lrs.store.dialect import (
    DEFAULT_SQLITE_SYNCHRONOUS,
    SQLITE_BUSY_MS,
    create_engine,
    is_retryable,
    read_options,
    writer_engine,
)
from lrs.store.interface import (
    Attachment,
    AttachmentInfo,
    ClientRecord,
    Cmi5Session,
    Cmi5Unit,
    Document,
    DocumentKey,
    LaunchToken,
    NewStatement,
    PurgeResult,
    StatementPage,
    StatementQuery,
    StoredStatement,
    StoreError,
)
from lrs.store.migrate import upgrade
from lrs.store.query import query_statements as run_query
from lrs.store.sqlite_writes import WalCheckpointer, WriterLock
from lrs.store.tables import activities, agents, attachments, statement_attachment, statements

T = TypeVar("T")

#: Attempts of a write transaction that lost a race (unique key, deadlock).
_WRITE_ATTEMPTS = 3


def engine_of(target: Any) -> Engine:
    """The SQLAlchemy engine of an SQL store, or ``target`` itself when it is one.

    Accounts, imported courses and the portal live in the LRS's database
    beside the statements; a store without SQL tables (a test double) has
    none, and this says so instead of failing later.
    """
    if isinstance(target, Engine):
        return target
    engine = getattr(target, "engine", None)
    if not isinstance(engine, Engine):
        raise TypeError(f"this needs an SQL store (lrs.store.sql.SqlStore), not {type(target).__name__}")
    return engine


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _first(query: sa.Select[Any], conn: Connection) -> sa.Row[Any] | None:
    """The first row ``query`` selects (None when there is none)."""
    return conn.execute(query).first()


#: Pages of SQLite's cache on the attachment reader's connection: large values bypass it.
_BLOB_READER_CACHE_PAGES = 64


def _plain_reads(dbapi_connection: Any, _record: Any) -> None:
    """No memory map and a small cache on the attachment reader's SQLite connection."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA mmap_size=0")
        cursor.execute(f"PRAGMA cache_size={_BLOB_READER_CACHE_PAGES}")
    finally:
        cursor.close()


class SqlStore:
    """The LRS store on a SQLAlchemy URL (``sqlite:///path`` or ``postgresql+psycopg://...``)."""

    def __init__(self, url: str, *, migrate: bool = True, sqlite_synchronous: str = DEFAULT_SQLITE_SYNCHRONOUS) -> None:
        """Open the database and (by default) migrate it to the newest schema.

        ``sqlite_synchronous``: ``full`` (default, commits survive an OS crash)
        or ``normal`` (``LrsConfig.sqlite_synchronous``); ignored on PostgreSQL.
        """
        self.engine = create_engine(url, sqlite_synchronous=sqlite_synchronous)
        self.dialect = self.engine.dialect.name
        self._writer = writer_engine(self.engine, sqlite_synchronous=sqlite_synchronous)
        self._snapshot_reader = self.engine.execution_options(**read_options(self.engine))
        self._inflight: dict[int, dt.datetime] = {}
        self._inflight_lock = threading.Lock()
        self._inflight_ids = itertools.count()
        self._checkpointer: WalCheckpointer | None = None
        self._writer_lock: AbstractContextManager[None] = nullcontext()
        self._blob_reader: Engine | None = None  # SQLite attachment reads, see _sqlite_blob_chunk
        if self.dialect == "sqlite" and self.engine.url.database:
            self._checkpointer = WalCheckpointer(self.engine.url.database, busy_ms=SQLITE_BUSY_MS)
            self._writer_lock = WriterLock(self.engine.url.database)
        if migrate:
            upgrade(self._writer)

    def close(self) -> None:
        """Close every pooled connection (and let SQLite refresh its planner statistics)."""
        if self._checkpointer is not None:
            self._checkpointer.close()
        if isinstance(self._writer_lock, WriterLock):
            self._writer_lock.close()
        if self.dialect == "sqlite":
            with self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA analysis_limit=400")  # sampled: quick even on a big file
                conn.exec_driver_sql("PRAGMA optimize")
        if self._writer.pool is not self.engine.pool:  # SQLite's own writer engine
            self._writer.dispose()
        if self._blob_reader is not None:
            self._blob_reader.dispose()
        self.engine.dispose()

    # transactions ------------------------------------------------------
    def _write(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in one write transaction, rerunning it after a lost race."""
        for attempt in range(1, _WRITE_ATTEMPTS + 1):
            try:
                with self._writer.connect() as conn, self._writer_lock, conn.begin():
                    result = work(conn)
                if self._checkpointer is not None:
                    self._checkpointer.written()
                return result
            except sa.exc.DBAPIError as error:
                if attempt == _WRITE_ATTEMPTS or not is_retryable(error):
                    raise
        raise AssertionError("unreachable")

    def _read(self, work: Callable[[Connection], T], *, snapshot: bool = False) -> T:
        """Run ``work`` in a read transaction (one snapshot when ``snapshot``)."""
        engine = self._snapshot_reader if snapshot else self.engine
        with engine.connect() as conn, conn.begin():
            return work(conn)

    # statements --------------------------------------------------------
    def insert_statements(self, statements: Sequence[NewStatement], attachments: Sequence[Attachment]) -> list[str]:
        """Store a batch atomically; see :meth:`lrs.store.interface.Store.insert_statements`."""
        if not statements:
            return []
        ticket = next(self._inflight_ids)
        with self._inflight_lock:
            self._inflight[ticket] = min(s.stored for s in statements)
        try:
            plan = ingest.plan_batch(statements)
            now = _utcnow()
            return self._write(lambda conn: ingest.write_batch(conn, self.dialect, plan, attachments, now))
        finally:
            with self._inflight_lock:
                del self._inflight[ticket]

    def get_statement(self, statement_id: str) -> StoredStatement | None:
        """One statement by id, voided or not."""
        st = statements.c
        row = self._read(
            lambda conn: conn.execute(
                sa.select(st.id, st.body, st.stored, st.voided).where(st.id == statement_id)
            ).first()
        )
        if row is None:
            return None
        return StoredStatement(id=row.id, statement=loads_object(row.body), stored=row.stored, voided=bool(row.voided))

    def query_statements(self, query: StatementQuery) -> StatementPage:
        """A page of matching non-voided statements; see :mod:`lrs.store.query`."""
        return self._read(lambda conn: run_query(conn, query), snapshot=True)

    def consistent_through(self) -> dt.datetime:
        """Now, or just before the oldest batch this process is still writing.

        ``stored`` is set before the write commits, so a batch in flight may
        later appear with an earlier ``stored`` than "now". Other processes'
        in-flight batches are not known here; their window is the length of
        one insert transaction.
        """
        now = _utcnow()
        with self._inflight_lock:
            oldest = min(self._inflight.values(), default=None)
        if oldest is None:
            return now
        return min(now, oldest - dt.timedelta(microseconds=1))

    def get_attachments(self, sha2s: Sequence[str]) -> list[Attachment]:
        """Attachments by sha2 (missing ones are left out)."""
        if not sha2s:
            return []
        a = attachments.c
        rows = self._read(
            lambda conn: conn.execute(
                sa.select(a.sha2, a.content_type, a.content).where(a.sha2.in_(sorted(set(sha2s))))
            ).all()
        )
        return [Attachment(sha2=r.sha2, content_type=r.content_type, content=bytes(r.content)) for r in rows]

    def statement_attachments(self, statement_ids: Sequence[str]) -> list[AttachmentInfo]:
        """The attachments sent with these statements (``statement_attachment`` links), with their sizes."""
        if not statement_ids:
            return []
        a, link, st = attachments.c, statement_attachment.c, statements.c
        query = (
            sa.select(a.sha2, a.content_type, sa.func.length(a.content).label("size"))
            .select_from(
                attachments.join(statement_attachment, link.sha2 == a.sha2).join(statements, st.seq == link.statement)
            )
            .where(st.id.in_(sorted(set(statement_ids))))
            .distinct()
            .order_by(a.sha2)
        )
        rows = self._read(lambda conn: conn.execute(query).all())
        return [AttachmentInfo(sha2=r.sha2, content_type=r.content_type, size=int(r.size)) for r in rows]

    def attachment_chunks(self, sha2: str, chunk_bytes: int) -> Iterator[bytes]:
        """One attachment's bytes, one short read transaction per chunk (see the Store protocol)."""
        if chunk_bytes < 1:
            raise ValueError("chunk_bytes must be positive")
        read = self._sqlite_blob_chunk if self.dialect == "sqlite" else self._substring_chunk
        offset = 0
        while True:
            chunk = read(sha2, offset, chunk_bytes)
            if chunk is None:
                raise StoreError(f"attachment {sha2} was erased while it was being read")
            if chunk:
                yield chunk
            if len(chunk) < chunk_bytes:
                return
            offset += len(chunk)

    def _substring_chunk(self, sha2: str, offset: int, size: int) -> bytes | None:
        """PostgreSQL: ``substring`` of the bytea, which reads only the TOAST chunks it needs."""
        a = attachments.c
        piece = sa.select(sa.func.substr(a.content, offset + 1, size)).where(a.sha2 == sha2)  # counts from 1
        row = self._read(partial(_first, piece))
        if row is None:
            return None
        return bytes(row[0] or b"")

    def _sqlite_blob_chunk(self, sha2: str, offset: int, size: int) -> bytes | None:
        """SQLite: incremental blob I/O, which reads just ``size`` bytes of the row.

        ``substr`` would load the whole value for every chunk. The reads go
        through a connection of their own without a memory map: through the
        map, every page of a large answer would join the worker's resident
        memory, while plain reads of overflow pages bypass SQLite's cache
        (SQLITE_DIRECT_OVERFLOW_READ), so memory stays one chunk.
        """
        engine = self._blob_engine()
        with engine.connect() as conn, conn.begin():
            rowid = conn.execute(
                sa.select(sa.literal_column("rowid")).select_from(attachments).where(attachments.c.sha2 == sha2)
            ).scalar()
            if rowid is None:
                return None
            driver: sqlite3.Connection = conn.connection.driver_connection  # type: ignore[assignment]
            with driver.blobopen(attachments.name, attachments.c.content.name, rowid, readonly=True) as blob:
                blob.seek(offset)
                return blob.read(size)

    def _blob_engine(self) -> Engine:
        """The SQLite engine of :meth:`_sqlite_blob_chunk` (made on first use)."""
        with self._inflight_lock:
            if self._blob_reader is None:
                engine = create_engine(self.engine.url.render_as_string(hide_password=False))
                sa.event.listen(engine, "connect", _plain_reads)
                self._blob_reader = engine
            return self._blob_reader

    # documents ---------------------------------------------------------
    def get_document(self, key: DocumentKey) -> Document | None:
        """One document."""
        return self._read(lambda conn: documents.get_document(conn, key))

    def agent_documents(self, agent_key: str) -> list[Document]:
        """Every state and agent-profile document of one agent."""
        return self._read(lambda conn: documents.agent_documents(conn, agent_key))

    def list_document_ids(self, key: DocumentKey, since: dt.datetime | None) -> list[str]:
        """Ids of the documents under ``key`` updated after ``since``."""
        return self._read(lambda conn: documents.list_document_ids(conn, key, since))

    def put_document(self, document: Document, *, if_match: str | None, if_none_match: str | None) -> None:
        """Create or replace, honouring If-Match / If-None-Match."""
        self._write(lambda conn: documents.put_document(conn, document, if_match=if_match, if_none_match=if_none_match))

    def delete_documents(self, key: DocumentKey, *, if_match: str | None) -> None:
        """Delete one document or all under ``key`` (``doc_id`` empty)."""
        self._write(lambda conn: documents.delete_documents(conn, key, if_match=if_match))

    # agents and activities ---------------------------------------------
    def get_activity(self, activity_id: str) -> dict[str, Any] | None:
        """The canonical Activity object (definitions merged over the statements seen)."""
        body = self._read(
            lambda conn: conn.execute(
                sa.select(activities.c.body).where(activities.c.activity_id == activity_id)
            ).scalar()
        )
        return None if body is None else loads_object(body)

    def agents_for_person(self, agent_key: str) -> list[dict[str, Any]]:
        """Every distinct Agent object seen with this identifier."""
        bodies = self._read(
            lambda conn: (
                conn.execute(sa.select(agents.c.body).where(agents.c.agent_key == agent_key).order_by(agents.c.digest))
                .scalars()
                .all()
            )
        )
        return [loads_object(b) for b in bodies]

    # clients and cmi5 launch tokens ------------------------------------
    def put_client(self, client: ClientRecord) -> None:
        """Add or replace a client."""
        self._write(lambda conn: access.put_client(conn, self.dialect, client))

    def get_client(self, key: str) -> ClientRecord | None:
        """A client by key."""
        return self._read(lambda conn: access.get_client(conn, key))

    def list_clients(self) -> list[ClientRecord]:
        """All clients, by name."""
        return self._read(access.list_clients)

    def remove_client(self, key: str) -> bool:
        """Remove a client; False when there was none."""
        return self._write(lambda conn: access.remove_client(conn, key))

    def replace_client_secret(self, key: str, old_hash: str, new_hash: str) -> bool:
        """Compare-and-set a client's secret hash; see :meth:`lrs.store.interface.Store.replace_client_secret`."""
        return self._write(lambda conn: access.replace_client_secret(conn, key, old_hash, new_hash))

    def claim_auth_check(self, key: str, window: int) -> int:
        """Count one secret check atomically; see :meth:`lrs.store.interface.Store.claim_auth_check`."""
        return self._write(lambda conn: access.claim_auth_check(conn, self.dialect, key, window))

    def release_auth_check(self, key: str, window: int) -> None:
        """Give one check back; see :meth:`lrs.store.interface.Store.release_auth_check`."""
        self._write(lambda conn: access.release_auth_check(conn, key, window))

    def put_launch_token(self, token: LaunchToken) -> None:
        """Store a new cmi5 launch token."""
        self._write(lambda conn: access.put_launch_token(conn, token))

    def take_launch_token(self, token: str, now: dt.datetime) -> LaunchToken | None:
        """Mark a token fetched and return it; None when unknown, expired or already fetched."""
        return self._write(lambda conn: access.take_launch_token(conn, token, now))

    def get_launch_token(self, token: str) -> LaunchToken | None:
        """A token, fetched or not."""
        return self._read(lambda conn: access.get_launch_token(conn, token))

    # cmi5 LMS records ----------------------------------------------------
    def cmi5_write(self, registration: str, work: Callable[[Cmi5Unit], T]) -> T:
        """Run ``work`` with the registration's cmi5 records locked; see :mod:`lrs.store.cmi5`.

        Statements ``work`` stores get ``stored`` instants from after this
        call began, so until it ends ``consistent_through`` stays before it.
        """
        ticket = next(self._inflight_ids)
        with self._inflight_lock:
            self._inflight[ticket] = _utcnow()
        try:
            return self._write(lambda conn: work(cmi5.SqlCmi5Unit(conn, self.dialect, registration)))
        finally:
            with self._inflight_lock:
                del self._inflight[ticket]

    def get_cmi5_session(self, session_id: str) -> Cmi5Session | None:
        """One session record."""
        return self._read(lambda conn: cmi5.get_session(conn, session_id))

    def note_cmi5_read(self, session_id: str, *, launch_data: bool = False, preferences: bool = False) -> None:
        """Record what the session's AU read at start-up."""
        self._write(lambda conn: cmi5.note_read(conn, session_id, launch_data=launch_data, preferences=preferences))

    def cmi5_enrollment(self, actor_key: str, course_id: str, candidate: str, *, renew: bool = False) -> str:
        """The registration of a learner's enrollment in a course (``candidate`` when new or renewed)."""
        return self._write(
            lambda conn: cmi5.enrollment(conn, self.dialect, actor_key, course_id, candidate, renew=renew)
        )

    # learners ----------------------------------------------------------
    def erase_agent(self, agent_key: str) -> int:
        """Remove every statement and document of one learner; see :func:`lrs.store.erase.erase_agent`."""
        return self._write(lambda conn: erase.erase_agent(conn, agent_key))

    def count_stored_before(self, cutoff: dt.datetime) -> int:
        """Statements a purge at ``cutoff`` would remove."""
        return self._read(lambda conn: len(retention.statements_before(conn, cutoff)))

    def purge_before(self, cutoff: dt.datetime) -> PurgeResult:
        """Remove what the retention period no longer allows; see :func:`lrs.store.retention.purge_before`."""
        return self._write(lambda conn: retention.purge_before(conn, cutoff))
