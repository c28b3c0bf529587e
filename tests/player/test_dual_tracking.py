"""Dual tracking (issue #9 item 2): a SCORM 1.2 package that reports to the LMS and, pseudonymously, to our LRS.

The package is built the way ``course build --lrs URL --lrs-key KEY
--organisation ID`` builds it, with the key of a client bound to the
organisation in our REAL LRS app (tests/player/our_lrs.py), and run under
scorm-again in the test LMS (tests/player/lms/) with a learner id and name.
What is asserted:

* the statements arrive under the learner's pseudonym (the same HMAC the
  LRS side computes, lrs/xapi/dual_tracking.py), with the organisation
  extension, and neither the learner's id, name, reflection nor evaluation
  comment anywhere in what the player sent;
* the CMI data the LMS stores is the same as after the same journey in the
  package built without the options, which sends nothing at all;
* with the LRS down, the LMS side finishes normally, the statements wait in
  the player's outbox, and reach the LRS once it is back.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest

from builder.build import build_packages
from builder.dual_tracking import DualTracking
from builder.media.resolve import default_cache
from builder.validate.package import validate_package
from builder.writers.base import WriterOptions
from lrs.auth import add_client
from lrs.store.interface import StatementQuery
from lrs.xapi.agents import agent_key
from lrs.xapi.dual_tracking import pseudonym_actor, pseudonym_key
from lrs.xapi.profile import iri
from tests.conftest import COURSE_SRC
from tests.player.helpers import SCORM, calls, content_frame, go_to, last_values, take_test, wait_for
from tests.player.our_lrs import OurLrs
from tests.player.test_scorm_journeys import _do_required_units, _evaluation, _exit, _pre_test

ORG = "academy-north"
LEARNER_NAME = "Peeters, Lies"
REFLECTION = "Mijn eigen gedachten hierover"
COMMENT = "Nuttig, met dank."
POST = "post-test"
S12 = SCORM["scorm12"]
FORMATS = ("scorm12", "scorm2004")
#: CMI elements whose values are clock times or durations: they differ between any two runs.
TIMED = re.compile(r"cmi\.(core\.)?session_time|cmi\.interactions\.\d+\.(time|timestamp|latency)")
#: Deterministic test draws in both runs: the same journey gives the same items.
FIXED_SEEDS = "() => { let n = 0; GSOG.util.newSeed = () => 4242 + (n += 1); }"


@dataclass(frozen=True)
class DualPackage:
    """The served dual-tracking packages and what the LRS side knows of them."""

    organisation: str
    pseudonym_key: str

    @staticmethod
    def path(fmt: str) -> str:
        """The launch page of the ``fmt`` package built with dual tracking."""
        return f"/packages-dual/{fmt}/index.html"


@pytest.fixture(scope="module")
def dual(tmp_path_factory: pytest.TempPathFactory, site: Path, lrs: OurLrs) -> DualPackage:
    """The nl police SCORM packages built with dual tracking to ``lrs``, validated, served at /packages-dual/."""
    key, secret = add_client(lrs.store, "north SCORM", ["statements/write"], organisation=ORG)
    out = tmp_path_factory.mktemp("dual-exports")
    tracking = DualTracking(endpoint=lrs.endpoint, key=key, organisation=ORG, secret=secret)
    build_packages(
        COURSE_SRC,
        out,
        formats=list(FORMATS),
        languages=["nl"],
        sectors=["police"],
        cache=default_cache(COURSE_SRC),
        options=WriterOptions(dual_tracking=tracking),
        validate=lambda path: [p.format() for p in validate_package(path, None)],
    )
    for fmt in FORMATS:
        with zipfile.ZipFile(out / f"gsog-nl-police-{fmt}.zip") as zf:
            zf.extractall(site / "packages-dual" / fmt)
    return DualPackage(ORG, pseudonym_key(secret, ORG))


def _launch(
    page: Any, server: str, package: str, learner: str, previous: dict[str, str] | None = None, fmt: str = "scorm12"
) -> Any:
    """The test LMS for ``fmt`` with ``package`` in its frame, for learner id ``learner`` (and a name the LMS knows)."""
    params = {"pkg": package, "learner": learner, "learnerName": LEARNER_NAME}
    if previous is not None:
        params["previous"] = json.dumps(previous)
    page.goto(f"{server}/lms/{fmt}.html?{urlencode(params, quote_via=quote)}")
    frame = page.frame_locator("#sco")
    frame.locator("h1").wait_for()
    content_frame(page).evaluate(FIXED_SEEDS)
    return frame


def _journey(
    page: Any, server: str, fmt: str, package: str, learner: str, content: Any, strings: Any
) -> list[dict[str, Any]]:
    """Pre-test, every required unit (a reflection typed), the post-test passed, the evaluation with a
    comment, Exit; returns the LMS's call log."""
    frame = _launch(page, server, package, learner, fmt=fmt)
    _pre_test(page, frame, content, strings)
    _do_required_units(frame, content, strings)
    go_to(frame, content, POST)
    frame.get_by_role("button", name=strings["test_start"]).click()
    take_test(frame, content, POST, strings)
    frame.get_by_text(strings["test_passed"]).wait_for()
    _evaluation(frame, content, strings)
    return _exit(page, frame, strings)


