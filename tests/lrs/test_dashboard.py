"""The evaluators' dashboard: accounts, login, sessions, CSRF, pages, downloads and the PDF.

Statements reach the LRS through the real xAPI endpoint; the numbers the
dashboard shows and exports are compared with the reports engine's own
answer (``lrs.reports.run_report``) for the same filter.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from lrs.app import create_app
from lrs.cli import main as lrs_main
from lrs.config import LrsConfig
from lrs.dashboard import views
from lrs.dashboard.accounts import MAX_LOGIN_FAILURES, add_user, list_users
from lrs.dashboard.filters import CODE_FIELDS, PERIOD_FIELDS
from lrs.dashboard.i18n import LANGUAGES, MESSAGES
from lrs.reports import REPORTS, ReportFilter, compare, run_report
from lrs.reports.formats import to_csv, to_xlsx
from lrs.store.sql import SqlStore
from tests.lrs.dashboard_seed import DAY, cohort

#: Query fields whose label the form takes from the catalogue by the field's own name.
FORM_FIELDS = {*CODE_FIELDS, *PERIOD_FIELDS}
USER = "eva.evaluator"
PASSWORD = "lange-zin-van-twaalf+"
SECRET = "s" * 40


@pytest.fixture
def dash(store_url: str, store: SqlStore) -> Any:
    """The LRS app on ``store`` with one evaluator account."""
    add_user(store.engine, USER, PASSWORD, "evaluator")
    return create_app(LrsConfig(database_url=store_url, secret_key=SECRET), store=store)


def _token(page: bytes) -> str:
    found = re.search(rb'name="csrf_token" value="([^"]+)"', page)
    assert found, "the page has no CSRF token field"
    return found.group(1).decode()


def _login(web: Any, username: str = USER, password: str = PASSWORD) -> Any:
    token = _token(web.get("/dashboard/login").data)
    return web.post("/dashboard/login", data={"username": username, "password": password, "csrf_token": token})


@pytest.fixture
def web(dash: Any) -> Any:
    """A browser-like test client signed in as the evaluator."""
    client = dash.test_client()
    answer = _login(client)
    assert answer.status_code == 302, answer.data
    return client


def _seed(dash: Any) -> None:
    """The seed cohort through the real xAPI endpoint (an API client with write scope)."""
    from lrs.auth import add_client

    store = dash.extensions["lrs_store"]
    add_client(store, "seeder", ["statements/write"], None, key="seeder", secret="x" * 40)
    api = dash.test_client()
    answer = api.post(
        "/xapi/statements",
        json=cohort(),
        headers={"X-Experience-API-Version": "1.0.3"},
        auth=("seeder", "x" * 40),
    )
    assert answer.status_code == 200, answer.data


# --- accounts and the CLI -------------------------------------------------------------


def test_cli_adds_lists_and_removes_evaluators_and_refuses_weak_passwords(store: SqlStore) -> None:
    runner = CliRunner()
    added = runner.invoke(
        lrs_main,
        ["user", "add", "jan", "--role", "evaluator", "--password-stdin"],
        input="twelve-chars-ok!\n",
        obj={"store": store},
    )
    assert added.exit_code == 0, added.output
    weak = runner.invoke(lrs_main, ["user", "add", "piet", "--password-stdin"], input="short\n", obj={"store": store})
    assert weak.exit_code == 2 and "at least 12 characters" in weak.output
    twice = runner.invoke(
        lrs_main, ["user", "add", "jan", "--password-stdin"], input="twelve-chars-ok!\n", obj={"store": store}
    )
    assert twice.exit_code == 2 and "exists already" in twice.output
    listed = runner.invoke(lrs_main, ["user", "list"], obj={"store": store})
    assert "jan  evaluator" in listed.output and "piet" not in listed.output
    assert "$argon2" not in listed.output
    removed = runner.invoke(lrs_main, ["user", "remove", "jan"], obj={"store": store})
    assert removed.exit_code == 0 and list_users(store.engine) == []
    missing = runner.invoke(lrs_main, ["user", "remove", "jan"], obj={"store": store})
    assert missing.exit_code == 1 and "no account named 'jan'" in missing.output


def test_passwords_are_stored_as_argon2_hashes(store: SqlStore) -> None:
    add_user(store.engine, "ann", PASSWORD, "evaluator")
    with store.engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT password_hash FROM users WHERE username = 'ann'").scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


# --- login, sessions, CSRF -------------------------------------------------------------


def test_login_with_the_right_password_opens_the_dashboard(dash: Any) -> None:
    client = dash.test_client()
    assert client.get("/dashboard/").status_code == 302  # not signed in: to the login page
    answer = _login(client)
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/dashboard/")
    page = client.get("/dashboard/")
    assert page.status_code == 200 and USER.encode() in page.data


def test_wrong_password_and_unknown_user_get_the_same_answer(dash: Any) -> None:
    wrong = _login(dash.test_client(), password="not-the-password!")
    unknown = _login(dash.test_client(), username="nobody.here")
    assert wrong.status_code == unknown.status_code == 401
    strip = re.compile(rb'value="[^"]+"')  # the CSRF tokens differ
    assert strip.sub(b"", wrong.data) == strip.sub(b"", unknown.data)
    assert b"klopt niet" in wrong.data


def test_an_over_long_password_is_a_wrong_one(dash: Any) -> None:
    assert _login(dash.test_client(), password=PASSWORD + "x" * 100_000).status_code == 401


def test_login_without_a_csrf_token_is_refused(dash: Any) -> None:
    client = dash.test_client()
    client.get("/dashboard/login")
    answer = client.post("/dashboard/login", data={"username": USER, "password": PASSWORD})
    assert answer.status_code == 400 and b"formulier" in answer.data
    forged = client.post("/dashboard/login", data={"username": USER, "password": PASSWORD, "csrf_token": "forged"})
    assert forged.status_code == 400
    assert client.get("/dashboard/").status_code == 302  # still not signed in


def test_failed_logins_are_limited_per_name_also_for_names_that_do_not_exist(dash: Any) -> None:
    for _ in range(MAX_LOGIN_FAILURES):
        assert _login(dash.test_client(), password="wrong-password-1").status_code == 401
        assert _login(dash.test_client(), username="ghost").status_code == 401
    limited = _login(dash.test_client())  # now even the right password waits
    assert limited.status_code == 429 and b"Te veel" in limited.data
    assert _login(dash.test_client(), username="ghost").status_code == 429
    # a typed name (maybe a password typed in the wrong field) is never stored in clear
    _login(dash.test_client(), username="Wachtwoord-in-verkeerd-veld")
    with dash.extensions["lrs_store"].engine.connect() as conn:
        keys = [row[0] for row in conn.exec_driver_sql("SELECT key FROM auth_failures")]
    assert keys and not any("ghost" in k or USER in k or "Wachtwoord" in k for k in keys)


def test_counters_of_past_windows_are_dropped(dash: Any) -> None:
    from lrs.dashboard.accounts import LOGIN_WINDOW_SECONDS, authenticate

    store = dash.extensions["lrs_store"]
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=3 * LOGIN_WINDOW_SECONDS)
    for n in range(20):  # names sprayed earlier
        authenticate(store, f"sprayed-{n}", "wrong-password-1", now=past)
    authenticate(store, USER, "wrong-password-1")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM auth_failures").scalar_one() == 1


def test_after_login_only_a_dashboard_page_is_a_destination(dash: Any) -> None:
    for target, expected in (
        ("/dashboard/reports/funnel?from=2026-01-01", "/dashboard/reports/funnel?from=2026-01-01"),
        ("//evil.example/dashboard/", "/dashboard/"),
        ("https://evil.example/", "/dashboard/"),
    ):
        client = dash.test_client()
        token = _token(client.get("/dashboard/login").data)
        answer = client.post(
            "/dashboard/login",
            query_string={"next": target},
            data={"username": USER, "password": PASSWORD, "csrf_token": token},
        )
        assert answer.headers["Location"] == expected


def test_cli_asks_for_the_password_twice(store: SqlStore) -> None:
    runner = CliRunner()
    typo = runner.invoke(
        lrs_main, ["user", "add", "kim"], input="twelve-chars-ok!\ntwelve-chars-ok?\n", obj={"store": store}
    )
    assert typo.exit_code != 0 and list_users(store.engine) == []
    added = runner.invoke(
        lrs_main, ["user", "add", "kim"], input="twelve-chars-ok!\ntwelve-chars-ok!\n", obj={"store": store}
    )
    assert added.exit_code == 0 and [u.username for u in list_users(store.engine)] == ["kim"]
    assert "twelve-chars-ok" not in added.output  # the prompt does not echo


def test_logout_ends_the_session_and_needs_a_token(web: Any) -> None:
    assert web.post("/dashboard/logout").status_code == 400  # no token: another site cannot sign one out
    assert web.get("/dashboard/").status_code == 200
    token = _token(web.get("/dashboard/").data)
    assert web.post("/dashboard/logout", data={"csrf_token": token}).status_code == 302
    assert web.get("/dashboard/").status_code == 302


def test_a_session_ends_at_its_time_limit(web: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    assert web.get("/dashboard/").status_code == 200
    limit = LrsConfig().dashboard_session_seconds
    later = views._now() + limit + 1
    monkeypatch.setattr(views, "_now", lambda: later)
    answer = web.get("/dashboard/")
    assert answer.status_code == 302 and "ended=1" in answer.headers["Location"]
    assert b"sessie is verlopen" in web.get(answer.headers["Location"]).data


def test_an_idle_session_ends_after_the_idle_limit(web: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import itsdangerous.timed

    from lrs.sessions import IDLE_SECONDS

    assert web.get("/dashboard/").status_code == 200  # a fresh cookie, signed now
    later = int(dt.datetime.now(dt.UTC).timestamp()) + IDLE_SECONDS + 5
    monkeypatch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp", lambda _self: later)
    assert web.get("/dashboard/").status_code == 302  # the server refuses the old signature


def test_a_removed_account_loses_its_session(web: Any, dash: Any) -> None:
    runner = CliRunner()
    runner.invoke(lrs_main, ["user", "remove", USER], obj={"store": dash.extensions["lrs_store"]})
    assert web.get("/dashboard/").status_code == 302


def test_only_evaluators_get_in(dash: Any) -> None:
    engine = dash.extensions["lrs_store"].engine
    with engine.begin() as conn:
        conn.exec_driver_sql(f"UPDATE users SET role = 'learner' WHERE username = '{USER}'")
    answer = _login(dash.test_client())
    assert answer.status_code == 403


def test_session_cookie_flags(dash: Any, store_url: str, store: SqlStore) -> None:
    cookie = _login(dash.test_client()).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/dashboard" in cookie
    assert "Secure" not in cookie
    https = create_app(
        LrsConfig(database_url=store_url, secret_key=SECRET, public_url="https://lrs.example.org"), store=store
    )
    page = https.test_client().get("/dashboard/login", base_url="https://lrs.example.org")
    assert "; Secure" in page.headers["Set-Cookie"]  # the form's CSRF token starts the session


def test_without_a_configured_secret_one_is_generated_once_and_shared(store_url: str, store: SqlStore) -> None:
    first = create_app(LrsConfig(database_url=store_url), store=store)
    second = create_app(LrsConfig(database_url=store_url), store=store)
    assert first.secret_key and len(first.secret_key) >= 32 and first.secret_key == second.secret_key


def test_without_any_secret_the_dashboard_says_what_to_set() -> None:
    class NoSqlStore:
        """A store with no SQL engine to keep a generated secret in."""

    app = create_app(LrsConfig(database_url="sqlite://"), store=NoSqlStore())  # type: ignore[arg-type]
    for path in ("/dashboard/", "/dashboard/login?lang=fr", "/dashboard/reports/indicators"):
        answer = app.test_client().get(path)
        assert answer.status_code == 503 and b"GSOG_LRS_SECRET_KEY" in answer.data


def test_pages_have_a_strict_csp_and_are_not_cached(web: Any) -> None:
    answer = web.get("/dashboard/")
    csp = answer.headers["Content-Security-Policy"]
    assert "script-src" not in csp and "default-src 'none'" in csp and "img-src 'self'" in csp
    assert answer.headers["Cache-Control"] == "no-store"
    assert b"<script" not in answer.data
    # the app-wide headers stay
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Referrer-Policy"] == "no-referrer" and answer.headers["X-Frame-Options"] == "DENY"
    chart = web.get("/dashboard/reports/indicators/chart.svg")
    assert (
        "sandbox" in chart.headers["Content-Security-Policy"]
        and "script" not in chart.headers["Content-Security-Policy"]
    )


# --- languages ---------------------------------------------------------------------------


def test_every_message_exists_in_dutch_and_french_and_is_used() -> None:
    from pathlib import Path

    import lrs.dashboard

    folder = Path(lrs.dashboard.__file__).parent
    files = [*folder.glob("*.py"), *folder.glob("templates/dashboard/*.html")]
    source = "".join(p.read_text() for p in files if p.name != "i18n.py")
    for key, texts in MESSAGES.items():
        assert f'"{key}"' in source or f"'{key}'" in source or key in FORM_FIELDS, f"{key} is never shown"
        assert set(texts) == set(LANGUAGES) and all(texts.values()), key
        assert not re.search(r" [:;?!]", texts["fr"]), f"{key}: French wants U+202F before : ; ? !"


def test_language_from_accept_language_then_the_users_choice(dash: Any) -> None:
    client = dash.test_client()
    french = client.get("/dashboard/login", headers={"Accept-Language": "fr-BE,fr;q=0.9"})
    assert b'<html lang="fr">' in french.data and b"Connexion" in french.data
    dutch = client.get("/dashboard/login?lang=nl", headers={"Accept-Language": "fr"})
    assert b'<html lang="nl">' in dutch.data
    kept = client.get("/dashboard/login", headers={"Accept-Language": "fr"})
    assert b'<html lang="nl">' in kept.data  # the choice holds over the browser's preference


# --- reports ---------------------------------------------------------------------------------


def test_every_report_of_the_registry_has_a_page_a_chart_and_a_table(web: Any, dash: Any) -> None:
    _seed(dash)
    index = web.get("/dashboard/").data.decode()
    for name, definition in REPORTS.items():
        assert f"/dashboard/reports/{name}" in index
        page = web.get(f"/dashboard/reports/{name}?lang=fr")
        assert page.status_code == 200, (name, page.data[:300])
        text = page.data.decode()
        assert definition.titles["fr"] in text.replace("&#39;", "'")
        assert '<table id="report-table">' in text and f"/dashboard/reports/{name}/chart.svg" in text
        assert re.search(r'<img [^>]*alt="Graphique[^"]+"', text)
        chart = web.get(f"/dashboard/reports/{name}/chart.svg")
        assert chart.status_code == 200 and chart.mimetype == "image/svg+xml"
        assert b"<svg" in chart.data


def test_the_page_shows_the_engines_numbers_and_marks_suppressed_cells(web: Any, dash: Any) -> None:
    _seed(dash)
    flt = ReportFilter(start=DAY, end=DAY)
    table = run_report(dash.extensions["lrs_store"], "indicators", flt, k=5)
    page = web.get(f"/dashboard/reports/indicators?from={DAY}&to={DAY}").data.decode()
    assert "verborgen: minder dan 5 lerenden" in page
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", page)
    assert cells == _page_cells(dash, table)
    assert "&lt;5" in page  # the two education learners


def _page_cells(dash: Any, table: Any) -> list[str]:
    """The text a Dutch page shows for every cell of ``table``, HTML-escaped as Jinja writes it."""
    from flask import g
    from markupsafe import escape

    with dash.test_request_context("/dashboard/"):
        g.lang = "nl"
        return [
            str(escape(views.cell_text(table, column, cell)))
            for row in table.rows
            for column, cell in zip(table.columns, row, strict=True)
        ]


def _sheet_values(data: bytes) -> list[list[Any]]:
    """Every sheet's cell values, row by row (an XLSX's bytes also hold a creation time)."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    return [list(row) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)]


