"""Storing a batch of statements in one transaction with a fixed, small number of round trips.

Two steps, so the write lock is held as briefly as possible: :func:`plan_batch`
does the per-statement Python work (digests, JSON text, index keys) before
the transaction; :func:`write_batch` runs inside it. Per batch, whatever its
size: one SELECT for ids already stored, one for stored voiding statements
that target a new id, one to reserve the new ``seq`` keys, one bulk INSERT
into ``statements`` and one per index table, and a few small statements for
voiding, attachments, activities and agents, and a fixed number for the
report projection (:func:`lrs.reports.projection.add`). No per-statement SELECT.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lrs.reports import projection
from lrs.store.activities import merge_activity
from lrs.store.codec import canonical, dumps, loads_object, sha1_hex, sha256_hex
from lrs.store.dialect import bulk_insert, insert_ignore, reserve_seqs, upsert
from lrs.store.interface import Attachment, ConflictError, NewStatement
from lrs.store.tables import (
    DIRECT,
    INDIRECT,
    activities,
    agents,
    attachments,
    statement_activity,
    statement_agent,
    statement_attachment,
    statements,
)
from lrs.xapi.validate import VOIDED_VERB

_DIRECT_AGENT = frozenset({"actor", "object"})
_DIRECT_ACTIVITY = frozenset({"object"})


def comparable_digest(statement: NewStatement) -> str:
    """What a re-sent statement is compared by: SHA-256 of ``comparable``.

    ``lrs.xapi`` always sets ``comparable``; the fallback (the whole
    statement, key-sorted) only keeps the store usable on its own.
    """
    return sha256_hex(statement.comparable or canonical(statement.statement))


@dataclass(frozen=True)
class _Planned:
    """One statement with everything its rows need except the ``seq`` key."""

    statement: NewStatement
    digest: str
    body: str
    agent_scopes: frozenset[tuple[str, str]]
    activity_scopes: frozenset[tuple[str, str]]
    attachment_hashes: tuple[str, ...]
    agent_rows: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class BatchPlan:
    """A batch prepared for :func:`write_batch`: the ids to answer, the distinct statements in order."""

    ids: list[str]
    unique: dict[str, _Planned]


def plan_batch(batch: Sequence[NewStatement]) -> BatchPlan:
    """Everything about ``batch`` that needs no database; repeats of one id must be identical."""
    unique: dict[str, _Planned] = {}
    for statement in batch:
        digest = comparable_digest(statement)
        known = unique.get(statement.id)
        if known is not None:
            if known.digest != digest:
                raise ConflictError(f"statement {statement.id} occurs twice in the batch with different content")
            continue
        unique[statement.id] = _plan(statement, digest)
    return BatchPlan(ids=[s.id for s in batch], unique=unique)


def _plan(statement: NewStatement, digest: str) -> _Planned:
    index = statement.index
    # Index rows keep the scope of a place (direct or indirect), not the relation; see lrs.store.tables.
    agent_scopes = frozenset((key, DIRECT if rel in _DIRECT_AGENT else INDIRECT) for key, rel in index.agents)
    activity_scopes = frozenset(
        (activity_id, DIRECT if rel in _DIRECT_ACTIVITY else INDIRECT) for activity_id, rel in index.activities
    )
    agent_rows: dict[tuple[str, str], dict[str, Any]] = {}
    for key, agent in index.agent_objects:
        text = canonical(agent)
        digest_ = sha1_hex(text)
        agent_rows.setdefault((key, digest_), {"agent_key": key, "digest": digest_, "body": text})
    return _Planned(
        statement=statement,
        digest=digest,
        body=dumps(statement.statement),
        agent_scopes=agent_scopes,
        activity_scopes=activity_scopes,
        attachment_hashes=tuple(sorted(_attachment_hashes(statement))),
        agent_rows=tuple(agent_rows.values()),
    )


def write_batch(
    conn: Connection, dialect: str, plan: BatchPlan, files: Sequence[Attachment], now: dt.datetime
) -> list[str]:
    """Store the new statements of a planned batch (see :meth:`lrs.store.interface.Store.insert_statements`)."""
    if not plan.unique:
        return plan.ids
    stored_digests = dict(
        conn.execute(
            sa.select(statements.c.id, statements.c.comparable_sha256).where(statements.c.id.in_(list(plan.unique)))
        ).all()
    )
    for statement_id, digest in stored_digests.items():
        if plan.unique[statement_id].digest != digest:
            raise ConflictError(f"statement {statement_id} already exists with different content")
    new = [p for statement_id, p in plan.unique.items() if statement_id not in stored_digests]
    if not new:
        return plan.ids

    seqs = _insert_rows(conn, new)
    _insert_index_rows(conn, new, seqs)
    statements_new = [p.statement for p in new]
    _void_stored_targets(conn, statements_new)
    _store_attachments(conn, dialect, new, seqs, files)
    _merge_activities(conn, dialect, statements_new, now)
    _remember_agents(conn, dialect, new)
    _update_reports(conn, statements_new)
    return plan.ids


def _update_reports(conn: Connection, new: list[NewStatement]) -> None:
    """Fold the batch into the report projection; recompute the actors of what it voids (lrs.reports.projection)."""
    targets = {s.index.voids for s in new if s.index.voids}
    voided = projection.voided_learners(conn, targets) if targets else set()
    projection.lock_learners(conn, sorted(projection.learners_of(s.statement for s in new) | voided))
    projection.add(conn, [s.statement for s in new])
    if voided:
        projection.recompute(conn, voided)


def _insert_rows(conn: Connection, new: list[_Planned]) -> list[int]:
    """One bulk INSERT with reserved keys; a statement is born voided when its voider is already known."""
    voided = set(
        conn.execute(
            sa.select(statements.c.ref_id).where(
                statements.c.ref_id.in_([p.statement.id for p in new]), statements.c.verb_id == VOIDED_VERB
            )
        ).scalars()
    )
    voided.update(p.statement.index.voids for p in new if p.statement.index.voids)
    seqs = reserve_seqs(conn, statements, len(new))
    rows = [
        (
            seq,
            p.statement.id,
            p.statement.stored,
            p.statement.id in voided and p.statement.index.verb_id != VOIDED_VERB,
            p.statement.index.verb_id,
            p.statement.index.registration,
            p.statement.index.references,
            p.digest,
            p.body,
        )
        for p, seq in zip(new, seqs, strict=True)
    ]
    bulk_insert(conn, statements, _STATEMENT_COLUMNS, rows)
    return seqs


_STATEMENT_COLUMNS = ("seq", "id", "stored", "voided", "verb_id", "registration", "ref_id", "comparable_sha256", "body")
_AGENT_COLUMNS = ("agent_key", "scope", "stored", "statement")
_ACTIVITY_COLUMNS = ("activity_id", "scope", "stored", "statement")


def _insert_index_rows(conn: Connection, new: list[_Planned], seqs: list[int]) -> None:
    """Agent and activity rows: one per key and scope."""
    agent_rows: list[tuple[Any, ...]] = []
    activity_rows: list[tuple[Any, ...]] = []
    for p, seq in zip(new, seqs, strict=True):
        stored = p.statement.stored
        agent_rows.extend((key, scope, stored, seq) for key, scope in p.agent_scopes)
        activity_rows.extend((activity_id, scope, stored, seq) for activity_id, scope in p.activity_scopes)
    bulk_insert(conn, statement_agent, _AGENT_COLUMNS, agent_rows)
    bulk_insert(conn, statement_activity, _ACTIVITY_COLUMNS, activity_rows)


def _void_stored_targets(conn: Connection, new: list[NewStatement]) -> None:
    """Mark targets voided (already stored ones and those of this batch alike).

    A voiding statement never voids another voiding statement (xAPI forbids
    it; the xAPI layer rejects such a request, this is the last line).
    """
    targets = {s.index.voids for s in new if s.index.voids}
    if targets:
        conn.execute(
            sa.update(statements)
            .where(statements.c.id.in_(targets), statements.c.verb_id != VOIDED_VERB)
            .values(voided=True)
        )


def _attachment_hashes(statement: NewStatement) -> set[str]:
    """The sha2 of the bytes sent *with* the statement: the only ones it may serve.

    Not every sha2 its ``attachments`` list names: a statement listing
    another client's sha2 with a ``fileUrl`` would otherwise serve that
    client's bytes (:meth:`lrs.store.interface.Store.statement_attachments`).
    """
    return set(statement.attachments)


def _store_attachments(
    conn: Connection, dialect: str, new: list[_Planned], seqs: list[int], files: Sequence[Attachment]
) -> None:
    """Bytes once per sha2, plus which statement came with which (to serve them, and for erasure)."""
    links = [(seq, sha2) for p, seq in zip(new, seqs, strict=True) for sha2 in p.attachment_hashes]
    bulk_insert(conn, statement_attachment, ("statement", "sha2"), links)
    by_hash = {f.sha2: f for f in files}
    if by_hash:
        # Sorted, like every multi-row write of shared rows here, so two
        # concurrent PostgreSQL writers lock them in one order (no deadlock).
        rows = [
            {"sha2": f.sha2, "content_type": f.content_type, "content": f.content} for _, f in sorted(by_hash.items())
        ]
        conn.execute(insert_ignore(attachments, dialect), rows)


def _merge_activities(conn: Connection, dialect: str, new: list[NewStatement], now: dt.datetime) -> None:
    """Fold the batch's Activity objects into the canonical ones; write only what changed."""
    seen = [obj for s in new for obj in s.index.activity_objects if isinstance(obj.get("id"), str)]
    if not seen:
        return
    ids = sorted({obj["id"] for obj in seen})
    current = {
        activity_id: loads_object(body)
        for activity_id, body in conn.execute(
            sa.select(activities.c.activity_id, activities.c.body).where(activities.c.activity_id.in_(ids))
        ).all()
    }
    changed: dict[str, dict[str, Any]] = {}
    for obj in seen:
        before = changed.get(obj["id"]) or current.get(obj["id"])
        after = merge_activity(before, obj)
        if after != before:
            changed[obj["id"]] = after
    if changed:
        rows = [{"activity_id": k, "body": dumps(v), "updated": now} for k, v in sorted(changed.items())]
        conn.execute(upsert(activities, dialect, ["activity_id"]), rows)


def _remember_agents(conn: Connection, dialect: str, new: list[_Planned]) -> None:
    """Each distinct Agent object per identifier, for the Person object."""
    rows = {(row["agent_key"], row["digest"]): row for p in new for row in p.agent_rows}
    if rows:
        conn.execute(insert_ignore(agents, dialect), [row for _, row in sorted(rows.items())])
