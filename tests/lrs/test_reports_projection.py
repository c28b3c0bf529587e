"""The report projection follows the statements: insert, voiding, erasure, and a rebuild from scratch."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import sqlalchemy as sa

from lrs.reports import REPORTS, ReportFilter, rebuild, run_report
from lrs.reports.tables import (
    TABLES,
    report_evaluation,
    report_goals,
    report_items,
    report_modules,
    report_video,
)
from lrs.store.sql import SqlStore
from tests.lrs.reports_statements import CLIP, DAY, EVALUATION, M1, M2, POST, PRE, Learner, item, store_all, voiding


def rows(store: SqlStore, table: sa.Table, **where: Any) -> list[dict[str, Any]]:
    """The table's rows (as dicts) matching ``where``, in primary-key order."""
    query = sa.select(table).where(*(table.c[k] == v for k, v in where.items()))
    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query.order_by(*table.primary_key.columns)).all()]


def snapshot(store: SqlStore) -> dict[str, list[tuple[Any, ...]]]:
    """Every projection row, per table, sorted (floats rounded: PostgreSQL and SQLite sum in other orders)."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with store.engine.connect() as conn:
        for table in TABLES:
            found = conn.execute(sa.select(table)).all()
            out[table.name] = sorted(
                (tuple(round(v, 9) if isinstance(v, float) else v for v in r) for r in found), key=repr
            )
    return out


def journey() -> tuple[Learner, dict[str, dict[str, Any]]]:
    """One learner through pre-test, two post-test attempts, evaluation form and a clip."""
    ann = Learner("ann")
    s: dict[str, dict[str, Any]] = {}
    s["launch"] = ann.au("initialized", M1)
    ann.answer(PRE, "pre", "i1", right=True, response="a", goals=["g1"])
    ann.answer(PRE, "pre", "i2", right=False, response="b", goals=["g1", "g2"])
    ann.answer(POST, "post", "i1", right=False, response="c", goals=["g1"], attempt=1)
    ann.answer(POST, "post", "i2", right=False, response="b", goals=["g1", "g2"], attempt=1)
    s["post2_i1"] = ann.answer(
        POST, "post", "i1", right=True, response="a", goals=["g1"], attempt=2, day=DAY + dt.timedelta(days=3)
    )
    ann.answer(
        POST, "post", "i2", right=True, response="a", goals=["g1", "g2"], attempt=2, day=DAY + dt.timedelta(days=3)
    )
    ann.test_result(POST, "post", passed=True, attempt=2)
    s["completed"] = ann.au("completed", M1, day=DAY + dt.timedelta(days=3), completion=True)
    s["passed"] = ann.au("passed", M1, day=DAY + dt.timedelta(days=3), success=True)
    ann.day = DAY + dt.timedelta(days=4)
    ann.au("initialized", M2)
    ann.likert("q1", 4)
    ann.likert("c1", 2, when="before")
    ann.likert("c1", 4, when="after")
    ann.open_answer("open1", "Mijn geheime reflectie over een casus")
    ann.video([(0, 25), (60, 65)])
    return ann, s


def test_projection_follows_the_statements_as_they_arrive(store: SqlStore) -> None:
    ann, _ = journey()
    store_all(store, ann.statements, batch=3)

    modules = rows(store, report_modules, agent_key=ann.key)
    assert [(m["module"], m["day"], m["completed_day"], m["passed_day"], m["judged"]) for m in modules] == [
        (M1, DAY, DAY + dt.timedelta(days=3), DAY + dt.timedelta(days=3), True),
        (M2, DAY + dt.timedelta(days=4), None, None, False),
    ]
    assert {m["evaluation_day"] for m in modules} == {DAY + dt.timedelta(days=4)}
    assert modules[0]["sector"] == "police" and modules[0]["organisation"] == "org-a"

    # the latest attempt's answers only: post attempt 2, pre attempt 1
    items = rows(store, report_items, agent_key=ann.key)
    assert [
        (i["test"], i["role"], i["item"], i["attempt"], i["response"], i["success"], i["total"]) for i in items
    ] == [
        (POST, "post", item("i1"), 2, "a", True, 2),
        (POST, "post", item("i2"), 2, "a", True, 2),
        (PRE, "pre", item("i1"), 1, "a", True, 1),
        (PRE, "pre", item("i2"), 1, "b", False, 1),
    ]
    goals = {
        g["goal"]: (g["pre_correct"], g["pre_total"], g["post_correct"], g["post_total"])
        for g in rows(store, report_goals)
    }
    assert goals == {"g1": (1, 2, 2, 2), "g2": (0, 1, 1, 1)}

    evaluation = rows(store, report_evaluation)
    assert [(e["question"], e["kind"], e["value"], e["before"], e["after"]) for e in evaluation] == [
        (f"{EVALUATION}/c1", "competence", None, 2, 4),
        (f"{EVALUATION}/q1", "likert", 4, None, None),
    ]
    video = rows(store, report_video)
    assert [(v["clip"], v["progress"], v["tenths"]) for v in video] == [(CLIP, 0.3, 0b1000111)]


def test_open_answers_never_reach_the_projection(store: SqlStore) -> None:
    ann, _ = journey()
    store_all(store, ann.statements)
    text = repr(snapshot(store))
    assert "reflectie" not in text
    assert "open1" not in text


def test_voiding_removes_a_statements_contribution(store: SqlStore) -> None:
    ann, s = journey()
    store_all(store, ann.statements)
    store_all(store, [voiding(s["passed"]), voiding(s["post2_i1"])])

    m1 = rows(store, report_modules, agent_key=ann.key, module=M1)[0]
    assert m1["passed_day"] is None and m1["judged"] is False
    assert m1["completed_day"] == DAY + dt.timedelta(days=3)
    post = rows(store, report_items, role="post")
    assert [(i["item"], i["attempt"], i["success"]) for i in post] == [(item("i2"), 2, True)]
    goals = {g["goal"]: (g["post_correct"], g["post_total"]) for g in rows(store, report_goals)}
    assert goals == {"g1": (1, 1), "g2": (1, 1)}

    # a voided launch: the module's start moves to the next remaining statement
    store_all(store, [voiding(s["launch"])])
    assert rows(store, report_modules, module=M1)[0]["day"] == DAY


def test_a_statement_arriving_after_its_voiding_is_never_counted(store: SqlStore) -> None:
    ann, s = journey()
    passed = s["passed"]
    store_all(store, [voiding(passed)])
    store_all(store, ann.statements)
    assert rows(store, report_modules, module=M1)[0]["passed_day"] is None


def test_unknown_context_is_kept_as_unknown(store: SqlStore) -> None:
    bob = Learner("bob", sector=None, organisation=None)
    bob.au("initialized", M1)
    store_all(store, bob.statements)
    row = rows(store, report_modules)[0]
    assert (row["sector"], row["organisation"], row["region"]) == (None, None, "vlaanderen")
    table = run_report(store, "indicators", ReportFilter(), k=1)
    assert ["sector", "unknown", 1, 0, 0] in table.rows


def test_erasure_removes_the_learners_report_rows(store: SqlStore) -> None:
    ann, _ = journey()
    bob = Learner("bob")
    bob.au("initialized", M1)
    store_all(store, ann.statements + bob.statements)
    store.erase_agent(ann.key)
    for table in TABLES:
        assert all(r["agent_key"] != ann.key for r in rows(store, table)), table.name
    assert [r["agent_key"] for r in rows(store, report_modules)] == [bob.key]


def mixed_cohort() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Several learners (some context unknown, two periods) and voidings of several kinds."""
    statements: list[dict[str, Any]] = []
    voids: list[dict[str, Any]] = []
    for n in range(8):
        learner = Learner(
            f"l{n}",
            sector=("police", "justice", None)[n % 3],
            organisation=f"org-{n % 2}",
            day=DAY + dt.timedelta(days=400 * (n % 2)),
        )
        learner.au("initialized", M1, instructor=n == 3)
        for name, goal in (("i1", "g1"), ("i2", "g1"), ("i3", "g2")):
            learner.answer(PRE, "pre", name, right=(n + len(name)) % 2 == 0, response="ab"[n % 2], goals=[goal])
            learner.answer(POST, "post", name, right=n % 3 != 0, response="a" if n % 3 else "c", goals=[goal])
        done = learner.au("completed", M1)
        judged = learner.au("passed" if n % 3 else "failed", M1)
        learner.likert("q1", 1 + n % 5)
        learner.likert("c1", 1 + n % 3, when="before")
        learner.likert("c1", 3 + n % 3, when="after")
        learner.video([(0, 10 * (n + 1))])
        statements += learner.statements
        if n in (2, 5):
            voids += [voiding(done), voiding(judged)]
        if n == 7:
            voids.append(voiding(learner.statements[2]))
    return statements, voids


