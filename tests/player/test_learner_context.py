"""Every statement the player sends carries the learner context: build-time values and the launch's.

cmi5: the launch (our real launches endpoint) names organisation, region,
role and level in ``learnerContext``; the LRS puts them in the
contextTemplate and the player adds what the build knows. xAPI: the build's
values, and the launch link's parameters of the same names.
"""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import quote, urlencode

from lrs.xapi.profile import player_vocabulary
from tests.player.helpers import answer_in_state, take_test, wait_for
from tests.player.our_lrs import DEFAULT_ACTOR, OurLrs

GIVEN = {"organisation": "pz-antwerpen", "region": "BE-VAN", "role": "inspector", "level": "basic"}
IRIS = player_vocabulary()["extensions"]


def _build_values(lrs: OurLrs, fmt: str) -> dict[str, str]:
    assert lrs.site is not None
    script = (lrs.site / "packages" / fmt / "content" / "course.js").read_text(encoding="utf-8")
    line = next(x for x in script.splitlines() if x.startswith("window.GSOG_PROFILE="))
    profile = json.loads(line[len("window.GSOG_PROFILE=") :].rstrip(";"))
    assert profile["extensions"] == IRIS, "the package's IRIs are the profile's"
    values: dict[str, str] = profile["build"]
    assert values["sector"] == "police" and values["language"] == "nl" and values["package-format"] == fmt
    return values


def _check(statements: list[dict[str, Any]], expected: dict[str, str], absent: set[str]) -> None:
    assert statements
    for statement in statements:
        extensions = statement["context"]["extensions"]
        for name, value in expected.items():
            assert extensions.get(IRIS[name]) == value, (statement["verb"]["id"], name)
        assert not {IRIS[name] for name in absent} & set(extensions), statement["verb"]["id"]


def _launch_with_context(lrs: OurLrs, module: str, registration: str | None = None) -> dict[str, Any]:
    """A cmi5 launch of ``module`` through the real launches endpoint, with GIVEN as the learner context."""
    au = lrs.aus()[module]
    body: dict[str, Any] = {
        "actor": DEFAULT_ACTOR,
        "activityId": lrs.lms_activity_id(module),
        "publisherId": au.id,
        "registration": registration or str(uuid.uuid4()),
        "moveOn": au.move_on,
        "auUrl": f"{lrs.base}/packages/cmi5/{au.url}",
        "returnURL": f"{lrs.base}/lms/blank.html",
        "learnerContext": GIVEN,
    }
    if au.mastery_score is not None:
        body["masteryScore"] = au.mastery_score
    status, text = lrs.call("POST", "extensions/cmi5/launches", body=body, auth=lrs._credentials("launcher"))
    assert status == 201, text
    answer: dict[str, Any] = json.loads(text)
    return answer


def test_cmi5_statements_carry_the_launch_and_build_context(page: Any, server: str, lrs: OurLrs) -> None:
    answer = _launch_with_context(lrs, "m1-understand")
    page.goto(answer["url"])
    registration = answer["registration"]
    assert wait_for(lambda: "initialized" in lrs.verbs(registration), timeout=10)
    page.goto("about:blank")
    assert wait_for(lambda: "terminated" in lrs.verbs(registration), timeout=10)
    stored = lrs.statements(registration)
    # the LMS's own statements (launched) carry the launch's context; the AU's carry the build's too
    _check([s for s in stored if s["verb"]["id"].endswith("/launched")], GIVEN, set())
    own = [s for s in stored if not s["verb"]["id"].endswith("/launched")]
    _check(own, {**GIVEN, **_build_values(lrs, "cmi5")}, set())
    assert lrs.refused() == []


def test_xapi_statements_carry_the_build_context_and_no_guessed_launch_values(
    page: Any, server: str, lrs: OurLrs
) -> None:
    launch = lrs.launch_xapi("m1-understand")
    page.goto(launch.url)
    assert wait_for(lambda: "attempted" in lrs.verbs(launch.registration), timeout=10)
    page.goto("about:blank")
    assert wait_for(lambda: "terminated" in lrs.verbs(launch.registration), timeout=10)
    build = _build_values(lrs, "xapi")  # the course's level is a build value, the rest must come from a launch
    _check(lrs.statements(launch.registration), build, set(GIVEN) - set(build))


