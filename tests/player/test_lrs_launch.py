"""The cmi5 and xAPI packages against OUR REAL LRS (launched as an LMS would); a package opened without any LMS."""

from __future__ import annotations

import base64
from typing import Any

from tests.player.helpers import answer_in_state, course_order, wait_for
from tests.player.our_lrs import DEFAULT_ACTOR, OurLrs

CMI5_CATEGORY = "https://w3id.org/xapi/cmi5/context/categories/cmi5"
MOVEON_CATEGORY = "https://w3id.org/xapi/cmi5/context/categories/moveon"
SESSION_EXTENSION = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"
MASTERY_EXTENSION = "https://w3id.org/xapi/cmi5/context/extensions/masteryscore"
VIDEO_TYPE = "https://w3id.org/xapi/video/activity-type/video"


def _categories(statement: dict[str, Any]) -> list[str]:
    return [c["id"] for c in statement["context"].get("contextActivities", {}).get("category", [])]


def _verb(statement: dict[str, Any]) -> str:
    return str(statement["verb"]["id"].rsplit("/", 1)[-1])


def _cmi5_verbs(lrs: OurLrs, registration: str) -> list[str]:
    """The cmi5-defined statements of a registration (category cmi5), the LMS's "launched" first."""
    return [_verb(s) for s in lrs.statements(registration) if CMI5_CATEGORY in _categories(s)]


def test_cmi5_au_reads_launch_data_sends_cmi5_statements_and_exits_to_the_lms(
    page: Any, server: str, lrs: OurLrs, content: dict[str, Any], strings: dict[str, str]
) -> None:
    launch = lrs.launch_cmi5("m4-close")
    registration = launch.registration
    assert launch.answer["launchData"]["masteryScore"] == 0.75, "cmi5.xml's masteryScore is passed on"
    page.goto(launch.url)
    page.locator("h1", has_text=content["units"]["post-test"]["title"]).wait_for()
    assert wait_for(lambda: lrs.verbs(registration) == ["launched", "initialized"])
    initialized = lrs.statements(registration)[1]
    assert initialized["actor"] == DEFAULT_ACTOR and initialized["object"]["id"] == launch.activity_id
    assert initialized["context"]["registration"] == registration
    assert _categories(initialized) == [CMI5_CATEGORY]
    # the LMS's context template is carried over: its session id and the publisher id as grouping
    assert initialized["context"]["extensions"][SESSION_EXTENSION] == launch.session_id
    assert initialized["context"]["contextActivities"]["grouping"][0]["id"] == launch.au.id

    page.get_by_role("button", name=strings["test_start"]).click()
    answer_in_state(page, "post-test", right=True)
    page.get_by_role("button", name=strings["test_continue"]).click()
    page.get_by_role("button", name=strings["submit_answers"]).click()
    draw = content["units"]["post-test"]["draw"]
    assert wait_for(lambda: _cmi5_verbs(lrs, registration) == ["launched", "initialized", "completed", "passed"])
    stored = lrs.statements(registration)
    answered = [s for s in stored if _verb(s) == "answered"]
    assert len(answered) == draw, "every answer of the post-test is stored"
    for statement in answered:
        assert statement["result"]["success"] is True and CMI5_CATEGORY not in _categories(statement)
        assert statement["context"]["contextActivities"]["parent"] == [
            {"objectType": "Activity", "id": launch.activity_id}
        ]
        definition = statement["object"]["definition"]
        assert definition["interactionType"] in {"choice", "true-false", "matching", "sequencing"}
    completed = next(s for s in stored if _verb(s) == "completed")
    passed = next(s for s in stored if _verb(s) == "passed" and CMI5_CATEGORY in _categories(s))
    assert completed["result"]["completion"] is True
    assert _categories(completed) == [CMI5_CATEGORY, MOVEON_CATEGORY]
    assert passed["result"]["success"] is True and passed["result"]["score"]["scaled"] == 1
    assert passed["context"]["extensions"][MASTERY_EXTENSION] == 0.75
    assert all(s["context"]["registration"] == registration for s in stored)

    page.get_by_role("button", name=strings["exit"]).click()
    page.wait_for_url(f"{server}/lms/blank.html")
    assert wait_for(lambda: "terminated" in lrs.verbs(registration))
    assert _cmi5_verbs(lrs, registration) == ["launched", "initialized", "completed", "passed", "terminated"]
    assert lrs.fetch_calls == 1
    assert lrs.refused() == [], "the LRS accepted every request of the AU"
    xapi_calls = [r for r in lrs.logged() if not r.resource.startswith("extensions/cmi5/fetch/")]
    # every request with the session's auth-token from the fetch URL, as xAPI 1.0.3
    assert {r.authorization for r in xapi_calls} == {xapi_calls[0].authorization}
    token = str(xapi_calls[0].authorization).removeprefix("Basic ")
    assert base64.b64decode(token).decode().startswith("cmi5:")
    assert {r.version for r in xapi_calls} == {"1.0.3"}
    saved = [r for r in lrs.logged("PUT", "activities/state") if r.query["stateId"] == ["gsog.suspend"]]
    assert saved, "the state is kept in the State API"
    document = lrs.state(launch.activity_id, DEFAULT_ACTOR, registration, "gsog.suspend")
    assert document is not None and document["state"], "the LRS holds the suspend state"


