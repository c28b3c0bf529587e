"""Issue #12's end-to-end test: a professional without an LMS takes the course on our LRS's portal.

The real LRS app (``lrs.app.create_app`` on a temporary SQLite file) runs on
a loopback port with the police cmi5 packages (French and Dutch) imported,
built from course_src/ as ``course build`` does. In Debian's Chromium a
learner signs up, confirms the address from the development mail log,
completes the profile, takes every AU the course's moveOn needs (pre-test,
modules, post-test passed) from the course page, closes the browser in the
middle of a module and resumes in a new one, creates and downloads the
certificate (:func:`graduate`: one journey, shared by the tests). The code
is then verified on the public page while signed out; the LRS's stored
statements must follow the cmi5 rules and carry the learner's context, and
the evaluation report must count this learner under sector and
organisation. axe-core checks the portal's pages in Dutch and French at
360 px and on a desktop. The learner's part inside an AU is
tests/player/portal_driver.py.

The portal is on ``http://127.0.0.1:PORT`` (no ``public_url``: the bind
address); the LRS derives the packages' content origin from it, its
loopback twin ``http://localhost:PORT``, so the AU runs on another origin
(and site) than the portal and its session cookie, as in production.
"""

from __future__ import annotations

import io
import json
import logging
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from pypdf import PdfReader
from werkzeug.serving import make_server

from builder.build import build_packages
from builder.media.resolve import default_cache
from lrs.app import create_app
from lrs.config import LrsConfig
from lrs.courses.store import ImportedCourse, import_package
from lrs.portal.accounts import learner_actor
from lrs.portal.i18n import translate
from lrs.portal.mail import MAIL_LOGGER
from lrs.portal.tables import portal_learners
from lrs.reports import ReportFilter, run_report
from lrs.store.interface import StatementQuery, Store
from lrs.store.sql import engine_of
from lrs.xapi.agents import agent_key
from lrs.xapi.profile import BY_NAME
from lrs.xapi.spec import ABANDONED, ADL_VERBS, CMI5_CATEGORY, LAUNCHED, SATISFIED, SESSION_ID
from tests.conftest import COURSE_SRC
from tests.player.conftest import NODE_MODULES
from tests.player.portal_driver import BuiltPackage, do_unit, finish_au, leave_au

SECTOR, ORGANISATION, REGION, ROLE, LEVEL = "police", "zone-bruxelles", "be-bru", "frontline", "basic"
PASSWORD = "une phrase de passe assez longue"
NAME = "Camille Dubois"
#: axe-core rule sets checked (WCAG 2.x A and AA), as for the dashboard.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
NARROW, WIDE = (360, 740), (1280, 900)
INITIALIZED, TERMINATED, PASSED = (ADL_VERBS + verb for verb in ("initialized", "terminated", "passed"))
#: Our context extensions' IRIs by name (lrs/xapi/profile.py).
IRI = {name: BY_NAME[name].iri for name in ("sector", "organisation", "region", "role", "language")}


