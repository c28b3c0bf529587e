"""Whole-course journeys under scorm-again: what the LMS holds at the end.

Each journey takes the real built package (one SCO, the whole course) the
way a learner does: the pre-test, every required unit, the post-test, the
evaluation, then Exit. The final CMI data is asserted: status, score,
interactions with attempt-marked ids, one objective per learning goal from
the latest attempt only, the SCORM 2004 primary objective, and suspend data
within SCORM 1.2's 4096 bytes.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.player.helpers import (
    SCORM,
    answer_in_state,
    calls,
    content_frame,
    go_to,
    last_values,
    launch_scorm,
    lms_log,
    take_test,
)

POST = "post-test"
PRIMARY = "course-mastery"


def _do_required_units(frame: Any, content: dict[str, Any], strings: dict[str, str]) -> None:
    """Every required unit except the post-test, through the page: transcripts, reflections."""
    for module in content["modules"]:
        for uid in module["units"]:
            unit = content["units"][uid]
            if not unit["required"] or unit["kind"] == "assessment":
                continue
            go_to(frame, content, uid)
            if unit["kind"] in ("clip", "case"):
                frame.get_by_role("button", name=strings["show_transcript"]).click()
            elif unit["kind"] == "reflection":
                frame.get_by_label(strings["your_answer"]).fill("Mijn eigen gedachten hierover, é en ë. " * 3)
                frame.get_by_role("button", name=strings["save_answer"]).click()
                frame.get_by_text(strings["answer_saved"]).wait_for()
            frame.locator(f"nav#gsog-menu a[data-unit='{uid}'].is-completed").wait_for()


def _pre_test(page: Any, frame: Any, content: dict[str, Any], strings: dict[str, str]) -> None:
    go_to(frame, content, "pre-test")
    frame.get_by_role("button", name=strings["test_start"]).click()
    answer_in_state(content_frame(page), "pre-test", right=False)
    frame.get_by_role("button", name=strings["test_continue"]).click()
    frame.get_by_role("button", name=strings["submit_answers"]).click()
    frame.get_by_text(strings["pretest_done"]).wait_for()


def _fail_post_test(page: Any, frame: Any, content: dict[str, Any], strings: dict[str, str], first: bool) -> None:
    go_to(frame, content, POST)
    frame.get_by_role("button", name=strings["test_start"] if first else strings["test_retry"]).click()
    answer_in_state(content_frame(page), POST, right=False)
    frame.get_by_role("button", name=strings["test_continue"]).click()
    frame.get_by_role("button", name=strings["submit_answers"]).click()
    frame.get_by_role("heading", name=strings["test_result_title"]).wait_for()


def _evaluation(frame: Any, content: dict[str, Any], strings: dict[str, str]) -> None:
    go_to(frame, content, "evaluation")
    frame.locator("fieldset.gsog-likert input[type=radio]").first.check()
    frame.locator("textarea").first.fill("Nuttig, met dank.")
    frame.get_by_role("button", name=strings["submit"]).click()
    frame.get_by_text(strings["evaluation_thanks"]).wait_for()


def _exit(page: Any, frame: Any, strings: dict[str, str]) -> list[dict[str, Any]]:
    frame.get_by_role("button", name=strings["exit"]).click()
    frame.get_by_role("heading", name=strings["exit_title"]).wait_for()
    return lms_log(page)


def _interactions(values: dict[str, str], unit_id: str) -> dict[int, list[str]]:
    """Interaction ids of one test, grouped by the attempt their id names."""
    attempts: dict[int, list[str]] = {}
    for key, value in values.items():
        if re.fullmatch(r"cmi\.interactions\.\d+\.id", key) and value.startswith(unit_id + "-a"):
            match = re.fullmatch(rf"{unit_id}-a(\d+)-(.+)", value)
            assert match, value
            attempts.setdefault(int(match.group(1)), []).append(match.group(2))
    return attempts


def _tested_goals(content: dict[str, Any]) -> list[str]:
    """The learning goals the post-test's bank tests (attitude goals are not tested by items)."""
    return sorted({g for item in content["units"][POST]["items"] for g in item["goals"]})


def _objectives(values: dict[str, str]) -> dict[str, str]:
    """Objective id -> its CMI prefix."""
    return {v: k.rsplit(".", 1)[0] for k, v in values.items() if re.fullmatch(r"cmi\.objectives\.\d+\.id", k)}


def _common_checks(log: list[dict[str, Any]], fmt: str, content: dict[str, Any]) -> dict[str, str]:
    s = SCORM[fmt]
    assert [e for e in calls(log, s.set) if e["result"] != "true"] == [], "scorm-again refused a value"
    assert [e for e in calls(log, s.commit) if e["result"] != "true"] == []
    assert len(calls(log, s.finish)) == 1
    suspends = [e["args"][1] for e in calls(log, s.set, "cmi.suspend_data")]
    assert suspends
    for data in suspends:
        assert data.isascii() and len(data.encode("utf-8")) <= 4096
    values = last_values(log, s.set)
    # every goal is tested in every attempt (stratified draw), so each goal is an objective
    objectives = _objectives(values)
    assert {g["id"] for g in content["goals"]} <= set(objectives)
    return values


