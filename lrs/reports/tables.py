"""The report projection: per-learner rows the reports aggregate, kept beside ``statements``.

Why per-learner rows: every report must answer in well under a second over
a million statements, so reports never read statements. Each table holds
one row per learner and *thing* (module, test item, test, learning goal,
evaluation question, clip), rewritten from that learner's remaining
statements whenever a batch adds or voids one of them
(:mod:`lrs.reports.projection`). Every row carries the learner context it
was recorded with (the filter dimensions, NULL = unknown, never guessed)
and ``day``, the UTC day of the statement timestamp the row dates from, so
one filter (:func:`lrs.reports.filters.where`) serves every table.

They live in the store's ``MetaData`` so the migrations and the schema
test see them; the migration is ``0005_reports``.
"""

from __future__ import annotations

import sqlalchemy as sa

from lrs.store.tables import metadata

#: The filter dimensions, in the order reports show them (learner context extensions).
DIMENSIONS = ("sector", "organisation", "region", "language", "level", "package_version")


def _context_columns(module_known: bool) -> list[sa.Column[object]]:
    """Module, course, the dimensions and the day: the columns every projection table has."""
    columns: list[sa.Column[object]] = [
        sa.Column("module", sa.Text(), nullable=not module_known),
        sa.Column("course", sa.Text(), nullable=True),
    ]
    columns.extend(sa.Column(name, sa.Text(), nullable=True) for name in DIMENSIONS)
    columns.append(sa.Column("day", sa.Date(), nullable=False))
    return columns


def covering(first: tuple[str, ...]) -> tuple[str, ...]:
    """``first``, then the module and the dimensions not in it: what every filter reads."""
    return first + tuple(c for c in ("module", *DIMENSIONS) if c not in first)


def _table(name: str, key: tuple[str, ...], report: tuple[str, ...], *columns: sa.Column[object]) -> sa.Table:
    """A projection table: learner, ``key`` columns, ``columns``, then the context columns.

    ``report`` is the column list of the index the table's report reads:
    the report's GROUP BY columns first, then every column it aggregates
    and ``day``; the module and the dimensions follow. So a report, with or
    without filters, is one ordered index-only scan: no sort, no row
    lookups (SQLite has no hash aggregation, and a lookup per row of a
    large table is what made filtered reports slow). ``ix_<table>_day``
    serves narrow periods.
    """
    table = sa.Table(
        name,
        metadata,
        sa.Column("agent_key", sa.Text(), nullable=False),
        *columns,
        *_context_columns(module_known="module" in key),
        sa.PrimaryKeyConstraint("agent_key", *key),
    )
    sa.Index(f"ix_{name}_day", table.c.day)
    sa.Index(f"ix_{name}_report", *(table.c[c] for c in covering(report)))
    return table


#: One row per learner and module (cmi5 AU / xAPI module activity); ``day``: first statement.
report_modules = _table(
    "report_modules",
    ("module",),
    ("module", "day", "completed_day", "passed_day", "judged", "evaluation_day"),
    sa.Column("registration", sa.String(64), nullable=True),
    sa.Column("completed_day", sa.Date(), nullable=True),
    sa.Column("passed_day", sa.Date(), nullable=True),
    #: the module has a test: a passed or failed was recorded on it
    sa.Column("judged", sa.Boolean(), nullable=False),
    #: the day the learner first sent the evaluation form (anywhere in the course)
    sa.Column("evaluation_day", sa.Date(), nullable=True),
    #: a statement of the module named an instructor (a trainer-led session)
    sa.Column("trainer_led", sa.Boolean(), nullable=False),
    #: the cmi5 launch said the module's moveOn is NotApplicable: not needed to complete the course
    sa.Column("optional", sa.Boolean(), nullable=False),
)

#: One row per learner, test, test role and item of the learner's latest attempt of that test;
#: ``total``: the learner's right answers in that attempt (for item-rest correlation without a join).
report_items = _table(
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
    #: JSON array of the learning goals the item tests (goal rows are tallied from these rows)
    sa.Column("goals", sa.Text(), nullable=False),
)

#: One row per learner and learning goal: items right / items asked on the latest pre- and post-test attempt.
report_goals = _table(
    "report_goals",
    ("goal",),
    ("goal", "pre_correct", "pre_total", "post_correct", "post_total", "day"),
    sa.Column("goal", sa.Text(), nullable=False),
    sa.Column("pre_correct", sa.Integer(), nullable=False),
    sa.Column("pre_total", sa.Integer(), nullable=False),
    sa.Column("post_correct", sa.Integer(), nullable=False),
    sa.Column("post_total", sa.Integer(), nullable=False),
)

#: One row per learner and evaluation question (likert: ``value``; competence: ``before``/``after``).
report_evaluation = _table(
    "report_evaluation",
    ("question",),
    ("question", "kind", "value", "before", "after", "day"),
    sa.Column("question", sa.Text(), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("value", sa.Integer(), nullable=True),
    sa.Column("before", sa.Integer(), nullable=True),
    sa.Column("after", sa.Integer(), nullable=True),
)

#: One row per learner and clip: the share played at least once, and which tenths of it.
report_video = _table(
    "report_video",
    ("clip",),
    ("clip", "progress", "tenths", "day"),
    sa.Column("clip", sa.Text(), nullable=False),
    sa.Column("progress", sa.Float(), nullable=False),
    #: bit i set: the learner played part of the i-th tenth of the clip (i = 0..9)
    sa.Column("tenths", sa.Integer(), nullable=False),
)

# The indicators report: per learner and course, in index order, every column it reads.
sa.Index(
    "ix_report_modules_learner",
    *(
        report_modules.c[c]
        for c in covering(("agent_key", "course", "day", "completed_day", "passed_day", "judged", "optional"))
    ),
)
# The modules of each course variant (language, sector), and which of them are required.
sa.Index(
    "ix_report_modules_course",
    *(report_modules.c[c] for c in ("course", "language", "sector", "module", "optional")),
)

#: Every projection table (erasure and rebuild go through them all).
TABLES = (report_modules, report_items, report_goals, report_evaluation, report_video)
