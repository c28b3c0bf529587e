"""The German/English fixture course runs in the browser like the real one.

Its German police packages (tests/fixtures/courses/deepening) are served on
their own site: the SCORM ones under scorm-again in the test LMS, the xAPI
one against OUR REAL LRS (tests/player/our_lrs.py). The first screen is
German, no console error occurs, axe-core finds no WCAG A/AA violation on
any unit, a learner can pass, and every statement carries the course's level
even when the launch says otherwise.
"""

from __future__ import annotations

import json
import logging
import shutil
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from werkzeug.serving import make_server

from builder.build import build_packages
from builder.formats import FORMAT_IDS
from builder.i18n import ui_strings
from lrs.xapi.profile import player_vocabulary
from tests.conftest import REPO
from tests.player.conftest import LMS_PAGES, NODE_MODULES
from tests.player.helpers import (
    content_frame,
    course_order,
    go_to,
    last_values,
    lms_log,
    take_test,
    wait_for,
)
from tests.player.our_lrs import OurLrs
from tests.player.test_accessibility import AXE_TAGS

FIXTURE = REPO / "tests" / "fixtures" / "courses" / "deepening"
SEEDS = REPO / "tests" / "fixtures" / "seeds"
LANG, SECTOR = "de", "police"
LEVEL_IRI = player_vocabulary()["extensions"]["level"]


@pytest.fixture(scope="module")
def any_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """packages/<format>/ of the fixture course (German, police), the test LMS pages, scorm-again, axe-core."""
    exports = tmp_path_factory.mktemp("any-exports")
    build_packages(
        FIXTURE, exports, languages=[LANG], sectors=[SECTOR], cache=tmp_path_factory.mktemp("any-media"), seeds=SEEDS
    )
    root = tmp_path_factory.mktemp("any-site")
    for fmt in FORMAT_IDS:
        with zipfile.ZipFile(exports / f"risk-deepening-{LANG}-{SECTOR}-{fmt}.zip") as zf:
            zf.extractall(root / "packages" / fmt)
    shutil.copytree(LMS_PAGES, root / "lms")
    vendor = root / "vendor" / "scorm-again"
    vendor.mkdir(parents=True)
    for name in ("scorm12.js", "scorm2004.js"):
        shutil.copy(NODE_MODULES / "scorm-again" / "dist" / name, vendor / name)
    axe = NODE_MODULES / "axe-core" / "axe.min.js"
    if not axe.is_file():
        pytest.fail("axe-core is not installed: run npm ci (nox -s tests does)")
    shutil.copy(axe, root / "vendor" / "axe.min.js")
    return root


@pytest.fixture(scope="module")
def any_lrs(tmp_path_factory: pytest.TempPathFactory, any_site: Path) -> Iterator[OurLrs]:
    """Our real LRS on its own SQLite file, serving the fixture's site on one loopback origin."""
    lrs = OurLrs(tmp_path_factory.mktemp("any-lrs") / "lrs.sqlite3")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    httpd = make_server("127.0.0.1", 0, lrs.serve(any_site), threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, name="any-course-server", daemon=True)
    thread.start()
    lrs.base = f"http://127.0.0.1:{httpd.server_port}"
    yield lrs
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def any_page(browser: Any, any_lrs: OurLrs) -> Iterator[Any]:
    """A fresh browser context; any uncaught error or console error in any frame fails the test."""
    any_lrs.reset()
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    context.set_default_timeout(15_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda err: errors.append(str(err)))

    def on_console(message: Any) -> None:
        where = str(message.location.get("url", ""))
        # Chromium logs every 404 as an error: the test LMS page's favicon (not the package's doing),
        # and a state document the learner does not have yet (xAPI answers 404; the player expects it)
        expected = where.endswith("/favicon.ico") or ("/xapi/activities/state?" in where and "404" in message.text)
        if message.type == "error" and not expected:
            errors.append(f"{message.text} ({where})")

    tab.on("console", on_console)
    yield tab
    context.close()
    assert not errors, f"errors in the page: {errors}"


