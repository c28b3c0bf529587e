"""Removing one learner (the right to erasure)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lrs.reports.projection import forget_learner
from lrs.store import cmi5
from lrs.store.tables import (
    agents,
    attachments,
    documents,
    launch_tokens,
    statement_agent,
    statement_attachment,
    statements,
)

_CHUNK = 500  # ids per IN list: well under every driver's parameter limit


def delete_unused_attachments(conn: Connection, hashes: set[str]) -> None:
    """Delete the bytes of ``hashes`` that no remaining statement came with."""
    orphans = sorted(hashes)
    for start in range(0, len(orphans), _CHUNK):
        chunk = orphans[start : start + _CHUNK]
        still_used = sa.exists().where(statement_attachment.c.sha2 == attachments.c.sha2)
        conn.execute(sa.delete(attachments).where(attachments.c.sha2.in_(chunk), ~still_used))


def erase_agent(conn: Connection, agent_key: str) -> int:
    """Delete every statement that mentions the agent anywhere, and their documents.

    "Anywhere" is every relation (actor, object, authority, context, inside a
    SubStatement, as a group member): each such statement holds the learner's
    identifier. Index rows and attachment links go by ON DELETE CASCADE;
    attachment bytes no remaining statement uses are deleted; so are the
    learner's state and agent-profile documents, the Agent objects seen for
    the Person object, their cmi5 launch tokens and cmi5 LMS records
    (registrations, sessions, enrollments). Statements that only
    point at an erased one (StatementRef) hold no personal data and stay.
    """
    sa_ = statement_agent.c
    seqs = sorted(set(conn.execute(sa.select(sa_.statement).where(sa_.agent_key == agent_key)).scalars()))
    hashes: set[str] = set()
    for start in range(0, len(seqs), _CHUNK):
        chunk = seqs[start : start + _CHUNK]
        hashes.update(
            conn.execute(
                sa.select(statement_attachment.c.sha2).where(statement_attachment.c.statement.in_(chunk))
            ).scalars()
        )
        conn.execute(sa.delete(statements).where(statements.c.seq.in_(chunk)))
    delete_unused_attachments(conn, hashes)
    conn.execute(sa.delete(agents).where(agents.c.agent_key == agent_key))
    conn.execute(sa.delete(documents).where(documents.c.agent == agent_key))
    conn.execute(sa.delete(launch_tokens).where(launch_tokens.c.actor_key == agent_key))
    cmi5.erase(conn, agent_key)
    forget_learner(conn, agent_key)  # the learner's derived report rows
    return len(seqs)
