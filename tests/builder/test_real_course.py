"""The real course in course_src/ passes `course check` with the promised content."""

from __future__ import annotations

from tests.builder.helpers import run_check
from tests.conftest import COURSE_SRC

SECTORS = {"police", "justice", "medical", "psychosocial", "education"}


def test_real_course_passes_check_in_both_languages() -> None:
    run = run_check(COURSE_SRC)
    assert run.exit_code == 0, run.output
    assert run.summary["errors"] == []
    assert run.summary["languages"] == ["nl", "fr"]


def test_real_course_has_the_content_the_framework_asks_for() -> None:
    s = run_check(COURSE_SRC).summary
    assert s["learning_goals"] >= 8
    assert all(s["learning_goals_by_type"][t] >= 1 for t in ("knowledge", "skill", "attitude"))
    assert s["knowledge_clips"] >= 6
    assert {c["sector"] for c in s["cases"]} == SECTORS and len(s["cases"]) == 5
    assert s["reflections"] >= 4
    assert s["assessment_items"] >= 40
    assert set(s["assessment_item_types"]) == {
        "single_choice",
        "multiple_response",
        "true_false",
        "matching",
        "ordering",
    }
    assert {a["role"] for a in s["assessments"]} == {"pre", "post"}
    assert s["evaluation_questions"] > 0
    assert sorted(s["factsheets"]) == ["in_depth", "short"]
    assert s["glossary_terms"] >= 40
    assert s["referral_entries"] >= 30
    assert s["stale_referral_entries"] == 0


def test_every_language_builds_on_its_own() -> None:
    for lang in ("nl", "fr"):
        run = run_check(COURSE_SRC, "--lang", lang)
        assert run.exit_code == 0, run.output
        assert run.summary["languages"] == [lang]


def test_referral_list_covers_the_three_belgian_regions() -> None:
    from builder.checker import check_course

    course = check_course(COURSE_SRC).course
    assert course is not None and course.referrals is not None
    for region in ("flanders", "brussels", "wallonia"):
        covering = [e for e in course.referrals.entries if region in e.regions or "belgium" in e.regions]
        assert len(covering) >= 5, region
