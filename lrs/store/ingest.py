"""Storing a batch of statements in one transaction with a fixed, small number of round trips.

Per batch, whatever its size: one SELECT for ids already stored, one for
stored voiding statements that target a new id, one multi-row INSERT
(RETURNING the new ``seq``) into ``statements``, one multi-row INSERT per
index table, and a few small statements for voiding, attachments,
activities and agents. No per-statement SELECT.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lrs.store.activities import merge_activity
from lrs.store.codec import canonical, dumps, loads_object, sha1_hex, sha256_hex
from lrs.store.dialect import bulk_insert, insert_ignore, upsert
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

VOIDED_VERB = "http://adlnet.gov/expapi/verbs/voided"
_DIRECT_AGENT = frozenset({"actor", "object"})
_DIRECT_ACTIVITY = frozenset({"object"})


def comparable_digest(statement: NewStatement) -> str:
    """What a re-sent statement is compared by: SHA-256 of ``comparable``.

    ``lrs.xapi`` always sets ``comparable``; the fallback (the whole
    statement, key-sorted) only keeps the store usable on its own.
    """
    return sha256_hex(statement.comparable or canonical(statement.statement))


def _unique(batch: Sequence[NewStatement]) -> tuple[dict[str, NewStatement], dict[str, str]]:
    """The batch without repeats of one id; differing repeats are a conflict."""
    unique: dict[str, NewStatement] = {}
    digests: dict[str, str] = {}
    for statement in batch:
        digest = comparable_digest(statement)
        if statement.id in unique:
            if digests[statement.id] != digest:
                raise ConflictError(f"statement {statement.id} occurs twice in the batch with different content")
            continue
        unique[statement.id] = statement
        digests[statement.id] = digest
    return unique, digests


def insert_statements(
    conn: Connection, dialect: str, batch: Sequence[NewStatement], files: Sequence[Attachment], now: dt.datetime
) -> list[str]:
    """Store the new statements of ``batch`` (see :meth:`lrs.store.interface.Store.insert_statements`)."""
    ids = [s.id for s in batch]
    unique, digests = _unique(batch)
    if not unique:
        return ids
    stored_digests = dict(
        conn.execute(
            sa.select(statements.c.id, statements.c.comparable_sha256).where(statements.c.id.in_(list(unique)))
        ).all()
    )
    for statement_id, digest in stored_digests.items():
        if digests[statement_id] != digest:
            raise ConflictError(f"statement {statement_id} already exists with different content")
    new = [s for s in unique.values() if s.id not in stored_digests]
    if not new:
        return ids

    seqs = _insert_rows(conn, new, digests)
    _insert_index_rows(conn, new, seqs)
    _void_stored_targets(conn, new)
    _store_attachments(conn, dialect, new, seqs, files)
    _merge_activities(conn, dialect, new, now)
    _remember_agents(conn, dialect, new)
    return ids


def _insert_rows(conn: Connection, new: list[NewStatement], digests: dict[str, str]) -> list[int]:
    """One multi-row INSERT; a new statement is born voided when its voider is already known."""
    new_ids = [s.id for s in new]
    voided = set(
        conn.execute(
            sa.select(statements.c.ref_id).where(statements.c.ref_id.in_(new_ids), statements.c.verb_id == VOIDED_VERB)
        ).scalars()
    )
    voided.update(s.index.voids for s in new if s.index.voids)
    rows = [
        {
            "id": s.id,
            "stored": s.stored,
            "voided": s.id in voided and s.index.verb_id != VOIDED_VERB,
            "verb_id": s.index.verb_id,
            "registration": s.index.registration,
            "ref_id": s.index.references,
            "comparable_sha256": digests[s.id],
            "body": dumps(s.statement),
        }
        for s in new
    ]
    # RETURNING id too and map back: asking the driver for rows "in parameter
    # order" makes SQLAlchemy send one INSERT per row on PostgreSQL.
    returned = conn.execute(sa.insert(statements).returning(statements.c.id, statements.c.seq), rows).all()
    seq_of = {statement_id: seq for statement_id, seq in returned}
    return [seq_of[s.id] for s in new]


def _insert_index_rows(conn: Connection, new: list[NewStatement], seqs: list[int]) -> None:
    """Agent and activity rows: one per key and scope (``direct`` or ``indirect`` place)."""
    agent_rows: list[dict[str, Any]] = []
    activity_rows: list[dict[str, Any]] = []
    for statement, seq in zip(new, seqs, strict=True):
        agent_scopes: set[tuple[str, str]] = set()
        for key, relation in statement.index.agents:
            agent_scopes.add((key, DIRECT if relation in _DIRECT_AGENT else INDIRECT))
        activity_scopes: set[tuple[str, str]] = set()
        for activity_id, activity_relation in statement.index.activities:
            activity_scopes.add((activity_id, DIRECT if activity_relation in _DIRECT_ACTIVITY else INDIRECT))
        row = {"stored": statement.stored, "statement": seq}
        agent_rows.extend({**row, "agent_key": k, "scope": scope} for k, scope in agent_scopes)
        activity_rows.extend({**row, "activity_id": a, "scope": scope} for a, scope in activity_scopes)
    bulk_insert(conn, statement_agent, agent_rows)
    bulk_insert(conn, statement_activity, activity_rows)


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
    """Every sha2 the statement uses: bytes sent with it, and its ``attachments`` list."""
    hashes = set(statement.attachments)
    listed = statement.statement.get("attachments")
    if isinstance(listed, list):
        hashes.update(a["sha2"] for a in listed if isinstance(a, dict) and isinstance(a.get("sha2"), str))
    return hashes


def _store_attachments(
    conn: Connection, dialect: str, new: list[NewStatement], seqs: list[int], files: Sequence[Attachment]
) -> None:
    """Bytes once per sha2, plus which statement uses which (for erasure)."""
    links = [
        {"statement": seq, "sha2": sha2}
        for statement, seq in zip(new, seqs, strict=True)
        for sha2 in sorted(_attachment_hashes(statement))
    ]
    bulk_insert(conn, statement_attachment, links)
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


def _remember_agents(conn: Connection, dialect: str, new: list[NewStatement]) -> None:
    """Each distinct Agent object per identifier, for the Person object."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    seen: dict[str, list[dict[str, Any]]] = {}
    for statement in new:
        for key, agent in statement.index.agent_objects:
            same_key = seen.setdefault(key, [])
            if agent in same_key:  # e.g. the authority, the same in every statement
                continue
            same_key.append(agent)
            text = canonical(agent)
            digest = sha1_hex(text)
            rows.setdefault((key, digest), {"agent_key": key, "digest": digest, "body": text})
    if rows:
        conn.execute(insert_ignore(agents, dialect), [row for _, row in sorted(rows.items())])
