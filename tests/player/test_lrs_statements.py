"""What the player POSTs to an LRS is what our real LRS stores, and stays valid under xAPI 2.0.0.

A learner takes the post-test and sends the evaluation in the closing module,
launched as a cmi5 AU (through the LRS's launches endpoint) and as a TinCan
(xAPI) module; every statement the player POSTed must be stored as sent and
be accepted again (new id) with X-Experience-API-Version: 2.0.0.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.player.helpers import answer_in_state, check_posted_statements, draw_with, wait_for
from tests.player.our_lrs import OurLrs

INTERACTION_TYPES = {"choice", "true-false", "matching", "sequencing", "likert", "long-fill-in"}


def _post_test_and_evaluation(page: Any, content: dict[str, Any], strings: dict[str, str]) -> None:
    """Pass the post-test (a draw with an ordering item; answers through the player's state), then
    fill in and send the evaluation."""
    page.locator("h1", has_text=content["units"]["post-test"]["title"]).wait_for()
    page.get_by_role("button", name=strings["test_start"]).click()
    # every item type, so every interaction type is sent (sequencing is the one an LRS most likely refuses)
    draw_with(page, "post-test", "single_choice", "multiple_response", "true_false", "matching", "ordering")
    answer_in_state(page, "post-test", right=True)
    page.get_by_role("button", name=strings["test_continue"]).click()
    page.get_by_role("button", name=strings["submit_answers"]).click()
    page.get_by_role("button", name=strings["next"]).click()
    unit = content["units"]["evaluation"]
    page.locator("h1", has_text=unit["title"]).wait_for()
    for item in unit["likert_items"]:
        group = page.get_by_role("group", name=item["text"], exact=True)
        group.get_by_role("radio", name=unit["likert_scale"][3], exact=True).check()
    for item in unit["competence_items"]:
        group = page.get_by_role("group", name=item["text"], exact=True)
        group.get_by_role("group", name=strings["competence_before"]).get_by_role(
            "radio", name=unit["competence_scale"][1], exact=True
        ).check()
        group.get_by_role("group", name=strings["competence_after"]).get_by_role(
            "radio", name=unit["competence_scale"][3], exact=True
        ).check()
    page.get_by_label(unit["open_questions"][0]["text"]).fill("Meer casussen uit de praktijk, graag.")
    page.get_by_role("button", name=strings["submit"]).click()
    page.get_by_text(strings["evaluation_thanks"]).wait_for()


@pytest.mark.parametrize("fmt", ["cmi5", "xapi"])
def test_every_posted_statement_is_stored_and_valid_under_xapi_2(
    page: Any, server: str, lrs: OurLrs, content: dict[str, Any], strings: dict[str, str], fmt: str
) -> None:
    if fmt == "cmi5":
        launch = lrs.launch_cmi5("m4-close")
        url, registration = launch.url, launch.registration
    else:
        xapi = lrs.launch_xapi("m4-close")
        url, registration = xapi.url, xapi.registration
    page.goto(url)
    _post_test_and_evaluation(page, content, strings)
    page.get_by_role("button", name=strings["exit"]).click()
    assert wait_for(lambda: "terminated" in lrs.verbs(registration), timeout=10)
    # the outbox is empty once terminated (the last statement) is stored; nothing else is on its way
    assert wait_for(lambda: all(r.status is not None for r in lrs.logged()))

    posted = check_posted_statements(lrs, registration, version="2.0.0")
    kinds = {s["object"]["definition"]["interactionType"] for s in posted if s["verb"]["id"].endswith("/answered")}
    # the journey sent answers of the post-test (with an ordering item) and of the evaluation
    assert kinds == INTERACTION_TYPES, kinds