def test_csv_and_xlsx_downloads_equal_the_engines_answer(web: Any, dash: Any) -> None:
    _seed(dash)
    store = dash.extensions["lrs_store"]
    query = f"from={DAY}&to={DAY}&sector=police"
    expected = run_report(store, "indicators", ReportFilter(start=DAY, end=DAY, sector="police"), k=5)
    csv = web.get(f"/dashboard/reports/indicators/download.csv?{query}")
    assert csv.status_code == 200 and csv.headers["Content-Disposition"].startswith("attachment")
    assert csv.data == to_csv(expected, "nl")
    # and the engine's answer is the seed's truth: 12 police learners started, 10 completed, 8 passed
    assert "sector,police,12,10,8" in csv.data.decode("utf-8-sig").replace("\r\n", "\n")
    xlsx = web.get(f"/dashboard/reports/indicators/download.xlsx?{query}&lang=fr")
    assert xlsx.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert _sheet_values(xlsx.data) == _sheet_values(to_xlsx(expected, "fr"))
    assert ["sector", "police", 12, 10, 8] in _sheet_values(xlsx.data)


def test_cycle_comparison_uses_the_second_period(web: Any, dash: Any) -> None:
    _seed(dash)
    store = dash.extensions["lrs_store"]
    a = ReportFilter(start=DAY, end=DAY)
    b = ReportFilter(start=DAY + dt.timedelta(days=365), end=DAY + dt.timedelta(days=365))
    expected = compare(store, "indicators", a, b, k=5)
    got = web.get(
        f"/dashboard/reports/indicators/download.csv?from={a.start}&to={a.end}&compare_from={b.start}&compare_to={b.end}"
    )
    assert got.data == to_csv(expected, "nl")


