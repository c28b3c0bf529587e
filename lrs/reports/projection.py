"""Keeping the report projection (:mod:`lrs.reports.tables`) equal to what the statements say.

What a learner's rows are is defined once, as functions of their
remaining (not voided) statements (:func:`project_learner`); the two ways
of keeping the tables current reuse those functions:

* :func:`add` runs inside :func:`lrs.store.ingest.write_batch`, in the
  transaction that stores a batch. Module and clip rows are folds (min,
  max, or) of their statements, so the new statements are folded into the
  stored rows; a test's items and an evaluation question are recomputed
  from the learner's statements about that test or question only (a
  targeted read through ``statement_activity``), and goal tallies from the
  item rows. Per batch a fixed number of SQL statements, and work
  proportional to the batch, not to the learner's history;
* :func:`recompute` rebuilds learners from all their remaining statements
  with :func:`project_learner`: for the actors of voided statements (a
  voided statement is simply no longer among them, so its contribution is
  gone exactly) and for :func:`rebuild` (``lrs reports rebuild``). The
  folds do not depend on arrival order, so recomputing gives the same rows
  as the batches did (a test checks it on a mixed set with voiding). One
  exception: an answer stored before any statement of its module (its
  module is not known yet) keeps an unknown module until a rebuild;
* :func:`forget_learner` deletes a learner's rows (erasure).

What is read from a statement is only what the reports need: the learner
context extensions, the module, milestones (completed, passed, failed),
test answers (item, response, success, attempt, test role, learning goals),
likert answers of the evaluation form, and video progress. Open answers
(``long-fill-in``) and reflections are never read: the evaluation reader
takes likert interactions only.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from lrs.reports.tables import (
    DIMENSIONS,
    TABLES,
    report_evaluation,
    report_goals,
    report_items,
    report_modules,
    report_video,
)
from lrs.store.dialect import bulk_insert, writer_engine
from lrs.store.tables import DIRECT, statement_activity, statement_agent, statements
from lrs.xapi.agents import try_agent_key
from lrs.xapi.profile import iri
from lrs.xapi.spec import (
    ADL_VERBS,
    ASSESSMENT_TYPE,
    INTERACTION_TYPE,
    MOVE_ON,
    VIDEO_EXTENSIONS,
    VIDEO_PROFILE,
    VIDEO_TYPE,
)
from lrs.xapi.validate import VOIDED_VERB, parse_timestamp

_CHUNK = 200  # learners per SELECT / DELETE (well under every driver's parameter limit)

COMPLETED = ADL_VERBS + "completed"
PASSED = ADL_VERBS + "passed"
FAILED = ADL_VERBS + "failed"
ANSWERED = ADL_VERBS + "answered"
_SESSION_VERBS = frozenset(
    {
        ADL_VERBS + "launched",
        ADL_VERBS + "initialized",
        COMPLETED,
        PASSED,
        FAILED,
        ADL_VERBS + "terminated",
        ADL_VERBS + "suspended",
        ADL_VERBS + "resumed",
    }
)
#: Evaluation form answers: ``<course>/evaluation/<question>`` and ``.../<question>/before|after``.
_EVALUATION = re.compile(r"^(?P<question>.+/evaluation/[^/]+?)(?:/(?P<when>before|after))?$")
#: Test items: ``<course>/items/<id>``; tests: ``<course>/assessments/<unit>``.
_ITEM = re.compile(r"/items/[^/]+$")
_TEST = "/assessments/"
#: Played segments: ``start[.]end`` joined by ``[,]`` (xAPI Video Profile).
_SEGMENT_SEP = "[,]"
_RANGE_SEP = "[.]"
#: Interaction types whose response is a pattern of option ids (kept for distractor use). Free-text
#: responses (fill-in, long-fill-in, other) are a learner's own words: never kept.
_CODED_RESPONSES = frozenset({"choice", "true-false", "sequencing", "matching", "likert"})
ROLES = ("pre", "post")
UNKNOWN_ROLE = "unknown"

_EXT_DIMENSIONS = {name: iri(name.replace("_", "-")) for name in DIMENSIONS}
_EXT_COURSE = iri("course")
_EXT_ATTEMPT = iri("attempt")
_EXT_GOALS = iri("learning-goals")
_EXT_ROLE = iri("test-role")


@dataclass(frozen=True)
class _Statement:
    """What the projection reads of one statement (nothing else is kept)."""

    verb: str
    when: dt.datetime
    object_id: str
    object_type: str | None
    interaction_type: str | None
    parents: tuple[str, ...]
    groupings: tuple[str, ...]
    categories: tuple[str, ...]
    context: dict[str, str | None]
    extensions: Mapping[str, Any]
    result: Mapping[str, Any]
    registration: str | None
    instructor: bool

    @property
    def day(self) -> dt.date:
        """The UTC day of the statement's timestamp (the period filter's unit)."""
        return self.when.date()


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _ids(activities: Any) -> tuple[str, ...]:
    if isinstance(activities, Mapping):
        activities = [activities]
    if not isinstance(activities, list):
        return ()
    return tuple(a["id"] for a in activities if isinstance(a, Mapping) and isinstance(a.get("id"), str))


def _read(body: Mapping[str, Any]) -> _Statement | None:
    """The reportable facts of a stored statement (None for one about no Activity or without a time)."""
    obj = body.get("object")
    if not isinstance(obj, Mapping) or not isinstance(obj.get("id"), str):
        return None
    if obj.get("objectType", "Activity") != "Activity":
        return None
    when = parse_timestamp(body.get("timestamp")) or parse_timestamp(body.get("stored"))
    if when is None:
        return None
    definition = _map(obj.get("definition"))
    context = _map(body.get("context"))
    acts = _map(context.get("contextActivities"))
    extensions = _map(context.get("extensions"))
    result = _map(body.get("result"))
    values: dict[str, str | None] = {}
    for name, key in (*_EXT_DIMENSIONS.items(), ("course", _EXT_COURSE)):
        value = extensions.get(key)
        values[name] = value if isinstance(value, str) and value else None
    verb = body.get("verb")
    registration = context.get("registration")
    return _Statement(
        verb=verb.get("id", "") if isinstance(verb, Mapping) else "",
        when=when.astimezone(dt.UTC),
        object_id=obj["id"],
        object_type=definition.get("type") if isinstance(definition.get("type"), str) else None,
        interaction_type=(
            definition.get("interactionType") if isinstance(definition.get("interactionType"), str) else None
        ),
        parents=_ids(acts.get("parent")),
        groupings=_ids(acts.get("grouping")),
        categories=_ids(acts.get("category")),
        context=values,
        extensions=extensions,
        result=result,
        registration=registration if isinstance(registration, str) else None,
        instructor=isinstance(context.get("instructor"), Mapping),
    )


def _is_video(s: _Statement) -> bool:
    return s.object_type == VIDEO_TYPE or VIDEO_PROFILE in s.categories


def _modules(statements_: Sequence[_Statement]) -> set[str]:
    """The learner's module activities: objects of session verbs that are no test, item or clip."""
    return {
        s.object_id
        for s in statements_
        if s.verb in _SESSION_VERBS
        and not _is_video(s)
        and s.object_type not in (ASSESSMENT_TYPE, INTERACTION_TYPE)
        and _TEST not in s.object_id
        and not _ITEM.search(s.object_id)
    }


