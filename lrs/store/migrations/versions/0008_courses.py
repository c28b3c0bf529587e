"""Imported cmi5 courses (the learner portal's catalogue): packages, their AUs and their files.

See :mod:`lrs.courses.tables` for why the tables look like this: one row
per package version, texts per language as JSON, file bytes in chunks.

Revision ID: 0008_courses
Revises: 0007_client_organisation
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lrs.store.types import UtcDateTime

revision: str = "0008_courses"
down_revision: str | None = "0007_client_organisation"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add ``course_packages``, ``course_aus``, ``course_files`` and ``course_file_chunks``."""
    op.create_table(
        "course_packages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("course_iri", sa.Text(), nullable=False),
        sa.Column("version", sa.Text(), nullable=False),
        sa.Column("course_key", sa.Text(), nullable=False),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("sector", sa.Text(), nullable=True),
        sa.Column("level", sa.Text(), nullable=True),
        sa.Column("title", sa.JSON(), nullable=False),
        sa.Column("description", sa.JSON(), nullable=False),
        sa.Column("duration", sa.Text(), nullable=True),
        sa.Column("goals", sa.JSON(), nullable=False),
        sa.Column("package_name", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("imported", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_course_packages"),
        sa.UniqueConstraint("course_iri", "version", name="uq_course_packages_course_iri_version"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "course_aus",
        sa.Column("package_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("au_id", sa.Text(), nullable=False),
        sa.Column("title", sa.JSON(), nullable=False),
        sa.Column("description", sa.JSON(), nullable=False),
        sa.Column("move_on", sa.String(24), nullable=False),
        sa.Column("mastery_score", sa.Float(), nullable=True),
        sa.Column("launch_method", sa.String(24), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("objectives", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("package_id", "position", name="pk_course_aus"),
        sa.ForeignKeyConstraint(
            ["package_id"],
            ["course_packages.id"],
            name="fk_course_aus_package_id_course_packages",
            ondelete="CASCADE",
        ),
    )
    op.create_table(
        "course_files",
        sa.Column("package_id", sa.Integer(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("crc", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("package_id", "path", name="pk_course_files"),
        sa.ForeignKeyConstraint(
            ["package_id"],
            ["course_packages.id"],
            name="fk_course_files_package_id_course_packages",
            ondelete="CASCADE",
        ),
    )
    op.create_table(
        "course_file_chunks",
        sa.Column("package_id", sa.Integer(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("package_id", "path", "seq", name="pk_course_file_chunks"),
        sa.ForeignKeyConstraint(
            ["package_id", "path"],
            ["course_files.package_id", "course_files.path"],
            name="fk_course_file_chunks_package_id_course_files",
            ondelete="CASCADE",
        ),
    )


def downgrade() -> None:
    """Drop the course tables, children first."""
    op.drop_table("course_file_chunks")
    op.drop_table("course_files")
    op.drop_table("course_aus")
    op.drop_table("course_packages")
