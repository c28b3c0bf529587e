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
from tests.player.helpers import wait_for
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


def test_cmi5_statements_carry_the_launch_and_build_context(page: Any, server: str, lrs: OurLrs) -> None:
    au = lrs.aus()["m1-understand"]
    body = {
        "actor": DEFAULT_ACTOR,
        "activityId": lrs.lms_activity_id("m1-understand"),
        "publisherId": au.id,
        "registration": str(uuid.uuid4()),
        "moveOn": au.move_on,
        "auUrl": f"{lrs.base}/packages/cmi5/{au.url}",
        "returnURL": f"{lrs.base}/lms/blank.html",
        "learnerContext": GIVEN,
    }
    status, text = lrs.call("POST", "extensions/cmi5/launches", body=body, auth=lrs._credentials("launcher"))
    assert status == 201, text
    answer = json.loads(text)
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
    _check(lrs.statements(launch.registration), _build_values(lrs, "xapi"), set(GIVEN))


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
