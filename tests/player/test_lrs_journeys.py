"""cmi5 and xAPI journeys against our real LRS, with the cmi5 AU rules enforced.

Pass, fail-then-pass (in one session and across sessions) and an LRS outage
in the middle: every statement the player emits is stored once, in the
order it was emitted, nothing is refused, and the AU's moveOn is satisfied.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.player.helpers import answer_in_state, take_test, wait_for
from tests.player.our_lrs import OurLrs

CMI5_CATEGORY = "https://w3id.org/xapi/cmi5/context/categories/cmi5"
POST = "post-test"


def _verb(statement: dict[str, Any]) -> str:
    return str(statement["verb"]["id"].rsplit("/", 1)[-1])


def _is_cmi5(statement: dict[str, Any]) -> bool:
    categories = statement.get("context", {}).get("contextActivities", {}).get("category", [])
    return any(c["id"] == CMI5_CATEGORY for c in categories)


def _attempt(statement: dict[str, Any]) -> int | None:
    extensions = statement.get("context", {}).get("extensions", {})
    return next((v for k, v in extensions.items() if k.endswith("/xapi/extensions/attempt")), None)


def _open(page: Any, url: str, content: dict[str, Any]) -> None:
    """Launch the closing module; it opens at the post-test."""
    page.goto(url)
    page.locator("h1", has_text=content["units"][POST]["title"]).wait_for()


def _fail(page: Any, strings: dict[str, str], button: str) -> None:
    page.get_by_role("button", name=button).click()
    answer_in_state(page, POST, right=False)
    page.get_by_role("button", name=strings["test_continue"]).click()
    page.get_by_role("button", name=strings["submit_answers"]).click()
    page.get_by_role("heading", name=strings["test_result_title"]).wait_for()


def _pass(page: Any, content: dict[str, Any], strings: dict[str, str], button: str) -> None:
    page.get_by_role("button", name=button).click()
    take_test(page, content, POST, strings)
    page.get_by_text(strings["test_passed"]).wait_for()


def _exit(page: Any, strings: dict[str, str], return_url: bool = True) -> None:
    """Exit: cmi5 goes back to the LMS's returnURL once everything was sent; xAPI shows the exit page."""
    page.get_by_role("button", name=strings["exit"]).click()
    if return_url:
        page.wait_for_url("**/lms/blank.html", timeout=15_000)
    else:
        page.get_by_role("heading", name=strings["exit_title"]).wait_for()


def _stored_once_in_order(lrs: OurLrs, registration: str, outage: bool = False) -> list[dict[str, Any]]:
    """Every statement the player POSTed is stored exactly once and in the order it was emitted; returns them.

    Nothing was refused, except, with ``outage``, what the switched-off LRS failed (503, or no answer)."""
    posted = lrs.posted_statements(registration)
    sent = {p["id"] for p in posted}
    assert wait_for(lambda: len([s for s in lrs.statements(registration) if s["id"] in sent]) == len(posted), 10)
    stored = lrs.statements(registration)
    ids = [s["id"] for s in stored]
    assert len(ids) == len(set(ids))
    mine = [s for s in stored if s["id"] in sent]
    emitted = sorted(posted, key=lambda s: s["timestamp"])
    assert [s["id"] for s in mine] == [s["id"] for s in emitted], "stored in the order emitted"
    refused = [r for r in lrs.refused() if not (outage and r.status in (0, 503))]
    assert refused == [], [(r.method, r.resource, r.status) for r in refused]
    return mine


def _satisfied(lrs: OurLrs, registration: str, activity_id: str) -> bool:
    aus = lrs.store.cmi5_write(registration, lambda unit: unit.aus())
    return bool(activity_id in aus and aus[activity_id].satisfied)


def test_cmi5_fail_then_pass_in_one_session(
    page: Any, lrs: OurLrs, content: dict[str, Any], strings: dict[str, str]
) -> None:
    launch = lrs.launch_cmi5("m4-close")
    _open(page, launch.url, content)
    _fail(page, strings, strings["test_start"])
    _pass(page, content, strings, strings["test_retry"])
    page.get_by_text(strings["test_result_sent"]).wait_for()
    _exit(page, strings)
    mine = _stored_once_in_order(lrs, launch.registration)

    # cmi5: one judgement in the session, and it is the passing one
    assert [_verb(s) for s in mine if _is_cmi5(s)] == ["initialized", "completed", "passed", "terminated"]
    # every attempt is on record as an allowed statement on the test, with its number
    attempts = [
        (_verb(s), _attempt(s))
        for s in mine
        if not _is_cmi5(s) and s["object"]["id"].endswith("/assessments/post-test")
    ]
    assert attempts == [("failed", 1), ("passed", 2)]
    answered = [_attempt(s) for s in mine if _verb(s) == "answered"]
    draw = content["units"][POST]["draw"]
    assert answered == [1] * draw + [2] * draw
    assert _satisfied(lrs, launch.registration, launch.activity_id)


