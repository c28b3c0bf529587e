"""Helpers for the player tests: launching under the test LMS, reading its log."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode


@dataclass(frozen=True)
class Scorm:
    """The names one SCORM version uses for the same things."""

    format: str
    initialize: str
    set: str
    get: str
    commit: str
    finish: str
    status: str
    exit: str
    location: str
    entry: str
    suspend_limit: int


SCORM = {
    "scorm12": Scorm(
        "scorm12",
        "LMSInitialize",
        "LMSSetValue",
        "LMSGetValue",
        "LMSCommit",
        "LMSFinish",
        "cmi.core.lesson_status",
        "cmi.core.exit",
        "cmi.core.lesson_location",
        "cmi.core.entry",
        4096,
    ),
    "scorm2004": Scorm(
        "scorm2004",
        "Initialize",
        "SetValue",
        "GetValue",
        "Commit",
        "Terminate",
        "cmi.completion_status",
        "cmi.exit",
        "cmi.location",
        "cmi.entry",
        64000,
    ),
}


def course_order(content: dict[str, Any], module: str | None = None) -> list[str]:
    """Unit ids in the order the player shows them."""
    return [u for m in content["modules"] if module in (None, m["id"]) for u in m["units"]]


def launch_scorm(page: Any, server: str, fmt: str, query: str = "", previous: dict[str, str] | None = None) -> Any:
    """Open the test LMS for ``fmt`` with the package in its iframe; return the iframe's FrameLocator."""
    params = {"pkg": f"/packages/{fmt}/index.html{query}"}
    if previous is not None:
        params["previous"] = json.dumps(previous)
    page.goto(f"{server}/lms/{fmt}.html?{urlencode(params, quote_via=quote)}")
    frame = page.frame_locator("#sco")
    frame.locator("h1").wait_for()
    return frame


def content_frame(page: Any) -> Any:
    """The package's Frame (for evaluate) inside the test LMS."""
    handle = page.wait_for_selector("#sco")
    return handle.content_frame()


def lms_log(page: Any) -> list[dict[str, Any]]:
    log: list[dict[str, Any]] = page.evaluate("window.lmsLog")
    return log


def calls(log: list[dict[str, Any]], fn: str, element: str | None = None) -> list[dict[str, Any]]:
    """Entries of ``fn``, optionally only those about CMI ``element``."""
    return [e for e in log if e["fn"] == fn and (element is None or (e["args"] and e["args"][0] == element))]


def last_values(log: list[dict[str, Any]], setter: str) -> dict[str, str]:
    """Every element the package set, with the last value it set."""
    values: dict[str, str] = {}
    for entry in log:
        if entry["fn"] == setter and entry["result"] == "true":
            values[entry["args"][0]] = entry["args"][1]
    return values


def wait_for(predicate: Any, timeout: float = 5.0, interval: float = 0.05) -> Any:
    """Poll ``predicate`` until it returns something truthy (for events that arrive over the network)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def go_to(frame: Any, content: dict[str, Any], unit_id: str) -> None:
    """Open a unit from the course menu, as a learner would."""
    frame.locator(f"nav#gsog-menu a[data-unit='{unit_id}']").click()
    frame.locator("h1", has_text=content["units"][unit_id]["title"]).wait_for()


def _answer(fieldset: Any, item: dict[str, Any], strings: dict[str, str]) -> None:
    """Answer one rendered item right, through its controls."""
    kind = item["type"]
    if kind in ("single_choice", "multiple_response"):
        for option in [o for o in item["options"] if o["correct"]]:
            fieldset.get_by_label(option["text"], exact=True).check()
    elif kind == "true_false":
        fieldset.get_by_label(strings["true"] if item["answer"] else strings["false"], exact=True).check()
    elif kind == "matching":
        for pair in item["pairs"]:
            fieldset.get_by_label(pair["prompt"], exact=True).select_option(label=pair["match"])
    elif kind == "ordering":
        texts = [s["text"] for s in item["steps"]]
        for position, text in enumerate(texts):
            current = fieldset.locator(".gsog-step-text").all_text_contents()
            for _ in range(current.index(text) - position):
                # keyboard, not mouse: the up button keeps focus while the step moves
                up = fieldset.get_by_role("button", name=strings["move_up"].replace("{text}", text), exact=True)
                up.press("Enter")
        assert fieldset.locator(".gsog-step-text").all_text_contents() == texts


def take_test(frame: Any, content: dict[str, Any], unit_id: str, strings: dict[str, str]) -> None:
    """Answer every drawn item of the attempt on screen right, through the page's controls, and submit."""
    unit = content["units"][unit_id]
    items = {i["id"]: i for i in unit["items"]}
    fieldsets = frame.locator("fieldset.gsog-item")
    assert fieldsets.count() == unit["draw"]
    for n in range(fieldsets.count()):
        fieldset = fieldsets.nth(n)
        _answer(fieldset, items[fieldset.get_attribute("data-item")], strings)
    frame.get_by_role("button", name=strings["submit_answers"]).click()


