"""A client may be bound to one organisation: the write-only key of its dual-tracking SCORM packages.

``clients.organisation`` is NULL for every other client. A client with an
organisation may only send statements of that organisation's pseudonymous
learners and read nothing (:mod:`lrs.xapi.dual_tracking`), so the key a
package carries is worth nothing else to whoever copies it out.

Revision ID: 0007_client_organisation
Revises: 0006_users
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007_client_organisation"
down_revision: str | None = "0006_users"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add ``clients.organisation`` (nullable)."""
    with op.batch_alter_table("clients") as batch:
        batch.add_column(sa.Column("organisation", sa.String(64), nullable=True))


def downgrade() -> None:
    """Drop ``clients.organisation``."""
    with op.batch_alter_table("clients") as batch:
        batch.drop_column("organisation")
