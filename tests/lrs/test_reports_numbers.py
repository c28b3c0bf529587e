"""Every report's numbers on a small cohort with known answers, with and without small-group suppression.

The cohort (12 learners, course modules M1 with a test and M2 without):

* police, org-a (l0-l5): all launch M1 and M2; l0-l3 complete both, l4 only
  M1, l5 nothing; l0-l2 pass M1, l3 fails it. All take the pre-test, l0-l4
  the post-test (l1 twice: the first attempt all wrong).
* justice, org-b (l6-l9), in 2027: launch M1; l6 and l7 complete it, l6
  passes and also completes M2. l6's M1 session was trainer-led.
* unknown sector and organisation, region wallonie (l10, l11): launch M1;
  l10 completes and passes it and completes M2.
* l0, l1 and l6 send the evaluation form; l0-l2 watch the clip.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Mapping
from typing import Any

import pytest

from lrs.reports import SUPPRESSED, ReportFilter, UnknownReportError, compare, run_report
from lrs.reports.stats import t_quantile
from lrs.store.sql import SqlStore
from tests.lrs.reports_statements import CLIP, DAY, EVALUATION, M1, M2, POST, PRE, Learner, item, store_all

Y2027 = dt.date(2027, 2, 1)
S = SUPPRESSED
ALL_2026 = ReportFilter(start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31))
ALL_2027 = ReportFilter(start=dt.date(2027, 1, 1), end=dt.date(2027, 12, 31))
#: Pre- and post-test answers (i1, i2: goal g1; i3: goal g2), True = right.
PRE_ANSWERS = {
    0: (True, False, False),
    1: (False, False, False),
    2: (True, True, True),
    3: (False, False, True),
    4: (False, True, False),
    5: (False, False, False),
}
POST_ANSWERS = {
    0: (True, True, True),
    1: (True, True, False),
    2: (True, True, True),
    3: (True, False, True),
    4: (True, True, False),
}
GOALS = {"i1": "g1", "i2": "g1", "i3": "g2"}


def _test(learner: Learner, test: str, role: str, answers: tuple[bool, ...], attempt: int = 1) -> None:
    for name, right in zip(("i1", "i2", "i3"), answers, strict=True):
        learner.answer(
            test, role, name, right=right, response="a" if right else "b", goals=[GOALS[name]], attempt=attempt
        )


def cohort() -> list[Learner]:
    learners: list[Learner] = []
    for n in range(6):
        lrn = Learner(f"l{n}")
        lrn.au("initialized", M1)
        _test(lrn, PRE, "pre", PRE_ANSWERS[n])
        lrn.au("initialized", M2)
        if n in POST_ANSWERS:
            if n == 1:
                _test(lrn, POST, "post", (False, False, False))
            _test(lrn, POST, "post", POST_ANSWERS[n], attempt=2 if n == 1 else 1)
        if n <= 4:
            lrn.au("completed", M1)
        if n <= 3:
            lrn.au("completed", M2)
            lrn.au("passed" if n <= 2 else "failed", M1)
        learners.append(lrn)
    for n in range(6, 10):
        lrn = Learner(f"l{n}", sector="justice", organisation="org-b", day=Y2027)
        lrn.au("initialized", M1, instructor=n == 6)
        if n <= 7:
            lrn.au("completed", M1)
        if n == 6:
            lrn.au("passed", M1)
            lrn.au("initialized", M2)
            lrn.au("completed", M2)
        learners.append(lrn)
    for n in (10, 11):
        lrn = Learner(f"l{n}", sector=None, organisation=None, region="wallonie")
        lrn.au("initialized", M1)
        if n == 10:
            lrn.au("completed", M1)
            lrn.au("passed", M1)
            lrn.au("initialized", M2)
            lrn.au("completed", M2)
        learners.append(lrn)
    # evaluation form: q1 likert; c1 competence before/after (l6 gives "before" only)
    for n, q1, before, after in ((0, 4, 2, 4), (1, 5, 3, 4), (6, 4, 2, None)):
        lrn = learners[n]
        lrn.likert("q1", q1)
        lrn.likert("c1", before, when="before")
        if after is not None:
            lrn.likert("c1", after, when="after")
        lrn.open_answer("open1", "vrije tekst")
    for n, played in ((0, [(0.0, 50.0)]), (1, [(0.0, 100.0)]), (2, [(0.0, 20.0), (60.0, 70.0)])):
        learners[n].video(played)
    return learners


@pytest.fixture
def loaded(store: SqlStore) -> SqlStore:
    store_all(store, [s for lrn in cohort() for s in lrn.statements], batch=25)
    return store


def by_key(table: Any, width: int = 1) -> dict[tuple[Any, ...], list[Any]]:
    return {tuple(row[:width]): row[width:] for row in table.rows}


def test_indicators_exact_and_suppressed(loaded: SqlStore) -> None:
    table = run_report(loaded, "indicators", ReportFilter(), k=1)
    got = by_key(table, 2)
    assert got[("all", "all")] == [12, 6, 5]
    assert got[("sector", "police")] == [6, 4, 3]
    assert got[("sector", "justice")] == [4, 1, 1]
    assert got[("sector", "unknown")] == [2, 1, 1]
    assert got[("organisation", "org-a")] == [6, 4, 3]
    assert got[("region", "vlaanderen")] == [10, 5, 4]
    assert got[("region", "wallonie")] == [2, 1, 1]
    assert got[("level", "basic")] == [12, 6, 5]
    assert table.summary == {"organisations": 2, "trainer_led_sessions": 1}

    small = by_key(run_report(loaded, "indicators", ReportFilter(), k=5), 2)
    assert small[("all", "all")] == [12, 6, 5]
    assert small[("sector", "police")] == [6, S, S]
    assert small[("sector", "justice")] == [S, S, S]
    # wallonie alone would be total minus vlaanderen: vlaanderen is suppressed too (in every column)
    assert small[("region", "wallonie")] == [S, S, S]
    assert small[("region", "vlaanderen")] == [S, S, S]
    assert small[("level", "basic")] == [12, 6, 5]


def test_indicators_period_and_filters(loaded: SqlStore) -> None:
    assert by_key(run_report(loaded, "indicators", ALL_2026, k=1), 2)[("all", "all")] == [8, 5, 4]
    assert by_key(run_report(loaded, "indicators", ALL_2027, k=1), 2)[("all", "all")] == [4, 1, 1]
    police = run_report(loaded, "indicators", ReportFilter(sector="police"), k=1)
    assert by_key(police, 2)[("all", "all")] == [6, 4, 3]
    assert ("sector", "justice") not in by_key(police, 2)
    unknown = run_report(loaded, "indicators", ReportFilter(sector="unknown"), k=1)
    assert by_key(unknown, 2)[("all", "all")] == [2, 1, 1]
    # only module M1: completing and passing M1 is completing the selection
    m1 = run_report(loaded, "indicators", ReportFilter(module=M1), k=1)
    assert by_key(m1, 2)[("all", "all")] == [12, 8, 5]
    early = ReportFilter(start=dt.date(2026, 1, 1), end=DAY - dt.timedelta(days=1))
    assert run_report(loaded, "indicators", early, k=1).rows[0] == ["all", "all", 0, 0, 0]


def test_a_cohort_keeps_what_it_reaches_after_its_period(store: SqlStore) -> None:
    """A learner who starts on 30 December and finishes in January counts as a completer of the old year."""
    late = Learner("late", day=dt.date(2026, 12, 30))
    late.au("initialized", M1)
    late.au("completed", M1, day=dt.date(2027, 1, 5))
    late.au("passed", M1, day=dt.date(2027, 1, 5))
    store_all(store, late.statements)
    assert run_report(store, "indicators", ALL_2026, k=1).rows[0] == ["all", "all", 1, 1, 1]
    assert run_report(store, "indicators", ALL_2027, k=1).rows[0] == ["all", "all", 0, 0, 0]
    assert run_report(store, "funnel", ALL_2026, k=1).rows[0][:4] == [M1, 1, 1, 1]


def test_funnel(loaded: SqlStore) -> None:
    got = by_key(run_report(loaded, "funnel", ReportFilter(), k=1))
    assert got[(M1,)] == [12, 8, 5, 3, pytest.approx(4 / 12, abs=1e-6), 0.375, 0.4]
    assert got[(M2,)] == [8, 6, None, 3, 0.25, None, 0.5]
    small = by_key(run_report(loaded, "funnel", ReportFilter(), k=5))
    assert small[(M1,)] == [12, 8, 5, S, S, S, S]
    assert small[(M2,)] == [8, 6, None, S, S, None, S]
    only_m2 = run_report(loaded, "funnel", ReportFilter(module=M2), k=1)
    assert [row[0] for row in only_m2.rows] == [M2]


def _shares(answers: Mapping[int, tuple[bool, ...]], goal: str) -> dict[int, float]:
    idx = [i for i, name in enumerate(("i1", "i2", "i3")) if GOALS[name] == goal]
    return {n: sum(a[i] for i in idx) / len(idx) for n, a in answers.items()}


def test_goal_mastery(loaded: SqlStore) -> None:
    got = by_key(run_report(loaded, "goal-mastery", ReportFilter(), k=1))
    for goal in ("g1", "g2"):
        post = _shares(POST_ANSWERS, goal)
        mastered = sum(share >= 0.8 for share in post.values())
        assert got[(goal,)] == [len(post), mastered, pytest.approx(mastered / len(post))]
    assert got[("g1",)] == [5, 4, 0.8]
    small = by_key(run_report(loaded, "goal-mastery", ReportFilter(), k=5))
    assert small[("g1",)] == [5, S, S]  # 4 masters is a group under 5
    assert small[("g2",)] == [5, S, S]


def test_knowledge_gain_pairs_pre_and_post_per_learner(loaded: SqlStore) -> None:
    got = by_key(run_report(loaded, "knowledge-gain", ReportFilter(), k=1))
    for goal in ("g1", "g2"):
        pre, post = _shares(PRE_ANSWERS, goal), _shares(POST_ANSWERS, goal)
        paired = sorted(post)  # l5 has no post-test: not paired
        gains = [post[n] - pre[n] for n in paired]
        mean, sd = statistics.mean(gains), statistics.stdev(gains)
        half = 2.776 * sd / len(gains) ** 0.5  # t(0.975, 4) from the table
        n, mean_pre, mean_post, mean_gain, low, high = got[(goal,)]
        assert n == 5
        assert mean_pre == pytest.approx(statistics.mean(pre[m] for m in paired))
        assert mean_post == pytest.approx(statistics.mean(post[m] for m in paired))
        assert mean_gain == pytest.approx(mean)
        assert (low, high) == (pytest.approx(mean - half, abs=1e-3), pytest.approx(mean + half, abs=1e-3))
    assert got[("g1",)][3] == 0.5
    assert by_key(run_report(loaded, "knowledge-gain", ReportFilter(), k=6))[("g1",)] == [S, S, S, S, S, S]


def test_competence_and_likert(loaded: SqlStore) -> None:
    got = by_key(run_report(loaded, "competence", ReportFilter(), k=1), 2)
    c1, q1 = f"{EVALUATION}/c1", f"{EVALUATION}/q1"
    # only l0 (2 -> 4) and l1 (3 -> 4) gave both ratings
    assert got[(c1, "before")][:2] == [2, 2.5]
    assert got[(c1, "before")][4:] == [0, 1, 1, 0, 0, 0, 0]
    assert got[(c1, "after")][:2] == [2, 4.0]
    assert got[(c1, "after")][4:] == [0, 0, 0, 2, 0, 0, 0]
    change = got[(c1, "change")]
    assert change[:2] == [2, 1.5]
    assert change[2] == pytest.approx(1.5 - t_quantile(0.975, 1) * statistics.stdev([2, 1]) / 2**0.5)
    assert got[(q1, "likert")][:2] == [3, pytest.approx(13 / 3)]
    assert got[(q1, "likert")][4:] == [0, 0, 0, 2, 1, 0, 0]
    assert all(row[0] != f"{EVALUATION}/open1" for row in run_report(loaded, "competence", ReportFilter()).rows)

    small = by_key(run_report(loaded, "competence", ReportFilter(), k=2), 2)
    # answer 5 (one learner) is suppressed; answer 4 (two) would give it back from the total: suppressed too
    likert = small[(q1, "likert")]
    assert likert[0] == 3 and likert[4:] == [0, 0, 0, S, S, 0, 0]
    assert small[(c1, "before")][4:] == [0, S, S, 0, 0, 0, 0]


def test_item_analysis(loaded: SqlStore) -> None:
    got = by_key(run_report(loaded, "item-analysis", ReportFilter(), k=1), 3)
    learners = sorted(POST_ANSWERS)
    totals = {n: sum(POST_ANSWERS[n]) for n in learners}
    for i, name in enumerate(("i1", "i2", "i3")):
        x = [int(POST_ANSWERS[n][i]) for n in learners]
        n, p, r, distractors, flags = got[(POST, "post", item(name))]
        assert n == 5
        assert p == pytest.approx(sum(x) / 5)
        rest = [totals[m] - xi for m, xi in zip(learners, x, strict=True)]
        if len(set(x)) > 1:
            assert r == pytest.approx(statistics.correlation(x, rest))
        else:
            assert r is None
        assert distractors == f"b: {5 - sum(x)}, c: 0, d: 0"
        assert "unused-distractor:c" in flags and "unused-distractor:d" in flags
    assert got[(POST, "post", item("i1"))][4].startswith("too-easy")  # everyone right
    pre = got[(PRE, "pre", item("i2"))]
    assert pre[:2] == [6, pytest.approx(2 / 6)]

    # one wrong answer (b) is a group under 2; the p-value would give it back (5 - 4): hidden too
    pairs = by_key(run_report(loaded, "item-analysis", ReportFilter(), k=2), 3)[(POST, "post", item("i2"))]
    assert pairs[:2] == [5, S] and pairs[3] == "b: <2, c: 0, d: 0"

    small = by_key(run_report(loaded, "item-analysis", ReportFilter(), k=6), 3)
    assert small[(POST, "post", item("i2"))] == [S, S, S, S, ""]
    pre_small = small[(PRE, "pre", item("i2"))]
    assert pre_small[:2] == [6, S]  # 2 right answers: a group under 6
    assert isinstance(pre_small[2], float)  # r is computed over all 6
    assert pre_small[3] == "b: <6, c: 0, d: 0"


def test_video(loaded: SqlStore) -> None:
    got = by_key(run_report(loaded, "video", ReportFilter(), k=1))
    n, mean, to_end, *tenths, dropoff = got[(CLIP,)]
    assert (n, mean, to_end) == (3, pytest.approx(0.6), pytest.approx(1 / 3))
    counts = [3, 3, 2, 2, 2, 1, 2, 1, 1, 1]
    assert tenths == [pytest.approx(c / 3) for c in counts]
    assert dropoff == "20%"
    small = by_key(run_report(loaded, "video", ReportFilter(), k=5))
    assert small[(CLIP,)] == [S] * 13 + [None]


def test_two_periods_side_by_side(loaded: SqlStore) -> None:
    table = compare(loaded, "indicators", ALL_2026, ALL_2027, k=1)
    keys = [c.key for c in table.columns]
    assert keys == [
        "dimension",
        "group",
        "started_a",
        "started_b",
        "started_diff",
        "completed_a",
        "completed_b",
        "completed_diff",
        "passed_a",
        "passed_b",
        "passed_diff",
    ]
    got = by_key(table, 2)
    assert got[("all", "all")] == [8, 4, -4, 5, 1, -4, 4, 1, -3]
    assert got[("sector", "justice")] == [None, 4, None, None, 1, None, None, 1, None]
    assert table.summary["organisations_a"] == 1 and table.summary["organisations_b"] == 1
    assert table.summary["trainer_led_sessions_diff"] == 1
    assert table.period == "2026-01-01..2026-12-31 vs 2027-01-01..2027-12-31"
    small = by_key(compare(loaded, "indicators", ALL_2026, ALL_2027, k=5), 2)
    assert small[("all", "all")] == [8, S, S, 5, S, S, S, S, S]


def test_unknown_report_and_bad_period() -> None:
    with pytest.raises(UnknownReportError, match="known: indicators, funnel"):
        run_report(None, "nope", ReportFilter())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="ends"):
        ReportFilter(start=dt.date(2027, 1, 1), end=dt.date(2026, 1, 1))
