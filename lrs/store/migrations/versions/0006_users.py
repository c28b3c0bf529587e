"""Evaluator accounts of the dashboard, and the secret its sessions are signed with.

``users`` holds one row per dashboard account: the argon2 hash of its
password (never the password) and its role. ``app_secrets`` keeps secrets
the application generates itself when the operator sets none
(``GSOG_LRS_SECRET_KEY``): every worker and every restart must sign session
cookies with the same key, so it lives in the database they share.

Revision ID: 0006_users
Revises: 0005_reports
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lrs.store.types import UtcDateTime

revision: str = "0006_users"
down_revision: str | None = "0005_reports"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add ``users`` and ``app_secrets``."""
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("created", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("username", name="uq_users_username"),
    )
    op.create_table(
        "app_secrets",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_app_secrets"),
    )


def downgrade() -> None:
    """Drop ``app_secrets`` and ``users``."""
    op.drop_table("app_secrets")
    op.drop_table("users")
