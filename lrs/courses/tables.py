"""Imported cmi5 courses: one row per package version, its AUs, and its files in chunks.

Why it looks like this:

* ``course_packages`` holds one row per imported package *version*
  (``course_iri`` is the cmi5 ``<course id>``, ``version`` the package's own
  version, ``""`` when it declares none). Re-importing the same version
  replaces that row and everything under it in one transaction; importing a
  new version adds a row and clears ``current`` on the older ones, which stay
  for registrations already in flight on them (the portal launches new ones
  on the current version only). ``course_key`` groups the variants of one
  course (language x sector packages) in the catalogue.
* Texts a package gives per language (titles, descriptions, goals) are JSON
  maps ``{"fr": "…"}``; nothing here is personal data.
* File bytes are stored in the database, like attachments, so an import is
  one transaction on either database (nothing half-written on disk, every
  worker sees the same files) and a refusal leaves nothing. They are cut
  into chunks of :data:`lrs.courses.store.CHUNK_BYTES`, so serving a 200 MB
  video, or a Range of it, holds one chunk in memory at a time.

They live in the store's ``MetaData`` so the migrations and the schema test
see them; the migration is ``0008_courses``.
"""

from __future__ import annotations

import sqlalchemy as sa

from lrs.store.tables import metadata
from lrs.store.types import UtcDateTime

course_packages = sa.Table(
    "course_packages",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
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
    sa.UniqueConstraint("course_iri", "version", name="uq_course_packages_course_iri_version"),
    sqlite_autoincrement=True,  # ids are never reused: a removed package's id names no other later
)

course_aus = sa.Table(
    "course_aus",
    metadata,
    sa.Column("package_id", sa.Integer(), sa.ForeignKey("course_packages.id", ondelete="CASCADE"), nullable=False),
    sa.Column("position", sa.Integer(), nullable=False),
    sa.Column("au_id", sa.Text(), nullable=False),
    sa.Column("title", sa.JSON(), nullable=False),
    sa.Column("description", sa.JSON(), nullable=False),
    sa.Column("move_on", sa.String(24), nullable=False),
    sa.Column("mastery_score", sa.Float(), nullable=True),
    sa.Column("launch_method", sa.String(24), nullable=False),
    sa.Column("url", sa.Text(), nullable=False),
    sa.Column("objectives", sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint("package_id", "position"),
)

course_files = sa.Table(
    "course_files",
    metadata,
    sa.Column("package_id", sa.Integer(), sa.ForeignKey("course_packages.id", ondelete="CASCADE"), nullable=False),
    sa.Column("path", sa.Text(), nullable=False),
    sa.Column("size", sa.BigInteger(), nullable=False),
    sa.Column("crc", sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint("package_id", "path"),
)

course_file_chunks = sa.Table(
    "course_file_chunks",
    metadata,
    sa.Column("package_id", sa.Integer(), nullable=False),
    sa.Column("path", sa.Text(), nullable=False),
    sa.Column("seq", sa.Integer(), nullable=False),
    sa.Column("data", sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint("package_id", "path", "seq"),
    sa.ForeignKeyConstraint(
        ["package_id", "path"], ["course_files.package_id", "course_files.path"], ondelete="CASCADE"
    ),
)
