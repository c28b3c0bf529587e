"""A test measures knowledge, not positions: shuffled options, goal-stratified draws, stable on resume."""

from __future__ import annotations

from typing import Any

from tests.player.helpers import content_frame, last_values, launch_scorm, lms_log

#: Draws of many attempts, computed by the player's own code in the page.
_DRAWS = """([unitId, seeds]) => seeds.map((seed) => GSOG.assessment.draw(GSOG_CONTENT.units[unitId], seed)
  .map((d) => ({
    index: d.index, goals: d.item.goals, type: d.item.type,
    correctShown: d.optionOrder ? d.optionOrder.map((i) => d.item.options[i].correct) : null,
})))"""

#: The share of attempts passed by someone who answers by position (always the first option shown, "true",
#: the first match of every list, the steps as they come).
_BY_POSITION = """([unitId, seeds, mastery]) => {
    const unit = GSOG_CONTENT.units[unitId];
    let passed = 0;
    for (const seed of seeds) {
        const saved = {seed, responses: {}};
        for (const d of GSOG.assessment.draw(unit, seed)) {
            const item = d.item;
            if (d.optionOrder) saved.responses[d.index] = String(d.optionOrder[0]);
            else if (item.type === 'true_false') saved.responses[d.index] = 't';
            else if (item.type === 'matching')
                saved.responses[d.index] = item.pairs.map(() => d.matchOrder[0]).join('');
            else saved.responses[d.index] = d.startOrder;
        }
        if (GSOG.assessment.grade(unit, saved).percent / 100 >= mastery) passed += 1;
    }
    return passed / seeds.length;
}"""

SEEDS = list(range(1, 601))


def _frame(page: Any, server: str) -> Any:
    launch_scorm(page, server, "scorm2004")
    return content_frame(page)


def test_every_attempt_tests_every_goal_of_the_bank(page: Any, server: str, content: dict[str, Any]) -> None:
    frame = _frame(page, server)
    for unit_id in ("pre-test", "post-test"):
        unit = content["units"][unit_id]
        bank_goals = {g for item in unit["items"] for g in item["goals"]}
        assert len(bank_goals) <= unit["draw"]
        draws = frame.evaluate(_DRAWS, [unit_id, SEEDS])
        for drawn in draws:
            assert len(drawn) == unit["draw"]
            assert len({d["index"] for d in drawn}) == unit["draw"], "no item twice in one attempt"
            assert {g for d in drawn for g in d["goals"]} == bank_goals
        # and the draws still vary: many different items are used across attempts
        assert len({d["index"] for drawn in draws for d in drawn}) == len(unit["items"])


def test_the_right_answer_is_not_where_the_author_put_it(page: Any, server: str, content: dict[str, Any]) -> None:
    frame = _frame(page, server)
    draws = frame.evaluate(_DRAWS, ["post-test", SEEDS])
    firsts = [d["correctShown"][0] for drawn in draws for d in drawn if d["type"] == "single_choice"]
    assert len(firsts) > 500
    # authored, 17 of 18 keys are option a; shown, the first option is right about 1 time in 3-4
    assert 0.15 < sum(firsts) / len(firsts) < 0.45
    unit = content["units"]["post-test"]
    pass_rate = frame.evaluate(_BY_POSITION, ["post-test", SEEDS, unit["mastery_score"]])
    assert pass_rate < 0.01


def test_resume_shows_the_same_attempt_in_the_same_order(
    page: Any, server: str, content: dict[str, Any], strings: dict[str, str]
) -> None:
    frame = launch_scorm(page, server, "scorm2004", "?module=m4-close")
    frame.get_by_role("button", name=strings["test_start"]).click()
    shown = frame.locator("fieldset.gsog-item .gsog-option span").all_text_contents()
    items = frame.locator("fieldset.gsog-item").evaluate_all("(nodes) => nodes.map((n) => n.dataset.item)")
    page.evaluate("document.getElementById('sco').remove()")
    frame = launch_scorm(page, server, "scorm2004", "?module=m4-close", previous=last_values(lms_log(page), "SetValue"))
    frame.get_by_role("button", name=strings["test_continue"]).click()
    assert frame.locator("fieldset.gsog-item").evaluate_all("(nodes) => nodes.map((n) => n.dataset.item)") == items
    assert frame.locator("fieldset.gsog-item .gsog-option span").all_text_contents() == shown