def _module_of(s: _Statement, modules: set[str]) -> str | None:
    """The module a statement belongs to: its object, else the first parent or grouping that is one."""
    if s.object_id in modules:
        return s.object_id
    return next((a for a in (*s.parents, *s.groupings) if a in modules), None)


def _attempt(s: _Statement) -> int:
    value = s.extensions.get(_EXT_ATTEMPT)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 1


def _role(s: _Statement) -> str:
    value = s.extensions.get(_EXT_ROLE)
    return value if value in ROLES else UNKNOWN_ROLE


def _goals(s: _Statement) -> list[str]:
    value = s.extensions.get(_EXT_GOALS)
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return []
    return sorted({g for g in value if isinstance(g, str)}) if isinstance(value, list) else []


def _test_of(s: _Statement, module: str | None) -> str:
    """The test an answer belongs to: the parent or grouping that is an assessment, else another parent."""
    around = (*s.parents, *s.groupings)
    return next((a for a in around if _TEST in a), None) or next((a for a in around if a != module), UNKNOWN_ROLE)


def _segments(text: Any) -> Iterator[tuple[float, float]]:
    if not isinstance(text, str):
        return
    for part in text.split(_SEGMENT_SEP):
        start, _, end = part.partition(_RANGE_SEP)
        try:
            a, b = float(start), float(end)
        except ValueError:
            continue
        if b > a:
            yield a, b