def test_a_bad_filter_is_a_400_naming_the_field(web: Any) -> None:
    answer = web.get("/dashboard/reports/indicators?from=2026-13-01")
    assert answer.status_code == 400 and b"Van" in answer.data and b"YYYY-MM-DD" in answer.data
    backwards = web.get("/dashboard/reports/indicators?from=2026-05-01&to=2026-01-01")
    assert backwards.status_code == 400 and b"Tot en met" in backwards.data
    code = web.get("/dashboard/reports/indicators?sector=%3Cscript%3E")
    assert code.status_code == 400 and b"Sector" in code.data and b"<script>" not in code.data
    assert web.get("/dashboard/reports/no-such-report").status_code == 404


def test_the_pdf_holds_every_reports_title_and_explanation_in_the_chosen_language(web: Any, dash: Any) -> None:
    _seed(dash)
    for lang in ("nl", "fr"):
        answer = web.get(f"/dashboard/report.pdf?from={DAY}&to={DAY}&lang={lang}")
        assert answer.status_code == 200 and answer.data.startswith(b"%PDF")
        text = " ".join((page.extract_text() or "") for page in PdfReader(io.BytesIO(answer.data)).pages)
        flat = re.sub(r"\s+", " ", text)
        for definition in REPORTS.values():
            assert re.sub(r"\s+", " ", definition.titles[lang]) in flat, (lang, definition.titles[lang])
            opening = re.sub(r"\s+", " ", definition.explanation[lang])[:40]
            assert opening in flat, (lang, definition.name)