class MailLog(logging.Handler):
    """The development mail log (``lrs.portal.mail``, INFO): every message the portal "sent"."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())

    def link(self, to: str, pattern: str, timeout: float = 10.0) -> str:
        """The newest link matching ``pattern`` in a message to ``to`` (waits for it to arrive)."""
        deadline = time.monotonic() + timeout
        while True:
            for message in reversed(list(self.messages)):  # the server's threads append
                if f"To: {to}" in message:
                    found = re.search(pattern, message)
                    if found:
                        return found.group(0)
            if time.monotonic() > deadline:
                raise AssertionError(f"no mail to {to} with a link like {pattern}: {self.messages}")
            time.sleep(0.05)


@dataclass
class Portal:
    """The served LRS: the portal's origin, the app's store, the imported packages and the mail log."""

    base: str
    content_origin: str
    store: Store
    packages: dict[str, tuple[BuiltPackage, ImportedCourse]]
    mail: MailLog

    @property
    def engine(self) -> sa.Engine:
        return engine_of(self.store)


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    """The LRS app on a loopback port with the police cmi5 packages (fr, nl) imported."""
    exports = tmp_path_factory.mktemp("portal-exports")
    build_packages(
        COURSE_SRC, exports, formats=["cmi5"], languages=["fr", "nl"], sectors=[SECTOR], cache=default_cache(COURSE_SRC)
    )
    app = create_app(LrsConfig(database_url=f"sqlite:///{tmp_path_factory.mktemp('portal-lrs') / 'lrs.sqlite3'}"))
    store: Store = app.extensions["lrs_store"]
    packages = {}
    for lang in ("fr", "nl"):
        zipped = exports / f"gsog-{lang}-{SECTOR}-cmi5.zip"
        packages[lang] = (BuiltPackage.read(zipped), import_package(store, zipped))
    mail = MailLog()
    logger = logging.getLogger(MAIL_LOGGER)
    logger.addHandler(mail)
    level = logger.level
    logger.setLevel(logging.INFO)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, name="portal-test-server", daemon=True)
    thread.start()
    port = httpd.server_port
    # no public_url: the LRS's public base is its bind address, and content goes to its loopback twin
    yield Portal(f"http://127.0.0.1:{port}", f"http://localhost:{port}", store, packages, mail)
    httpd.shutdown()
    httpd.server_close()
    logger.removeHandler(mail)
    logger.setLevel(level)


def _context(
    browser: Any, errors: list[str], size: tuple[int, int] = WIDE, locale: str = "fr-BE", **options: Any
) -> Any:
    """A new browser (own cookies and storage) of a French-speaking Belgian learner unless told otherwise.

    Uncaught errors of any page, and the errors the player logs (``[gsog] ...``), go to ``errors``.
    """
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale=locale, **options)
    context.set_default_timeout(15_000)
    context.on("weberror", lambda error: errors.append(f"{error.page.url if error.page else ''}: {error.error}"))

    def on_console(message: Any) -> None:
        if message.type == "error" and message.text.startswith("[gsog]"):
            errors.append(message.text)

    context.on("console", on_console)
    return context


def _submit(page: Any, field: str) -> None:
    """Submit the form holding the input named ``field``."""
    page.locator(f"form:has([name={field}]) [type=submit]").click()


def _sign_up(page: Any, portal: Portal, email: str, lang: str, axe: dict[str, list[str]] | None = None) -> None:
    """Sign up, confirm the address with the link of the mail log, sign in: the profile page opens.

    With ``axe``, the pages only this way reaches (check your mail, confirm) are checked on the way.
    """
    page.goto(f"{portal.base}/portal/signup")
    page.locator("[name=email]").fill(email)
    page.locator("[name=password]").fill(PASSWORD)
    page.locator("select[name=language]").select_option(lang)
    _submit(page, "email")
    page.get_by_text(email).wait_for()  # "check your mail" names the address
    if axe is not None:
        axe["check mail"] = _axe(page)
    page.goto(portal.mail.link(email, r"https?://\S+/portal/confirm/[^\s/]+"))
    if axe is not None:
        axe["confirm"] = _axe(page)
    page.get_by_role("button", name=translate(lang, "confirm_button")).click()
    page.wait_for_url("**/portal/signin?confirmed=1")
    _sign_in(page, email)
    page.wait_for_url("**/portal/profile")


def _sign_in(page: Any, email: str) -> None:
    """Fill in the sign-in form on ``page`` (the sign-in page) and send it."""
    page.locator("[name=email]").fill(email)
    page.locator("[name=password]").fill(PASSWORD)
    _submit(page, "password")
    page.wait_for_url(re.compile(r".*/portal/(?!signin).*"))


def _profile(page: Any, lang: str) -> None:
    """Fill in the profile page on ``page`` (the learner's context for the reports) and save it."""
    page.locator("[name=display_name]").fill(NAME)
    page.locator("select[name=sector]").select_option(SECTOR)
    page.locator("[name=organisation]").fill(ORGANISATION)
    page.locator("select[name=region]").select_option(REGION)
    page.locator("select[name=language]").select_option(lang)
    page.locator("select[name=role]").select_option(ROLE)
    page.locator("select[name=level]").select_option(LEVEL)
    _submit(page, "display_name")
    page.wait_for_url("**/portal/courses")


def _learner(portal: Portal, email: str) -> dict[str, Any]:
    """The learner's row of ``portal_learners`` (its random ``actor_name`` names the xAPI actor)."""
    with portal.engine.connect() as conn:
        row = conn.execute(sa.select(portal_learners).where(portal_learners.c.email == email)).mappings().one()
    return dict(row)


def _statements(store: Store, agent: str) -> list[dict[str, Any]]:
    """Every stored statement of one agent (key), in stored order."""
    found: list[dict[str, Any]] = []
    after = None
    while True:
        page = store.query_statements(StatementQuery(agent=agent, ascending=True, limit=500, after=after))
        found.extend(s.statement for s in page.statements)
        if page.next_after is None:
            return found
        after = page.next_after


def _is_cmi5(statement: dict[str, Any]) -> bool:
    """Whether the statement is "cmi5 defined" (its category says so)."""
    categories = statement.get("context", {}).get("contextActivities", {}).get("category", [])
    return any(c.get("id") == CMI5_CATEGORY for c in categories)


def _axe(page: Any) -> list[str]:
    """axe-core's WCAG A/AA violations on the page, one line each (needs a context with ``bypass_csp``)."""
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


def _launch_button(page: Any, package: BuiltPackage, module_id: str) -> Any:
    """The course page's button of one module (the page numbers them in the package's AU order)."""
    position = [au.module for au in package.aus].index(module_id)
    return page.locator(f"#launch-{position}")


def _statuses(page: Any, package: BuiltPackage) -> dict[str, str]:
    """Each module's status as the course page words it, by module id."""
    texts = page.locator("li.module .status").all_inner_texts()
    assert len(texts) == len(package.aus), texts
    return {au.module: text for au, text in zip(package.aus, texts, strict=True)}


def _done(package: BuiltPackage, module_id: str) -> str:
    """The message key of a module's status once its moveOn is met."""
    return "status_passed" if "Passed" in package.au(module_id).move_on else "status_completed"


@dataclass
class Course:
    """One learner's course page and what they do from it."""

    portal: Portal
    package: BuiltPackage
    url: str
    lang: str

    def open(self, page: Any, module_id: str, label: str) -> None:
        """Press the module's button (it must read message ``label``); the AU opens in this window
        on the content origin."""
        button = _launch_button(page, self.package, module_id)
        assert button.inner_text().startswith(translate(self.lang, label)), (module_id, button.inner_text())
        button.click()
        page.locator("nav#gsog-menu").wait_for(state="attached")
        assert page.url.startswith(self.portal.content_origin + "/"), page.url

    def leave(self, page: Any) -> None:
        """Exit the AU: back on the course page, still signed in (the AU's returnURL)."""
        leave_au(page, self.package, re.compile("^" + re.escape(self.portal.base + "/")))
        assert page.url == self.url + "?returned=1", (
            f"the AU's exit should lead back to the course page, signed in; it led to {page.url}"
        )
        page.get_by_text(translate(self.lang, "welcome_back")).wait_for()

    def take(self, page: Any, module_id: str) -> None:
        """One module from the course page to its end and back."""
        self.open(page, module_id, "start")
        finish_au(page, self.package, module_id)
        self.leave(page)
        status = _statuses(page, self.package)[module_id]
        assert status.startswith(translate(self.lang, _done(self.package, module_id))), (module_id, status)


def _enrol(page: Any, portal: Portal, lang: str) -> Course:
    """From the catalogue (after the profile), open the course in ``lang``: its course page."""
    package, course = portal.packages[lang]
    page.locator(f"a[href$='/portal/course/{course.id}']").first.click()
    url = f"{portal.base}/portal/course/{course.id}"
    page.wait_for_url(url)
    return Course(portal, package, url, lang)


@dataclass
class Graduate:
    """What the learner's journey left: the account, the course page, the certificate, the downloads."""

    email: str
    course: Course
    code: str
    pdf: bytes
    #: the account page's "download my data" (JSON)
    data: dict[str, Any]
    #: the signed-in browser's cookies (Playwright storage state), for the pages' axe checks
    session: Path
    #: axe-core's findings on the pages only the sign-up reaches (check your mail, confirm)
    axe: dict[str, list[str]]


@pytest.fixture(scope="module")
def graduate(browser: Any, portal: Portal, tmp_path_factory: pytest.TempPathFactory) -> Graduate:
    """The learner's journey in the browser, as issue #12 says it is done.

    Sign up (French), confirm the address from the mail log, complete the profile, open the
    course from the catalogue, take every module the course's moveOn needs from the course page,
    close the browser in the middle of one; in a new browser sign in again, find the progress kept,
    resume where left, finish with the post-test passed, create the certificate, download it and
    the learner's data. What a learner sees on the way is asserted here; what the LRS kept, by the
    tests.
    """
    errors: list[str] = []
    email = "camille.dubois@example.org"
    axe: dict[str, list[str]] = {}
    first = _context(browser, errors, bypass_csp=True)  # bypass_csp: axe is injected as a script
    page = first.new_page()
    _sign_up(page, portal, email, "fr", axe=axe)
    _profile(page, "fr")
    course = _enrol(page, portal, "fr")
    package = course.package
    modules = package.to_satisfy()
    assert modules[0] == "m0-start" and modules[-1] == "m4-close", modules
    *before, interrupted, last = modules
    for module_id in before:
        course.take(page, module_id)
    # the learner starts the next module, does part of it, and closes the browser
    course.open(page, interrupted, "start")
    work = package.work(interrupted)
    for unit_id in work[:2]:
        do_unit(page, package, unit_id)
    left_at = package.content["units"][work[1]]["title"]
    first.close()

    # a new browser: sign in again; the course page shows what was done; the module resumes where left
    second = _context(browser, errors, accept_downloads=True)
    page = second.new_page()
    page.goto(course.url)
    page.wait_for_url("**/portal/signin?**")
    _sign_in(page, email)
    page.wait_for_url(course.url)
    statuses = _statuses(page, package)
    for module_id in before:
        assert statuses[module_id].startswith(translate("fr", _done(package, module_id))), statuses
        assert _launch_button(page, package, module_id).inner_text().startswith(translate("fr", "review"))
    assert statuses[interrupted].startswith(translate("fr", "status_in_progress")), statuses
    course.open(page, interrupted, "continue")
    page.locator("h1", has_text=left_at).wait_for()
    finish_au(page, package, interrupted)
    course.leave(page)
    course.take(page, last)

    # the certificate, under the profile's name
    page.get_by_role("button", name=translate("fr", "get_certificate")).click()
    page.wait_for_url(re.compile(re.escape(course.url) + r"#cert-.+"))
    code = page.locator("strong.code").inner_text().strip()
    assert code and page.url.endswith(f"#cert-{code}")
    with page.expect_download() as download:
        page.get_by_role("link", name=translate("fr", "download_certificate")).click()
    pdf = Path(download.value.path()).read_bytes()
    # the learner's own data, as the account page gives it
    page.goto(f"{portal.base}/portal/account")
    with page.expect_download() as download:
        page.get_by_role("link", name=translate("fr", "download_data")).click()
    data = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    session = tmp_path_factory.mktemp("portal-session") / "state.json"
    second.storage_state(path=str(session))
    second.close()
    assert errors == [], f"errors in the pages: {errors}"
    return Graduate(email, course, code, pdf, data, session, axe)


def test_a_learner_signs_up_takes_the_course_resumes_and_gets_a_verifiable_certificate(
    browser: Any, portal: Portal, graduate: Graduate
) -> None:
    package, code = graduate.course.package, graduate.code
    # the PDF carries the holder, the course and the code
    assert graduate.pdf.startswith(b"%PDF-")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(graduate.pdf)).pages)
    assert code in text and NAME in text and package.course_title in text, text
    # anyone, signed out, checks the code on the public page
    errors: list[str] = []
    context = _context(browser, errors)
    page = context.new_page()
    page.goto(f"{portal.base}/portal/verify/{code}")
    facts = page.locator("dl.certificate").inner_text()
    assert NAME in facts and package.course_title in facts, facts
    context.close()
    assert errors == []
    # what the LRS kept, and the learner's copy of it
    stored = _check_statements(portal, graduate.email, package)
    assert {s["id"] for s in graduate.data["statements"]} == {s["id"] for s in stored}, "the download has them all"
    assert code in json.dumps(graduate.data["certificates"])
    assert graduate.data["profile"]["organisation"] == ORGANISATION