def test_rebuild_from_scratch_gives_the_incremental_projection_and_numbers(store: SqlStore) -> None:
    statements, voids = mixed_cohort()
    store_all(store, statements, batch=7)
    store_all(store, voids, batch=2)
    incremental = snapshot(store)
    assert all(incremental[t.name] for t in TABLES), "the cohort fills every table"
    flt = ReportFilter(start=DAY, end=DAY + dt.timedelta(days=365))
    before = {name: run_report(store, name, flt, k=2).rows for name in REPORTS}

    with store.engine.begin() as conn:  # damage it: the rebuild must not depend on what is there
        conn.execute(sa.delete(report_items))
        conn.execute(sa.update(report_modules).values(sector="wrong"))
    assert rebuild(store.engine) == 9  # 8 learners and the administrator who voided

    assert snapshot(store) == incremental
    assert {name: run_report(store, name, flt, k=2).rows for name in REPORTS} == before


def test_one_statement_per_batch_gives_the_rebuilt_projection(store: SqlStore) -> None:
    """The folds and targeted recomputes of single-statement batches (as the player sends) equal a rebuild."""
    statements, _ = mixed_cohort()
    ann, _ = journey()
    store_all(store, statements + ann.statements, batch=1)
    incremental = snapshot(store)
    rebuild(store.engine)
    assert snapshot(store) == incremental


