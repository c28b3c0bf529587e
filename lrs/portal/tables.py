"""The learner portal's tables: learners, their one-time tokens, invitations and certificates.

Why they look like this:

* ``portal_learners`` holds what the portal needs and nothing more: the
  e-mail address (to sign in and to receive the confirmation and reset
  links), the argon2 hash of the password, and the profile the evaluation
  reports use (sector, organisation, region, language, role, level). The
  learner's xAPI actor is an account named by ``actor_name``, a random
  value that says nothing about the person: statements never carry the
  e-mail address. ``display_name`` is asked for only when a certificate is
  made, because a certificate must name its holder.
  ``session_generation`` is part of every session cookie; raising it
  (password change or reset, "sign out everywhere", deletion) ends every
  session at once, which signed cookies cannot do otherwise.
* ``portal_tokens`` keeps only the SHA-256 of each one-time link's token
  (confirm e-mail, reset password): a copied database gives no usable link.
* ``portal_invitations``: an organisation's invitation link presets the
  organisation, sector and region of whoever signs up with it; the token is
  kept hashed too, and an invitation may expire or be limited in uses.
* ``portal_certificates``: one per learner and course, with its public
  verification code and what the verification page shows (name, course,
  level, date), copied at issue so that the page shows what the
  certificate says. Deleting the learner deletes them.

The migration is ``0009_portal``.
"""

from __future__ import annotations

import sqlalchemy as sa

from lrs.store.tables import metadata
from lrs.store.types import UtcDateTime

portal_learners = sa.Table(
    "portal_learners",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
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
    sa.Column("session_generation", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("created", UtcDateTime(), nullable=False),
    sa.UniqueConstraint("email", name="uq_portal_learners_email"),
    sa.UniqueConstraint("actor_name", name="uq_portal_learners_actor_name"),
    sqlite_autoincrement=True,
)

portal_tokens = sa.Table(
    "portal_tokens",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("purpose", sa.String(16), nullable=False),
    sa.Column("learner_id", sa.Integer(), nullable=False),
    sa.Column("expires", UtcDateTime(), nullable=False),
    sa.Column("used", UtcDateTime(), nullable=True),
    sa.Index("ix_portal_tokens_learner_id", "learner_id"),
)

portal_invitations = sa.Table(
    "portal_invitations",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("token_hash", sa.String(64), nullable=False),
    sa.Column("organisation", sa.String(64), nullable=False),
    sa.Column("sector", sa.String(64), nullable=True),
    sa.Column("region", sa.String(64), nullable=True),
    sa.Column("label", sa.Text(), nullable=False, server_default=""),
    sa.Column("created", UtcDateTime(), nullable=False),
    sa.Column("expires", UtcDateTime(), nullable=True),
    sa.Column("max_uses", sa.Integer(), nullable=True),
    sa.Column("uses", sa.Integer(), nullable=False, server_default="0"),
    sa.UniqueConstraint("token_hash", name="uq_portal_invitations_token_hash"),
    sqlite_autoincrement=True,
)

portal_certificates = sa.Table(
    "portal_certificates",
    metadata,
    sa.Column("code", sa.String(32), primary_key=True),
    sa.Column("learner_id", sa.Integer(), nullable=False),
    sa.Column("course_iri", sa.Text(), nullable=False),
    sa.Column("registration", sa.String(36), nullable=False),
    sa.Column("name", sa.Text(), nullable=False),
    sa.Column("course_title", sa.Text(), nullable=False),
    sa.Column("level", sa.String(64), nullable=True),
    sa.Column("language", sa.String(35), nullable=False),
    sa.Column("issued", UtcDateTime(), nullable=False),
    sa.UniqueConstraint("learner_id", "course_iri", name="uq_portal_certificates_learner_id_course_iri"),
)
