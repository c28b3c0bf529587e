"""Every report's numbers, exactly, for a known cohort sent through the real xAPI endpoint.

The cohort (:mod:`lrs.reports.cohort`: 500 learners, two periods, known
answers, dropouts, a few voided statements) is POSTed to ``/xapi/statements``
of :func:`lrs.app.create_app` with a package's key (statements/write, define), in batches, the
way an LMS or the player sends them. The expected figures are computed here
in plain Python over the cohort's truth, never from the projection or the
SQL the reports use, so a wrong join, a voided statement counted, an
off-by-one in a period or a wrong statistic shows up as a difference.

Statistics are computed independently too: the 95% interval uses SciPy's
Student t quantile, the item-rest correlation Python's own Pearson
(:func:`statistics.correlation`).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

import pytest
from scipy.stats import t as student_t  # type: ignore[import-untyped]

from lrs.app import create_app
from lrs.auth import add_client
from lrs.config import LrsConfig
from lrs.reports import SUPPRESSED, ReportFilter, compare, run_report
from lrs.reports.cohort import CourseFacts, Learner, Truth, batches, generate
from lrs.store.interface import StatementQuery
from lrs.store.sql import SqlStore

LMS_KEY = "cohort-lms"
LMS_SECRET = "cohort-lms-secret-0123456789abcdef0123456789"
YEARS = {
    2026: ReportFilter(dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
    2027: ReportFilter(dt.date(2027, 1, 1), dt.date(2027, 12, 31)),
}
BREAKDOWN = ("sector", "organisation", "region", "language", "level")
#: Mastery of a goal: at least 80% of its items right on the latest post-test attempt (issue #9's reading).
MASTERY = 0.8
WATCHED = 0.9

Row = dict[str, Any]


@dataclass
class Loaded:
    truth: Truth
    store: SqlStore


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    """The cohort, sent through POST /xapi/statements into a fresh SQLite LRS."""
    truth = generate()
    url = f"sqlite:///{tmp_path_factory.mktemp('cohort') / 'lrs.sqlite3'}"
    store = SqlStore(url)
    # what a package's client may do: write statements and define the activities they describe
    add_client(store, "cohort LMS", ["statements/write", "define"], key=LMS_KEY, secret=LMS_SECRET)
    client = create_app(LrsConfig(database_url=url), store=store).test_client()
    auth = "Basic " + base64.b64encode(f"{LMS_KEY}:{LMS_SECRET}".encode()).decode()
    headers = {"Authorization": auth, "X-Experience-API-Version": "1.0.3", "Content-Type": "application/json"}
    for batch in batches(truth.statements, 1000):
        answer = client.post("/xapi/statements", data=json.dumps(batch), headers=headers)
        assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
    try:
        yield Loaded(truth, store)
    finally:
        store.close()


# ----- the expected figures, from the truth -------------------------------------------------------


def _in(learner: Learner, flt: ReportFilter) -> bool:
    first = min(day for day, _ in learner.modules.values())
    return (flt.start is None or first >= flt.start) and (flt.end is None or first <= flt.end)


def _required(course: CourseFacts) -> list[str]:
    return [m for m in course.modules if course.move_on[m] != "NotApplicable"]


def _completed(course: CourseFacts, learner: Learner) -> bool:
    """The course is completed when every module it requires (moveOn other than NotApplicable) is."""
    return all(m in learner.modules and learner.modules[m][1] is not None for m in _required(course))


def expected_indicators(truth: Truth, flt: ReportFilter, skip: AbstractSet[str] = frozenset()) -> tuple[list[Row], int]:
    people = [x for x in truth.learners if _in(x, flt) and x.key not in skip]
    groups: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for x in people:
        context = x.context()
        for key in [("all", "all")] + [(d, context[d] or "unknown") for d in BREAKDOWN]:
            groups[key][0] += 1
            groups[key][1] += _completed(truth.course, x)
            groups[key][2] += x.passed_day is not None
    order = [("all", "all")] + [
        key
        for d in BREAKDOWN
        for key in sorted((k for k in groups if k[0] == d), key=lambda k: (k[1] == "unknown", k[1]))
    ]
    rows = [
        {"dimension": d, "group": g, "started": n[0], "completed": n[1], "passed": n[2]}
        for d, g in order
        for n in [groups[(d, g)]]
    ]
    organisations = len({x.organisation for x in people if x.organisation is not None})
    return rows, organisations


def _au(x: Learner, module: str) -> str:
    return f"https://lms.cohort.example.org/courses/{x.language}-{x.sector}/aus/{module}"


def _drop(before: int, after: int) -> float | None:
    return (before - after) / before if before else None


def expected_funnel(truth: Truth, flt: ReportFilter, skip: AbstractSet[str] = frozenset()) -> list[Row]:
    post = truth.course.tests["post"][1]
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for x in truth.learners:
        if x.key in skip:
            continue
        for module, (day, done) in x.modules.items():
            if not (flt.start <= day <= flt.end):  # type: ignore[operator]
                continue
            c = counts[_au(x, module)]
            judged = module == post and (x.passed_day is not None or x.failed_day is not None)
            passed = done is not None and judged and x.passed_day is not None
            c[0] += 1
            c[1] += done is not None
            c[2] += judged
            c[3] += passed
            before_evaluation = passed or (done is not None and not judged)
            c[4] += before_evaluation and x.evaluation_day is not None
    rows = []
    for module in sorted(counts):
        launched, completed, judgements, passes, evaluated = counts[module]
        has_test = judgements > 0
        rows.append(
            {
                "module": module,
                "launched": launched,
                "completed": completed,
                "passed": passes if has_test else None,
                "evaluation_sent": evaluated,
                "dropoff_completed": _drop(launched, completed),
                "dropoff_passed": _drop(completed, passes) if has_test else None,
                "dropoff_evaluation": _drop(passes if has_test else completed, evaluated),
            }
        )
    return rows


def _goal_tally(course: CourseFacts, answers: Mapping[str, tuple[str, bool]]) -> dict[str, tuple[int, int]]:
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for item, (_, right) in answers.items():
        for goal in course.items[item].goals:
            tally[goal][0] += right
            tally[goal][1] += 1
    return {g: (c, n) for g, (c, n) in tally.items()}


def expected_goal_mastery(truth: Truth, flt: ReportFilter, skip: AbstractSet[str] = frozenset()) -> list[Row]:
    per_goal: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for x in truth.learners:
        if x.key in skip or "post" not in x.attempts or not _in(x, flt):
            continue
        for goal, (right, asked) in _goal_tally(truth.course, x.attempts["post"][-1].answers).items():
            per_goal[goal][0] += 1
            per_goal[goal][1] += right / asked >= MASTERY - 1e-12
    return [
        {"goal": g, "learners": n, "mastered": m, "share_mastered": m / n} for g, (n, m) in sorted(per_goal.items())
    ]


def _mean_ci(values: list[float]) -> tuple[float, float | None, float | None]:
    mean = statistics.fmean(values)
    if len(values) < 2:
        return mean, None, None
    half = float(student_t.ppf(0.975, len(values) - 1)) * statistics.stdev(values) / math.sqrt(len(values))
    return mean, mean - half, mean + half


def expected_knowledge_gain(truth: Truth, flt: ReportFilter, skip: AbstractSet[str] = frozenset()) -> list[Row]:
    pairs: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for x in truth.learners:
        if x.key in skip or "post" not in x.attempts or "pre" not in x.attempts or not _in(x, flt):
            continue
        pre = _goal_tally(truth.course, x.attempts["pre"][-1].answers)
        post = _goal_tally(truth.course, x.attempts["post"][-1].answers)
        for goal in sorted(set(pre) & set(post)):
            pairs[goal].append((pre[goal][0] / pre[goal][1], post[goal][0] / post[goal][1]))
    rows = []
    for goal, found in sorted(pairs.items()):
        mean, low, high = _mean_ci([b - a for a, b in found])
        rows.append(
            {
                "goal": goal,
                "learners": len(found),
                "mean_pre": statistics.fmean(a for a, _ in found),
                "mean_post": statistics.fmean(b for _, b in found),
                "mean_gain": mean,
                "ci_low": low,
                "ci_high": high,
            }
        )
    return rows


def _distribution(question: str, answer: str, values: list[int]) -> Row:
    mean, low, high = _mean_ci([float(v) for v in values])
    row: Row = {
        "question": question,
        "answer": answer,
        "learners": len(values),
        "mean": mean,
        "ci_low": low,
        "ci_high": high,
    }
    row.update({f"n{p}": values.count(p) for p in range(1, 8)})
    return row


def expected_competence(truth: Truth, flt: ReportFilter, skip: AbstractSet[str] = frozenset()) -> list[Row]:
    course = truth.course
    likert: dict[str, list[int]] = defaultdict(list)
    pairs: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for x in truth.learners:
        if x.key in skip or x.evaluation_day is None or not _in(x, flt):
            continue
        for q, v in x.likert.items():
            likert[course.evaluation_iri(q)].append(v)
        for q, (before, after) in x.competence.items():
            pairs[course.evaluation_iri(q)].append((before, after))
    rows = []
    for question in sorted(set(likert) | set(pairs)):
        if question in pairs:
            found = pairs[question]
            rows.append(_distribution(question, "before", [b for b, _ in found]))
            rows.append(_distribution(question, "after", [a for _, a in found]))
            mean, low, high = _mean_ci([float(a - b) for b, a in found])
            change: Row = {
                "question": question,
                "answer": "change",
                "learners": len(found),
                "mean": mean,
                "ci_low": low,
                "ci_high": high,
            }
            change.update({f"n{p}": None for p in range(1, 8)})
            rows.append(change)
        if question in likert:
            rows.append(_distribution(question, "likert", likert[question]))
    return rows


def expected_item_analysis(truth: Truth, flt: ReportFilter, skip: AbstractSet[str] = frozenset()) -> list[Row]:
    course = truth.course
    # (test, role, item) -> [(right, rest score, response)]
    found: dict[tuple[str, str, str], list[tuple[int, int, str]]] = defaultdict(list)
    for x in truth.learners:
        if x.key in skip or not _in(x, flt):
            continue
        for role, attempts in x.attempts.items():
            latest = attempts[-1]
            total = latest.correct
            for item, (response, right) in latest.answers.items():
                key = (course.test_iri(course.tests[role][0]), role, course.item_iri(item))
                found[key].append((int(right), total - int(right), response))
    by_iri = {course.item_iri(i): facts for i, facts in course.items.items()}
    rows = []
    for (test, role, item), answers in sorted(found.items()):
        n = len(answers)
        xs = [a for a, _, _ in answers]
        rest = [b for _, b, _ in answers]
        p = sum(xs) / n
        try:
            r: float | None = statistics.correlation([float(v) for v in xs], [float(v) for v in rest])
        except statistics.StatisticsError:
            r = None  # no variance: no correlation
        facts = by_iri[item]
        distractors: list[str] = []
        if facts.interaction_type == "choice":
            keyed = set(facts.correct.split("[,]"))
            distractors = [c["id"] for c in facts.definition["choices"] if c["id"] not in keyed]
        picks = {o: sum(1 for _, _, response in answers if o in response.split("[,]")) for o in distractors}
        flags = []
        if p > 0.95:
            flags.append("too-easy")
        if p < 0.2:
            flags.append("too-hard")
        if r is not None and r < 0.1:
            flags.append("poor-discrimination")
        flags.extend(f"unused-distractor:{o}" for o in distractors if picks[o] == 0)
        rows.append(
            {
                "test": test,
                "role": role,
                "item": item,
                "learners": n,
                "p_value": p,
                "item_rest_r": r,
                "distractors": ", ".join(f"{o}: {picks[o]}" for o in distractors),
                "flags": "; ".join(flags),
            }
        )
    return rows


def _tenths(share: float) -> list[bool]:
    """Which tenths of a clip a learner who watched ``share`` of it from the start has seen part of."""
    return [share * 10 > i for i in range(10)]


def expected_video(truth: Truth, flt: ReportFilter, skip: AbstractSet[str] = frozenset()) -> list[Row]:
    course = truth.course
    shares: dict[str, list[float]] = defaultdict(list)
    for x in truth.learners:
        if x.key in skip or not _in(x, flt):
            continue
        for clip, share in x.video.items():
            shares[course.video_iri(clip, x.language)].append(share)
    rows = []
    for clip, found in sorted(shares.items()):
        n = len(found)
        seen = [sum(_tenths(s)[i] for s in found) for i in range(10)]
        falls = [seen[i - 1] - seen[i] for i in range(1, 10)]
        worst = max(range(9), key=lambda i: (falls[i], -i))
        row: Row = {
            "clip": clip,
            "learners": n,
            "mean_watched": statistics.fmean(found),
            "watched_to_end": sum(s >= WATCHED for s in found) / n,
        }
        row.update({f"t{i + 1}": seen[i] / n for i in range(10)})
        row["dropoff_at"] = f"{(worst + 1) * 10}%" if falls[worst] > 0 else None
        rows.append(row)
    return rows


EXPECTED: dict[str, Callable[[Truth, ReportFilter, AbstractSet[str]], list[Row]]] = {
    "funnel": expected_funnel,
    "goal-mastery": expected_goal_mastery,
    "knowledge-gain": expected_knowledge_gain,
    "competence": expected_competence,
    "item-analysis": expected_item_analysis,
    "video": expected_video,
}


# ----- comparing ---------------------------------------------------------------------------------


#: Reports give figures to 6 decimals (lrs.reports.run.PRECISION); a difference of two is within twice that.
TOLERANCE = 1.5e-6


def _same(got: Any, want: Any) -> bool:
    if isinstance(want, float) and isinstance(got, int | float) and not isinstance(got, bool):
        return math.isclose(got, want, rel_tol=0, abs_tol=TOLERANCE)
    return bool(got == want)


def assert_rows(got: list[Row], want: list[Row], what: str) -> None:
    """Same rows in the same order, every cell equal (floats as the reports round them)."""
    assert len(got) == len(want), f"{what}: {len(got)} rows, expected {len(want)}"
    for mine, theirs in zip(got, want, strict=True):
        wrong = {k: (mine.get(k), v) for k, v in theirs.items() if not _same(mine.get(k), v)}
        assert not wrong, f"{what}: row {theirs.get(next(iter(theirs)))!r}: got vs expected {wrong}"


def _period_of(truth: Truth, year: int) -> list[Learner]:
    return [x for x in truth.learners if x.period == year]


# ----- the tests ---------------------------------------------------------------------------------


def test_the_cohort_is_realistic_and_has_what_the_reports_must_handle(loaded: Loaded) -> None:
    truth = loaded.truth
    assert len(truth.learners) == 500
    assert {x.sector for x in truth.learners} == set(truth.course.sectors)
    assert {x.language for x in truth.learners} == {"nl", "fr"}
    assert {x.period for x in truth.learners} == {2026, 2027}
    sizes: dict[str | None, int] = defaultdict(int)
    for x in truth.learners:
        sizes[x.organisation] += 1
    assert len([o for o in sizes if o is not None]) >= 30
    assert any(0 < n < 5 for o, n in sizes.items() if o is not None), "some organisations have fewer than 5 learners"
    assert any(x.organisation is None for x in truth.learners), "some learners come without learner context"
    # dropouts at every step of the funnel
    assert any(len(x.modules) == 1 for x in truth.learners)
    assert any("post" in x.attempts and x.passed_day is None for x in truth.learners)
    assert any(x.passed_day is not None and x.evaluation_day is None for x in truth.learners)
    assert sum(len(x.voided) for x in truth.learners) >= 10
    assert any(x.open_answers for x in truth.learners)


@pytest.mark.parametrize("year", sorted(YEARS))
def test_indicators(loaded: Loaded, year: int) -> None:
    table = run_report(loaded.store, "indicators", YEARS[year], k=1)
    rows, organisations = expected_indicators(loaded.truth, YEARS[year])
    assert_rows(table.records(), rows, f"indicators {year}")
    assert table.summary["organisations"] == organisations
    assert table.summary["trainer_led_sessions"] == 0


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.parametrize("year", sorted(YEARS))
def test_report_numbers_are_exact(loaded: Loaded, name: str, year: int) -> None:
    table = run_report(loaded.store, name, YEARS[year], k=1)
    assert_rows(table.records(), EXPECTED[name](loaded.truth, YEARS[year], set()), f"{name} {year}")


def test_a_filter_counts_only_its_group(loaded: Loaded) -> None:
    flt = ReportFilter(YEARS[2026].start, YEARS[2026].end, sector="justice", language="fr")
    people = {x.key for x in loaded.truth.learners if not (x.sector == "justice" and x.language == "fr")}
    for name in ("funnel", "goal-mastery", "video"):
        want = EXPECTED[name](loaded.truth, YEARS[2026], people)
        assert_rows(run_report(loaded.store, name, flt, k=1).records(), want, f"{name} justice/fr")


def test_voided_statements_are_not_counted(loaded: Loaded) -> None:
    truth = loaded.truth
    voided = [(x, verb, module) for x in truth.learners for verb, module in x.voided]
    assert {verb for _, verb, _ in voided} == {"passed", "completed"}
    for year, flt in YEARS.items():
        table = {r["module"]: r for r in run_report(loaded.store, "funnel", flt, k=1).records()}
        want = {r["module"]: r for r in expected_funnel(truth, flt)}
        for x, verb, module in voided:
            if x.period == year and verb == "completed":
                au = _au(x, module)
                assert table[au]["completed"] == want[au]["completed"]
        indicators = run_report(loaded.store, "indicators", flt, k=1).records()
        assert indicators[0]["passed"] == sum(1 for x in _period_of(truth, year) if x.passed_day is not None)


def test_small_groups_are_suppressed(loaded: Loaded) -> None:
    truth = loaded.truth
    flt = YEARS[2026]
    shown = run_report(loaded.store, "indicators", flt, k=5).records()
    exact, _ = expected_indicators(truth, flt)
    tiny = {
        x.organisation
        for x in truth.learners
        if x.organisation is not None
        and x.period == 2026
        and sum(1 for y in _period_of(truth, 2026) if y.organisation == x.organisation) < 5
    }
    assert tiny, "the cohort has organisations with fewer than 5 learners in 2026"
    for cell_row, true_row in zip(shown, exact, strict=True):
        for column in ("started", "completed", "passed"):
            n = true_row[column]
            if 0 < n < 5:
                assert cell_row[column] is SUPPRESSED, (true_row["group"], column, n)
            elif cell_row[column] is not SUPPRESSED:
                assert cell_row[column] == n
        if true_row["dimension"] == "organisation" and true_row["group"] in tiny:
            assert cell_row["started"] is SUPPRESSED
    # no lone suppressed cell in a dimension: total minus the others would give it back
    for dim in BREAKDOWN:
        block = [r for r in shown if r["dimension"] == dim]
        for column in ("started", "completed", "passed"):
            hidden = [r for r in block if r[column] is SUPPRESSED]
            assert len(hidden) != 1 or shown[0][column] is SUPPRESSED, (dim, column)
    # the same through the JSON-facing form: no count from 1 to 4 anywhere in any report
    for name in EXPECTED:
        for row in run_report(loaded.store, name, flt, k=5).records():
            for key, value in row.items():
                column = key
                if column in ("learners", "launched", "completed", "passed", "evaluation_sent", "mastered") or (
                    column.startswith("n") and column[1:].isdigit()
                ):
                    assert not (isinstance(value, int) and 0 < value < 5), (name, row, column)


def test_open_answers_appear_in_no_report(loaded: Loaded) -> None:
    """Open answers are stored (the player sends them) but no report shows or exports them."""
    texts = [text for x in loaded.truth.learners for text in x.open_answers.values()]
    assert texts
    for name in [*EXPECTED, "indicators"]:
        for year in YEARS:
            shown = json.dumps(run_report(loaded.store, name, YEARS[year], k=1).records(), default=str)
            assert not any(text in shown for text in texts), name
            assert "Vrije tekst" not in shown, name


def test_two_periods_side_by_side(loaded: Loaded) -> None:
    truth = loaded.truth
    for name, expected in EXPECTED.items():
        table = compare(loaded.store, name, YEARS[2026], YEARS[2027], k=1)
        a = expected(truth, YEARS[2026], set())
        b = expected(truth, YEARS[2027], set())
        keys = [c.key for c in table.columns]
        key_columns = [c.key for c in table.columns if c.kind == "key"]
        rows = {tuple(r[k] for k in key_columns): r for r in table.records()}
        want_a = {tuple(r[k] for k in key_columns): r for r in a}
        want_b = {tuple(r[k] for k in key_columns): r for r in b}
        assert set(rows) == set(want_a) | set(want_b), name
        for key, row in rows.items():
            for column, value in (want_a.get(key) or {}).items():
                if column in key_columns:
                    continue
                assert _same(row[f"{column}_a"], value), (name, key, column)
            for column, value in (want_b.get(key) or {}).items():
                if column in key_columns:
                    continue
                assert _same(row[f"{column}_b"], value), (name, key, column)
                va = (want_a.get(key) or {}).get(column)
                if isinstance(value, int | float) and isinstance(va, int | float) and f"{column}_diff" in keys:
                    assert _same(row[f"{column}_diff"], value - va), (name, key, column, "diff")


def test_erasing_a_learner_changes_every_report_accordingly(loaded: Loaded) -> None:
    """Runs last: it removes one learner who passed in 2026 (``lrs erase``), then all numbers follow."""
    truth = loaded.truth
    gone = next(x for x in _period_of(truth, 2026) if x.passed_day is not None and x.video and x.evaluation_day)
    before = {name: run_report(loaded.store, name, YEARS[2026], k=1).records() for name in EXPECTED}
    assert loaded.store.erase_agent(gone.key) > 0
    for name, expected in EXPECTED.items():
        after = run_report(loaded.store, name, YEARS[2026], k=1).records()
        assert after != before[name], f"{name}: erasing a learner who took part changed nothing"
        assert_rows(after, expected(truth, YEARS[2026], {gone.key}), f"{name} after erasure")
    assert _stored(loaded.store, gone) == [], "the learner's statements are gone"
    rows, organisations = expected_indicators(truth, YEARS[2026], {gone.key})
    table = run_report(loaded.store, "indicators", YEARS[2026], k=1)
    assert table.records()[0]["started"] == sum(1 for x in _period_of(truth, 2026)) - 1
    assert_rows(table.records(), rows, "indicators after erasure")
    assert table.summary["organisations"] == organisations


def _stored(store: SqlStore, learner: Learner) -> list[dict[str, Any]]:
    """The learner's statements still in the store (by agent)."""
    page = store.query_statements(StatementQuery(agent=learner.key, limit=100))
    return [s.statement for s in page.statements]