#: Responses for the attempt in progress, written straight into the player's state (codes as in assessment.js).
_FILL_ATTEMPT = """([unitId, right]) => {
    const unit = GSOG_CONTENT.units[unitId];
    const saved = GSOG.player.state.slice(unitId);
    const range = (n) => Array.from({length: n}, (_, i) => i);
    for (const d of GSOG.assessment.draw(unit, saved.seed)) {
        const item = d.item;
        let code;
        if (item.type === 'single_choice' || item.type === 'multiple_response') {
            const picks = range(item.options.length).filter(i => item.options[i].correct === right);
            code = (item.type === 'single_choice' || !right ? picks.slice(0, 1) : picks).join('');
        } else if (item.type === 'true_false') {
            code = item.answer === right ? 't' : 'f';
        } else if (item.type === 'matching') {
            code = range(item.pairs.length).map(i => right ? i : (i + 1) % item.pairs.length).join('');
        } else {
            code = right ? range(item.steps.length).join('') : d.startOrder;
        }
        saved.responses[d.index] = code;
    }
    GSOG.player.goTo(unitId);
}"""


def answer_in_state(frame: Any, unit_id: str, right: bool) -> None:
    """Answer the attempt in progress without clicking through it (the UI path is tested by take_test),
    then show the test again with those answers filled in."""
    frame.evaluate(_FILL_ATTEMPT, [unit_id, right])


def check_posted_statements(lrs: Any, registration: str, *, version: str = "2.0.0") -> list[dict[str, Any]]:
    """Every statement the player POSTed for ``registration`` is stored as sent, and our LRS also
    accepts it again (new id) under X-Experience-API-Version ``version``; returns those statements.

    ``lrs`` is the ``lrs`` fixture (tests/player/our_lrs.py OurLrs). Call it at the end of a journey,
    once the player's outbox is empty (e.g. after ``wait_for`` saw "terminated"). Fails with the LRS's
    answers for every statement that was not stored or was refused.
    """
    posted: list[dict[str, Any]] = lrs.posted_statements(registration)
    assert posted, f"the player POSTed no statement for registration {registration}"
    refused = [f"{r.method} {r.resource} -> {r.status}" for r in lrs.refused()]
    assert refused == [], f"the LRS refused requests of the player: {refused}"
    stored = {s["id"]: s for s in lrs.statements(registration)}
    missing = [f"{s['id']} {s['verb']['id']}" for s in posted if s["id"] not in stored]
    assert missing == [], f"POSTed but not stored: {missing}"
    changed = [
        f"{s['id']} {s['verb']['id']}: {part}"
        for s in posted
        for part in ("actor", "verb", "object", "result", "context")
        if stored[s["id"]].get(part) != s.get(part)
    ]
    assert changed == [], f"stored differently from what was sent: {changed}"
    answers = lrs.replay(posted, version=version)
    bad = [f"{a.statement['verb']['id']} -> {a.status} {a.answer}" for a in answers if a.status != 200]
    assert bad == [], f"refused when sent again under xAPI {version}: {bad}"
    return posted


#: Give the attempt in progress a seed whose draw holds an item of the given type (content type names).
_DRAW_WITH = """([unitId, types]) => {
    const unit = GSOG_CONTENT.units[unitId];
    const saved = GSOG.player.state.slice(unitId);
    for (let seed = 1; seed < 100000; seed++) {
        const drawn = GSOG.assessment.draw(unit, seed).map((d) => d.item.type);
        if (types.every((type) => drawn.indexOf(type) >= 0)) {
            saved.seed = seed;
            saved.responses = {};
            GSOG.player.goTo(unitId);
            return seed;
        }
    }
    return 0;
}"""


def draw_with(frame: Any, unit_id: str, *item_types: str) -> None:
    """Make the attempt in progress (after "start") one whose draw includes items of every one of
    ``item_types`` (e.g. "ordering"), so a journey surely sends those kinds of answer."""
    assert frame.evaluate(_DRAW_WITH, [unit_id, list(item_types)]), f"no draw of {unit_id} holds {item_types}"