def test_cmi5_fail_then_pass_across_sessions(
    page: Any, lrs: OurLrs, content: dict[str, Any], strings: dict[str, str]
) -> None:
    first = lrs.launch_cmi5("m4-close")
    _open(page, first.url, content)
    _fail(page, strings, strings["test_start"])
    _exit(page, strings)
    assert wait_for(lambda: "terminated" in lrs.verbs(first.registration), 10)
    # the failing attempt is judged when the session ends
    judged = [_verb(s) for s in lrs.statements(first.registration) if _is_cmi5(s)]
    assert judged == ["launched", "initialized", "completed", "failed", "terminated"]
    assert not _satisfied(lrs, first.registration, first.activity_id)

    second = lrs.launch_cmi5("m4-close", registration=first.registration)
    page.goto(second.url)
    page.get_by_role("heading", name=strings["test_result_title"]).wait_for()  # resumed at the result
    _pass(page, content, strings, strings["test_retry"])
    _exit(page, strings)
    mine = _stored_once_in_order(lrs, first.registration)
    cmi5 = [_verb(s) for s in mine if _is_cmi5(s)]
    assert cmi5 == ["initialized", "completed", "failed", "terminated", "initialized", "passed", "terminated"]
    assert _satisfied(lrs, first.registration, first.activity_id)


@pytest.mark.parametrize("outage", ["503", "drop"])
def test_cmi5_lrs_outage_loses_nothing_and_says_so(
    page: Any, lrs: OurLrs, content: dict[str, Any], strings: dict[str, str], outage: str
) -> None:
    launch = lrs.launch_cmi5("m4-close")
    _open(page, launch.url, content)
    with lrs.down(outage):  # type: ignore[arg-type]
        _pass(page, content, strings, strings["test_start"])
        # the learner is told the truth: kept on this device, not yet sent
        indicator = page.locator(".gsog-save-indicator")
        indicator.wait_for()
        assert indicator.inner_text() == strings["saved_not_sent"]
        assert page.get_by_text(strings["test_result_sent"]).count() == 0
        assert wait_for(lambda: len(lrs.logged("POST", "statements")) >= 2, 10), "the outbox retries"
        assert not any(_verb(s) == "passed" for s in lrs.statements(launch.registration))
    # the LRS is back: the retry (backoff) delivers everything, and the warning goes
    indicator.wait_for(state="hidden", timeout=20_000)
    page.get_by_text(strings["test_result_sent"]).wait_for()
    _exit(page, strings)
    mine = _stored_once_in_order(lrs, launch.registration, outage=True)
    assert [_verb(s) for s in mine if _is_cmi5(s)] == ["initialized", "completed", "passed", "terminated"]
    assert _satisfied(lrs, launch.registration, launch.activity_id)


def test_xapi_fail_then_pass_with_an_outage_in_between(
    page: Any, lrs: OurLrs, content: dict[str, Any], strings: dict[str, str]
) -> None:
    launch = lrs.launch_xapi("m4-close")
    _open(page, launch.url, content)
    _fail(page, strings, strings["test_start"])
    with lrs.down():
        _pass(page, content, strings, strings["test_retry"])
        page.locator(".gsog-save-indicator").wait_for()
    page.locator(".gsog-save-indicator").wait_for(state="hidden", timeout=20_000)
    _exit(page, strings, return_url=False)
    assert wait_for(lambda: "terminated" in lrs.verbs(launch.registration), 10)
    mine = _stored_once_in_order(lrs, launch.registration, outage=True)
    verbs = [_verb(s) for s in mine if s["object"]["id"] == launch.activity_id]
    assert verbs == ["attempted", "completed", "failed", "passed", "terminated"]
    results = [(_verb(s), _attempt(s)) for s in mine if _verb(s) in ("passed", "failed")]
    assert results == [("failed", 1), ("passed", 2)]


@pytest.mark.parametrize("mode", ["Review", "Browse"])
def test_cmi5_review_and_browse_record_nothing_but_the_session(
    page: Any, lrs: OurLrs, content: dict[str, Any], strings: dict[str, str], mode: str
) -> None:
    launch = lrs.launch_cmi5("m4-close", launch_mode=mode)
    _open(page, launch.url, content)
    page.get_by_text(strings["review_mode"]).wait_for()
    _pass(page, content, strings, strings["test_start"])
    _exit(page, strings)
    mine = _stored_once_in_order(lrs, launch.registration)
    assert [_verb(s) for s in mine] == ["initialized", "terminated"]
    assert not _satisfied(lrs, launch.registration, launch.activity_id)
