"""cmi5 LMS records: sessions, AU status per registration, registrations, enrollments.

The LRS enforces the cmi5 AU rules for the sessions it launches, which needs
what each session did so far; ``launch_tokens`` learns which session a token
belongs to (tokens issued before this revision have none and stay unchecked).

Revision ID: 0002_cmi5_sessions
Revises: 0001_initial
Create Date: 2026-06-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lrs.store.types import UtcDateTime

revision: str = "0002_cmi5_sessions"
down_revision: str | None = "0001_initial"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add the cmi5 tables and ``launch_tokens.session_id``."""
    op.add_column("launch_tokens", sa.Column("session_id", sa.String(64), server_default="", nullable=False))
    op.create_table(
        "cmi5_registrations",
        sa.Column("registration", sa.String(64), nullable=False),
        sa.Column("actor_key", sa.Text(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("authority", sa.Text(), nullable=False),
        sa.Column("course", sa.Text(), nullable=True),
        sa.Column("satisfied", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("registration", name="pk_cmi5_registrations"),
    )
    op.create_index("ix_cmi5_registrations_actor_key", "cmi5_registrations", ["actor_key"])
    op.create_table(
        "cmi5_aus",
        sa.Column("registration", sa.String(64), nullable=False),
        sa.Column("activity_id", sa.Text(), nullable=False),
        sa.Column("completed", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("passed", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("satisfied", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("registration", "activity_id", name="pk_cmi5_aus"),
        sa.ForeignKeyConstraint(
            ["registration"],
            ["cmi5_registrations.registration"],
            name="fk_cmi5_aus_registration_cmi5_registrations",
            ondelete="CASCADE",
        ),
    )
    op.create_table(
        "cmi5_sessions",
        sa.Column("session_id", sa.String(64), nullable=False),
        sa.Column("registration", sa.String(64), nullable=False),
        sa.Column("activity_id", sa.Text(), nullable=False),
        sa.Column("launch_data", sa.Text(), nullable=False),
        sa.Column("launched", UtcDateTime(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("verbs", sa.Text(), nullable=False),
        sa.Column("launch_data_read", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("preferences_read", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("last_statement", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("session_id", name="pk_cmi5_sessions"),
        sa.ForeignKeyConstraint(
            ["registration"],
            ["cmi5_registrations.registration"],
            name="fk_cmi5_sessions_registration_cmi5_registrations",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_cmi5_sessions_registration", "cmi5_sessions", ["registration", "status"])
    op.create_table(
        "cmi5_enrollments",
        sa.Column("actor_key", sa.Text(), nullable=False),
        sa.Column("course_id", sa.Text(), nullable=False),
        sa.Column("registration", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("actor_key", "course_id", name="pk_cmi5_enrollments"),
    )


def downgrade() -> None:
    """Drop the cmi5 tables and the token column."""
    for table in ("cmi5_enrollments", "cmi5_sessions", "cmi5_aus", "cmi5_registrations"):
        op.drop_table(table)
    with op.batch_alter_table("launch_tokens") as batch:
        batch.drop_column("session_id")
