"""Initial LRS schema.

Statements and their index tables, attachments, activities, agents,
documents, clients, cmi5 launch tokens.

Revision ID: 0001_initial
Revises:
Create Date: 2026-05-20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lrs.store.types import BigSerial, UtcDateTime

revision: str = "0001_initial"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def _index_table(name: str, key_column: str) -> None:
    op.create_table(
        name,
        sa.Column(key_column, sa.Text(), nullable=False),
        sa.Column("scope", sa.String(8), nullable=False),
        sa.Column("stored", UtcDateTime(), nullable=False),
        sa.Column("statement", BigSerial, nullable=False),
        sa.PrimaryKeyConstraint(key_column, "scope", "stored", "statement", name=f"pk_{name}"),
        sa.ForeignKeyConstraint(
            ["statement"], ["statements.seq"], name=f"fk_{name}_statement_statements", ondelete="CASCADE"
        ),
        sa.CheckConstraint("scope IN ('direct', 'indirect')", name=f"ck_{name}_scope"),
        sqlite_with_rowid=False,
    )
    op.create_index(f"ix_{name}_statement", name, ["statement", key_column, "scope"])


def upgrade() -> None:
    """Create every table."""
    op.create_table(
        "statements",
        sa.Column("seq", BigSerial, autoincrement=True, nullable=False),
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("stored", UtcDateTime(), nullable=False),
        sa.Column("voided", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("verb_id", sa.Text(), nullable=False),
        sa.Column("registration", sa.String(64), nullable=True),
        sa.Column("ref_id", sa.String(64), nullable=True),
        sa.Column("comparable_sha256", sa.String(64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_statements"),
        sa.UniqueConstraint("id", name="uq_statements_id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_statements_stored", "statements", ["stored", "seq"])
    op.create_index("ix_statements_verb", "statements", ["verb_id", "stored", "seq"])
    not_null_registration = sa.text("registration IS NOT NULL")
    op.create_index(
        "ix_statements_registration",
        "statements",
        ["registration", "stored", "seq"],
        sqlite_where=not_null_registration,
        postgresql_where=not_null_registration,
    )
    not_null_ref = sa.text("ref_id IS NOT NULL")
    op.create_index(
        "ix_statements_ref", "statements", ["ref_id"], sqlite_where=not_null_ref, postgresql_where=not_null_ref
    )
    op.create_index(
        "ix_statements_referrers",
        "statements",
        ["stored", "seq", "ref_id"],
        sqlite_where=not_null_ref,
        postgresql_where=not_null_ref,
    )

    _index_table("statement_agent", "agent_key")
    _index_table("statement_activity", "activity_id")

    op.create_table(
        "attachments",
        sa.Column("sha2", sa.String(128), nullable=False),
        sa.Column("content_type", sa.Text(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("sha2", name="pk_attachments"),
    )
    op.create_table(
        "statement_attachment",
        sa.Column("statement", BigSerial, nullable=False),
        sa.Column("sha2", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("statement", "sha2", name="pk_statement_attachment"),
        sa.ForeignKeyConstraint(
            ["statement"], ["statements.seq"], name="fk_statement_attachment_statement_statements", ondelete="CASCADE"
        ),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_statement_attachment_sha2", "statement_attachment", ["sha2"])

    op.create_table(
        "activities",
        sa.Column("activity_id", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("activity_id", name="pk_activities"),
    )
    op.create_table(
        "agents",
        sa.Column("agent_key", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(40), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("agent_key", "digest", name="pk_agents"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "documents",
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("activity_id", sa.Text(), nullable=False),
        sa.Column("agent", sa.Text(), nullable=False),
        sa.Column("registration", sa.String(64), nullable=False),
        sa.Column("doc_id", sa.Text(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("content_type", sa.Text(), nullable=False),
        sa.Column("etag", sa.String(64), nullable=False),
        sa.Column("updated", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "activity_id", "agent", "registration", "doc_id", name="pk_documents"),
    )
    op.create_index("ix_documents_agent", "documents", ["agent"])
    op.create_table(
        "clients",
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("secret_hash", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("scopes", sa.Text(), nullable=False),
        sa.Column("authority", sa.Text(), nullable=False),
        sa.Column("created", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_clients"),
    )
    op.create_table(
        "launch_tokens",
        sa.Column("token", sa.String(200), nullable=False),
        sa.Column("actor_key", sa.Text(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("registration", sa.String(64), nullable=False),
        sa.Column("activity_id", sa.Text(), nullable=False),
        sa.Column("expires", UtcDateTime(), nullable=False),
        sa.Column("fetched", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("token", name="pk_launch_tokens"),
    )
    op.create_index("ix_launch_tokens_actor_key", "launch_tokens", ["actor_key"])


def downgrade() -> None:
    """Drop every table (children first)."""
    for table in (
        "launch_tokens",
        "clients",
        "documents",
        "agents",
        "activities",
        "statement_attachment",
        "attachments",
        "statement_activity",
        "statement_agent",
        "statements",
    ):
        op.drop_table(table)
