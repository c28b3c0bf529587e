"""The cmi5 LMS records in SQL: registrations, AUs, sessions, enrollments.

All changes to one registration go through :class:`SqlCmi5Unit`, created by
``SqlStore.cmi5_write`` inside a write transaction after its
``cmi5_registrations`` row is locked with ``SELECT ... FOR UPDATE``. The
lock is what makes the AU rules hold under several server processes: two
requests of one session (or of two sessions of one registration) cannot
both see "not completed yet" and both store a ``completed``. On PostgreSQL
the row lock orders them; SQLite has one writer at a time anyway (and
ignores FOR UPDATE). A registration's first writer finds no row to lock;
two of them racing both INSERT it, the loser gets an IntegrityError and the
store reruns its transaction, which then waits on the row.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lrs.store import documents, ingest
from lrs.store.access import put_launch_token
from lrs.store.codec import dumps, loads_object
from lrs.store.dialect import insert_ignore, upsert
from lrs.store.interface import (
    Attachment,
    Cmi5Au,
    Cmi5Registration,
    Cmi5Session,
    Cmi5Status,
    Document,
    LaunchToken,
    NewStatement,
)
from lrs.store.tables import cmi5_aus, cmi5_enrollments, cmi5_registrations, cmi5_sessions, statements

#: Session states in which the AU may still send statements (and a new launch abandons it).
OPEN: tuple[Cmi5Status, ...] = ("launched", "initialized")


def _registration(row: Any) -> Cmi5Registration:
    return Cmi5Registration(
        registration=row.registration,
        actor_key=row.actor_key,
        actor=loads_object(row.actor),
        authority=loads_object(row.authority),
        created=row.created,
        course=None if row.course is None else loads_object(row.course),
        satisfied=bool(row.satisfied),
    )


def _session(row: Any) -> Cmi5Session:
    return Cmi5Session(
        session_id=row.session_id,
        registration=row.registration,
        activity_id=row.activity_id,
        launch_data=loads_object(row.launch_data),
        launched=row.launched,
        status=cast(Cmi5Status, row.status),
        verbs=tuple(str(v) for v in json.loads(row.verbs)),
        launch_data_read=bool(row.launch_data_read),
        preferences_read=bool(row.preferences_read),
        last_statement=row.last_statement,
    )


def get_session(conn: Connection, session_id: str) -> Cmi5Session | None:
    """One session record by id."""
    row = conn.execute(sa.select(cmi5_sessions).where(cmi5_sessions.c.session_id == session_id)).first()
    return None if row is None else _session(row)


def note_read(conn: Connection, session_id: str, *, launch_data: bool, preferences: bool) -> None:
    """Set the session's read flags (only ever from false to true, so no lock is needed)."""
    values: dict[str, Any] = {}
    if launch_data:
        values["launch_data_read"] = True
    if preferences:
        values["preferences_read"] = True
    if values:
        conn.execute(sa.update(cmi5_sessions).where(cmi5_sessions.c.session_id == session_id).values(**values))


def enrollment(conn: Connection, dialect: str, actor_key: str, course_id: str, candidate: str, *, renew: bool) -> str:
    """The enrollment's registration, created (or, with ``renew``, replaced) with ``candidate``."""
    row = {"actor_key": actor_key, "course_id": course_id, "registration": candidate}
    statement = upsert(cmi5_enrollments, dialect, ["actor_key", "course_id"]) if renew else None
    conn.execute(statement if statement is not None else insert_ignore(cmi5_enrollments, dialect), [row])
    e = cmi5_enrollments.c
    found = conn.execute(sa.select(e.registration).where(e.actor_key == actor_key, e.course_id == course_id)).scalar()
    return str(found)


def erase(conn: Connection, actor_key: str) -> None:
    """Remove one learner's cmi5 records (AUs and sessions go with the registration)."""
    conn.execute(sa.delete(cmi5_registrations).where(cmi5_registrations.c.actor_key == actor_key))
    conn.execute(sa.delete(cmi5_enrollments).where(cmi5_enrollments.c.actor_key == actor_key))