@pytest.mark.parametrize("fmt", ["scorm12", "scorm2004"])
def test_journey_pass_first_time(
    page: Any, server: str, content: dict[str, Any], strings: dict[str, str], fmt: str
) -> None:
    unit = content["units"][POST]
    frame = launch_scorm(page, server, fmt)
    _pre_test(page, frame, content, strings)
    _do_required_units(frame, content, strings)
    go_to(frame, content, POST)
    frame.get_by_role("button", name=strings["test_start"]).click()
    take_test(frame, content, POST, strings)
    frame.get_by_text(strings["test_passed"]).wait_for()
    frame.get_by_text(strings["test_result_sent"]).wait_for()
    _evaluation(frame, content, strings)
    values = _common_checks(_exit(page, frame, strings), fmt, content)

    assert _interactions(values, "pre-test").keys() == {1}
    post = _interactions(values, POST)
    assert post.keys() == {1} and len(post[1]) == unit["draw"]
    objectives = _objectives(values)
    if fmt == "scorm12":
        assert values["cmi.core.lesson_status"] == "passed"
        assert values["cmi.core.score.raw"] == "100"
        assert values["cmi.core.exit"] == ""
        for goal in _tested_goals(content):
            assert values[objectives[goal] + ".status"] == "passed"
    else:
        assert (values["cmi.completion_status"], values["cmi.success_status"]) == ("completed", "passed")
        assert values["cmi.score.scaled"] == "1" and values["cmi.exit"] == "normal"
        primary = objectives[PRIMARY]
        assert (values[primary + ".success_status"], values[primary + ".score.scaled"]) == ("passed", "1")
        for goal in _tested_goals(content):
            assert values[objectives[goal] + ".success_status"] == "passed"


@pytest.mark.parametrize("fmt", ["scorm12", "scorm2004"])
def test_journey_fail_then_pass(
    page: Any, server: str, content: dict[str, Any], strings: dict[str, str], fmt: str
) -> None:
    s = SCORM[fmt]
    unit = content["units"][POST]
    frame = launch_scorm(page, server, fmt)
    _pre_test(page, frame, content, strings)
    # the post-test first, before the course is done: it fails
    _fail_post_test(page, frame, content, strings, first=True)
    assert frame.get_by_role("button", name=strings["test_retry"]).is_visible()
    values = last_values(lms_log(page), s.set)
    if fmt == "scorm12":
        # no score before completion: the LMS's mastery rule must not turn "incomplete" into "failed"
        assert values["cmi.core.lesson_status"] == "incomplete"
        assert "cmi.core.score.raw" not in values
    else:
        assert (values["cmi.completion_status"], values["cmi.success_status"]) == ("incomplete", "failed")

    _do_required_units(frame, content, strings)
    values = last_values(lms_log(page), s.set)
    if fmt == "scorm12":
        # completed now: the failed attempt's status and score go in together
        assert (values["cmi.core.lesson_status"], values["cmi.core.score.raw"]) == ("failed", "0")

    go_to(frame, content, POST)
    frame.get_by_role("button", name=strings["test_retry"]).click()
    take_test(frame, content, POST, strings)
    frame.get_by_text(strings["test_passed"]).wait_for()
    values = _common_checks(_exit(page, frame, strings), fmt, content)

    post = _interactions(values, POST)
    assert post.keys() == {1, 2}
    assert len(post[1]) == len(post[2]) == unit["draw"]
    objectives = _objectives(values)
    if fmt == "scorm12":
        assert (values["cmi.core.lesson_status"], values["cmi.core.score.raw"]) == ("passed", "100")
        for goal in _tested_goals(content):
            # the latest attempt decides; a retry never resets a goal to "completed"
            assert values[objectives[goal] + ".status"] == "passed"
            assert values[objectives[goal] + ".score.raw"] == "100"
    else:
        assert (values["cmi.completion_status"], values["cmi.success_status"]) == ("completed", "passed")
        assert values[objectives[PRIMARY] + ".success_status"] == "passed"
        for goal in _tested_goals(content):
            assert values[objectives[goal] + ".success_status"] == "passed"
            assert values[objectives[goal] + ".score.scaled"] == "1"


@pytest.mark.parametrize("fmt", ["scorm12", "scorm2004"])
def test_journey_all_attempts_failed(
    page: Any, server: str, content: dict[str, Any], strings: dict[str, str], fmt: str
) -> None:
    unit = content["units"][POST]
    assert unit["max_attempts"] == 3
    frame = launch_scorm(page, server, fmt)
    _pre_test(page, frame, content, strings)
    _do_required_units(frame, content, strings)
    for attempt in range(unit["max_attempts"]):
        _fail_post_test(page, frame, content, strings, first=attempt == 0)
    # the last failure says so, and offers no retry
    frame.get_by_text(strings["test_failed_final"].split("(")[0].strip()).wait_for()
    assert frame.get_by_role("button", name=strings["test_retry"]).count() == 0
    assert frame.get_by_text(strings["test_failed"].split(":")[0]).count() == 0
    log = _exit(page, frame, strings)
    frame.get_by_text(strings["test_no_attempts_left"]).wait_for()
    values = _common_checks(log, fmt, content)

    assert _interactions(values, POST).keys() == {1, 2, 3}
    objectives = _objectives(values)
    if fmt == "scorm12":
        assert (values["cmi.core.lesson_status"], values["cmi.core.score.raw"]) == ("failed", "0")
        assert values["cmi.core.exit"] == "", "nothing left to do: the attempt ends"
        for goal in _tested_goals(content):
            assert values[objectives[goal] + ".status"] == "failed"
    else:
        assert (values["cmi.completion_status"], values["cmi.success_status"]) == ("completed", "failed")
        assert values["cmi.exit"] == "normal"
        assert values[objectives[PRIMARY] + ".success_status"] == "failed"
