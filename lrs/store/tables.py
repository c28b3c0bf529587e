"""The LRS schema as SQLAlchemy Core tables (the migrations create the same).

Why it looks like this:

* ``statements`` keeps the full statement JSON as text (statements as sent)
  plus only the columns queries filter on. ``seq`` is a monotonically
  increasing surrogate key: results are ordered by ``(stored, seq)`` so pages
  stay stable when many statements share one ``stored`` instant, and the index
  tables reference the 8-byte ``seq`` instead of the 36-character id.
* ``statement_agent`` / ``statement_activity`` answer the ``agent`` and
  ``activity`` filters. xAPI asks only two questions — "in a direct place?"
  (actor/object, resp. object) and "anywhere?" (``related_agents`` /
  ``related_activities``) — so a row keeps the relation's *scope*, not the
  relation: ``direct`` or ``indirect`` (authority, context, sub-statement),
  one row per statement, key and scope. The first question is one exact
  index range; the second is two (merged by the query). ``stored`` is copied
  into those rows so each range is already in result order and ``LIMIT``
  stops early, whatever the filter's size.
* Statement references are the ``ref_id`` column (a statement targets at most
  one other); two partial indexes cover "who targets X" and "referring
  statements by time" for the StatementRef filter rule.
* Instants use :class:`~lrs.store.types.UtcDateTime` (timestamptz on
  PostgreSQL, integer microseconds on SQLite).
"""

from __future__ import annotations

import sqlalchemy as sa

from lrs.store.types import BigSerial, UtcDateTime

#: Deterministic constraint names, so migrations can refer to them.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING)

#: Values of the ``scope`` column of the index tables.
DIRECT = "direct"
INDIRECT = "indirect"
SCOPES = (DIRECT, INDIRECT)