def test_the_pdf_of_a_cycle_comparison_prints_wide_tables_in_parts(web: Any, dash: Any) -> None:
    from lrs.dashboard.pdf import MAX_PDF_COLUMNS, column_groups

    _seed(dash)
    answer = web.get(f"/dashboard/report.pdf?to={DAY}&compare_from={DAY + dt.timedelta(days=1)}&lang=fr")
    assert answer.status_code == 200 and answer.data.startswith(b"%PDF")
    widest = max(len(compare(dash.extensions["lrs_store"], n, ReportFilter(), ReportFilter()).columns) for n in REPORTS)
    assert widest > MAX_PDF_COLUMNS  # so the parts were needed
    columns = compare(dash.extensions["lrs_store"], "competence", ReportFilter(), ReportFilter()).columns
    groups = column_groups(columns)
    keys = [i for i, c in enumerate(columns) if c.kind == "key"]
    assert all(len(g) <= MAX_PDF_COLUMNS and g[: len(keys)] == keys for g in groups)
    assert sorted({i for g in groups for i in g}) == list(range(len(columns)))  # every column printed


# --- charts ------------------------------------------------------------------------------------


def test_the_chart_draws_the_tables_numbers_and_marks_suppressed_bars() -> None:
    from lrs.dashboard.charts import chart_data, render_svg
    from lrs.reports import SUPPRESSED, Column, ReportTable

    labels = {"nl": "x", "fr": "x", "en": "x"}
    table = ReportTable(
        name="knowledge-gain",
        titles=labels,
        explanation=labels,
        columns=[
            Column("goal", {"nl": "doel", "fr": "objectif", "en": "goal"}, "key"),
            Column("learners", labels, "count"),
            Column("mean_gain", {"nl": "groei", "fr": "gain", "en": "gain"}, "share"),
            Column("ci_low", labels, "share"),
            Column("ci_high", labels, "share"),
        ],
        rows=[
            ["https://gsog.example.org/course/goals/LG-K1", 12, 0.25, 0.1, 0.4],
            ["https://gsog.example.org/course/goals/LG-K2", SUPPRESSED, SUPPRESSED, SUPPRESSED, SUPPRESSED],
        ],
        k=5,
        filters=ReportFilter(),
    )
    data = chart_data(table, "fr")
    assert data.categories == ["LG-K1", "LG-K2 (<5)"]  # a missing bar is never read as zero
    assert data.series == [("gain", [0.25, None])]  # shares first; the interval is no bar of its own
    assert data.error_on == 0 and data.bounds == ([0.1, None], [0.4, None])
    svg = render_svg(data, "Titre", "aucune donnée")
    assert svg.startswith(b"<?xml") and b"<svg" in svg and b"<script" not in svg
    assert render_svg(data, "Titre", "aucune donnée") == svg  # deterministic: equal data, equal bytes