def _tenths(segments: Iterable[tuple[float, float]], length: float) -> int:
    """Bit i set when some segment overlaps the i-th tenth of the clip."""
    mask = 0
    for start, end in segments:
        for i in range(10):
            if start < length * (i + 1) / 10 and end > length * i / 10:
                mask |= 1 << i
    return mask


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


# --- rows as folds ------------------------------------------------------------------------
#
# Module and clip rows are folds of their statements with min / max / or, so
# adding statements one batch at a time gives the same row as folding all of
# them at once, in any order. Item, goal and evaluation rows are recomputed
# from all statements of the test or question a batch touches.

Row = dict[str, Any]


def _known_max(a: Any, b: Any) -> Any:
    """The greater of two values, ignoring unknown (None)."""
    return b if a is None else a if b is None else max(a, b)


def _known_min(a: Any, b: Any) -> Any:
    return b if a is None else a if b is None else min(a, b)


def _blank(agent_key: str, **columns: Any) -> Row:
    """A row with no context yet."""
    row: Row = {"agent_key": agent_key, "module": None, "course": None, "day": None}
    row.update(dict.fromkeys(DIMENSIONS))
    row.update(columns)
    return row


def _fold(row: Row, s: _Statement, module: str | None, *, latest: bool = False) -> None:
    """Fold a statement's context into a row.

    ``day``: the first (or ``latest``) day; per dimension the greatest known
    value (statements of one row normally agree; if not, the result does not
    depend on the order they arrived in). Unknown never overwrites a known value.
    """
    row["module"] = _known_max(row["module"], module)
    row["day"] = (_known_max if latest else _known_min)(row["day"], s.day)
    for name in ("course", *DIMENSIONS):
        row[name] = _known_max(row[name], s.context[name])


def _new_module_row(agent_key: str, module: str) -> Row:
    return _blank(
        agent_key,
        module=module,
        registration=None,
        completed_day=None,
        passed_day=None,
        judged=False,
        evaluation_day=None,
        trainer_led=False,
        optional=False,
    )


def _fold_module(row: Row, s: _Statement) -> None:
    """Start day, milestones on the module itself, trainer-led, optional (moveOn NotApplicable)."""
    module = row["module"]
    _fold(row, s, module)
    row["registration"] = _known_min(row["registration"], s.registration)
    row["trainer_led"] = row["trainer_led"] or s.instructor
    if s.object_id == module:
        if s.verb == COMPLETED:
            row["completed_day"] = _known_min(row["completed_day"], s.day)
        elif s.verb == PASSED:
            row["passed_day"] = _known_min(row["passed_day"], s.day)
        if s.verb in (PASSED, FAILED):
            row["judged"] = True
        # cmi5 ``launched`` statements carry the AU's moveOn (cmi5 9.6.2.1); NotApplicable: not required
        if s.extensions.get(MOVE_ON) == "NotApplicable":
            row["optional"] = True


def _fold_video(row: Row, s: _Statement, module: str | None) -> None:
    """The largest progress reported; the tenths each statement's played segments cover."""
    _fold(row, s, module)
    extensions = _map(s.result.get("extensions"))
    progress = _number(extensions.get(VIDEO_EXTENSIONS + "progress"))
    if progress is not None:
        row["progress"] = max(row["progress"], min(progress, 1.0))
    length = _number(s.extensions.get(VIDEO_EXTENSIONS + "length"))
    if length:
        row["tenths"] |= _tenths(_segments(extensions.get(VIDEO_EXTENSIONS + "played-segments")), length)


def _is_item_answer(s: _Statement) -> bool:
    return s.verb == ANSWERED and _ITEM.search(s.object_id) is not None


def _question(s: _Statement) -> re.Match[str] | None:
    """The evaluation question of a likert answer (open answers are never read: they are not likert)."""
    if s.verb != ANSWERED or s.interaction_type != "likert":
        return None
    return _EVALUATION.match(s.object_id)