statements = sa.Table(
    "statements",
    metadata,
    sa.Column("seq", BigSerial, primary_key=True, autoincrement=True),
    sa.Column("id", sa.String(64), nullable=False, unique=True),
    sa.Column("stored", UtcDateTime(), nullable=False),
    sa.Column("voided", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("verb_id", sa.Text(), nullable=False),
    sa.Column("registration", sa.String(64), nullable=True),
    sa.Column("ref_id", sa.String(64), nullable=True),
    sa.Column("comparable_sha256", sa.String(64), nullable=False),
    sa.Column("body", sa.Text(), nullable=False),
    # SQLite: never reuse a seq, even after the newest statement is erased.
    sqlite_autoincrement=True,
)
sa.Index("ix_statements_stored", statements.c.stored, statements.c.seq)
sa.Index("ix_statements_verb", statements.c.verb_id, statements.c.stored, statements.c.seq)
sa.Index(
    "ix_statements_registration",
    statements.c.registration,
    statements.c.stored,
    statements.c.seq,
    sqlite_where=statements.c.registration.is_not(None),
    postgresql_where=statements.c.registration.is_not(None),
)
sa.Index(
    "ix_statements_ref",
    statements.c.ref_id,
    sqlite_where=statements.c.ref_id.is_not(None),
    postgresql_where=statements.c.ref_id.is_not(None),
)
sa.Index(
    "ix_statements_referrers",
    statements.c.stored,
    statements.c.seq,
    statements.c.ref_id,
    sqlite_where=statements.c.ref_id.is_not(None),
    postgresql_where=statements.c.ref_id.is_not(None),
)


def _index_table(name: str, key_column: str) -> sa.Table:
    """``statement_agent`` and ``statement_activity`` have the same shape."""
    table = sa.Table(
        name,
        metadata,
        sa.Column(key_column, sa.Text(), nullable=False),
        sa.Column("scope", sa.String(8), nullable=False),
        sa.Column("stored", UtcDateTime(), nullable=False),
        sa.Column(
            "statement",
            BigSerial,
            sa.ForeignKey("statements.seq", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint(key_column, "scope", "stored", "statement"),
        sa.CheckConstraint(f"scope IN ('{DIRECT}', '{INDIRECT}')", name="scope"),
        # SQLite: the primary key *is* the table (no extra rowid b-tree), so
        # a filtered page is one ordered range scan of it.
        sqlite_with_rowid=False,
    )
    # Probing "is this statement indexed under key K?" and ON DELETE CASCADE.
    sa.Index(f"ix_{name}_statement", table.c.statement, table.c[key_column], table.c.scope)
    return table


statement_agent = _index_table("statement_agent", "agent_key")
statement_activity = _index_table("statement_activity", "activity_id")

attachments = sa.Table(
    "attachments",
    metadata,
    sa.Column("sha2", sa.String(128), primary_key=True),
    sa.Column("content_type", sa.Text(), nullable=False),
    sa.Column("content", sa.LargeBinary(), nullable=False),
)

#: Which statement came with which attachment bytes: a statement serves only those
#: (not every sha2 it lists), and erasing a learner drops bytes no statement came with.
statement_attachment = sa.Table(
    "statement_attachment",
    metadata,
    sa.Column("statement", BigSerial, sa.ForeignKey("statements.seq", ondelete="CASCADE"), nullable=False),
    sa.Column("sha2", sa.String(128), nullable=False),
    sa.PrimaryKeyConstraint("statement", "sha2"),
    sqlite_with_rowid=False,
)
sa.Index("ix_statement_attachment_sha2", statement_attachment.c.sha2)

activities = sa.Table(
    "activities",
    metadata,
    sa.Column("activity_id", sa.Text(), primary_key=True),
    sa.Column("body", sa.Text(), nullable=False),  # the canonical Activity object, JSON
    sa.Column("updated", UtcDateTime(), nullable=False),
)

#: Every distinct Agent object seen per identifier (``digest`` = sha1 of its
#: canonical JSON), for the Person object of GET /agents.
agents = sa.Table(
    "agents",
    metadata,
    sa.Column("agent_key", sa.Text(), nullable=False),
    sa.Column("digest", sa.String(40), nullable=False),
    sa.Column("body", sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint("agent_key", "digest"),
    sqlite_with_rowid=False,
)

documents = sa.Table(
    "documents",
    metadata,
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("activity_id", sa.Text(), nullable=False),
    sa.Column("agent", sa.Text(), nullable=False),
    sa.Column("registration", sa.String(64), nullable=False),
    sa.Column("doc_id", sa.Text(), nullable=False),
    sa.Column("content", sa.LargeBinary(), nullable=False),
    sa.Column("content_type", sa.Text(), nullable=False),
    sa.Column("etag", sa.String(64), nullable=False),
    sa.Column("updated", UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint("kind", "activity_id", "agent", "registration", "doc_id"),
)
sa.Index("ix_documents_agent", documents.c.agent)

clients = sa.Table(
    "clients",
    metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("secret_hash", sa.Text(), nullable=False),
    sa.Column("name", sa.Text(), nullable=False),
    sa.Column("scopes", sa.Text(), nullable=False),  # JSON array
    sa.Column("authority", sa.Text(), nullable=False),  # JSON object
    sa.Column("created", UtcDateTime(), nullable=False),
    # the organisation a dual-tracking package's write-only client is bound to (NULL: none)
    sa.Column("organisation", sa.String(64), nullable=True),
)

#: Secret checks per legacy (argon2) client key per limiter window (lrs.auth.credentials):
#: a database counter, so the limit holds across workers.
auth_failures = sa.Table(
    "auth_failures",
    metadata,
    sa.Column("key", sa.String(200), nullable=False),
    sa.Column("window_start", sa.BigInteger(), nullable=False),  # epoch seconds
    sa.Column("count", sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint("key", "window_start"),
)

launch_tokens = sa.Table(
    "launch_tokens",
    metadata,
    sa.Column("token", sa.String(200), primary_key=True),
    sa.Column("actor_key", sa.Text(), nullable=False),
    sa.Column("actor", sa.Text(), nullable=False),  # JSON object
    sa.Column("registration", sa.String(64), nullable=False),
    sa.Column("activity_id", sa.Text(), nullable=False),
    sa.Column("expires", UtcDateTime(), nullable=False),
    sa.Column("fetched", sa.Boolean(), nullable=False, server_default=sa.false()),
    # the cmi5 session (LMS.LaunchData contextTemplate sessionid) the token belongs to; '' before 0002
    sa.Column("session_id", sa.String(64), nullable=False, server_default=""),
)
sa.Index("ix_launch_tokens_actor_key", launch_tokens.c.actor_key)

# --- cmi5 LMS records (see lrs.store.cmi5) -------------------------------------------
#
# The LMS side of the cmi5 sessions this LRS launches: what each AU session
# did so far (to enforce the AU rules on its next statements), the AU's
# completion/pass/satisfaction per registration, and the course. Every
# change of a registration's rows happens with its ``cmi5_registrations`` row
# locked (SELECT ... FOR UPDATE; SQLite has a single writer anyway), so
# several server processes see one consistent order of statements.

cmi5_registrations = sa.Table(
    "cmi5_registrations",
    metadata,
    sa.Column("registration", sa.String(64), primary_key=True),
    sa.Column("actor_key", sa.Text(), nullable=False),
    sa.Column("actor", sa.Text(), nullable=False),  # JSON object: the launched Agent
    sa.Column("authority", sa.Text(), nullable=False),  # JSON object: authority of the LMS's statements
    sa.Column("course", sa.Text(), nullable=True),  # JSON object: LMS course id, publisher id, AUs and moveOn
    sa.Column("satisfied", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("created", UtcDateTime(), nullable=False),
)
sa.Index("ix_cmi5_registrations_actor_key", cmi5_registrations.c.actor_key)

cmi5_aus = sa.Table(
    "cmi5_aus",
    metadata,
    sa.Column(
        "registration",
        sa.String(64),
        sa.ForeignKey("cmi5_registrations.registration", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("activity_id", sa.Text(), nullable=False),
    sa.Column("completed", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("passed", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("satisfied", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.PrimaryKeyConstraint("registration", "activity_id"),
)

cmi5_sessions = sa.Table(
    "cmi5_sessions",
    metadata,
    sa.Column("session_id", sa.String(64), primary_key=True),
    sa.Column(
        "registration",
        sa.String(64),
        sa.ForeignKey("cmi5_registrations.registration", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("activity_id", sa.Text(), nullable=False),
    sa.Column("launch_data", sa.Text(), nullable=False),  # JSON object: LMS.LaunchData as written at launch
    sa.Column("launched", UtcDateTime(), nullable=False),
    sa.Column("status", sa.String(12), nullable=False),  # launched, initialized, terminated, abandoned
    sa.Column("verbs", sa.Text(), nullable=False),  # JSON array: cmi5-defined verbs the AU sent
    sa.Column("launch_data_read", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("preferences_read", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("last_statement", UtcDateTime(), nullable=True),
)
sa.Index("ix_cmi5_sessions_registration", cmi5_sessions.c.registration, cmi5_sessions.c.status)

#: A learner's enrollment in a course: the one registration all its AU launches use.
cmi5_enrollments = sa.Table(
    "cmi5_enrollments",
    metadata,
    sa.Column("actor_key", sa.Text(), nullable=False),
    sa.Column("course_id", sa.Text(), nullable=False),
    sa.Column("registration", sa.String(64), nullable=False),
    sa.PrimaryKeyConstraint("actor_key", "course_id"),
)

# --- dashboard accounts (see lrs.dashboard.accounts) ----------------------------------

#: Evaluator accounts of /dashboard/: an argon2 hash of the password, never the password.
users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("password_hash", sa.Text(), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("created", UtcDateTime(), nullable=False),
)

#: Secrets the LRS generates itself when the operator sets none (the session signing key),
#: kept in the database so every worker and every restart shares them.
app_secrets = sa.Table(
    "app_secrets",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text(), nullable=False),
)

# Imported cmi5 courses (lrs.courses.tables, migration 0008) join this MetaData when imported:
# import them here so the schema is whole wherever the store's tables are.
from lrs.courses import tables as _course_tables  # noqa: E402, F401

# The learner portal's tables (lrs.portal.tables, migration 0009), likewise.
from lrs.portal import tables as _portal_tables  # noqa: E402, F401