def test_xapi_launch_tracks_units_suspends_and_resumes(
    page: Any, server: str, lrs: OurLrs, content: dict[str, Any], strings: dict[str, str]
) -> None:
    # TinCan launchers may send the actor in the legacy form with arrays
    legacy_actor = {"name": ["Lies Peeters"], "mbox": ["mailto:lies@example.org"]}
    launch = lrs.launch_xapi(actor=legacy_actor)
    registration = launch.registration
    page.goto(launch.url)
    order = course_order(content)
    page.locator("h1", has_text=content["units"][order[0]]["title"]).wait_for()
    for _ in range(2):
        page.get_by_role("button", name=strings["next"]).click()
    page.locator("h1", has_text=content["units"][order[2]]["title"]).wait_for()
    page.goto(f"{server}/lms/blank.html")
    assert wait_for(lambda: lrs.verbs(registration)[-2:] == ["suspended", "terminated"])
    stored = lrs.statements(registration)
    # the course attempt, one "experienced" per unit opened, and xAPI Video Profile statements of
    # the clips shown (tests/player/test_video_profile.py checks those); nothing else
    about_course = [_verb(s) for s in stored if s["object"]["id"] == launch.activity_id]
    assert about_course == ["attempted", "suspended", "terminated"]
    experienced = [s["object"]["id"].rsplit("/", 1)[-1] for s in stored if _verb(s) == "experienced"]
    assert experienced == order[:3]
    videos = [s for s in stored if s["object"].get("definition", {}).get("type") == VIDEO_TYPE]
    assert len(about_course) + len(experienced) + len(videos) == len(stored)
    clips_shown = {u for u in order[:3] if content["units"][u].get("video")}
    assert {s["object"]["id"].split("/videos/", 1)[1].split("/")[0] for s in videos} <= clips_shown
    first = stored[0]
    assert _verb(first) == "attempted"
    assert first["actor"] == {"objectType": "Agent", "name": "Lies Peeters", "mbox": "mailto:lies@example.org"}
    assert launch.activity_id == "https://gsog.example.org/course/nl-police"
    assert all(s["context"]["registration"] == registration for s in stored)
    assert {r.authorization for r in lrs.logged()} == {launch.auth}
    assert lrs.refused() == [], "the LRS accepted every request of the package"

    page.goto(launch.url)
    page.locator("h1", has_text=content["units"][order[2]]["title"]).wait_for()
    assert wait_for(lambda: "resumed" in lrs.verbs(registration))


def test_without_an_lms_progress_stays_in_this_browser(
    page: Any, server: str, content: dict[str, Any], strings: dict[str, str]
) -> None:
    page.goto(f"{server}/packages/scorm12/index.html")
    order = course_order(content)
    page.locator("h1", has_text=content["units"][order[0]]["title"]).wait_for()
    assert page.get_by_text(strings["offline_notice"]).is_visible()
    page.get_by_role("button", name=strings["next"]).click()
    page.reload()
    page.locator("h1", has_text=content["units"][order[1]]["title"]).wait_for()
