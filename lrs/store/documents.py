"""State, Activity Profile and Agent Profile documents with HTTP preconditions.

The precondition check and the write happen in one transaction that holds
the row (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's writer lock from
BEGIN IMMEDIATE), so two clients racing with the same If-Match cannot both
win.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lrs.store.interface import Document, DocumentKey, PreconditionFailed
from lrs.store.tables import documents


def _key_conditions(key: DocumentKey, *, with_id: bool) -> list[sa.ColumnElement[bool]]:
    d = documents.c
    conditions = [
        d.kind == key.kind,
        d.activity_id == key.activity_id,
        d.agent == key.agent,
        d.registration == key.registration,
    ]
    if with_id:
        conditions.append(d.doc_id == key.doc_id)
    return conditions


def _tags(header: str) -> list[str]:
    """Entity tags of an If-Match / If-None-Match list, without quotes.

    Quotes are dropped on both sides because some xAPI clients send the bare
    SHA-1; a weak tag (``W/``) never matches (strong comparison).
    """
    return [t.strip().strip('"') for t in header.split(",") if t.strip() and not t.strip().startswith("W/")]


def etag_matches(header: str, etag: str) -> bool:
    """Whether a precondition header names ``etag`` (or is ``*``)."""
    if header.strip() == "*":
        return True
    return etag.strip('"') in _tags(header)


def check_preconditions(current: str | None, if_match: str | None, if_none_match: str | None) -> None:
    """Raise :class:`PreconditionFailed` as RFC 9110 says for a write.

    If-Match fails when the document is missing or has another ETag;
    If-None-Match fails when the document exists and matches (``*``: exists).
    """
    if if_match is not None and (current is None or not etag_matches(if_match, current)):
        raise PreconditionFailed("If-Match does not match the current document")
    if if_none_match is not None and current is not None and etag_matches(if_none_match, current):
        raise PreconditionFailed("If-None-Match matches the current document")


def get_document(conn: Connection, key: DocumentKey) -> Document | None:
    """One document."""
    d = documents.c
    row = conn.execute(
        sa.select(d.content, d.content_type, d.etag, d.updated).where(*_key_conditions(key, with_id=True))
    ).first()
    if row is None:
        return None
    return Document(
        key=key, content=bytes(row.content), content_type=row.content_type, etag=row.etag, updated=row.updated
    )


def agent_documents(conn: Connection, agent: str) -> list[Document]:
    """Every state and agent-profile document stored for ``agent`` (a learner's own data, for their download)."""
    d = documents.c
    rows = conn.execute(
        sa.select(d.kind, d.activity_id, d.registration, d.doc_id, d.content, d.content_type, d.etag, d.updated)
        .where(d.agent == agent)
        .order_by(d.kind, d.activity_id, d.registration, d.doc_id)
    )
    return [
        Document(
            key=DocumentKey(row.kind, row.activity_id, agent, row.registration, row.doc_id),
            content=bytes(row.content),
            content_type=row.content_type,
            etag=row.etag,
            updated=row.updated,
        )
        for row in rows
    ]


def list_document_ids(conn: Connection, key: DocumentKey, since: dt.datetime | None) -> list[str]:
    """Ids under ``key`` (its ``doc_id`` ignored), updated strictly after ``since``."""
    d = documents.c
    select = sa.select(d.doc_id).where(*_key_conditions(key, with_id=False)).order_by(d.doc_id)
    if since is not None:
        select = select.where(d.updated > since)
    return list(conn.execute(select).scalars())


def put_document(conn: Connection, document: Document, *, if_match: str | None, if_none_match: str | None) -> None:
    """Create or replace after checking the preconditions against the held row."""
    key = document.key
    current = conn.execute(
        sa.select(documents.c.etag).where(*_key_conditions(key, with_id=True)).with_for_update()
    ).scalar()
    check_preconditions(current, if_match, if_none_match)
    values: dict[str, Any] = {
        "content": document.content,
        "content_type": document.content_type,
        "etag": document.etag,
        "updated": document.updated,
    }
    if current is None:
        # A concurrent creator makes this fail with IntegrityError; the
        # store then reruns the transaction, which sees the row and re-checks.
        conn.execute(
            sa.insert(documents).values(
                kind=key.kind,
                activity_id=key.activity_id,
                agent=key.agent,
                registration=key.registration,
                doc_id=key.doc_id,
                **values,
            )
        )
    else:
        conn.execute(sa.update(documents).where(*_key_conditions(key, with_id=True)).values(**values))


def delete_documents(conn: Connection, key: DocumentKey, *, if_match: str | None) -> None:
    """Delete one document (``doc_id`` set) or every one under ``key`` (``doc_id`` empty).

    If-Match applies to a single document only; a missing document with
    If-Match fails, without it deleting nothing is fine.
    """
    single = key.doc_id != ""
    if single and if_match is not None:
        current = conn.execute(
            sa.select(documents.c.etag).where(*_key_conditions(key, with_id=True)).with_for_update()
        ).scalar()
        check_preconditions(current, if_match, None)
    conn.execute(sa.delete(documents).where(*_key_conditions(key, with_id=single)))