def _fold_rows(
    agent_key: str, read: Sequence[_Statement], modules: set[str], module_rows: dict[str, Row], clips: dict[str, Row]
) -> None:
    """Fold statements (time order) into the learner's module and clip rows (in place)."""
    for s in read:
        module = _module_of(s, modules)
        if module is not None:
            _fold_module(module_rows.setdefault(module, _new_module_row(agent_key, module)), s)
        if _is_video(s) and s.object_type != INTERACTION_TYPE:
            row = clips.setdefault(s.object_id, _blank(agent_key, clip=s.object_id, progress=0.0, tenths=0))
            _fold_video(row, s, module)


def _item_rows(agent_key: str, answers: Sequence[_Statement], modules: set[str]) -> list[Row]:
    """The items of each test's latest attempt per role, with that attempt's score (``total``)."""
    by_test: dict[tuple[str, str], list[tuple[_Statement, str | None]]] = {}
    for s in answers:
        module = _module_of(s, modules)
        by_test.setdefault((_test_of(s, module), _role(s)), []).append((s, module))
    out: list[Row] = []
    for (test, role), given in sorted(by_test.items()):
        latest = max(_attempt(s) for s, _ in given)
        items: dict[str, tuple[_Statement, str | None]] = {}
        for s, module in given:
            if _attempt(s) == latest:
                items[s.object_id] = (s, module)  # time order: the last answer to an item in the attempt wins
        rows: list[Row] = []
        for item_id, (s, module) in sorted(items.items()):
            success = s.result.get("success")
            response = s.result.get("response")
            coded = isinstance(response, str) and s.interaction_type in _CODED_RESPONSES
            row = _blank(
                agent_key,
                test=test,
                role=role,
                item=item_id,
                attempt=latest,
                response=response if coded else None,
                success=success if isinstance(success, bool) else None,
                goals=json.dumps(_goals(s)),
            )
            _fold(row, s, module)
            rows.append(row)
        total = sum(1 for row in rows if row["success"] is True)
        out.extend(row | {"total": total} for row in rows)
    return out


def _goal_rows(agent_key: str, items: Iterable[Row]) -> list[Row]:
    """Per learning goal: items right / asked on the latest pre- and post-test attempts (from the item rows).

    The row is dated and placed (module, context) by its post-test answers, or its pre-test answers
    when there is no post-test yet.
    """
    tallies: dict[str, Row] = {}
    sources: dict[str, dict[str, list[Row]]] = {}
    for item in items:
        role = item["role"]
        if role not in ROLES or item["success"] is None:
            continue
        for goal in json.loads(item["goals"]):
            tally = tallies.setdefault(goal, {"pre_correct": 0, "pre_total": 0, "post_correct": 0, "post_total": 0})
            tally[f"{role}_correct"] += item["success"]
            tally[f"{role}_total"] += 1
            sources.setdefault(goal, {"pre": [], "post": []})[role].append(item)
    out: list[Row] = []
    for goal, tally in sorted(tallies.items()):
        row = _blank(agent_key, goal=goal, **tally)
        for item in sources[goal]["post"] or sources[goal]["pre"]:
            row["module"] = _known_max(row["module"], item["module"])
            row["day"] = _known_max(row["day"], item["day"])
            for name in ("course", *DIMENSIONS):
                row[name] = _known_max(row[name], item[name])
        out.append(row)
    return out


def _evaluation_rows(agent_key: str, answers: Sequence[_Statement], modules: set[str]) -> list[Row]:
    """Likert answers of the evaluation form, the latest per question (and per before/after); dated by the first."""
    found: dict[str, Row] = {}
    for s in answers:
        match = _question(s)
        response = s.result.get("response")
        if match is None or not isinstance(response, str) or not response.isdigit():
            continue
        question, when = match.group("question"), match.group("when")
        row = found.setdefault(
            question,
            _blank(
                agent_key,
                question=question,
                kind="competence" if when else "likert",
                value=None,
                before=None,
                after=None,
            ),
        )
        _fold(row, s, _module_of(s, modules))
        row[when or "value"] = int(response)
    return [row for _, row in sorted(found.items())]


def _set_evaluation_days(module_rows: Iterable[Row], evaluation: Iterable[Row]) -> None:
    """A module row's ``evaluation_day``: the first day the learner answered the course's evaluation form."""
    first: dict[str | None, dt.date] = {}
    for row in evaluation:
        first[row["course"]] = _known_min(first.get(row["course"]), row["day"])
    for row in module_rows:
        row["evaluation_day"] = first.get(row["course"])