def test_concurrent_batches_of_one_learner_lose_nothing(store: SqlStore, store_url: str) -> None:
    """Two servers storing one learner's statements at once: every statement counts, as in a rebuild."""
    ann, _ = journey()
    others = [Learner(f"p{n}") for n in range(2)]
    for other in others:
        other.au("initialized", M1)
        for n in range(30):
            other.video([(0.0, float(n + 1))])
    # the module launches first: an answer stored before its module is known keeps an unknown module until a rebuild
    launches = [s for s in ann.statements if s["verb"]["display"]["en-US"] == "initialized"]
    store_all(store, launches)
    rest = [s for s in ann.statements if s not in launches]
    parts = [rest[0::2] + others[0].statements, rest[1::2] + others[1].statements]
    errors: list[BaseException] = []
    second = SqlStore(store_url)

    def send(target: SqlStore, part: list[dict[str, Any]]) -> None:
        try:
            for statement in part:
                store_all(target, [statement], batch=1)
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    try:
        threads = [threading.Thread(target=send, args=(t, p)) for t, p in zip((store, second), parts, strict=True)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        second.close()
    assert errors == []
    incremental = snapshot(store)
    rebuild(store.engine)
    assert snapshot(store) == incremental


def test_free_text_answers_to_items_are_not_kept(store: SqlStore) -> None:
    """A fill-in answer is scored like any item, but the learner's words stay out of the projection."""
    cas = Learner("cas")
    cas.au("initialized", M1)
    typed = cas.answer(POST, "post", "i9", right=False, response="mijn eigen woorden", goals=["g1"])
    typed["object"]["definition"] = {
        "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
        "interactionType": "fill-in",
    }
    store_all(store, cas.statements)
    [row] = rows(store, report_items)
    assert (row["item"], row["success"], row["response"]) == (item("i9"), False, None)
    assert "woorden" not in repr(snapshot(store))
