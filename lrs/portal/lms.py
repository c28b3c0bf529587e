"""The learner portal as a cmi5 LMS for imported courses: launching AUs, progress, waivers, goal results.

The cmi5 machinery is :mod:`lrs.api.cmi5` (registrations, LMS.LaunchData,
"launched"/"abandoned"/"satisfied" statements, the AU rules of launched
sessions, fetch tokens); the package preview (:mod:`lrs.api.preview`) is
its launcher for zips on disk, this module its launcher for the packages
stored by ``lrs course import`` (:mod:`lrs.courses.store`), for real
learners. The pages (``lrs.portal.views``) call these functions; nothing
here renders HTML.

* :func:`course_structure`: the course as a launch names it (the LMS's ids).
* :func:`launch`: one AU launch in the learner's enrollment; returns the AU's
  URL on the content origin (:mod:`lrs.portal.content`) with the cmi5 query.
  The view answers the learner's POST with a 303 to it: the AU runs in the
  same window and returns to ``return_url`` (the portal's course page).
* :func:`progress`: what the course page shows, read in a few queries.
* :func:`waive`: the LMS's "waived" (cmi5 §9.3.8), e.g. for prior learning.
* :func:`goal_results`: the learner's mastery of each learning goal, by the
  goal-mastery report's rule (:func:`lrs.reports.definitions.goal_mastered`).

The learner context a launch carries (organisation, region, role, level) is
written into LMS.LaunchData's contextTemplate, so every statement of the
session carries it and the reports count the learner under it; sector and
language are the package's (fixed at build time, carried by the player).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

import sqlalchemy as sa

from lrs.api.cmi5 import course_body, enrollment_registration, start_launch, waive_au
from lrs.courses.metadata import AuInfo, LangMap
from lrs.courses.store import ImportedCourse, load_packages
from lrs.courses.tables import course_packages
from lrs.portal.content import content_url
from lrs.reports.definitions import goal_mastered
from lrs.reports.tables import report_goals
from lrs.store.codec import loads_object
from lrs.store.interface import Store
from lrs.store.sql import engine_of
from lrs.store.tables import cmi5_aus, cmi5_enrollments, cmi5_registrations, cmi5_sessions, statements
from lrs.xapi import spec
from lrs.xapi.agents import agent_key
from lrs.xapi.profile import BUILD_OR_LAUNCH, LAUNCH_FIELDS, launch_value_problem

#: The authority of every statement the portal's LMS records (launched, abandoned, satisfied, waived).
PORTAL_AUTHORITY: Final = {"objectType": "Agent", "account": {"homePage": "urn:gsog:lrs", "name": "portal"}}
#: Appended to the publisher's ids: cmi5 8.1.5 / 9.4 want the LMS's own ids for the AUs and the course.
LMS_SUFFIX: Final = "/lms-portal"
#: Keys of the learner's profile a launch accepts: the launch fields of our profile, and two the package fixes.
PROFILE_KEYS: Final = frozenset({f.name for f in LAUNCH_FIELDS} | {"sector", "language"})
_PASSED, _FAILED = spec.ADL_VERBS + "passed", spec.ADL_VERBS + "failed"


class LaunchError(ValueError):
    """A launch the portal cannot make (unknown AU, bad context value, bad return URL); the message says which."""


@dataclass(frozen=True)
class AuProgress:
    """One AU of the course for one learner.

    ``satisfied`` is true for a NotApplicable AU from the start (cmi5 §9.6.1:
    nothing is asked of the learner); ``score`` is the scaled score of the
    AU's latest cmi5 passed/failed statement; ``last_activity`` the last
    launch or statement of its sessions.
    """

    au_id: str
    activity_id: str
    title: LangMap
    move_on: str
    launched: bool
    completed: bool
    passed: bool
    satisfied: bool
    waived: bool
    score: float | None
    last_activity: dt.datetime | None


@dataclass(frozen=True)
class CourseProgress:
    """A learner's course: the enrollment's registration (None before the first launch), satisfaction, AUs in order."""

    registration: str | None
    satisfied: bool
    aus: tuple[AuProgress, ...]


@dataclass(frozen=True)
class GoalResult:
    """One learning goal: right / asked on the learner's latest post-test attempt, and whether that masters it."""

    goal: str
    title: LangMap
    correct: int
    total: int
    share: float | None
    mastered: bool


def course_structure(package: ImportedCourse) -> dict[str, Any]:
    """The course as :func:`lrs.api.cmi5.start_launch`'s body names it: LMS ids, publisher id, each AU's moveOn."""
    return course_body(package.course_iri, [(au.au_id, au.move_on) for au in package.aus], LMS_SUFFIX)


def _au(package: ImportedCourse, au_index: int) -> AuInfo:
    if not 0 <= au_index < len(package.aus):
        raise LaunchError(f"au_index: the course has AUs 0 to {len(package.aus) - 1}, not {au_index}")
    return package.aus[au_index]


