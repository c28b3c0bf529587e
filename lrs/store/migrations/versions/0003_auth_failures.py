"""A database counter for checks of legacy (argon2) client secrets.

Client secrets are now stored as salted HMAC-SHA-256 (cheap to check, no
limiter needed); clients stored earlier keep their argon2 hash until their
first successful authentication upgrades it. Until then their checks are
limited per key and window, counted here so the limit holds across workers
(see :mod:`lrs.auth.credentials`).

Revision ID: 0003_auth_failures
Revises: 0002_cmi5_sessions
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003_auth_failures"
down_revision: str | None = "0002_cmi5_sessions"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add ``auth_failures``."""
    op.create_table(
        "auth_failures",
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", "window_start", name="pk_auth_failures"),
    )


def downgrade() -> None:
    """Drop ``auth_failures``."""
    op.drop_table("auth_failures")