def _check_statements(portal: Portal, email: str, package: BuiltPackage) -> list[dict[str, Any]]:
    """What the LRS stored for the learner follows cmi5 and carries the learner's context; the
    evaluation report counts the learner under the profile's sector and organisation. Returns the
    learner's statements."""
    learner = _learner(portal, email)
    actor = learner_actor(learner["actor_name"], portal.base)
    statements = _statements(portal.store, agent_key(actor))
    assert email not in json.dumps(statements), "statements never carry the e-mail address"
    sessions: dict[str, list[dict[str, Any]]] = {}
    for statement in statements:
        session = statement.get("context", {}).get("extensions", {}).get(SESSION_ID)
        if session is not None:
            sessions.setdefault(session, []).append(statement)
    # one session per launch: every module once, the interrupted one twice
    assert len(sessions) == len(package.to_satisfy()) + 1, {k: len(v) for k, v in sessions.items()}
    for session, found in sessions.items():
        verbs = [s["verb"]["id"] for s in found if _is_cmi5(s) or s["verb"]["id"] in (LAUNCHED, ABANDONED)]
        assert verbs[:2] == [LAUNCHED, INITIALIZED], (session, verbs)
        ends = [v for v in verbs if v in (TERMINATED, ABANDONED)]
        assert len(ends) == 1, (session, verbs)  # terminated once, or abandoned by the LMS at the next launch
        if ends == [TERMINATED]:
            assert verbs[-1] == TERMINATED or verbs[-2:] == [TERMINATED, SATISFIED], (session, verbs)
        # the learner's context, from the profile through the launch, on everything the AU sent
        for statement in found:
            extensions = statement["context"].get("extensions", {})
            if statement["verb"]["id"] in (LAUNCHED, ABANDONED, SATISFIED):
                continue
            context = {name: extensions.get(iri) for name, iri in IRI.items()}
            expected = {
                "sector": SECTOR,
                "organisation": ORGANISATION,
                "region": REGION,
                "role": ROLE,
                "language": "fr",
            }
            assert context == expected, (
                statement["verb"]["id"],
                context,
            )
    satisfied = [s for s in statements if s["verb"]["id"] == SATISFIED]
    assert len(satisfied) == 1, "the course is satisfied once"
    assert satisfied[0]["object"]["id"] not in {s["object"]["id"] for s in statements if s["verb"]["id"] == LAUNCHED}
    passed = [s for s in statements if s["verb"]["id"] == PASSED and _is_cmi5(s)]
    assert len(passed) == 1 and statements.index(passed[0]) < statements.index(satisfied[0])

    report = run_report(portal.store, "indicators", ReportFilter(sector=SECTOR, organisation=ORGANISATION), k=1)
    keys = [column.key for column in report.columns]
    rows = {(row[0], row[1]): dict(zip(keys, row, strict=True)) for row in report.rows}
    for where in (("all", "all"), ("sector", SECTOR), ("organisation", ORGANISATION), ("region", REGION)):
        assert where in rows, (where, list(rows))
        assert (rows[where]["started"], rows[where]["completed"], rows[where]["passed"]) == (1, 1, 1), rows[where]
    return statements