def test_xapi_launch_parameters_give_the_learner_context_and_bad_ones_are_left_out(
    page: Any, server: str, lrs: OurLrs
) -> None:
    launch = lrs.launch_xapi("m1-understand")
    extra = {"organisation": GIVEN["organisation"], "region": GIVEN["region"], "role": "Lies Peeters", "level": "basic"}
    page.goto(launch.url + "&" + urlencode(extra, quote_via=quote))
    assert wait_for(lambda: "attempted" in lrs.verbs(launch.registration), timeout=10)
    page.goto("about:blank")
    assert wait_for(lambda: "terminated" in lrs.verbs(launch.registration), timeout=10)
    expected = {"organisation": GIVEN["organisation"], "region": GIVEN["region"], "level": "basic"}
    _check(lrs.statements(launch.registration), {**expected, **_build_values(lrs, "xapi")}, {"role"})


def _extension(statement: dict[str, Any], name: str) -> Any:
    return statement["context"]["extensions"].get(IRIS[name])


def test_cmi5_test_answers_and_results_carry_learning_goals_and_test_role(
    page: Any, server: str, lrs: OurLrs, content: dict[str, Any], strings: dict[str, str]
) -> None:
    """Goal mastery and knowledge gain need, on each answer, the goals its item tests and whether it was
    the pre- or the post-test, and on each post-test result its role: all as our profile's extensions,
    stored in our real LRS, next to the learner context."""
    registration = str(uuid.uuid4())
    pre = _launch_with_context(lrs, "m0-start", registration)
    page.goto(pre["url"])
    page.get_by_role("button", name=strings["test_start"]).click()
    answer_in_state(page, "pre-test", right=False)
    page.get_by_role("button", name=strings["test_continue"]).click()
    page.get_by_role("button", name=strings["submit_answers"]).click()
    page.get_by_text(strings["pretest_done"]).wait_for()
    page.get_by_role("button", name=strings["exit"]).click()
    page.wait_for_url("**/lms/blank.html", timeout=15_000)
    assert wait_for(lambda: "terminated" in lrs.verbs(registration), timeout=10)

    post = _launch_with_context(lrs, "m4-close", registration)
    page.goto(post["url"])
    page.get_by_role("button", name=strings["test_start"]).click()
    take_test(page, content, "post-test", strings)
    page.get_by_text(strings["test_passed"]).wait_for()
    page.get_by_role("button", name=strings["exit"]).click()
    page.wait_for_url("**/lms/blank.html", timeout=15_000)
    assert wait_for(lambda: lrs.verbs(registration).count("terminated") == 2, timeout=10)

    stored = lrs.statements(registration)
    goals = {
        item["id"]: item["goals"] for unit in ("pre-test", "post-test") for item in content["units"][unit]["items"]
    }
    answered = [s for s in stored if s["verb"]["id"].endswith("/answered")]
    roles = [_extension(s, "test-role") for s in answered]
    assert roles == ["pre"] * content["units"]["pre-test"]["draw"] + ["post"] * content["units"]["post-test"]["draw"]
    for s in answered:
        assert _extension(s, "learning-goals") == goals[s["object"]["id"].rsplit("/items/", 1)[1]], s["object"]["id"]
        assert s["context"]["extensions"][IRIS["organisation"]] == GIVEN["organisation"]
    results = [s for s in stored if s["object"]["id"].endswith("/assessments/post-test")]
    assert [(s["verb"]["id"].rsplit("/", 1)[-1], _extension(s, "test-role")) for s in results] == [("passed", "post")]
    # a statement about something else carries neither
    others = [s for s in stored if s not in answered and s not in results]
    assert others and all(
        _extension(s, "test-role") is None and _extension(s, "learning-goals") is None for s in others
    )
    assert lrs.refused() == []


def test_xapi_post_test_answers_and_results_carry_learning_goals_and_test_role(
    page: Any, server: str, lrs: OurLrs, content: dict[str, Any], strings: dict[str, str]
) -> None:
    """The TinCan (xAPI) adapter sends the same two extensions as the cmi5 one."""
    launch = lrs.launch_xapi("m4-close")
    page.goto(launch.url)
    page.get_by_role("button", name=strings["test_start"]).click()
    take_test(page, content, "post-test", strings)
    page.get_by_text(strings["test_passed"]).wait_for()
    page.goto("about:blank")
    assert wait_for(lambda: "terminated" in lrs.verbs(launch.registration), timeout=10)
    stored = lrs.statements(launch.registration)
    goals = {item["id"]: item["goals"] for item in content["units"]["post-test"]["items"]}
    answered = [s for s in stored if s["verb"]["id"].endswith("/answered")]
    assert len(answered) == content["units"]["post-test"]["draw"]
    for s in answered:
        assert _extension(s, "test-role") == "post"
        assert _extension(s, "learning-goals") == goals[s["object"]["id"].rsplit("/items/", 1)[1]]
    results = [s for s in stored if s["verb"]["id"].endswith("/passed")]
    assert [(_extension(s, "test-role"), _extension(s, "attempt")) for s in results] == [("post", 1)]
    assert lrs.refused() == []