def _rows_of(
    agent_key: str, module_rows: dict[str, Row], clips: dict[str, Row], items: list[Row], evaluation: list[Row] | None
) -> dict[sa.Table, list[Row]]:
    """All of a learner's rows: goals from the items, evaluation days from the evaluation rows.

    ``evaluation`` None: not read (nothing about it changed); the module rows keep their evaluation days.
    """
    if evaluation is not None:
        _set_evaluation_days(module_rows.values(), evaluation)
    return {
        report_modules: [row for _, row in sorted(module_rows.items())],
        report_items: items,
        report_goals: _goal_rows(agent_key, items),
        report_evaluation: evaluation or [],
        report_video: [row for _, row in sorted(clips.items())],
    }


def project_learner(agent_key: str, bodies: Iterable[Mapping[str, Any]]) -> dict[sa.Table, list[Row]]:
    """Every projection row of one learner, from all their remaining statements (as stored, any order)."""
    read = sorted((s for s in (_read(b) for b in bodies) if s is not None), key=lambda s: s.when)
    modules = _modules(read)
    module_rows: dict[str, Row] = {}
    clips: dict[str, Row] = {}
    _fold_rows(agent_key, read, modules, module_rows, clips)
    items = _item_rows(agent_key, [s for s in read if _is_item_answer(s)], modules)
    evaluation = _evaluation_rows(agent_key, [s for s in read if _question(s)], modules)
    return _rows_of(agent_key, module_rows, clips, items, evaluation)


# --- keeping the tables up to date ---------------------------------------------------------


def _chunks(keys: Iterable[str], size: int = _CHUNK) -> Iterator[list[str]]:
    ordered = sorted(set(keys))
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


def learners_of(bodies: Iterable[Mapping[str, Any]]) -> set[str]:
    """The actor keys of statements (the learners whose rows they may change)."""
    return {key for key in (try_agent_key(b.get("actor")) for b in bodies) if key is not None}


def voided_learners(conn: Connection, target_ids: Iterable[str]) -> set[str]:
    """The actors of the stored statements with these ids (one SELECT per chunk)."""
    found: set[str] = set()
    for chunk in _chunks(target_ids):
        bodies = conn.execute(sa.select(statements.c.body).where(statements.c.id.in_(chunk))).scalars()
        found |= learners_of(json.loads(body) for body in bodies)
    return found


def _remaining(conn: Connection, chunk: list[str], activity_ids: Sequence[str] | None = None) -> list[tuple[str, str]]:
    """(learner, body) of the learners' stored, not voided statements.

    Only those naming one of ``activity_ids`` (anywhere) when given.
    """
    query = (
        sa.select(statement_agent.c.agent_key, statements.c.body)
        .join(statements, statements.c.seq == statement_agent.c.statement)
        .where(
            statement_agent.c.agent_key.in_(chunk),
            statement_agent.c.scope == DIRECT,
            statements.c.voided.is_(False),
            statements.c.verb_id != VOIDED_VERB,
        )
    )
    if activity_ids is not None:
        query = query.where(
            sa.exists().where(
                statement_activity.c.statement == statement_agent.c.statement,
                statement_activity.c.activity_id.in_(sorted(set(activity_ids))),
            )
        )
    return [(key, body) for key, body in conn.execute(query).all()]


