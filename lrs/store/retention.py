"""The retention period: removing what the LRS has kept longer than it may.

Learners are professionals; the evaluation cycle needs at most a few years of
records (the framework evaluates yearly, then every two years). Whatever was
stored before the cut-off goes, in one transaction, with everything that
would otherwise keep personal data alive: statements (their index rows by
ON DELETE CASCADE), attachment bytes no remaining statement came with, state
and profile documents last written before the cut-off, expired launch
tokens, cmi5 sessions launched before it and registrations left without
sessions. The report rows of the agents whose statements went are recomputed
from what remains, in the same transaction.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lrs.reports import projection
from lrs.store.erase import delete_unused_attachments
from lrs.store.interface import PurgeResult
from lrs.store.tables import (
    cmi5_registrations,
    cmi5_sessions,
    documents,
    launch_tokens,
    statement_agent,
    statement_attachment,
    statements,
)

_CHUNK = 500  # ids per IN list: well under every driver's parameter limit


def statements_before(conn: Connection, cutoff: dt.datetime) -> list[int]:
    """``seq`` of every statement stored before ``cutoff`` (the ``ix_statements_stored`` range)."""
    return list(conn.execute(sa.select(statements.c.seq).where(statements.c.stored < cutoff)).scalars())


def purge_before(conn: Connection, cutoff: dt.datetime) -> PurgeResult:
    """Delete everything stored or last written before ``cutoff``; see the module docstring."""
    seqs = statements_before(conn, cutoff)
    learners: set[str] = set()
    hashes: set[str] = set()
    for start in range(0, len(seqs), _CHUNK):
        chunk = seqs[start : start + _CHUNK]
        learners.update(
            conn.execute(
                sa.select(statement_agent.c.agent_key).where(statement_agent.c.statement.in_(chunk)).distinct()
            ).scalars()
        )
        hashes.update(
            conn.execute(
                sa.select(statement_attachment.c.sha2).where(statement_attachment.c.statement.in_(chunk))
            ).scalars()
        )
        conn.execute(sa.delete(statements).where(statements.c.seq.in_(chunk)))
    delete_unused_attachments(conn, hashes)
    projection.recompute(conn, learners)  # their report rows, from what remains
    removed_documents = conn.execute(sa.delete(documents).where(documents.c.updated < cutoff)).rowcount
    conn.execute(sa.delete(launch_tokens).where(launch_tokens.c.expires < cutoff))
    conn.execute(sa.delete(cmi5_sessions).where(cmi5_sessions.c.launched < cutoff))
    r = cmi5_registrations.c
    has_session = sa.exists().where(cmi5_sessions.c.registration == r.registration)
    conn.execute(sa.delete(cmi5_registrations).where(r.created < cutoff, ~has_session))
    return PurgeResult(statements=len(seqs), documents=removed_documents or 0, learners=frozenset(learners))
