"""The learner portal: learners, one-time tokens, invitations and certificates.

See :mod:`lrs.portal.tables` for why the tables look like this (pseudonymous
actor names, hashed tokens, sessions that can be ended server-side).

Revision ID: 0009_portal
Revises: 0008_courses
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lrs.store.types import UtcDateTime

revision: str = "0009_portal"
down_revision: str | None = "0008_courses"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add ``portal_learners``, ``portal_tokens``, ``portal_invitations`` and ``portal_certificates``."""
    op.create_table(
        "portal_learners",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("verified", UtcDateTime(), nullable=True),
        sa.Column("actor_name", sa.String(64), nullable=False),
        sa.Column("display_name", sa.Text(), nullable=True),
        sa.Column("sector", sa.String(64), nullable=True),
        sa.Column("organisation", sa.String(64), nullable=True),
        sa.Column("region", sa.String(64), nullable=True),
        sa.Column("language", sa.String(35), nullable=True),
        sa.Column("role", sa.String(64), nullable=True),
        sa.Column("level", sa.String(64), nullable=True),
        sa.Column("invitation_id", sa.Integer(), nullable=True),
        sa.Column("session_generation", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_portal_learners"),
        sa.UniqueConstraint("email", name="uq_portal_learners_email"),
        sa.UniqueConstraint("actor_name", name="uq_portal_learners_actor_name"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "portal_tokens",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("expires", UtcDateTime(), nullable=False),
        sa.Column("used", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("token_hash", name="pk_portal_tokens"),
    )
    op.create_index("ix_portal_tokens_learner_id", "portal_tokens", ["learner_id"])
    op.create_table(
        "portal_invitations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("organisation", sa.String(64), nullable=False),
        sa.Column("sector", sa.String(64), nullable=True),
        sa.Column("region", sa.String(64), nullable=True),
        sa.Column("label", sa.Text(), server_default="", nullable=False),
        sa.Column("created", UtcDateTime(), nullable=False),
        sa.Column("expires", UtcDateTime(), nullable=True),
        sa.Column("max_uses", sa.Integer(), nullable=True),
        sa.Column("uses", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_portal_invitations"),
        sa.UniqueConstraint("token_hash", name="uq_portal_invitations_token_hash"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "portal_certificates",
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("course_iri", sa.Text(), nullable=False),
        sa.Column("registration", sa.String(36), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("course_title", sa.Text(), nullable=False),
        sa.Column("level", sa.String(64), nullable=True),
        sa.Column("language", sa.String(35), nullable=False),
        sa.Column("issued", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("code", name="pk_portal_certificates"),
        sa.UniqueConstraint("learner_id", "course_iri", name="uq_portal_certificates_learner_id_course_iri"),
    )


def downgrade() -> None:
    """Drop the portal's tables."""
    op.drop_table("portal_certificates")
    op.drop_table("portal_invitations")
    op.drop_index("ix_portal_tokens_learner_id", table_name="portal_tokens")
    op.drop_table("portal_tokens")
    op.drop_table("portal_learners")