def _content(site: Path, fmt: str) -> dict[str, Any]:
    text = (site / "packages" / fmt / "content" / "course.js").read_text(encoding="utf-8")
    line = next(x for x in text.splitlines() if x.startswith("window.GSOG_CONTENT="))
    data: dict[str, Any] = json.loads(line[len("window.GSOG_CONTENT=") :].rstrip(";"))
    return data


def _violations(frame: Any) -> list[str]:
    found: list[str] = frame.evaluate(
        """tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})
            .then(r => r.violations.map(v => `${v.id}: ${v.help} (${v.nodes.length}x, e.g. ${v.nodes[0].target})`))""",
        AXE_TAGS,
    )
    return found


@pytest.mark.parametrize("fmt", ["scorm12", "scorm2004"])
def test_the_fixture_course_runs_in_german_under_scorm_again_axe_clean_and_passes(
    any_page: Any, any_lrs: OurLrs, any_site: Path, fmt: str
) -> None:
    content, strings = _content(any_site, fmt), ui_strings(LANG)
    params = urlencode({"pkg": f"/packages/{fmt}/index.html"}, quote_via=quote)
    any_page.goto(f"{any_lrs.base}/lms/{fmt}.html?{params}")
    frame = any_page.frame_locator("#sco")
    # the first screen: the pre-test, in German, with the German interface
    frame.locator("h1", has_text="Eingangstest").wait_for()
    assert frame.locator("html").get_attribute("lang") == "de"
    frame.get_by_role("button", name=strings["test_start"]).wait_for()
    inner = content_frame(any_page)
    inner.add_script_tag(path=str(any_site / "vendor" / "axe.min.js"))
    found = {"first screen": _violations(inner)}
    for unit_id in course_order(content):
        go_to(frame, content, unit_id)
        found[unit_id] = _violations(inner)
    assert len(found) == len(course_order(content)) + 1
    assert {view: violations for view, violations in found.items() if violations} == {}
    # a learner works through every required unit and passes the post-test; the LMS holds the result
    for unit_id in course_order(content):
        unit = content["units"][unit_id]
        if not unit["required"] or unit["kind"] == "assessment":
            continue
        go_to(frame, content, unit_id)
        if unit["kind"] in ("clip", "case"):
            frame.get_by_role("button", name=strings["show_transcript"]).click()
        elif unit["kind"] == "reflection":
            frame.get_by_label(strings["your_answer"]).fill("Ich bespreche meine Zweifel mit meinem Team, ä ö ü ß.")
            frame.get_by_role("button", name=strings["save_answer"]).click()
            frame.get_by_text(strings["answer_saved"]).wait_for()
        frame.locator(f"nav#gsog-menu a[data-unit='{unit_id}'].is-completed").wait_for()
    go_to(frame, content, "post-test")
    frame.get_by_role("button", name=strings["test_start"]).click()
    take_test(frame, content, "post-test", strings)
    frame.get_by_text(strings["test_passed"]).wait_for()
    frame.get_by_role("button", name=strings["exit"]).click()
    frame.get_by_role("heading", name=strings["exit_title"]).wait_for()
    values = last_values(lms_log(any_page), "LMSSetValue" if fmt == "scorm12" else "SetValue")
    if fmt == "scorm12":
        assert (values["cmi.core.lesson_status"], values["cmi.core.score.raw"]) == ("passed", "100")
    else:
        assert values["cmi.success_status"] == "passed" and values["cmi.score.scaled"] == "1"


def test_xapi_statements_carry_the_course_level_not_the_launch_one(any_page: Any, any_lrs: OurLrs) -> None:
    launch = any_lrs.launch_xapi("m1-assess")
    any_page.goto(launch.url + "&" + urlencode({"level": "basic"}, quote_via=quote))
    any_page.locator("h1", has_text="Eingangstest").wait_for()
    assert wait_for(lambda: "attempted" in any_lrs.verbs(launch.registration), timeout=20)
    any_page.goto("about:blank")
    assert wait_for(lambda: "terminated" in any_lrs.verbs(launch.registration), timeout=20)
    stored = any_lrs.statements(launch.registration)
    assert stored
    assert {s["context"]["extensions"].get(LEVEL_IRI) for s in stored} == {"deepening"}