class SqlCmi5Unit:
    """:class:`lrs.store.interface.Cmi5Unit` on one connection in a transaction."""

    def __init__(self, conn: Connection, dialect: str, registration: str) -> None:
        """Lock the registration's row (when it exists) and keep what it holds."""
        self._conn = conn
        self._dialect = dialect
        self._id = registration
        locked = sa.select(cmi5_registrations).where(cmi5_registrations.c.registration == registration)
        row = conn.execute(locked.with_for_update()).first()
        self._registration = None if row is None else _registration(row)

    @property
    def registration(self) -> Cmi5Registration | None:
        """The registration record as locked at the start (None when new)."""
        return self._registration

    def put_registration(self, record: Cmi5Registration) -> None:
        """Create or replace the registration record."""
        if record.registration != self._id:
            raise ValueError("a cmi5 unit only writes its own registration")
        values = {
            "registration": record.registration,
            "actor_key": record.actor_key,
            "actor": dumps(record.actor),
            "authority": dumps(record.authority),
            "course": None if record.course is None else dumps(record.course),
            "satisfied": record.satisfied,
            "created": record.created,
        }
        if self._registration is None:
            self._conn.execute(sa.insert(cmi5_registrations).values(**values))
        else:
            r = cmi5_registrations.c
            self._conn.execute(sa.update(cmi5_registrations).where(r.registration == self._id).values(**values))
        self._registration = record

    def session(self, session_id: str) -> Cmi5Session | None:
        """One session of this registration."""
        found = get_session(self._conn, session_id)
        return found if found is not None and found.registration == self._id else None

    def open_sessions(self) -> list[Cmi5Session]:
        """Sessions neither terminated nor abandoned, oldest launch first."""
        s = cmi5_sessions.c
        rows = self._conn.execute(
            sa.select(cmi5_sessions)
            .where(s.registration == self._id, s.status.in_(OPEN))
            .order_by(s.launched, s.session_id)
        )
        return [_session(row) for row in rows]

    def put_session(self, session: Cmi5Session) -> None:
        """Create or replace a session record."""
        if session.registration != self._id:
            raise ValueError("a cmi5 unit only writes sessions of its own registration")
        row = {
            "session_id": session.session_id,
            "registration": session.registration,
            "activity_id": session.activity_id,
            "launch_data": dumps(session.launch_data),
            "launched": session.launched,
            "status": session.status,
            "verbs": dumps(list(session.verbs)),
            "launch_data_read": session.launch_data_read,
            "preferences_read": session.preferences_read,
            "last_statement": session.last_statement,
        }
        self._conn.execute(upsert(cmi5_sessions, self._dialect, ["session_id"]), [row])

    def aus(self) -> dict[str, Cmi5Au]:
        """The AU records of this registration by activity id."""
        a = cmi5_aus.c
        rows = self._conn.execute(sa.select(cmi5_aus).where(a.registration == self._id))
        return {
            row.activity_id: Cmi5Au(
                registration=row.registration,
                activity_id=row.activity_id,
                completed=bool(row.completed),
                passed=bool(row.passed),
                satisfied=bool(row.satisfied),
            )
            for row in rows
        }

    def put_au(self, au: Cmi5Au) -> None:
        """Create or replace an AU record."""
        if au.registration != self._id:
            raise ValueError("a cmi5 unit only writes AUs of its own registration")
        row = {
            "registration": au.registration,
            "activity_id": au.activity_id,
            "completed": au.completed,
            "passed": au.passed,
            "satisfied": au.satisfied,
        }
        self._conn.execute(upsert(cmi5_aus, self._dialect, ["registration", "activity_id"]), [row])

    def already_stored(self, batch: Sequence[NewStatement]) -> set[str]:
        """Ids of ``batch`` already stored with the same content (xAPI: a re-send is no error)."""
        if not batch:
            return set()
        st = statements.c
        rows = self._conn.execute(
            sa.select(st.id, st.comparable_sha256).where(st.id.in_(sorted({s.id for s in batch})))
        ).all()
        stored = {row.id: row.comparable_sha256 for row in rows}
        return {s.id for s in batch if stored.get(s.id) == ingest.comparable_digest(s)}

    def insert_statements(self, batch: Sequence[NewStatement], attachments: Sequence[Attachment]) -> list[str]:
        """Store statements in this transaction (the same rules as ``Store.insert_statements``)."""
        if not batch:
            return []
        plan = ingest.plan_batch(batch)
        return ingest.write_batch(self._conn, self._dialect, plan, attachments, dt.datetime.now(dt.UTC))

    def put_document(self, document: Document) -> None:
        """Create or replace a document unconditionally."""
        documents.put_document(self._conn, document, if_match=None, if_none_match=None)

    def put_launch_token(self, token: LaunchToken) -> None:
        """Store a new launch token."""
        put_launch_token(self._conn, token)