def _bodies_by_learner(rows: Iterable[tuple[str, str]], chunk: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    bodies: dict[str, list[dict[str, Any]]] = {key: [] for key in chunk}
    for key, text in rows:
        body = json.loads(text)
        if try_agent_key(body.get("actor")) == key:  # the learner as actor, not as object
            bodies[key].append(body)
    return bodies


def _insert(conn: Connection, table: sa.Table, rows: Sequence[Row]) -> None:
    """One multi-row INSERT (the store's bulk path: arrays on PostgreSQL, executemany on SQLite)."""
    columns = [c.name for c in table.columns]
    bulk_insert(conn, table, columns, [tuple(row[c] for c in columns) for row in rows])


def _replace(conn: Connection, chunk: list[str], new: dict[sa.Table, list[Row]]) -> None:
    """Delete the learners' rows and insert their new ones: one DELETE and at most one INSERT per table."""
    for table in TABLES:
        conn.execute(sa.delete(table).where(table.c.agent_key.in_(chunk)))
        _insert(conn, table, new.get(table, []))


#: First key of the PostgreSQL advisory locks that serialise projection updates per learner.
_PG_LOCK_SPACE = 0x5250_4A31


def lock_learners(conn: Connection, keys: Sequence[str]) -> None:
    """PostgreSQL: wait for other transactions updating these learners' rows (one statement, sorted order).

    Two batches of one learner stored at once would otherwise both read the
    rows before either wrote them (a lost update, or a duplicate key). SQLite
    runs one writer at a time anyway. Locks taken again later in the same
    transaction are granted at once, so a caller may lock all learners of a
    batch first (:mod:`lrs.store.ingest` does: one sorted order, no deadlock).
    """
    if conn.dialect.name != "postgresql" or not keys:
        return
    conn.execute(
        sa.text(
            "SELECT pg_advisory_xact_lock(:space, hashtext(k)) "
            "FROM (SELECT k FROM unnest(CAST(:keys AS text[])) AS k ORDER BY k) AS learners"
        ),
        {"space": _PG_LOCK_SPACE, "keys": sorted(set(keys))},
    )


def recompute(conn: Connection, agent_keys: Iterable[str]) -> None:
    """Recompute these learners' rows from all their remaining statements (voiding, rebuild).

    Per chunk of learners: one SELECT of their statements, one DELETE and at
    most one bulk INSERT per projection table.
    """
    for chunk in _chunks(agent_keys):
        lock_learners(conn, chunk)
        new: dict[sa.Table, list[Row]] = {table: [] for table in TABLES}
        for key, bodies in _bodies_by_learner(_remaining(conn, chunk), chunk).items():
            for table, rows in project_learner(key, bodies).items():
                new[table].extend(rows)
        _replace(conn, chunk, new)


def add(conn: Connection, bodies: Sequence[Mapping[str, Any]]) -> None:
    """Fold newly stored statements into their learners' rows, in the storing transaction.

    Module and clip rows take the new statements in (folds); the tests and
    evaluation questions the batch answers are recomputed from all of the
    learner's statements about them (a targeted read: an attempt replaces the
    previous one). Statements stored voided (their voiding statement came
    first, or in the same batch) are left out. Per chunk of learners: one
    SELECT for voided ids, one per projection table the batch can change
    for the current rows, one for the statements of the touched tests and
    questions, then, for the tables whose rows changed, one DELETE and one
    INSERT.
    """
    by_learner: dict[str, list[_Statement]] = {}
    ids: dict[str, str] = {}
    for body in bodies:
        key = try_agent_key(body.get("actor"))
        s = _read(body)
        if key is not None and s is not None:
            by_learner.setdefault(key, []).append(s)
            ids[str(body.get("id"))] = key
    voided = set()
    for chunk in _chunks(ids, 500):
        voided |= set(
            conn.execute(sa.select(statements.c.id).where(statements.c.id.in_(chunk), statements.c.voided)).scalars()
        )
    if voided:  # rare: recompute those learners from what remains
        again = {ids[i] for i in voided}
        recompute(conn, again)
        by_learner = {k: v for k, v in by_learner.items() if k not in again}
    for chunk in _chunks(by_learner):
        _add_chunk(conn, chunk, by_learner)


def _load(conn: Connection, table: sa.Table, chunk: list[str]) -> dict[str, list[Row]]:
    """The learners' current rows of one table."""
    found: dict[str, list[Row]] = {key: [] for key in chunk}
    for row in conn.execute(sa.select(table).where(table.c.agent_key.in_(chunk))).all():
        found[row.agent_key].append(dict(row._mapping))
    return found


def _same(a: Sequence[Row], b: Sequence[Row], table: sa.Table) -> bool:
    """Whether two row lists hold the same rows (in any order)."""

    def key(row: Row) -> str:
        return repr([row[c.name] for c in table.primary_key.columns])

    return sorted(map(repr, sorted(a, key=key))) == sorted(map(repr, sorted(b, key=key)))


def _add_chunk(conn: Connection, chunk: list[str], by_learner: Mapping[str, list[_Statement]]) -> None:
    """:func:`add` for a chunk of learners: read only the tables the batch can change, write only changed rows."""
    lock_learners(conn, chunk)
    new = {key: sorted(by_learner[key], key=lambda s: s.when) for key in chunk}
    current = {report_modules: _load(conn, report_modules, chunk)}
    if any(_is_video(s) for key in chunk for s in new[key]):
        current[report_video] = _load(conn, report_video, chunk)
    plans: dict[str, tuple[set[str], set[tuple[str, str]], set[str]]] = {}
    wanted: set[str] = set()
    for key in chunk:
        modules = {row["module"] for row in current[report_modules][key]} | _modules(new[key])
        tests = {(_test_of(s, _module_of(s, modules)), _role(s)) for s in new[key] if _is_item_answer(s)}
        questions = {m.group("question") for m in (_question(s) for s in new[key]) if m is not None}
        plans[key] = (modules, tests, questions)
        wanted |= {test for test, _ in tests}
        wanted |= {q + suffix for q in questions for suffix in ("", "/before", "/after")}
    new_module = any(
        m not in {row["module"] for row in current[report_modules][key]} for key in chunk for m in plans[key][0]
    )
    if any(plans[key][1] for key in chunk):
        current[report_items] = _load(conn, report_items, chunk)
        current[report_goals] = _load(conn, report_goals, chunk)
    if new_module or any(plans[key][2] for key in chunk):
        current[report_evaluation] = _load(conn, report_evaluation, chunk)
    related = _bodies_by_learner(_remaining(conn, chunk, sorted(wanted)), chunk) if wanted else {}
    changed: dict[sa.Table, dict[str, list[Row]]] = {table: {} for table in TABLES}
    for key in chunk:
        modules, tests, questions = plans[key]
        module_rows = {row["module"]: dict(row) for row in current[report_modules][key]}
        clips = {row["clip"]: dict(row) for row in current.get(report_video, {}).get(key, [])}
        _fold_rows(key, new[key], modules, module_rows, clips)
        items = [r for r in current.get(report_items, {}).get(key, []) if (r["test"], r["role"]) not in tests]
        evaluation = (
            [r for r in current[report_evaluation][key] if r["question"] not in questions]
            if report_evaluation in current
            else None
        )
        if tests or questions:
            read = sorted((s for s in (_read(b) for b in related.get(key, [])) if s is not None), key=lambda s: s.when)
            answers = [
                s for s in read if _is_item_answer(s) and (_test_of(s, _module_of(s, modules)), _role(s)) in tests
            ]
            items += _item_rows(key, answers, modules)
            asked = [s for s in read if (m := _question(s)) is not None and m.group("question") in questions]
            if evaluation is not None:
                evaluation = sorted(evaluation + _evaluation_rows(key, asked, modules), key=lambda r: r["question"])
        for table, rows in _rows_of(key, module_rows, clips, items, evaluation).items():
            if table in current and not _same(current[table][key], rows, table):
                changed[table][key] = rows
    for table, learners in changed.items():
        if learners:
            conn.execute(sa.delete(table).where(table.c.agent_key.in_(sorted(learners))))
            _insert(conn, table, [row for key in sorted(learners) for row in learners[key]])


def forget_learner(conn: Connection, agent_key: str) -> None:
    """Delete a learner's derived report rows (erasure; the statements go separately)."""
    for table in TABLES:
        conn.execute(sa.delete(table).where(table.c.agent_key == agent_key))


def rebuild(engine: Engine) -> int:
    """Recompute the whole projection from ``statements``; returns the number of learners projected.

    The tables are emptied and refilled in one write transaction (SQLite:
    BEGIN IMMEDIATE, like every writer), so reports never see a half-built
    projection and no batch slips in between.
    """
    writer = writer_engine(engine)
    try:
        return _rebuild(writer)
    finally:
        if writer.pool is not engine.pool:
            writer.dispose()


def _rebuild(engine: Engine) -> int:
    with engine.begin() as conn:
        for table in TABLES:
            conn.execute(sa.delete(table))
        keys = list(
            conn.execute(
                sa.select(statement_agent.c.agent_key).where(statement_agent.c.scope == DIRECT).distinct()
            ).scalars()
        )
        recompute(conn, keys)
    return len(keys)
