"""Fixtures for the player's browser tests.

A loopback web server serves one directory holding the real packages built
from course_src/ (unzipped), the test LMS pages of tests/player/lms/ with
scorm-again behind them, and a small in-memory LRS for the cmi5 and xAPI
adapters. Chromium is Debian's (/usr/bin/chromium), driven by Playwright.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import sys
import threading
import zipfile
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from builder.build import build_packages
from builder.media.resolve import default_cache
from tests.conftest import COURSE_SRC, REPO

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
NODE_MODULES = REPO / "node_modules"
LMS_PAGES = Path(__file__).parent / "lms"
FORMATS = ("scorm12", "scorm2004", "cmi5", "xapi")
#: The auth token the fake cmi5 LMS hands out on the fetch URL.
CMI5_TOKEN = "Z3NvZy10ZXN0OnNlY3JldA=="


class FakeLrs:
    """Just enough of an LRS (statements, State API) and a cmi5 fetch URL, in memory."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.statements: list[dict[str, Any]] = []
        self.states: dict[tuple[str, str, str, str], bytes] = {}
        self.requests: list[dict[str, Any]] = []
        self.fetch_calls = 0

    def reset(self) -> None:
        with self.lock:
            self.statements.clear()
            self.states.clear()
            self.requests.clear()
            self.fetch_calls = 0

    @staticmethod
    def state_key(query: dict[str, list[str]]) -> tuple[str, str, str, str]:
        one = {k: v[0] for k, v in query.items()}
        agent = json.dumps(json.loads(one.get("agent", "{}")), sort_keys=True)
        return (one.get("activityId", ""), agent, one.get("registration", ""), one.get("stateId", ""))

    def verbs(self) -> list[str]:
        with self.lock:
            return [s["verb"]["id"].rsplit("/", 1)[-1] for s in self.statements]

    def put_state(
        self, activity_id: str, agent: dict[str, Any], registration: str, state_id: str, document: dict[str, Any]
    ) -> None:
        key = (activity_id, json.dumps(agent, sort_keys=True), registration, state_id)
        with self.lock:
            self.states[key] = json.dumps(document).encode()


class Handler(SimpleHTTPRequestHandler):
    """Static files, plus /lrs/... and /cmi5/fetch answered by the FakeLrs."""

    lrs: FakeLrs

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep the test output clean
        pass

    def _reply(self, status: int, body: bytes = b"", content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and self.command != "HEAD":
            # a page that was left does not wait for the answer to its last request
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _lrs(self) -> bool:
        url = urlsplit(self.path)
        if url.path == "/cmi5/fetch" and self.command == "POST":
            with self.lrs.lock:
                self.lrs.fetch_calls += 1
            self._reply(200, json.dumps({"auth-token": CMI5_TOKEN}).encode())
            return True
        if not url.path.startswith("/lrs/"):
            return False
        body = self._body()
        with self.lrs.lock:
            self.lrs.requests.append(
                {
                    "method": self.command,
                    "path": url.path,
                    "query": parse_qs(url.query),
                    "authorization": self.headers.get("Authorization"),
                    "version": self.headers.get("X-Experience-API-Version"),
                }
            )
        resource = url.path[len("/lrs/") :]
        if resource == "statements" and self.command == "POST":
            data = json.loads(body)
            batch = data if isinstance(data, list) else [data]
            with self.lrs.lock:
                self.lrs.statements.extend(batch)
            self._reply(200, json.dumps([s.get("id") for s in batch]).encode())
        elif resource == "activities/state":
            key = FakeLrs.state_key(parse_qs(url.query))
            if self.command == "GET":
                with self.lrs.lock:
                    found = self.lrs.states.get(key)
                self._reply(200, found) if found is not None else self._reply(404)
            elif self.command in ("PUT", "POST"):
                with self.lrs.lock:
                    self.lrs.states[key] = body
                self._reply(204)
            else:
                self._reply(405)
        else:
            self._reply(404)
        return True

    def do_GET(self) -> None:
        if not self._lrs():
            super().do_GET()

    def do_POST(self) -> None:
        if not self._lrs():
            self._reply(405)

    def do_PUT(self) -> None:
        if not self._lrs():
            self._reply(405)


class QuietServer(ThreadingHTTPServer):
    """Browsers drop connections (a video's range request, a page that was left); that is not a test failure."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _unzip(archive: Path, target: Path) -> None:
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(target)


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The served directory: packages/<format>/ (unzipped), lms/, vendor/scorm-again/."""
    root = tmp_path_factory.mktemp("site")
    exports = tmp_path_factory.mktemp("exports")
    # build_packages renders missing draft media first (cached, so only the
    # first run on a machine is slow) and writes the same zips `course build` does.
    report = build_packages(
        COURSE_SRC,
        exports,
        formats=list(FORMATS),
        languages=["nl"],
        sectors=["police"],
        cache=default_cache(COURSE_SRC),
    )
    for package in report.packages:
        _unzip(package.path, root / "packages" / package.format)
    shutil.copytree(LMS_PAGES, root / "lms")
    vendor = root / "vendor" / "scorm-again"
    vendor.mkdir(parents=True)
    for name in ("scorm12.js", "scorm2004.js"):
        shutil.copy(NODE_MODULES / "scorm-again" / "dist" / name, vendor / name)
    axe = NODE_MODULES / "axe-core" / "axe.min.js"
    if axe.is_file():
        (root / "vendor" / "axe-core").mkdir(parents=True)
        shutil.copy(axe, root / "vendor" / "axe-core" / "axe.min.js")
    return root


@pytest.fixture(scope="session")
def lrs() -> FakeLrs:
    return FakeLrs()


@pytest.fixture(scope="session")
def server(site: Path, lrs: FakeLrs) -> Iterator[str]:
    """Base URL of the loopback server (ephemeral port)."""
    handler = type("BoundHandler", (Handler,), {"lrs": lrs})
    httpd = QuietServer(("127.0.0.1", 0), partial(handler, directory=str(site)))
    thread = threading.Thread(target=httpd.serve_forever, name="player-test-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="session")
def content(site: Path) -> dict[str, Any]:
    """The content document the packages carry (window.GSOG_CONTENT of content/course.js)."""
    text = (site / "packages" / "scorm12" / "content" / "course.js").read_text(encoding="utf-8")
    line = next(x for x in text.splitlines() if x.startswith("window.GSOG_CONTENT="))
    data: dict[str, Any] = json.loads(line[len("window.GSOG_CONTENT=") :].rstrip(";"))
    return data


@pytest.fixture(scope="session")
def strings() -> dict[str, str]:
    """The player's Dutch interface texts (the packages under test are nl)."""
    data: dict[str, str] = json.loads((REPO / "player" / "i18n" / "nl.json").read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: apt-get install -y chromium (scripts/install-system-deps.sh does)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, lrs: FakeLrs) -> Iterator[Any]:
    """A fresh browser context (own storage) per test; uncaught errors and the player's logged errors fail it."""
    lrs.reset()
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    context.set_default_timeout(10_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda err: errors.append(str(err)))

    # the player logs what it caught (an LMS call that threw, a failed save) as "[gsog] ..." errors
    def on_console(message: Any) -> None:
        if message.type == "error" and message.text.startswith("[gsog]"):
            errors.append(message.text)

    tab.on("console", on_console)
    yield tab
    context.close()
    assert not errors, f"errors in the page: {errors}"
