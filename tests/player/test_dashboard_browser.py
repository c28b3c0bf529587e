"""The evaluators' dashboard in Debian's Chromium: log in, filter, download CSV and XLSX, axe-core.

The real LRS app (``lrs.app.create_app`` on a temporary SQLite file) is
served on a loopback port; a small cohort of statements shaped like the
player's arrives through its real xAPI endpoint. The downloads are checked
against the reports engine's answer for the same filter
(``lrs.reports.run_report``), which is what the API and ``lrs report`` give.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from werkzeug.serving import make_server

from lrs.app import create_app
from lrs.auth import add_client
from lrs.config import LrsConfig
from lrs.dashboard.accounts import add_user
from lrs.reports import SUPPRESSED, ReportFilter, run_report
from lrs.reports.cohort import batches, generate
from lrs.reports.formats import to_csv, to_xlsx
from tests.lrs.dashboard_seed import DAY, cohort
from tests.player.conftest import NODE_MODULES

USER = "eva.evaluator"
PASSWORD = "lange-zin-van-twaalf+"
#: axe-core rule sets checked (WCAG 2.x A and AA).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    """Base URL of the served LRS app with an evaluator and the seed cohort, and the app."""
    database = tmp_path_factory.mktemp("dashboard") / "lrs.sqlite3"
    app = create_app(LrsConfig(database_url=f"sqlite:///{database}"))
    store = app.extensions["lrs_store"]
    add_user(store.engine, USER, PASSWORD, "evaluator")
    add_client(store, "seeder", ["statements/write"], key="seeder", secret="x" * 40)
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, name="dashboard-test-server", daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{httpd.server_port}"
    # the small cohort of tests/lrs/dashboard_seed.py, and a synthetic one with tests, forms and clips
    # (lrs.reports.cohort) so every report has rows, shares and suppressed cells to show
    statements = cohort() + generate(learners=60, seed=9).statements
    for batch in batches(statements, 500):
        request = urllib.request.Request(
            f"{base}/xapi/statements",
            data=json.dumps(batch).encode(),
            method="POST",
            headers={
                "Content-Type": "application/json",
                "X-Experience-API-Version": "1.0.3",
                "Authorization": "Basic " + base64.b64encode(b"seeder:" + b"x" * 40).decode(),
            },
        )
        with urllib.request.urlopen(request) as answer:
            assert answer.status == 200
    yield base, app
    httpd.shutdown()
    httpd.server_close()


def _log_in(page: Any, base: str) -> None:
    page.goto(f"{base}/dashboard/?lang=nl")
    page.get_by_label("Gebruikersnaam").fill(USER)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Aanmelden").click()
    page.wait_for_url(f"{base}/dashboard/**")


def _axe_violations(page: Any) -> list[str]:
    axe = NODE_MODULES / "axe-core" / "axe.min.js"
    if not axe.is_file():
        pytest.fail("axe-core is not installed: run npm ci (nox -s tests does)")
    page.add_script_tag(path=str(axe))
    found: list[str] = page.evaluate(
        """tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})
            .then(r => r.violations.map(v => `${v.id}: ${v.help} (${v.nodes.length}x, e.g. ${v.nodes[0].target})`))""",
        AXE_TAGS,
    )
    return found


def _sheet_values(data: bytes) -> list[list[Any]]:
    """Every sheet's cell values, row by row (an XLSX's bytes also hold a creation time)."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    return [list(row) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)]


def _download(page: Any, link_name: str) -> bytes:
    with page.expect_download() as info:
        page.get_by_role("link", name=link_name).click()
    return Path(info.value.path()).read_bytes()


def test_an_evaluator_filters_and_downloads_what_the_engine_computes(browser: Any, dashboard: tuple[str, Any]) -> None:
    base, app = dashboard
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    try:
        _log_in(page, base)
        page.get_by_role("link", name="Indicatoren").first.click()
        page.get_by_label("Van", exact=True).first.fill(DAY.isoformat())
        page.get_by_label("Tot en met", exact=True).first.fill(DAY.isoformat())
        page.get_by_label("Sector").select_option("police")
        page.get_by_role("button", name="Toepassen").click()
        page.wait_for_url("**sector=police**")
        expected = run_report(
            app.extensions["lrs_store"], "indicators", ReportFilter(start=DAY, end=DAY, sector="police"), k=5
        )
        got_csv = _download(page, "CSV downloaden")
        assert got_csv == to_csv(expected, "nl")
        rows = list(csv.reader(io.StringIO(got_csv.decode("utf-8-sig"))))
        as_text = [[expected.suppressed_marker if c is SUPPRESSED else str(c) for c in row] for row in expected.rows]
        assert rows[1 : len(expected.rows) + 1] == as_text and as_text[0][:2] == ["all", "all"]
        got_xlsx = _download(page, "Excel (XLSX) downloaden")
        assert _sheet_values(got_xlsx) == _sheet_values(to_xlsx(expected, "nl"))
        assert ["sector", "police", 12, 10, 8] in _sheet_values(got_xlsx)  # the seed's truth
        shown = page.locator("#report-table tbody td").all_inner_texts()
        assert shown and len(shown) == len(expected.rows) * len(expected.columns)
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["nl", "fr"])
def test_axe_core_finds_no_violations_on_the_dashboards_pages(
    browser: Any, dashboard: tuple[str, Any], lang: str
) -> None:
    base, _app = dashboard
    # axe is injected as a script: the dashboard's CSP allows none, so this context bypasses it
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    try:
        page.goto(f"{base}/dashboard/login?lang={lang}")
        found = {"login": _axe_violations(page)}
        _log_in(page, base)
        page.goto(f"{base}/dashboard/?lang={lang}")
        found["index"] = _axe_violations(page)
        links = page.locator("nav.reports-nav a").evaluate_all("links => links.map(a => a.href)")
        assert len(links) >= 7
        for link in links:
            page.goto(link)  # the whole period: every report has rows
            assert page.locator("html").get_attribute("lang") == lang
            assert page.locator("#report-table tbody tr").count() >= 1
            found[link] = _axe_violations(page)
        for link in (links[0], links[-1]):  # cycle comparisons: the widest tables
            page.goto(f"{link}?to=2026-06-30&compare_from=2026-07-01")
            found[f"{link} (comparison)"] = _axe_violations(page)
        assert {where: v for where, v in found.items() if v} == {}
    finally:
        context.close()


def test_a_login_without_the_csrf_token_is_refused(browser: Any, dashboard: tuple[str, Any]) -> None:
    base, _app = dashboard
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(f"{base}/dashboard/login")
        page.locator("input[name=csrf_token]").evaluate("input => input.remove()")
        page.get_by_label("Gebruikersnaam").fill(USER)
        page.get_by_label("Wachtwoord").fill(PASSWORD)
        page.get_by_role("button", name="Aanmelden").click()
        assert page.locator("[role=alert]").inner_text().startswith("Het formulier is verlopen")
        page.goto(f"{base}/dashboard/")
        assert "/dashboard/login" in page.url
    finally:
        context.close()


def test_nothing_scrolls_sideways_at_360_px(browser: Any, dashboard: tuple[str, Any]) -> None:
    """WCAG 1.4.10 (reflow): a phone-width page scrolls only down; a wide table scrolls inside its region."""
    base, _app = dashboard
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    try:
        _log_in(page, base)
        for path in ("/dashboard/", "/dashboard/reports/video?to=2026-06-30&compare_from=2026-07-01"):
            page.goto(f"{base}{path}")
            width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
            assert width[0] <= width[1], (path, width)
    finally:
        context.close()
