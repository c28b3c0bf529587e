"""The cmi5 and xAPI packages against a small in-memory LRS; a package opened without any LMS."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import quote, urlencode

from tests.player.conftest import CMI5_TOKEN, FakeLrs
from tests.player.helpers import answer_in_state, course_order, wait_for

CMI5_CATEGORY = "https://w3id.org/xapi/cmi5/context/categories/cmi5"
MOVEON_CATEGORY = "https://w3id.org/xapi/cmi5/context/categories/moveon"
SESSION_EXTENSION = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"
MASTERY_EXTENSION = "https://w3id.org/xapi/cmi5/context/extensions/masteryscore"
ACTOR = {
    "objectType": "Agent",
    "name": "Lies Peeters",
    "account": {"homePage": "https://lms.example.org", "name": "lp-42"},
}


def _categories(statement: dict[str, Any]) -> list[str]:
    return [c["id"] for c in statement["context"].get("contextActivities", {}).get("category", [])]


def test_cmi5_au_reads_launch_data_sends_cmi5_statements_and_exits_to_the_lms(
    page: Any, server: str, lrs: FakeLrs, content: dict[str, Any], strings: dict[str, str]
) -> None:
    registration = str(uuid.uuid4())
    activity = "https://gsog.example.org/course/nl-police/m4-close"
    lrs.put_state(
        activity,
        ACTOR,
        registration,
        "LMS.LaunchData",
        {
            "contextTemplate": {
                "contextActivities": {
                    "grouping": [{"objectType": "Activity", "id": "https://lms.example.org/course/7"}]
                },
                "extensions": {SESSION_EXTENSION: "session-1"},
            },
            "launchMode": "Normal",
            "launchMethod": "AnyWindow",
            "moveOn": "CompletedAndPassed",
            "masteryScore": 0.75,
            "returnURL": f"{server}/lms/blank.html",
        },
    )
    query = urlencode(
        {
            "module": "m4-close",
            "endpoint": f"{server}/lrs/",
            "fetch": f"{server}/cmi5/fetch",
            "actor": json.dumps(ACTOR),
            "registration": registration,
            "activityId": activity,
        },
        quote_via=quote,
    )
    page.goto(f"{server}/packages/cmi5/index.html?{query}")
    page.locator("h1", has_text=content["units"]["post-test"]["title"]).wait_for()
    assert wait_for(lambda: lrs.verbs() == ["initialized"])
    initialized = lrs.statements[0]
    assert initialized["actor"] == ACTOR and initialized["object"]["id"] == activity
    assert initialized["context"]["registration"] == registration
    assert _categories(initialized) == [CMI5_CATEGORY]
    # the context template is carried over
    assert initialized["context"]["extensions"][SESSION_EXTENSION] == "session-1"
    assert initialized["context"]["contextActivities"]["grouping"][0]["id"] == "https://lms.example.org/course/7"

    page.get_by_role("button", name=strings["test_start"]).click()
    answer_in_state(page, "post-test", right=True)
    page.get_by_role("button", name=strings["test_continue"]).click()
    page.get_by_role("button", name=strings["submit_answers"]).click()
    draw = content["units"]["post-test"]["draw"]
    assert wait_for(lambda: lrs.verbs()[-2:] == ["completed", "passed"])
    assert lrs.verbs() == ["initialized", *["answered"] * draw, "completed", "passed"]
    answered, completed, passed = lrs.statements[1], lrs.statements[-2], lrs.statements[-1]
    assert answered["result"]["success"] is True and CMI5_CATEGORY not in _categories(answered)
    assert answered["context"]["contextActivities"]["parent"] == [{"objectType": "Activity", "id": activity}]
    assert answered["object"]["definition"]["interactionType"] in {"choice", "true-false", "matching", "sequencing"}
    assert completed["result"]["completion"] is True
    assert _categories(completed) == [CMI5_CATEGORY, MOVEON_CATEGORY]
    assert passed["result"]["success"] is True and passed["result"]["score"]["scaled"] == 1
    assert passed["context"]["extensions"][MASTERY_EXTENSION] == 0.75
    assert all(s["context"]["registration"] == registration for s in lrs.statements)

    page.get_by_role("button", name=strings["exit"]).click()
    page.wait_for_url(f"{server}/lms/blank.html")
    assert wait_for(lambda: "terminated" in lrs.verbs())
    assert lrs.verbs().count("terminated") == 1
    assert lrs.fetch_calls == 1
    lrs_calls = [r for r in lrs.requests]
    assert all(r["authorization"] == f"Basic {CMI5_TOKEN}" and r["version"] == "1.0.3" for r in lrs_calls)
    saved = [r for r in lrs_calls if r["method"] == "PUT" and r["query"]["stateId"] == ["gsog.suspend"]]
    assert saved, "the state is kept in the State API"


def test_xapi_launch_tracks_units_suspends_and_resumes(
    page: Any, server: str, lrs: FakeLrs, content: dict[str, Any], strings: dict[str, str]
) -> None:
    registration = str(uuid.uuid4())
    # TinCan launchers may send the actor in the legacy form with arrays
    legacy_actor = {"name": ["Lies Peeters"], "mbox": ["mailto:lies@example.org"]}
    query = urlencode(
        {
            "endpoint": f"{server}/lrs/",
            "auth": "Basic bGllczpzZWNyZXQ=",
            "actor": json.dumps(legacy_actor),
            "registration": registration,
            "activity_id": "https://gsog.example.org/course/nl-police",
        },
        quote_via=quote,
    )
    url = f"{server}/packages/xapi/index.html?{query}"
    page.goto(url)
    order = course_order(content)
    page.locator("h1", has_text=content["units"][order[0]]["title"]).wait_for()
    for _ in range(2):
        page.get_by_role("button", name=strings["next"]).click()
    page.locator("h1", has_text=content["units"][order[2]]["title"]).wait_for()
    page.goto(f"{server}/lms/blank.html")
    assert wait_for(lambda: lrs.verbs()[-2:] == ["suspended", "terminated"])
    assert lrs.verbs() == ["attempted", "experienced", "experienced", "experienced", "suspended", "terminated"]
    first = lrs.statements[0]
    assert first["actor"] == {"objectType": "Agent", "name": "Lies Peeters", "mbox": "mailto:lies@example.org"}
    assert first["object"]["id"] == "https://gsog.example.org/course/nl-police"
    assert all(s["context"]["registration"] == registration for s in lrs.statements)
    experienced = [
        s["object"]["id"].rsplit("/", 1)[-1] for s in lrs.statements if s["verb"]["id"].endswith("/experienced")
    ]
    assert experienced == order[:3]
    assert all(r["authorization"] == "Basic bGllczpzZWNyZXQ=" for r in lrs.requests)

    page.goto(url)
    page.locator("h1", has_text=content["units"][order[2]]["title"]).wait_for()
    assert wait_for(lambda: "resumed" in lrs.verbs())


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
