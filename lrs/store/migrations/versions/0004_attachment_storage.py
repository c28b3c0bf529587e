"""PostgreSQL keeps attachment bytes uncompressed out of line, so they can be read in slices.

Attachments are streamed to readers one slice at a time (``substr`` per
MiB, :meth:`lrs.store.sql.SqlStore.attachment_chunks`). A compressed TOAST
value has to be decompressed from its start for every slice, which makes
reading one attachment quadratic in its size; ``STORAGE EXTERNAL`` keeps it
uncompressed (attachments are mostly images, audio and PDF, compressed
already), so a slice reads only its own pages. It applies to values
written from now on. SQLite stores blobs as they are: nothing to do.

Revision ID: 0004_attachment_storage
Revises: 0003_auth_failures
Create Date: 2026-12-05
"""

from __future__ import annotations

from alembic import op

revision: str = "0004_attachment_storage"
down_revision: str | None = "0003_auth_failures"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """``attachments.content``: STORAGE EXTERNAL on PostgreSQL."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE attachments ALTER COLUMN content SET STORAGE EXTERNAL")


def downgrade() -> None:
    """Back to PostgreSQL's default for bytea (EXTENDED: compressed when it pays)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE attachments ALTER COLUMN content SET STORAGE EXTENDED")