def learner_context(package: ImportedCourse, context: Mapping[str, str | None]) -> dict[str, str]:
    """The launch's ``learnerContext`` from the learner's profile: organisation, region, role, level.

    Sector and language are the package's (its statements carry them from
    the build); level too when the course fixes it. Empty values stay out,
    never guessed. Any other key, or a value that is no code, is a
    :class:`LaunchError` naming it.
    """
    chosen: dict[str, str] = {}
    launch_names = {f.name for f in LAUNCH_FIELDS}
    for key, value in context.items():
        if key not in PROFILE_KEYS:
            raise LaunchError(f"context.{key}: not a profile value (known: {', '.join(sorted(PROFILE_KEYS))})")
        if not value or key not in launch_names or (key in BUILD_OR_LAUNCH and getattr(package, key, None)):
            continue
        problem = launch_value_problem(key, value)
        if problem is not None:
            raise LaunchError(f"context.{key}: {problem}")
        chosen[key] = value
    return chosen


def _absolute(url: str, name: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise LaunchError(f"{name}: must be an absolute http(s) URL, got {url!r}")
    return url


def launch(
    actor: Mapping[str, Any],
    context: Mapping[str, str | None],
    package: ImportedCourse,
    au_index: int,
    *,
    language: str | None,
    return_url: str,
    renew: bool = False,
) -> str:
    """Launch AU ``au_index`` of ``package`` for a learner; the AU's URL on the content origin with the cmi5 query.

    Needs an app and request context (the LRS's public URL, its store). The
    learner's enrollment registration is kept across launches (``renew``
    starts the course over with a new one). LMS.LaunchData gets launchMode
    Normal (Review once the AU is satisfied), moveOn, masteryScore,
    ``return_url`` (absolute: the portal's course page) and a
    contextTemplate with :func:`learner_context`; the learner preferences
    get ``languagePreference`` = ``language``, or the package's language
    when None (audioPreference is left unset). A previous open session of
    the registration is abandoned; the "launched" statement is recorded.
    Bad input raises :class:`LaunchError`; call it from a POST only (a
    launch writes statements).
    """
    au = _au(package, au_index)
    course = course_structure(package)
    body: dict[str, Any] = {
        "actor": dict(actor),
        "registration": enrollment_registration(actor, course["id"], renew=renew),
        "activityId": au.au_id + LMS_SUFFIX,
        "publisherId": au.au_id,
        "moveOn": au.move_on,
        "returnURL": _absolute(return_url, "return_url"),
        "launchMethod": au.launch_method,
        "auUrl": au.url if urlsplit(au.url).scheme else content_url(package.id, au.url),
        "course": course,
        "learnerContext": learner_context(package, context),
    }
    preference = language or (package.languages[0] if package.languages else None)
    if preference:
        body["languagePreference"] = preference
    if au.mastery_score is not None:
        body["masteryScore"] = au.mastery_score
    answer = start_launch(body, dict(PORTAL_AUTHORITY), review_when_satisfied=True)
    return str(answer["url"])


def _registration(conn: sa.Connection, actor_key: str, course_id: str) -> str | None:
    """The learner's enrollment registration in a course, or None (read only: nothing is created)."""
    e = cmi5_enrollments.c
    found = conn.execute(sa.select(e.registration).where(e.actor_key == actor_key, e.course_id == course_id)).scalar()
    return None if found is None else str(found)


def _judgements(conn: sa.Connection, registration: str, activities: set[str]) -> dict[str, tuple[float | None, bool]]:
    """Per AU: the scaled score of its latest cmi5 passed/failed statement, and whether it was waived."""
    st = statements.c
    rows = conn.execute(
        sa.select(st.body)
        .where(st.registration == registration, st.verb_id.in_((_PASSED, _FAILED, spec.WAIVED)), sa.not_(st.voided))
        .order_by(st.stored, st.seq)
    )
    found: dict[str, tuple[float | None, bool]] = {}
    for (text,) in rows:
        body = loads_object(text)
        activity = str(body.get("object", {}).get("id", ""))
        if activity not in activities:
            continue
        score, waived = found.get(activity, (None, False))
        if body["verb"]["id"] == spec.WAIVED:
            waived = True
        else:
            scaled = (body.get("result") or {}).get("score", {}).get("scaled")
            score = float(scaled) if isinstance(scaled, int | float) and not isinstance(scaled, bool) else score
        found[activity] = (score, waived)
    return found


def progress(target: Store, actor: Mapping[str, Any], package: ImportedCourse) -> CourseProgress:
    """The learner's progress in ``package`` from the LMS's cmi5 records: five small queries, no app context.

    Only the learner's enrollment registration counts (a course started
    over shows the new one).
    """
    course = course_structure(package)
    ids = [(au, au.au_id + LMS_SUFFIX) for au in package.aus]
    with engine_of(target).connect() as conn:
        registration = _registration(conn, agent_key(dict(actor)), course["id"])
        satisfied = False
        records: dict[str, Any] = {}
        sessions: dict[str, dt.datetime | None] = {}
        judged: dict[str, tuple[float | None, bool]] = {}
        if registration is not None:
            r, a, s = cmi5_registrations.c, cmi5_aus.c, cmi5_sessions.c
            satisfied = bool(conn.execute(sa.select(r.satisfied).where(r.registration == registration)).scalar())
            records = {
                row.activity_id: row for row in conn.execute(sa.select(cmi5_aus).where(a.registration == registration))
            }
            last = sa.func.max(sa.func.coalesce(s.last_statement, s.launched))
            sessions = {
                row[0]: row[1]
                for row in conn.execute(
                    sa.select(s.activity_id, last).where(s.registration == registration).group_by(s.activity_id)
                )
            }
            judged = _judgements(conn, registration, {lms_id for _, lms_id in ids})
    aus = []
    for au, lms_id in ids:
        record = records.get(lms_id)
        score, waived = judged.get(lms_id, (None, False))
        aus.append(
            AuProgress(
                au_id=au.au_id,
                activity_id=lms_id,
                title=au.title,
                move_on=au.move_on,
                launched=lms_id in sessions,
                completed=bool(record is not None and record.completed),
                passed=bool(record is not None and record.passed),
                satisfied=au.move_on == "NotApplicable" or bool(record is not None and record.satisfied),
                waived=waived,
                score=score,
                last_activity=sessions.get(lms_id),
            )
        )
    return CourseProgress(registration, satisfied, tuple(aus))


def waive(target: Store, actor: Mapping[str, Any], package: ImportedCourse, au_id: str, reason: str) -> bool:
    """Waive an AU for a learner (cmi5 §9.3.8): "waived" by the LMS, the AU satisfied, maybe the course.

    ``au_id`` is the AU's id in cmi5.xml (or the LMS's id of it); ``reason``
    one of :data:`lrs.xapi.spec.WAIVE_REASONS` (e.g. ``Administrative``).
    Enrolls the learner when needed. False when the AU was satisfied already
    (nothing is written). ValueError names a wrong AU or reason. No app
    context needed (usable from the CLI).
    """
    course = course_structure(package)
    match = [au for au in package.aus if au_id in (au.au_id, au.au_id + LMS_SUFFIX)]
    if not match:
        known = ", ".join(au.au_id for au in package.aus)
        raise ValueError(f"au: {au_id} is not an AU of {package.course_iri} (its AUs: {known})")
    learner = dict(actor)
    registration = target.cmi5_enrollment(agent_key(learner), course["id"], str(uuid.uuid4()))
    return waive_au(
        target,
        actor=learner,
        registration=registration,
        course=course,
        activity_id=match[0].au_id + LMS_SUFFIX,
        publisher_id=match[0].au_id,
        reason=reason,
        authority=dict(PORTAL_AUTHORITY),
    )


def _goal_code(goal: str) -> str:
    """The code a test item names a goal by (``LG-K1``) from the goal's cmi5 objective IRI (``.../goals/LG-K1``).

    The builder writes objectives as ``<course IRI>/goals/<code>``
    (``builder.writers.base.goal_iri``) and the player's answers carry the code.
    """
    return goal.rstrip("/").rsplit("/", 1)[-1]


def goal_results(target: Store, actor: Mapping[str, Any], course: ImportedCourse | str) -> list[GoalResult]:
    """Per learning goal of the course, the learner's latest post-test result, in the course's goal order.

    ``course``: a stored package, or a course IRI (its current package).
    Read from the report projection (``report_goals``) with the goal-mastery
    report's rule (:func:`lrs.reports.definitions.goal_mastered`), so the
    portal and the reports never disagree. A goal without post-test answers
    has ``share`` None and is not mastered. An unknown course IRI gives [].
    """
    p, g = course_packages.c, report_goals.c
    with engine_of(target).connect() as conn:
        if isinstance(course, str):
            packages = load_packages(conn, sa.and_(p.course_iri == course, p.current.is_(True)))
            if not packages:
                return []
            course = packages[0]
        names = {goal.id: _goal_code(goal.id) for goal in course.goals}
        rows = conn.execute(
            sa.select(g.goal, g.post_correct, g.post_total, goal_mastered(g.post_correct, g.post_total)).where(
                g.agent_key == agent_key(dict(actor)),
                g.goal.in_(sorted(set(names) | set(names.values()))),
                sa.or_(g.course == course.course_key, g.course.is_(None)),
                g.post_total > 0,
            )
        ).all()
    found = {row[0]: (int(row[1]), int(row[2]), bool(row[3])) for row in rows}
    results = []
    for goal in course.goals:
        correct, total, mastered = found.get(goal.id) or found.get(names[goal.id]) or (0, 0, False)
        share = correct / total if total else None
        results.append(GoalResult(goal.id, goal.title, correct, total, share, mastered))
    return results