#: Whether the page scrolls sideways (WCAG 1.4.10 reflow: at 360 px it must not).
_SIDEWAYS = "() => document.scrollingElement.scrollWidth > document.scrollingElement.clientWidth"


def test_axe_core_finds_no_violations_on_the_portal_pages(browser: Any, portal: Portal, graduate: Graduate) -> None:
    """Every portal page a learner sees, in Dutch and French, at 360 px and on a desktop: no WCAG 2.x
    A/AA violation axe-core finds, nothing scrolling sideways on a phone.

    The graduate's pages show everything they can (progress, goals, the certificate); the sign-up's
    own pages were checked on the way (:func:`graduate`).
    """
    errors: list[str] = []
    pages = {
        "signup": "/portal/signup",
        "signin": "/portal/signin",
        "profile": "/portal/profile",
        "courses": "/portal/courses",
        "course": graduate.course.url.removeprefix(portal.base),
        "account": "/portal/account",
        "verify": "/portal/verify",
        "verified": f"/portal/verify/{graduate.code}",
    }
    signed_out = ("signup", "signin")
    found = dict(graduate.axe)
    sideways: list[str] = []

    def check(page: Any, name: str, lang: str) -> None:
        """axe at both widths (the layout reflows without a reload), and no sideways scrolling on the phone."""
        page.goto(f"{portal.base}{pages[name]}?lang={lang}")
        assert page.locator("html").get_attribute("lang") == lang, (name, lang)
        for width, height in (NARROW, WIDE):
            page.set_viewport_size({"width": width, "height": height})
            found[f"{name} {lang} {width}px"] = _axe(page)
            if width == NARROW[0] and page.evaluate(_SIDEWAYS):
                sideways.append(f"{name} {lang}")

    # axe is injected as a script: the portal's CSP allows none, so these contexts bypass it
    signed_in = _context(browser, errors, size=NARROW, bypass_csp=True, storage_state=str(graduate.session))
    page = signed_in.new_page()
    for lang in ("nl", "fr"):
        for name in pages:
            if name not in signed_out:
                check(page, name, lang)
    signed_in.close()
    visitor = _context(browser, errors, size=NARROW, bypass_csp=True)
    page = visitor.new_page()
    for lang in ("nl", "fr"):
        for name in signed_out:
            check(page, name, lang)
    visitor.close()
    assert len(found) == len(graduate.axe) + 2 * 2 * len(pages)
    violations = [f"{where}: {v}" for where, found_there in found.items() for v in found_there]
    assert violations == [], "axe-core finds violations:\n" + "\n".join(violations)
    assert sideways == [], "scrolls sideways at 360 px"
    assert errors == [], f"errors in the pages: {errors}"
