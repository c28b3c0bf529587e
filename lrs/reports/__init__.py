"""Reports for evaluators: who was trained, did they reach the learning goals, is the training working (issue #9).

Data flow: statements -> per-learner projection rows, kept up to date inside
the ingest transaction and on voiding (:mod:`lrs.reports.projection`,
tables in :mod:`lrs.reports.tables`, migration ``0005_reports``) -> a report
aggregates those rows for a :class:`ReportFilter` (:mod:`lrs.reports.definitions`,
registry :data:`REPORTS`) -> small-group suppression (:mod:`lrs.reports.privacy`)
-> a :class:`ReportTable` -> text, CSV, XLSX or JSON (:mod:`lrs.reports.formats`).

Entry points: ``run_report(store_or_engine, name, ReportFilter(...), k=5)``,
``compare(store_or_engine, name, filter_a, filter_b, k=5)`` (columns
``<key>_a``, ``<key>_b``, ``<key>_diff`` = B - A per figure), ``rebuild(engine)``.

Periods: ``start``/``end`` are inclusive UTC days of statement timestamps;
each report says which day a row is dated by. Unknown: a statement without
a context extension counts as ``unknown`` in that dimension (filter value
``"unknown"`` selects those); a row's context is the greatest known value
among its statements (they normally agree; this way the result does not
depend on the order statements arrive in). Fractions are rounded to 6
decimals, so recomputing in another order gives identical figures. A cell for a group
of fewer than ``k`` learners is :data:`SUPPRESSED` (``"<k"`` in text, CSV and
XLSX, ``{"suppressed": true}`` in JSON); see :mod:`lrs.reports.privacy`.

The reports and their columns (kind in brackets: key, count, share 0..1, number, text):

``indicators`` — per learner (not per module); a learner belongs to the period in
    which their first module row is dated (a cohort); completed/passed count
    whenever reached. completed = every required module (cmi5 moveOn not
    NotApplicable) of the learner's course variant (course, language, sector;
    the modules seen in the data) completed; passed = at least one module with
    a test (passed/failed recorded), and every such module of the learner passed.
    dimension [key: all, sector, organisation, region, language, level],
    group [key: the value, or "unknown"], started, completed, passed [count].
    summary: organisations (distinct known organisations of the counted
    learners), trainer_led_sessions (registrations of module rows in the
    period whose statements named an ``instructor``).
``funnel`` — per module, learners who launched it in the period (later milestones count):
    module [key], launched, completed, passed (None: module has no test),
    evaluation_sent [count]; dropoff_completed, dropoff_passed,
    dropoff_evaluation [share of the previous step lost].
``goal-mastery`` — per goal, learners with a post-test answer to it (dated by the latest):
    goal [key], learners, mastered [count], share_mastered [share];
    mastered = >= 80% of the goal's items right on the latest post-test attempt.
``knowledge-gain`` — per goal, learners with both pre- and post-test answers (paired):
    goal [key], learners [count], mean_pre, mean_post, mean_gain, ci_low,
    ci_high [share; gain = post share right - pre share right, 95% t interval].
``competence`` — per evaluation question (dated by the learner's first answer to it);
    answer = before/after/change for the self-rated competence pairs
    (learners who gave both), likert for a statement:
    question [key], answer [key], learners [count], mean, ci_low, ci_high
    [number on the 1..7 scale; change: mean after - before], n1..n7 [count of
    each answer; None for change].
``item-analysis`` — per test, role (pre/post/unknown) and item, latest attempt per learner
    (dated by the answer; item-rest r correlates the item with the rest of that attempt's score):
    test, role, item [key], learners [count], p_value [share right],
    item_rest_r [number], distractors [text "b: 12, c: <5"], flags [text:
    too-easy, too-hard, poor-discrimination, unused-distractor:<id>, joined by "; "].
``video`` — per clip, learners who played it (dated by their first video statement):
    clip [key], learners [count], mean_watched, watched_to_end, t1..t10
    [share: who saw each tenth], dropoff_at [text "40%": after the tenth
    where most viewers stop].
"""

from __future__ import annotations

from lrs.reports.definitions import REPORTS, ReportDefinition
from lrs.reports.model import SUPPRESSED, UNKNOWN, Cell, Column, ReportFilter, ReportTable, Suppressed
from lrs.reports.projection import forget_learner, rebuild
from lrs.reports.run import DEFAULT_K, UnknownReportError, compare, run_report

__all__ = [
    "DEFAULT_K",
    "REPORTS",
    "SUPPRESSED",
    "UNKNOWN",
    "Cell",
    "Column",
    "ReportDefinition",
    "ReportFilter",
    "ReportTable",
    "Suppressed",
    "UnknownReportError",
    "compare",
    "forget_learner",
    "rebuild",
    "run_report",
]
