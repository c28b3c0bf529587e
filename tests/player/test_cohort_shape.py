"""The cohort generator's statements have the shape of the real player's.

The report tests (tests/lrs/test_reports_cohort.py) send a generated cohort
through the LRS; they prove the reports right only if the generated
statements look like what the player sends. So one real cmi5 journey runs
in Chromium against our real LRS (pre-test, a clip watched for a moment,
post-test passed, evaluation sent) and, for every kind of statement it sent,
the generator's statements of that kind must have the same verb, object
type and id pattern, context activities and extension keys.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from lrs.reports.cohort import generate
from lrs.xapi.agents import agent_key
from tests.player.helpers import answer_in_state, draw_with, wait_for
from tests.player.our_lrs import OurLrs
from tests.player.test_learner_context import _launch_with_context
from tests.player.test_lrs_statements import _post_test_and_evaluation


def _journey(page: Any, lrs: OurLrs, content: dict[str, Any], strings: dict[str, str]) -> list[dict[str, Any]]:
    """One learner's cmi5 journey through the pre-test, a clip and the closing module; the stored statements."""
    registration = str(uuid.uuid4())
    pre = _launch_with_context(lrs, "m0-start", registration)
    page.goto(pre["url"])
    page.get_by_role("button", name=strings["test_start"]).click()
    draw_with(page, "pre-test", *ITEM_TYPES)  # every kind of answer, in both tests
    answer_in_state(page, "pre-test", right=False)
    page.get_by_role("button", name=strings["test_continue"]).click()
    page.get_by_role("button", name=strings["submit_answers"]).click()
    page.get_by_text(strings["pretest_done"]).wait_for()
    page.get_by_role("button", name=strings["exit"]).click()
    page.wait_for_url("**/lms/blank.html", timeout=15_000)
    assert wait_for(lambda: lrs.verbs(registration).count("terminated") == 1, timeout=10)

    clips = _launch_with_context(lrs, "m1-understand", registration)
    page.goto(clips["url"])
    page.locator("video").wait_for()
    page.wait_for_function("() => document.querySelector('video').readyState >= 1")
    page.evaluate("() => { const v = document.querySelector('video'); v.muted = true; return v.play(); }")
    page.wait_for_function("() => document.querySelector('video').currentTime > 1")
    page.get_by_role("button", name=strings["exit"]).click()
    page.wait_for_url("**/lms/blank.html", timeout=15_000)
    assert wait_for(lambda: lrs.verbs(registration).count("terminated") >= 2, timeout=10)

    close = _launch_with_context(lrs, "m4-close", registration)
    page.goto(close["url"])
    _post_test_and_evaluation(page, content, strings)
    page.get_by_role("button", name=strings["exit"]).click()
    page.wait_for_url("**/lms/blank.html", timeout=15_000)
    assert wait_for(lambda: lrs.verbs(registration).count("terminated") >= 3, timeout=10)
    assert lrs.refused() == []
    return lrs.statements(registration)


ITEM_TYPES = ("single_choice", "multiple_response", "true_false", "matching", "ordering")
#: Kinds of statement the generator sends that this journey does not (the player does, in other journeys:
#: a failed test, a clip watched to the end).
NOT_IN_JOURNEY = {
    ("http://adlnet.gov/expapi/verbs/failed", "<base>assessments/post-test", None),
    ("http://adlnet.gov/expapi/verbs/failed", "<lms-au>", None),
    ("http://adlnet.gov/expapi/verbs/completed", "<base>videos/<clip>/<lang>", None),
}
_AU = re.compile(r"^https?://[^/]+/courses/[a-z]{2}-[a-z]+/aus/[a-z0-9-]+$")
_VARIANT = re.compile(r"^[a-z]{2}-[a-z]+/[a-z0-9-]+$")


def _pattern(activity_id: str, base: str) -> str:
    """An activity id with what varies per learner, item, clip or LMS replaced by a placeholder."""
    if _AU.match(activity_id):
        return "<lms-au>"
    if not activity_id.startswith(base):
        return activity_id  # a vocabulary IRI (cmi5 category, video profile): literally the same
    rest = activity_id[len(base) :]
    if rest.startswith("items/"):
        return "<base>items/<item>"
    if rest.startswith("videos/"):
        return "<base>videos/<clip>/<lang>"
    if rest.startswith("evaluation/"):
        when = rest.rsplit("/", 1)[1]
        return "<base>evaluation/<question>" + (f"/{when}" if when in ("before", "after") else "")
    variant = _VARIANT.match(rest)
    if variant:
        return "<base><lang>-<sector>/<module>"
    return "<base>" + rest


Kind = tuple[str, str, str | None]


def _shape(statement: dict[str, Any], base: str) -> tuple[Kind, str]:
    """A statement's kind (verb, object id pattern, interaction type) and its shape as canonical JSON."""
    obj = statement["object"]
    definition = obj.get("definition") or {}
    kind = (statement["verb"]["id"], _pattern(obj["id"], base), definition.get("interactionType"))
    context = statement.get("context") or {}
    result = statement.get("result") or {}
    shape = {
        "keys": sorted(set(statement) - {"stored", "authority", "version"}),
        "object": sorted(obj),
        "definition": sorted(definition),
        "type": definition.get("type"),
        "context": sorted(context),
        "activities": {
            name: sorted(_pattern(a["id"], base) for a in found)
            for name, found in (context.get("contextActivities") or {}).items()
        },
        "extensions": sorted(context.get("extensions") or {}),
        "result": sorted(result),
        "result_extensions": sorted(result.get("extensions") or {}),
        # generated actors are pseudonymous accounts without a name; the test LMS gives one
        "actor": sorted(set(statement["actor"]) - {"name"}),
    }
    return kind, json.dumps(shape, sort_keys=True)


def _shapes(statements: list[dict[str, Any]], base: str) -> dict[Kind, set[str]]:
    found: dict[Kind, set[str]] = {}
    for statement in statements:
        kind, shape = _shape(statement, base)
        found.setdefault(kind, set()).add(shape)
    return found


def test_generated_statements_have_the_shape_of_the_players(
    page: Any, server: str, lrs: OurLrs, content: dict[str, Any], strings: dict[str, str]
) -> None:
    base = content["course"]["iri"]
    player = _shapes(_journey(page, lrs, content, strings), base)
    truth = generate(60, seed=9)
    assert truth.course.base_iri == base
    # learners whose LMS gave the whole learner context, as the journey's launch did
    full = {x.key for x in truth.learners if x.organisation is not None}
    mine = _shapes([s for s in truth.statements if agent_key(s["actor"]) in full], base)
    # the voiding statements are the LMS administrator's (another actor), never the player's
    assert any(s["verb"]["id"].endswith("/voided") for s in truth.statements)
    assert not any(k[0].endswith("/voided") for k in mine)
    assert set(player) - set(mine) == set(), "kinds of statement the player sends and the generator does not"
    assert set(mine) - set(player) <= NOT_IN_JOURNEY, set(mine) - set(player)
    # the journey answered every kind of item, watched a clip, passed the post-test and sent the evaluation
    assert len(player) >= 18, sorted(player)
    for kind, shapes in sorted(player.items()):
        assert mine[kind] == shapes, f"{kind}: generator {sorted(mine[kind])} vs player {sorted(shapes)}"
