"""When the SCORM LMS fails, the learner is told the truth and nothing is lost.

The test LMS (scorm-again) is made to answer "false" to Commit, or to refuse
cmi.suspend_data, the way a broken or overloaded LMS does.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlencode

import pytest

from tests.player.helpers import SCORM, calls, go_to, last_values, launch_scorm, lms_log, wait_for

REFLECTION = "reflection-own-images"
ANSWER = "Wat ik meeneem: écht luisteren."


def _write_reflection(frame: Any, content: dict[str, Any], strings: dict[str, str]) -> None:
    go_to(frame, content, REFLECTION)
    frame.get_by_label(strings["your_answer"]).fill(ANSWER)
    frame.get_by_role("button", name=strings["save_answer"]).click()


def _stored_suspend_data(page: Any, fmt: str, log: list[dict[str, Any]] | None = None) -> list[str]:
    """suspend_data values the LMS took and then committed (from the page's LMS log, or ``log``)."""
    s = SCORM[fmt]
    log = lms_log(page) if log is None else log
    stored: list[str] = []
    pending: str | None = None
    for entry in log:
        if entry["fn"] == s.set and entry["args"][0] == "cmi.suspend_data" and entry["result"] == "true":
            pending = entry["args"][1]
        if entry["fn"] == s.commit and entry["result"] == "true" and pending is not None:
            stored.append(pending)
            pending = None
    return stored


@pytest.mark.parametrize("fmt", ["scorm12", "scorm2004"])
def test_failed_commit_is_told_to_the_learner_and_retried(
    page: Any, server: str, content: dict[str, Any], strings: dict[str, str], fmt: str
) -> None:
    frame = launch_scorm(page, server, fmt)
    page.evaluate("window.lmsFailures = {Commit: true}")
    _write_reflection(frame, content, strings)
    # never "saved" while the LMS does not have it
    frame.get_by_text(strings["answer_saved_not_sent"]).wait_for()
    assert frame.get_by_text(strings["answer_saved"], exact=True).count() == 0
    indicator = frame.locator(".gsog-save-indicator")
    assert indicator.is_visible() and indicator.inner_text() == strings["saved_not_sent"]
    assert not any(ANSWER.replace("é", "\\u00e9") in d for d in _stored_suspend_data(page, fmt))

    # the LMS recovers: the retry (with backoff) stores the answer, and the warning goes away
    page.evaluate("window.lmsFailures = {}")
    assert wait_for(lambda: any("\\u00e9cht luisteren" in d for d in _stored_suspend_data(page, fmt)), timeout=10)
    indicator.wait_for(state="hidden", timeout=10_000)


@pytest.mark.parametrize("fmt", ["scorm12", "scorm2004"])
def test_refused_suspend_data_is_written_again(
    page: Any, server: str, content: dict[str, Any], strings: dict[str, str], fmt: str
) -> None:
    frame = launch_scorm(page, server, fmt)
    page.evaluate("window.lmsFailures = {'SetValue:cmi.suspend_data': true}")
    _write_reflection(frame, content, strings)
    frame.get_by_text(strings["answer_saved_not_sent"]).wait_for()
    page.evaluate("window.lmsFailures = {}")
    assert wait_for(lambda: any("\\u00e9cht luisteren" in d for d in _stored_suspend_data(page, fmt)), timeout=10)


@pytest.mark.parametrize("fmt", ["scorm12", "scorm2004"])
def test_relaunch_after_lms_failure_resumes_from_this_browser(
    page: Any, server: str, content: dict[str, Any], strings: dict[str, str], fmt: str
) -> None:
    s = SCORM[fmt]
    frame = launch_scorm(page, server, fmt)
    go_to(frame, content, "clip-consent")
    page.evaluate("window.lmsFailures = {Commit: true}")
    _write_reflection(frame, content, strings)
    frame.get_by_text(strings["answer_saved_not_sent"]).wait_for()
    page.evaluate("document.getElementById('sco').remove()")  # the learner closes the course
    log = lms_log(page)
    # what the LMS kept is older than what the learner did...
    previous = last_values([e for e in log if e["fn"] != s.set or e["t"] < _last_good_commit(log, s.commit)], s.set)
    frame = launch_scorm(page, server, fmt, previous=previous)
    # ...yet the next session starts where the learner was, with the answer, from this browser's copy
    assert frame.locator("h1").inner_text() == content["units"][REFLECTION]["title"]
    assert frame.get_by_label(strings["your_answer"]).input_value() == ANSWER
    assert calls(lms_log(page), s.initialize)


def _last_good_commit(log: list[dict[str, Any]], commit: str) -> float:
    times = [e["t"] for e in log if e["fn"] == commit and e["result"] == "true"]
    return max(times) if times else 0.0


@pytest.mark.parametrize("fmt", ["scorm12", "scorm2004"])
def test_work_in_progress_is_committed_before_dismissal(
    page: Any, server: str, content: dict[str, Any], strings: dict[str, str], fmt: str
) -> None:
    """Commits while the page is dismissed fail in LMSs that commit with synchronous XHR: typed work must
    already be in the LMS by then."""
    s = SCORM[fmt]
    query = urlencode({"pkg": f"/packages/{fmt}/index.html", "dismissal": "fail"}, quote_via=quote)
    page.goto(f"{server}/lms/{fmt}.html?{query}")
    frame = page.frame_locator("#sco")
    frame.locator("h1").wait_for()
    go_to(frame, content, REFLECTION)
    frame.get_by_label(strings["your_answer"]).fill(ANSWER)  # typed, not saved with the button
    # a pause in typing saves it: it does not wait for the page to be left
    assert wait_for(lambda: any("\\u00e9cht luisteren" in d for d in _stored_suspend_data(page, fmt)), timeout=10)
    page.goto(f"{server}/lms/blank.html")  # the learner leaves: beforeunload, pagehide
    log = json.loads(page.evaluate("localStorage.getItem('lmsLog')"))
    assert any(e["fn"] == s.commit and e["result"] == "false" for e in log), "the dismissal commit failed"
    stored = _stored_suspend_data(page, fmt, log)
    assert stored and "\\u00e9cht luisteren" in stored[-1], "the typed answer was committed before"
