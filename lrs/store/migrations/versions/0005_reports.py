"""The report projection: per-learner rows the evaluators' reports aggregate (lrs.reports.tables).

Reports must answer in under a second over a million statements, so they
read these rows (through covering indexes in their GROUP BY order), kept up to date as statements arrive and are voided,
never the statements. Existing statements are projected by
``lrs reports rebuild`` (the upgrade leaves the tables empty: projecting a
large store is better done outside the migration's lock).

Revision ID: 0005_reports
Revises: 0004_attachment_storage
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005_reports"
down_revision: str | None = "0004_attachment_storage"
branch_labels: str | None = None
depends_on: str | None = None

_DIMENSIONS = ("sector", "organisation", "region", "language", "level", "package_version")
_TABLES = ("report_modules", "report_items", "report_goals", "report_evaluation", "report_video")


def _covering(first: tuple[str, ...]) -> list[str]:
    """The report index's columns: ``first``, then the module and the dimensions not in it."""
    return [*first, *(c for c in ("module", *_DIMENSIONS) if c not in first)]


def _create(name: str, key: tuple[str, ...], report: tuple[str, ...], *columns: sa.Column[object]) -> None:
    """A projection table as lrs.reports.tables defines it at this revision."""
    op.create_table(
        name,
        sa.Column("agent_key", sa.Text(), nullable=False),
        *columns,
        sa.Column("module", sa.Text(), nullable="module" not in key),
        sa.Column("course", sa.Text(), nullable=True),
        *(sa.Column(dim, sa.Text(), nullable=True) for dim in _DIMENSIONS),
        sa.Column("day", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("agent_key", *key, name=f"pk_{name}"),
    )
    op.create_index(f"ix_{name}_day", name, ["day"])
    op.create_index(f"ix_{name}_report", name, _covering(report))


def upgrade() -> None:
    """Create the five projection tables."""
    _create(
        "report_modules",
        ("module",),
        ("module", "day", "completed_day", "passed_day", "judged", "evaluation_day"),
        sa.Column("registration", sa.String(64), nullable=True),
        sa.Column("completed_day", sa.Date(), nullable=True),
        sa.Column("passed_day", sa.Date(), nullable=True),
        sa.Column("judged", sa.Boolean(), nullable=False),
        sa.Column("evaluation_day", sa.Date(), nullable=True),
        sa.Column("trainer_led", sa.Boolean(), nullable=False),
        sa.Column("optional", sa.Boolean(), nullable=False),
    )
    _create(
        "report_items",
        ("test", "role", "item"),
        ("test", "role", "item", "response", "success", "total", "day"),
        sa.Column("test", sa.Text(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("item", sa.Text(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("response", sa.Text(), nullable=True),
        sa.Column("success", sa.Boolean(), nullable=True),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("goals", sa.Text(), nullable=False),
    )
    _create(
        "report_goals",
        ("goal",),
        ("goal", "pre_correct", "pre_total", "post_correct", "post_total", "day"),
        sa.Column("goal", sa.Text(), nullable=False),
        sa.Column("pre_correct", sa.Integer(), nullable=False),
        sa.Column("pre_total", sa.Integer(), nullable=False),
        sa.Column("post_correct", sa.Integer(), nullable=False),
        sa.Column("post_total", sa.Integer(), nullable=False),
    )
    _create(
        "report_evaluation",
        ("question",),
        ("question", "kind", "value", "before", "after", "day"),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.Integer(), nullable=True),
        sa.Column("before", sa.Integer(), nullable=True),
        sa.Column("after", sa.Integer(), nullable=True),
    )
    _create(
        "report_video",
        ("clip",),
        ("clip", "progress", "tenths", "day"),
        sa.Column("clip", sa.Text(), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("tenths", sa.Integer(), nullable=False),
    )
    op.create_index(
        "ix_report_modules_learner",
        "report_modules",
        _covering(("agent_key", "course", "day", "completed_day", "passed_day", "judged", "optional")),
    )
    op.create_index(
        "ix_report_modules_course", "report_modules", ["course", "language", "sector", "module", "optional"]
    )


def downgrade() -> None:
    """Drop the projection (statements are untouched; a later upgrade and rebuild restore it)."""
    for name in reversed(_TABLES):
        op.drop_table(name)
