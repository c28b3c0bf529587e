"""Fixtures for the player's browser tests.

One loopback web server (werkzeug, threaded) serves, on one origin:

* a directory holding the real packages built from course_src/ (unzipped;
  see PACKAGES), the test LMS pages of tests/player/lms/ with scorm-again
  behind them, and axe-core, with HTTP range requests for the videos;
* OUR REAL LRS (lrs.app.create_app on a temporary SQLite file) at /xapi/
  for the cmi5 and xAPI adapters: no fake LRS that accepts anything. The
  ``lrs`` fixture (tests/player/our_lrs.py) launches AUs through its real
  cmi5 launches endpoint, reads what it stored, logs what the player sent,
  and can take it down.

Chromium is Debian's (/usr/bin/chromium), driven by Playwright.
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

import pytest
from werkzeug.serving import make_server

from builder.build import build_packages
from builder.formats import FORMAT_IDS
from builder.i18n import ui_strings
from builder.media.resolve import default_cache
from tests.conftest import COURSE_SRC, REPO
from tests.player.our_lrs import OurLrs

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
FORMATS = FORMAT_IDS
#: The packages the site serves, by language: every format in Dutch (packages/<format>/), and the
#: French variant for the formats the tests need (packages-fr/<format>/); sector police for both.
PACKAGES: dict[str, tuple[str, ...]] = {"nl": FORMATS, "fr": ("scorm2004",)}
PACKAGE_DIRS = {"nl": "packages", "fr": "packages-fr"}
LANGUAGES = tuple(PACKAGES)


def package_url(server: str, fmt: str, lang: str = "nl") -> str:
    """URL of a served package's launch page (no query), e.g. ``<server>/packages-fr/scorm2004/index.html``."""
    if fmt not in PACKAGES[lang]:
        raise ValueError(f"the site has no {lang} {fmt} package; add it to PACKAGES in tests/player/conftest.py")
    return f"{server}/{PACKAGE_DIRS[lang]}/{fmt}/index.html"


def _unzip(archive: Path, target: Path) -> None:
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(target)


@pytest.fixture(scope="session")
def exports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built package zips (PACKAGES), as `course build` writes them; built once per session."""
    out = tmp_path_factory.mktemp("exports")
    # build_packages renders missing draft media first (cached, so only the
    # first run on a machine is slow) and writes the same zips `course build` does.
    for lang, formats in PACKAGES.items():
        build_packages(
            COURSE_SRC,
            out,
            formats=list(formats),
            languages=[lang],
            sectors=["police"],
            cache=default_cache(COURSE_SRC),
        )
    return out


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory, exports: Path) -> Path:
    """The served directory: packages/<format>/ (nl), packages-fr/<format>/, lms/, vendor/."""
    root = tmp_path_factory.mktemp("site")
    for lang, formats in PACKAGES.items():
        for fmt in formats:
            _unzip(exports / f"gsog-{lang}-police-{fmt}.zip", root / PACKAGE_DIRS[lang] / fmt)
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
def _our_lrs(tmp_path_factory: pytest.TempPathFactory, exports: Path) -> OurLrs:
    """The real LRS app on a temporary SQLite file (its package preview shows the built cmi5 zips)."""
    return OurLrs(tmp_path_factory.mktemp("lrs") / "lrs.sqlite3", preview_dir=exports)


@pytest.fixture(scope="session")
def server(site: Path, _our_lrs: OurLrs) -> Iterator[str]:
    """Base URL of the loopback server (ephemeral port): the site's files, and our LRS at /xapi/
    (and its /preview/), same origin."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    httpd = make_server("127.0.0.1", 0, _our_lrs.serve(site), threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, name="player-test-server", daemon=True)
    thread.start()
    _our_lrs.base = f"http://127.0.0.1:{httpd.server_port}"
    yield _our_lrs.base
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="session")
def lrs(server: str, _our_lrs: OurLrs) -> OurLrs:
    """Our real LRS, served at ``lrs.endpoint`` (``<server>/xapi/``); see tests/player/our_lrs.py.

    ``lrs.store``; ``lrs.launch_cmi5(module_id, ...)`` -> Cmi5Launch (url, answer); ``lrs.launch_xapi(...)``
    -> XapiLaunch (url, ...); ``lrs.statements(registration)``; ``lrs.verbs(registration)``;
    ``with lrs.down(): ...`` (``"503"`` or ``"drop"``); ``lrs.statement_posts()`` (raw bodies) and
    ``lrs.replay(statements, version="2.0.0")``. The ``page`` fixture resets the log and the outage.
    """
    return _our_lrs


def read_content(site: Path, lang: str = "nl") -> dict[str, Any]:
    """The content document a served package carries (window.GSOG_CONTENT of content/course.js)."""
    fmt = PACKAGES[lang][0]
    text = (site / PACKAGE_DIRS[lang] / fmt / "content" / "course.js").read_text(encoding="utf-8")
    line = next(x for x in text.splitlines() if x.startswith("window.GSOG_CONTENT="))
    data: dict[str, Any] = json.loads(line[len("window.GSOG_CONTENT=") :].rstrip(";"))
    return data


def read_strings(lang: str = "nl") -> dict[str, str]:
    """The player's interface texts in one language (compiled from player/i18n/<lang>.po)."""
    return ui_strings(lang)


@pytest.fixture(scope="session")
def content(site: Path) -> dict[str, Any]:
    """The content document of the Dutch packages (the ones at packages/<format>/)."""
    return read_content(site, "nl")


@pytest.fixture(scope="session")
def contents(site: Path) -> dict[str, dict[str, Any]]:
    """The content document per language of the site (nl, fr)."""
    return {lang: read_content(site, lang) for lang in LANGUAGES}


@pytest.fixture(scope="session")
def strings() -> dict[str, str]:
    """The player's Dutch interface texts (the packages at packages/<format>/ are nl)."""
    return read_strings("nl")


@pytest.fixture(scope="session")
def all_strings() -> dict[str, dict[str, str]]:
    """The player's interface texts per language of the site (nl, fr)."""
    return {lang: read_strings(lang) for lang in LANGUAGES}


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
def page(browser: Any, lrs: OurLrs) -> Iterator[Any]:
    """A fresh browser context (own storage) per test; uncaught errors and the player's logged errors fail it.

    The LRS's request log is emptied and any outage ended first."""
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