def _stored_cmi(log: list[dict[str, Any]], fmt: str) -> dict[str, str]:
    """What the LMS holds at the end (the last value of each element), clock values left out."""
    return {k: v for k, v in last_values(log, SCORM[fmt].set).items() if not TIMED.fullmatch(k)}


def _statements_of(lrs: OurLrs, actor: dict[str, Any]) -> list[dict[str, Any]]:
    page = lrs.store.query_statements(StatementQuery(agent=agent_key(actor), ascending=True, limit=1000))
    return [s.statement for s in page.statements]


def _verbs(statements: list[dict[str, Any]]) -> list[str]:
    return [s["verb"]["id"].rsplit("/", 1)[-1] for s in statements]


def _sent_bodies(lrs: OurLrs) -> str:
    return "\n".join(r.body.decode("utf-8") for r in lrs.logged())


@pytest.fixture
def journey_lrs(lrs: OurLrs) -> Iterator[OurLrs]:
    yield lrs
    lrs.set_down(None)


@pytest.mark.parametrize("fmt", FORMATS)
def test_pseudonymous_statements_arrive_and_the_lms_data_is_unchanged(
    page: Any, server: str, lrs: OurLrs, dual: DualPackage, content: Any, strings: Any, fmt: str
) -> None:
    s = SCORM[fmt]
    learner = f"emp-4711-{fmt}"
    actor = pseudonym_actor(dual.pseudonym_key, ORG, learner)

    # the package built without the options: the LMS gets its data, the LRS nothing
    plain_log = _journey(page, server, fmt, f"/packages/{fmt}/index.html", learner, content, strings)
    assert lrs.logged() == [], "a package built without --lrs sent something"
    page.evaluate("localStorage.clear()")  # no backup of the first run may be resumed

    log = _journey(page, server, fmt, dual.path(fmt), learner, content, strings)
    stored = wait_for(lambda: "terminated" in _verbs(_statements_of(lrs, actor)) and _statements_of(lrs, actor), 20)
    assert stored, f"no terminated statement of the pseudonym; verbs: {_verbs(_statements_of(lrs, actor))}"

    # LMS side: same calls' outcome, same stored data
    assert [e for e in calls(log, s.set) if e["result"] != "true"] == []
    cmi = _stored_cmi(log, fmt)
    assert cmi["cmi.core.lesson_status" if fmt == "scorm12" else "cmi.success_status"] == "passed"
    assert len([k for k in cmi if re.fullmatch(r"cmi\.interactions\.\d+\.id", k)]) >= 10
    assert cmi == _stored_cmi(plain_log, fmt)
    # dual tracking reads nothing more from the LMS (the learner id was read anyway)
    assert {e["args"][0] for e in calls(log, s.get)} == {e["args"][0] for e in calls(plain_log, s.get)}

    # LRS side: the xAPI package's statements, under the pseudonym only
    verbs = _verbs(stored)
    assert verbs[0] == "attempted" and verbs[-1] == "terminated"
    assert {"experienced", "answered", "completed", "passed"} <= set(verbs)
    assert stored[0]["object"]["id"] == lrs.course_activity_id()  # the xAPI package's course activity
    for statement in stored:
        assert statement["actor"] == actor
        extensions = statement["context"]["extensions"]
        assert extensions[iri("organisation")] == ORG
        assert extensions[iri("package-format")] == fmt
        definition = statement["object"].get("definition", {})
        assert definition.get("interactionType") not in ("fill-in", "long-fill-in")
    # only statements were sent (no state documents, no reads), and all were taken
    assert {(r.method, r.resource) for r in lrs.logged()} == {("POST", "statements")}
    assert {r.status for r in lrs.logged()} == {200}
    sent = _sent_bodies(lrs)
    for secret in (learner, LEARNER_NAME, "Peeters", REFLECTION, COMMENT):
        assert secret not in sent, f"{secret!r} reached the LRS"


