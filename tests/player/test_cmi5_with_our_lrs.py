"""A cmi5 package launched against our own LRS starts, tracks and terminates.

The LRS's package preview creates a real cmi5 launch (LMS.LaunchData, fetch
URL, single-use token) and serves the AU from the built zip; the player in
Chromium then talks to the real LRS over loopback.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.serving import make_server

from builder.build import build_packages
from builder.checker import check_course
from builder.media.resolve import default_cache
from lrs.app import create_app
from lrs.config import LrsConfig
from lrs.store.interface import StatementQuery
from tests.conftest import COURSE_SRC

INITIALIZED = "http://adlnet.gov/expapi/verbs/initialized"
TERMINATED = "http://adlnet.gov/expapi/verbs/terminated"
PACKAGE = "gsog-nl-police-cmi5.zip"


@pytest.fixture(scope="module")
def lrs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    exports = tmp_path_factory.mktemp("exports")
    build_packages(COURSE_SRC, exports, ["cmi5"], ["nl"], ["police"], default_cache(COURSE_SRC))
    database = tmp_path_factory.mktemp("lrs") / "lrs.sqlite3"
    app = create_app(LrsConfig(database_url=f"sqlite:///{database}", preview_dir=str(exports)))
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}", app.extensions["lrs_store"]
    httpd.shutdown()


def _statements(store: Any, verb: str) -> list[dict[str, Any]]:
    return [s.statement for s in store.query_statements(StatementQuery(verb=verb, limit=100)).statements]


def _wait_for(store: Any, verb: str, seconds: float = 10) -> list[dict[str, Any]]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = _statements(store, verb)
        if found:
            return found
        time.sleep(0.1)
    return []


def test_cmi5_au_starts_against_our_lrs_and_terminates_when_the_learner_leaves(
    browser: Any, lrs_server: tuple[str, Any]
) -> None:
    base, store = lrs_server
    course = check_course(COURSE_SRC).course
    assert course is not None
    first_unit = next(c for c in course.clips if c.id == "clip-gbv-and-gender").title["nl"]

    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(f"{base}/preview/")
    assert page.get_by_text(PACKAGE).is_visible()

    # AU 1 is module m1-understand; the preview redirects to the AU with cmi5 launch parameters
    page.goto(f"{base}/preview/{PACKAGE}/au/1")
    page.get_by_role("heading", name=first_unit).wait_for()
    assert "fetch=" in page.url and "registration=" in page.url

    initialized = _wait_for(store, INITIALIZED)
    assert len(initialized) == 1
    statement = initialized[0]
    assert statement["object"]["id"].endswith("/nl-police/m1-understand/lms-preview")
    registration = statement["context"]["registration"]
    assert registration in page.url

    page.goto("about:blank")  # the learner leaves
    terminated = _wait_for(store, TERMINATED)
    assert [s["context"]["registration"] for s in terminated] == [registration]
    assert errors == []
    context.close()
