"""The real packages start, track, suspend and resume under scorm-again (SCORM 1.2 and 2004)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.player.helpers import SCORM, calls, content_frame, course_order, last_values, launch_scorm, lms_log

pytestmark = pytest.mark.parametrize("fmt", ["scorm12", "scorm2004"])


def _leave_by_removing_frame(page: Any) -> list[dict[str, Any]]:
    """The LMS closes the course (removes its frame); the log stays in the LMS page."""
    page.evaluate("document.getElementById('sco').remove()")
    return lms_log(page)


def _assert_suspended_once(log: list[dict[str, Any]], fmt: str) -> dict[str, Any]:
    """Exit 'suspend', suspend data set and committed before the one Finish/Terminate; returns the data."""
    s = SCORM[fmt]
    finishes = calls(log, s.finish)
    assert len(finishes) == 1, [e["fn"] for e in log[-10:]]
    assert finishes[0]["result"] == "true"
    end = log.index(finishes[0])
    assert log[end + 1 :] == [], "nothing may reach the LMS after the session ended"
    exits = calls(log[:end], s.set, s.exit)
    assert [e["args"][1] for e in exits] == ["suspend"]
    suspends = calls(log[:end], s.set, "cmi.suspend_data")
    assert suspends and all(e["result"] == "true" for e in suspends)
    last_suspend = log.index(suspends[-1])
    assert calls(log[last_suspend:end], s.commit), "the last suspend data must be committed before finishing"
    data = suspends[-1]["args"][1]
    assert len(data) <= s.suspend_limit
    parsed: dict[str, Any] = json.loads(data)
    return parsed


def test_package_starts_and_marks_the_attempt_incomplete(
    page: Any, server: str, content: dict[str, Any], fmt: str, strings: dict[str, str]
) -> None:
    s = SCORM[fmt]
    frame = launch_scorm(page, server, fmt)
    first = course_order(content)[0]
    assert first == "pre-test"
    assert frame.locator("h1").inner_text() == content["units"][first]["title"]
    assert frame.locator("html").get_attribute("lang") == "nl"
    # the whole course is in the menu, the first unit is the current page
    links = frame.locator("nav#gsog-menu a[data-unit]")
    assert links.evaluate_all("els => els.map(e => e.dataset.unit)") == course_order(content)
    assert frame.locator("nav#gsog-menu a[aria-current=page]").get_attribute("data-unit") == first

    log = lms_log(page)
    assert log[0]["fn"] == s.initialize and log[0]["result"] == "true"
    statuses = calls(log, s.set, s.status)
    assert statuses and statuses[0]["args"][1] == "incomplete" and statuses[0]["result"] == "true"
    assert calls(log, s.commit), "the incomplete status must be committed right away"
    assert [e for e in calls(log, s.set) if e["result"] != "true"] == [], "scorm-again refused a value"
    assert not calls(log, s.finish)


def test_leaving_suspends_commits_and_finishes_once(
    page: Any, server: str, content: dict[str, Any], fmt: str, strings: dict[str, str]
) -> None:
    s = SCORM[fmt]
    frame = launch_scorm(page, server, fmt)
    frame.get_by_role("button", name=strings["next"]).click()
    second = course_order(content)[1]
    assert frame.locator("h1").inner_text() == content["units"][second]["title"]

    state = _assert_suspended_once(_leave_by_removing_frame(page), fmt)
    assert state["c"] == 1, "the suspend data remembers the current unit"
    log = lms_log(page)
    assert last_values(log, s.set)[s.location] == second
    assert [e for e in calls(log, s.set) if e["result"] != "true"] == []


def test_navigating_the_lms_page_away_also_suspends_and_finishes_once(
    page: Any, server: str, fmt: str, strings: dict[str, str]
) -> None:
    frame = launch_scorm(page, server, fmt)
    frame.get_by_role("button", name=strings["next"]).click()
    # pagehide and beforeunload both fire here; the player must end the session once
    page.goto(f"{server}/lms/blank.html")
    log = json.loads(page.evaluate("localStorage.getItem('lmsLog')"))
    _assert_suspended_once(log, fmt)


def test_module_parameter_shows_only_that_module(
    page: Any, server: str, content: dict[str, Any], fmt: str, strings: dict[str, str]
) -> None:
    frame = launch_scorm(page, server, fmt, "?module=m1-understand")
    units = course_order(content, "m1-understand")
    assert frame.locator("h1").inner_text() == content["units"][units[0]]["title"]
    menu = frame.locator("nav#gsog-menu")
    assert menu.locator("a[data-unit]").evaluate_all("els => els.map(e => e.dataset.unit)") == units
    module = next(m for m in content["modules"] if m["id"] == "m1-understand")
    assert menu.locator("h2").all_text_contents() == [module["title"]]
    assert frame.get_by_text(f"Onderdeel 1 van {len(units)}").is_visible()
    assert frame.get_by_role("button", name=strings["previous"]).count() == 0
    # walking to the end never leaves the module
    next_button = frame.get_by_role("button", name=strings["next"])
    for _ in units[1:]:
        next_button.click()
    assert frame.locator("h1").inner_text() == content["units"][units[-1]]["title"]
    assert next_button.count() == 0


def test_relaunch_resumes_at_the_unit_the_learner_left(
    page: Any, server: str, content: dict[str, Any], fmt: str, strings: dict[str, str]
) -> None:
    s = SCORM[fmt]
    frame = launch_scorm(page, server, fmt)
    for _ in range(2):
        frame.get_by_role("button", name=strings["next"]).click()
    third = course_order(content)[2]
    assert frame.locator("h1").inner_text() == content["units"][third]["title"]
    previous = last_values(_leave_by_removing_frame(page), s.set)

    frame = launch_scorm(page, server, fmt, previous=previous)
    assert frame.locator("h1").inner_text() == content["units"][third]["title"]
    log = lms_log(page)
    assert [e["result"] for e in calls(log, s.get, s.entry)] == ["resume"]
    # the learner is told where they are, and what they saw before still counts
    assert frame.locator(".gsog-notice").inner_text().startswith("Welkom terug")
    visited = content_frame(page).evaluate("Array.from(GSOG.player.state.visited)")
    assert set(course_order(content)[:3]) <= set(visited)


def test_unknown_module_is_an_error_not_the_whole_course(page: Any, server: str, fmt: str) -> None:
    frame = launch_scorm(page, server, fmt, "?module=m9-missing")
    assert frame.locator("h1").inner_text() == "De cursus kan niet starten"
    assert "m9-missing" in frame.get_by_role("alert").inner_text()
    assert frame.locator("nav#gsog-menu").count() == 0
    assert lms_log(page) == [], "a packaging error must not start (and track) a session"