def test_lms_side_finishes_with_the_lrs_down_and_statements_follow_later(
    page: Any, server: str, journey_lrs: OurLrs, dual: DualPackage, content: Any, strings: Any
) -> None:
    lrs = journey_lrs
    learner = "emp-5150"
    actor = pseudonym_actor(dual.pseudonym_key, ORG, learner)
    lrs.set_down("drop")
    frame = _launch(page, server, dual.path("scorm12"), learner)
    _pre_test(page, frame, content, strings)
    unit = next(u for m in content["modules"] for u in m["units"] if content["units"][u]["kind"] in ("clip", "case"))
    go_to(frame, content, unit)
    log = _exit(page, frame, strings)

    # the LMS got everything and the session ended normally
    assert [e for e in calls(log, S12.set) if e["result"] != "true"] == []
    assert [e["result"] for e in calls(log, S12.commit)] and {e["result"] for e in calls(log, S12.commit)} == {"true"}
    assert [e["result"] for e in calls(log, S12.finish)] == ["true"]
    values = last_values(log, S12.set)
    assert values["cmi.core.lesson_status"] == "incomplete" and values["cmi.core.exit"] == "suspend"
    # the player tried, the LRS answered nothing, the statements wait on this device
    assert lrs.logged("POST", "statements") and {r.status for r in lrs.logged()} == {0}
    waiting = content_frame(page).evaluate(
        "() => Object.keys(localStorage).filter((k) => k.startsWith('gsog:outbox:'))"
        ".map((k) => JSON.parse(localStorage.getItem(k)).items.length)"
    )
    assert waiting and sum(waiting) >= 4, waiting
    assert _statements_of(lrs, actor) == []

    # the LRS is back; the learner returns: what waited goes first, then the new session's statements
    lrs.set_down(None)
    _launch(page, server, dual.path("scorm12"), learner, previous=values)
    verbs = wait_for(lambda: (v := _verbs(_statements_of(lrs, actor))).count("attempted") and "resumed" in v and v, 30)
    assert verbs, _verbs(_statements_of(lrs, actor))
    assert verbs.index("attempted") < verbs.index("suspended") < verbs.index("resumed")
    assert {"experienced", "answered", "terminated"} <= set(verbs)


def test_the_key_copied_out_of_a_package_can_do_nothing_else(site: Path, lrs: OurLrs, dual: DualPackage) -> None:
    """Whoever unzips the package finds the key; with it the LRS reads nothing and takes only the organisation's
    pseudonymous statements."""
    text = (site / "packages-dual" / "scorm12" / "content" / "course.js").read_text(encoding="utf-8")
    line = next(x for x in text.splitlines() if x.startswith("window.GSOG_LRS="))
    auth = json.loads(line[len("window.GSOG_LRS=") :].rstrip(";"))["auth"]
    agent = json.dumps({"mbox": "mailto:lies.peeters@example.org"})
    for method, resource, query in (
        ("GET", "statements", None),
        ("GET", "agents", {"agent": agent}),
        ("GET", "activities/state", {"activityId": "https://example.org/a", "agent": agent, "stateId": "s"}),
    ):
        status, answer = lrs.call(method, resource, query=query, auth=auth)
        assert status == 403 and "read nothing" in answer, (resource, status, answer)
    named = {
        "actor": {"objectType": "Agent", "name": LEARNER_NAME, "mbox": "mailto:lies.peeters@example.org"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"objectType": "Activity", "id": "https://example.org/a"},
        "context": {"extensions": {iri("organisation"): ORG}},
    }
    status, answer = lrs.call("POST", "statements", body=named, auth=auth)
    assert status == 400 and "actor: must be a pseudonym" in answer, answer
    foreign = dict(named, actor=pseudonym_actor(dual.pseudonym_key, ORG, "emp-1"))
    foreign["context"] = {"extensions": {iri("organisation"): "academy-south"}}
    status, answer = lrs.call("POST", "statements", body=foreign, auth=auth)
    assert status == 400 and "bound to organisation 'academy-north'" in answer, answer
