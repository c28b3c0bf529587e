"""The learner portal's pages, through Flask's test client on the real app (SQLite and PostgreSQL).

What a learner and an attacker rely on, page by page: every POST needs its
CSRF token, a session cannot be fixed or outlive a sign-out or a password
change, sign-in limits stop a guesser but not the learner's own browser,
no page tells whether an address has an account, the mail forms cannot
flood an inbox, an invitation's presets hold, the course page launches the
real French police cmi5 package and issues a certificate anyone can verify
without learning more than it shows, the learner's data leaves with them and
is erased with the account, every page speaks Dutch and French, and every
page carries the portal's security headers.

Mails are sent once the response is closed (``response.call_on_close``), so
:class:`Browser` closes every response before a test reads the mail log
(the ``lrs.portal.mail`` logger: no SMTP server is configured).
"""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from babel.dates import format_date
from flask import Flask
from pypdf import PdfReader
from werkzeug.test import TestResponse

from builder.i18n import check_catalogues, entries
from lrs.app import create_app
from lrs.config import LrsConfig
from lrs.courses.store import ImportedCourse, import_package
from lrs.portal import accounts, certificate, lms, throttle, views
from lrs.portal.i18n import CATALOGUES, translate
from lrs.portal.tables import portal_certificates, portal_learners
from lrs.store.interface import StatementQuery
from lrs.store.sql import SqlStore
from lrs.xapi import spec
from lrs.xapi.agents import agent_key

MAIN = "https://lrs.test"
CONTENT = "https://content.test"
SECRET = "p" * 40
PASSWORD = "correct horse battery"
NEW_PASSWORD = "another long passphrase"
COOKIE = "gsog_portal"
TEMPLATES = Path(views.__file__).resolve().parent / "templates" / "portal"


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 with tiny parameters: the same checks, without 64 MiB and 0.1 s per hash on a shared machine."""
    cheap = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    dummy = cheap.hash("dummy password never used")
    monkeypatch.setattr(accounts, "hasher", cheap)
    monkeypatch.setattr(accounts, "dummy_hash", lambda: dummy)


class Outbox(logging.Handler):
    """The development mail log: every mail the portal sent (no SMTP server is configured)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.mails: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.mails.append(record.getMessage())

    def to(self, address: str) -> list[str]:
        """The mails sent to ``address``, oldest first."""
        return [mail for mail in self.mails if re.search(rf"^To: {re.escape(address)}$", mail, re.MULTILINE)]

    def link(self, address: str, kind: str) -> str:
        """The path of the newest ``/portal/<kind>/<token>`` link mailed to ``address``."""
        found = [str(m) for mail in self.to(address) for m in re.findall(rf"{MAIN}(/portal/{kind}/[\w-]+)", mail)]
        assert found, f"no {kind} link was mailed to {address}: {self.mails}"
        return found[-1]


@pytest.fixture
def outbox() -> Iterator[Outbox]:
    handler = Outbox()
    logger = logging.getLogger("lrs.portal.mail")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


@pytest.fixture
def portal(store_url: str, store: SqlStore) -> Flask:
    """The real LRS app with the portal, a public https URL and a separate content origin."""
    config = LrsConfig(database_url=store_url, public_url=MAIN, content_url=CONTENT, secret_key=SECRET)
    return create_app(config, store=store)


@pytest.fixture
def package_zip(fr_police_cmi5: Path) -> Path:
    """The real French police cmi5 package (built once per run: tests/lrs/conftest.py)."""
    return fr_police_cmi5


@pytest.fixture
def course(store: SqlStore, package_zip: Path) -> ImportedCourse:
    """The package, imported as ``lrs course import`` does."""
    return import_package(store, package_zip)


def text_of(response: TestResponse) -> str:
    """The page as a reader sees its text (entities decoded)."""
    return html.unescape(response.get_data(as_text=True))


def title_of(response: TestResponse) -> str:
    found = re.search(r"<title>(.*?)</title>", text_of(response), re.DOTALL)
    assert found, "the page has no title"
    return found.group(1)


def lang_of(response: TestResponse) -> str:
    found = re.search(r'<html lang="([^"]+)">', response.get_data(as_text=True))
    assert found, "the page has no language"
    return found.group(1)


def says(response: TestResponse, key: str, **values: object) -> bool:
    """Whether the page shows message ``key`` in the page's own language."""
    return translate(lang_of(response), key, **values) in text_of(response)


def token_in(response: TestResponse) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', response.get_data(as_text=True))
    assert found, "the page has no CSRF token field"
    return found.group(1)


class Browser:
    """One browser on the portal (its own cookies, its own client address), closing every response as a browser does."""

    def __init__(self, app: Flask, address: str = "198.51.100.7") -> None:
        self.app = app
        self.http = app.test_client()
        self.http.environ_base["REMOTE_ADDR"] = address

    def get(self, path: str, **options: Any) -> TestResponse:
        response = self.http.get(path, base_url=MAIN, **options)
        response.get_data()
        response.close()
        return response

    def token(self) -> str:
        """A CSRF token of this browser's session, from a page's form."""
        return token_in(self.get("/portal/signin"))

    def post(self, path: str, data: dict[str, str] | None = None, *, token: str | None = "") -> TestResponse:
        """A form POST with this session's token (``token=None``: none at all; any other string: that one)."""
        form = dict(data or {})
        if token == "":
            form["csrf_token"] = self.token()
        elif token is not None:
            form["csrf_token"] = token
        response = self.http.post(path, data=form, base_url=MAIN)
        response.get_data()
        response.close()  # the queued mails go out now
        return response

    def signin(self, email: str, password: str = PASSWORD) -> TestResponse:
        return self.post("/portal/signin", {"email": email, "password": password})

    @property
    def session_cookie(self) -> str | None:
        found = self.http.get_cookie(COOKIE, domain="lrs.test", path="/portal")
        return None if found is None else found.value

    def use_session_cookie(self, value: str) -> None:
        self.http.set_cookie(COOKIE, value, domain="lrs.test", path="/portal")


def engine_of_app(app: Flask) -> sa.Engine:
    store: SqlStore = app.extensions["lrs_store"]
    return store.engine


def new_learner(
    app: Flask, email: str, *, verified: bool = True, profile: bool = True, language: str = "fr"
) -> accounts.Learner:
    """A learner made as the sign-up and profile pages make one (those pages are tested on their own below)."""
    engine = engine_of_app(app)
    done = accounts.sign_up(engine, email, PASSWORD, language)
    assert done.token is not None
    if verified:
        accounts.verify_email(engine, done.token)
    if profile:
        accounts.update_profile(engine, done.learner.id, sector="police", organisation="zone-nord", region="be-wal")
    found = accounts.get_learner(engine, done.learner.id)
    assert found is not None
    return found


def signed_in(
    app: Flask, email: str, address: str = "198.51.100.7", **options: Any
) -> tuple[Browser, accounts.Learner]:
    learner = new_learner(app, email, **options)
    browser = Browser(app, address)
    assert browser.signin(email).status_code == 302
    return browser, learner


def goes_to_signin(response: TestResponse) -> bool:
    return response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/portal/signin"


def learner_row(app: Flask, email: str) -> Any:
    with engine_of_app(app).connect() as conn:
        return conn.execute(sa.select(portal_learners).where(portal_learners.c.email == email)).first()


def actor_of(learner: accounts.Learner) -> dict[str, Any]:
    return accounts.learner_actor(learner.actor_name, MAIN)


def statements_of(app: Flask, learner: accounts.Learner) -> list[dict[str, Any]]:
    store: SqlStore = app.extensions["lrs_store"]
    page = store.query_statements(StatementQuery(agent=agent_key(actor_of(learner)), limit=500))
    return [found.statement for found in page.statements]


# --- CSRF ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "forged-token"], ids=["without", "wrong"])
def test_every_post_without_its_csrf_token_is_refused_and_changes_nothing(
    portal: Flask, course: ImportedCourse, outbox: Outbox, token: str | None
) -> None:
    engine = engine_of_app(portal)
    anonymous = Browser(portal)

    def refuses(browser: Browser, path: str, data: dict[str, str] | None = None) -> None:
        answer = browser.post(path, data, token=token)
        assert answer.status_code == 400, (path, answer.status_code)
        assert translate(lang_of(answer), "csrf_failed") in text_of(answer), path

    refuses(anonymous, "/portal/signup", {"email": "new@example.org", "password": PASSWORD, "language": "nl"})
    assert learner_row(portal, "new@example.org") is None

    unconfirmed = new_learner(portal, "uma@example.org", verified=False, profile=False)
    verify_token = accounts.new_verify_token(engine, unconfirmed.id)
    refuses(anonymous, f"/portal/confirm/{verify_token}")
    assert learner_row(portal, "uma@example.org").verified is None

    new_learner(portal, "ana@example.org")
    refuses(anonymous, "/portal/signin", {"email": "ana@example.org", "password": PASSWORD})
    assert goes_to_signin(anonymous.get("/portal/courses"))

    refuses(anonymous, "/portal/forgot", {"email": "ana@example.org"})
    found = accounts.request_password_reset(engine, "ana@example.org")
    assert found is not None
    learner, reset_token = found
    refuses(anonymous, f"/portal/reset/{reset_token}", {"password": NEW_PASSWORD})
    assert accounts.check_password(engine, learner.id, PASSWORD)

    uma = Browser(portal)
    assert uma.signin("uma@example.org").status_code == 302
    refuses(uma, "/portal/unconfirmed")
    assert outbox.mails == []  # neither "forgot" nor "send again" mailed anything

    ana = Browser(portal)
    assert ana.signin("ana@example.org").status_code == 302
    refuses(ana, "/portal/profile", {"sector": "justice", "organisation": "other-org", "language": "nl"})
    assert accounts.get_learner(engine, learner.id) == learner
    refuses(ana, f"/portal/course/{course.id}/launch/0")
    assert statements_of(portal, learner) == []
    _satisfy(portal, learner, course)
    refuses(ana, f"/portal/course/{course.id}/certificate", {"display_name": "Ana Peeters"})
    assert certificate.certificate_of(engine, learner.id, course.course_iri) is None
    refuses(ana, "/portal/account/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert accounts.check_password(engine, learner.id, PASSWORD)
    refuses(ana, "/portal/account/delete", {"password": PASSWORD})
    assert accounts.get_learner(engine, learner.id) is not None
    refuses(ana, "/portal/signout")
    assert ana.get("/portal/courses").status_code == 200  # still signed in


# --- sessions -----------------------------------------------------------------------------------


def test_a_cookie_from_before_sign_in_never_becomes_a_signed_in_session(portal: Flask) -> None:
    new_learner(portal, "ana@example.org")
    browser = Browser(portal)
    assert browser.get("/portal/signin?lang=fr").status_code == 200
    before = browser.session_cookie
    assert before is not None  # the language choice opened a session
    assert browser.signin("ana@example.org").status_code == 302
    after = browser.session_cookie
    assert after is not None and after != before
    assert browser.get("/portal/courses").status_code == 200

    replay = Browser(portal)
    replay.use_session_cookie(before)
    assert goes_to_signin(replay.get("/portal/courses"))


def test_sign_out_ends_every_copy_of_the_session(portal: Flask) -> None:
    browser, _ = signed_in(portal, "ana@example.org")
    copy = Browser(portal)
    copy.use_session_cookie(browser.session_cookie or "")
    assert copy.get("/portal/courses").status_code == 200
    out = browser.post("/portal/signout")
    assert goes_to_signin(out) and "bye=1" in out.headers["Location"]
    assert goes_to_signin(browser.get("/portal/courses"))
    assert goes_to_signin(copy.get("/portal/courses"))


def test_password_change_ends_the_other_sessions_and_keeps_this_one(portal: Flask) -> None:
    here, learner = signed_in(portal, "ana@example.org")
    there = Browser(portal, "203.0.113.5")
    assert there.signin("ana@example.org").status_code == 302
    changed = here.post("/portal/account/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert changed.status_code == 303, text_of(changed)
    assert here.get("/portal/account").status_code == 200
    assert here.get("/portal/courses").status_code == 200
    assert goes_to_signin(there.get("/portal/courses"))
    assert Browser(portal).signin("ana@example.org", NEW_PASSWORD).status_code == 302

    wrong = here.post("/portal/account/password", {"current_password": "not my password!", "new_password": PASSWORD})
    assert wrong.status_code == 400 and says(wrong, "wrong_password")
    assert accounts.check_password(engine_of_app(portal), learner.id, NEW_PASSWORD)


def test_a_session_ends_after_its_longest_time_however_active(portal: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    browser, _ = signed_in(portal, "ana@example.org")
    assert browser.get("/portal/courses").status_code == 200
    later = views._now() + views.MAX_SESSION_SECONDS + 1
    monkeypatch.setattr(views, "_now", lambda: later)
    ended = browser.get("/portal/courses")
    assert goes_to_signin(ended) and "ended=1" in ended.headers["Location"]
    assert says(browser.get(ended.headers["Location"]), "session_ended")


def test_sign_in_brings_the_learner_back_to_the_page_asked_for_never_elsewhere(portal: Flask) -> None:
    new_learner(portal, "ana@example.org")
    browser = Browser(portal)
    asked = browser.get("/portal/account")
    assert goes_to_signin(asked)
    target = urlsplit(asked.headers["Location"])
    back = browser.post(f"{target.path}?{target.query}", {"email": "ana@example.org", "password": PASSWORD})
    assert back.status_code == 302 and urlsplit(back.headers["Location"]).path == "/portal/account"
    for elsewhere in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        other = Browser(portal)
        moved = other.post(f"/portal/signin?next={elsewhere}", {"email": "ana@example.org", "password": PASSWORD})
        assert moved.status_code == 302 and urlsplit(moved.headers["Location"]).path == "/portal/courses", elsewhere


def test_password_reset_ends_every_session(portal: Flask, outbox: Outbox) -> None:
    one, learner = signed_in(portal, "ana@example.org")
    two = Browser(portal, "203.0.113.5")
    assert two.signin("ana@example.org").status_code == 302
    visitor = Browser(portal, "192.0.2.1")
    assert visitor.post("/portal/forgot", {"email": "ana@example.org"}).status_code == 200
    link = outbox.link("ana@example.org", "reset")
    assert visitor.get(link).status_code == 200
    weak = visitor.post(link, {"password": "short"})
    assert weak.status_code == 400 and says(weak, "error_password_too_short")  # the link still works after this
    done = visitor.post(link, {"password": NEW_PASSWORD})
    assert goes_to_signin(done) and "reset=1" in done.headers["Location"]
    assert goes_to_signin(one.get("/portal/courses"))
    assert goes_to_signin(two.get("/portal/courses"))
    assert visitor.signin("ana@example.org", PASSWORD).status_code == 401
    assert visitor.signin("ana@example.org", NEW_PASSWORD).status_code == 302
    again = Browser(portal).post(link, {"password": PASSWORD})
    assert again.status_code == 400  # the link works once
    assert accounts.check_password(engine_of_app(portal), learner.id, NEW_PASSWORD)


# --- sign-in limits -----------------------------------------------------------------------------


def test_a_guesser_is_stopped_while_the_learners_own_browser_still_signs_in(portal: Flask) -> None:
    learner, _ = signed_in(portal, "ana@example.org", address="198.51.100.7")  # now holds a device cookie
    assert learner.http.get_cookie(throttle.DEVICE_COOKIE_NAME, domain="lrs.test", path="/portal/signin")
    attacker = Browser(portal, "203.0.113.66")
    answers = [attacker.signin("ana@example.org", f"guess number {n:04d}").status_code for n in range(12)]
    assert answers[: throttle.ACCOUNT_LIMIT] == [401] * throttle.ACCOUNT_LIMIT
    assert answers[throttle.ACCOUNT_LIMIT :] == [429, 429]
    assert attacker.signin("ana@example.org", PASSWORD).status_code == 429  # even the right password, now
    colleague = Browser(portal, "198.51.100.7")  # same office, no device cookie for this account
    assert colleague.signin("ana@example.org", PASSWORD).status_code == 429
    back = learner.signin("ana@example.org", PASSWORD)
    assert back.status_code == 302, text_of(back)
    assert learner.get("/portal/courses").status_code == 200


def test_one_address_trying_many_accounts_is_stopped_others_are_not(portal: Flask) -> None:
    sprayer = Browser(portal, "203.0.113.99")
    answers = [sprayer.signin(f"user{n}@example.org", "a wrong password").status_code for n in range(31)]
    assert answers[: throttle.ADDRESS_LIMIT] == [401] * throttle.ADDRESS_LIMIT
    assert answers[throttle.ADDRESS_LIMIT] == 429
    limited = sprayer.signin("someone.else@example.org", "a wrong password")
    assert limited.status_code == 429
    pattern = re.escape(translate(lang_of(limited), "signin_throttled", minutes=999)).replace("999", r"\d+")
    assert re.search(pattern, text_of(limited))
    assert Browser(portal, "192.0.2.44").signin("user0@example.org", "a wrong password").status_code == 401


def test_a_stolen_session_gets_no_unlimited_password_guesses_on_the_account_forms(portal: Flask) -> None:
    """Deleting the account or changing the password asks the password, throttled like a sign-in."""
    thief, learner = signed_in(portal, "ana@example.org", address="203.0.113.5")
    answers = [thief.post("/portal/account/delete", {"password": f"guess {n}"}).status_code for n in range(11)]
    assert answers[: throttle.ACCOUNT_LIMIT] == [400] * throttle.ACCOUNT_LIMIT and answers[-1] == 429
    right = thief.post("/portal/account/delete", {"password": PASSWORD})
    assert right.status_code == 429  # the limit holds even for the right one: it is a guesser's window
    changed = thief.post("/portal/account/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert changed.status_code == 429
    assert learner_row(portal, "ana@example.org") is not None
    assert accounts.check_password(engine_of_app(portal), learner.id, PASSWORD)


# --- enumeration ----------------------------------------------------------------------------------


def _without(text: str, *words: str) -> str:
    """The page with the given words and the CSRF token blanked (what may differ between two answers)."""
    for word in words:
        text = text.replace(word, "<address>")
    return re.sub(r'name="csrf_token" value="[^"]+"', 'name="csrf_token" value=""', text)


def test_sign_up_answers_alike_for_a_new_and_a_known_address(portal: Flask, outbox: Outbox) -> None:
    new_learner(portal, "known@example.org", language="nl")
    form = {"password": PASSWORD, "language": "nl"}
    known = Browser(portal).post("/portal/signup", {**form, "email": "known@example.org"})
    fresh = Browser(portal).post("/portal/signup", {**form, "email": "fresh@example.org"})
    assert known.status_code == fresh.status_code == 200
    assert _without(text_of(known), "known@example.org") == _without(text_of(fresh), "fresh@example.org")
    assert outbox.link("fresh@example.org", "confirm")
    note = outbox.to("known@example.org")
    assert len(note) == 1 and "/portal/confirm/" not in note[0] and f"{MAIN}/portal/forgot" in note[0]
    assert learner_row(portal, "known@example.org").verified is not None  # nothing changed for the owner


def test_forgot_password_answers_alike_for_a_new_and_a_known_address(portal: Flask, outbox: Outbox) -> None:
    new_learner(portal, "known@example.org")
    known = Browser(portal).post("/portal/forgot", {"email": "known@example.org"})
    nobody = Browser(portal).post("/portal/forgot", {"email": "nobody@example.org"})
    assert known.status_code == nobody.status_code == 200
    assert _without(text_of(known), "known@example.org") == _without(text_of(nobody), "nobody@example.org")
    assert outbox.link("known@example.org", "reset") and outbox.to("nobody@example.org") == []
    french = Browser(portal).post("/portal/forgot?lang=fr", {"email": "nobody@example.org"})
    assert lang_of(french) == "fr" and title_of(french).startswith(translate("fr", "check_mail_title"))


def test_sign_in_answers_alike_for_an_unknown_address_and_a_wrong_password(portal: Flask) -> None:
    new_learner(portal, "known@example.org")
    wrong = Browser(portal).signin("known@example.org", "not the password!")
    unknown = Browser(portal).signin("nobody@example.org", "not the password!")
    assert wrong.status_code == unknown.status_code == 401
    assert _without(text_of(wrong)) == _without(text_of(unknown))
    assert says(wrong, "signin_failed")


def test_mail_forms_stop_at_the_per_recipient_limit(portal: Flask, outbox: Outbox) -> None:
    new_learner(portal, "ana@example.org")
    answers = [
        Browser(portal, f"192.0.2.{n}").post("/portal/forgot", {"email": "ana@example.org"}).status_code
        for n in range(throttle.MAIL_RECIPIENT_LIMIT + 1)
    ]
    assert answers == [200] * throttle.MAIL_RECIPIENT_LIMIT + [429]
    assert len(outbox.to("ana@example.org")) == throttle.MAIL_RECIPIENT_LIMIT
    signup = Browser(portal, "192.0.2.200").post(
        "/portal/signup", {"email": "ana@example.org", "password": PASSWORD, "language": "nl"}
    )
    assert signup.status_code == 429 and len(outbox.to("ana@example.org")) == throttle.MAIL_RECIPIENT_LIMIT


# --- profile and the way to a course ------------------------------------------------------------


def test_an_invitation_presets_organisation_sector_and_region_that_stay(portal: Flask, outbox: Outbox) -> None:
    engine = engine_of_app(portal)
    _, invite = accounts.create_invitation(engine, "zone-nord", sector="police", region="be-wal", label="Zone Nord")
    browser = Browser(portal)
    bogus = browser.post(
        "/portal/signup", {"email": "ana@example.org", "password": PASSWORD, "language": "fr", "invite": "bogus"}
    )
    assert bogus.status_code == 400 and says(bogus, "invite_invalid")
    assert learner_row(portal, "ana@example.org") is None
    form = browser.get(f"/portal/signup?invite={invite}")
    assert form.status_code == 200 and translate("nl", "invited_by", organisation="zone-nord") in text_of(form)
    made = browser.post(
        "/portal/signup", {"email": "ana@example.org", "password": PASSWORD, "language": "fr", "invite": invite}
    )
    assert made.status_code == 200, text_of(made)
    browser.post(outbox.link("ana@example.org", "confirm"))
    assert browser.signin("ana@example.org").status_code == 302
    page = text_of(browser.get("/portal/profile"))
    for field, value in (("organisation", "zone-nord"), ("sector", "police"), ("region", "be-wal")):
        tag = re.search(rf'<input id="{field}"[^>]*>', page, re.DOTALL)
        assert tag and "readonly" in tag.group(0) and f'value="{value}"' in tag.group(0), field
    saved = browser.post(
        "/portal/profile",
        {"organisation": "other-org", "sector": "justice", "region": "nl", "language": "fr", "role": "trainer"},
    )
    assert saved.status_code == 302, text_of(saved)
    learner = accounts.learner_by_actor_name(engine, learner_row(portal, "ana@example.org").actor_name)
    assert learner is not None
    assert (learner.organisation, learner.sector, learner.region, learner.role) == (
        "zone-nord",
        "police",
        "be-wal",
        "trainer",
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [("organisation", "zone nord!"), ("role", "<script>"), ("level", "expert"), ("display_name", "Ana\x07")],
)
def test_a_bad_profile_value_is_refused_naming_the_field(portal: Flask, field: str, value: str) -> None:
    browser, learner = signed_in(portal, "ana@example.org")
    form = {"sector": "police", "organisation": "zone-nord", "language": "fr", field: value}
    answer = browser.post("/portal/profile", form)
    assert answer.status_code == 400
    assert says(answer, "profile_invalid", field=translate(lang_of(answer), f"field_{field}"))
    assert accounts.get_learner(engine_of_app(portal), learner.id) == learner  # nothing saved


def test_the_way_in_confirm_by_button_then_profile_then_courses(portal: Flask, outbox: Outbox) -> None:
    browser = Browser(portal)
    short = browser.post("/portal/signup", {"email": "ana@example.org", "password": "short", "language": "nl"})
    assert short.status_code == 400 and says(short, "error_password_too_short") and 'href="#password"' in short.text
    assert learner_row(portal, "ana@example.org") is None and outbox.mails == []
    made = browser.post("/portal/signup", {"email": "ana@example.org", "password": PASSWORD, "language": "nl"})
    assert made.status_code == 200
    assert goes_to_signin(browser.get("/portal/courses"))
    first = browser.signin("ana@example.org")
    assert urlsplit(first.headers["Location"]).path == "/portal/unconfirmed"
    assert urlsplit(browser.get("/portal/courses").headers["Location"]).path == "/portal/unconfirmed"
    again = browser.post("/portal/unconfirmed")
    assert again.status_code == 200 and says(again, "mail_sent_again", email="ana@example.org")
    assert len(outbox.to("ana@example.org")) == 2

    link = outbox.link("ana@example.org", "confirm")
    opened = Browser(portal, "192.0.2.9").get(link)  # a mail scanner opening the link
    assert opened.status_code == 200 and translate("nl", "confirm_button") in text_of(opened)
    assert learner_row(portal, "ana@example.org").verified is None
    bogus = browser.post("/portal/confirm/not-a-token")
    assert bogus.status_code == 400 and says(bogus, "token_unknown")
    confirmed = browser.post(link)
    assert urlsplit(confirmed.headers["Location"]).path == "/portal/profile"
    assert learner_row(portal, "ana@example.org").verified is not None

    to_profile = browser.get("/portal/courses")
    assert to_profile.status_code == 302 and urlsplit(to_profile.headers["Location"]).path == "/portal/profile"
    saved = browser.post(
        "/portal/profile?next=/portal/courses", {"sector": "police", "organisation": "zone-nord", "language": "nl"}
    )
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/portal/courses")
    assert browser.get("/portal/courses").status_code == 200
    off_site = browser.post(
        "/portal/profile?next=//evil.example/x", {"sector": "police", "organisation": "zone-nord", "language": "nl"}
    )
    assert off_site.status_code == 302 and urlsplit(off_site.headers["Location"]).netloc in ("", "lrs.test")


# --- course page and certificate -----------------------------------------------------------------


def _launch(browser: Browser, course: ImportedCourse, position: int = 0) -> dict[str, str]:
    answer = browser.post(f"/portal/course/{course.id}/launch/{position}")
    assert answer.status_code == 303, text_of(answer)
    target = urlsplit(answer.headers["Location"])
    assert f"{target.scheme}://{target.netloc}" == CONTENT
    assert target.path.startswith(f"/content/{course.id}/")
    return {key: values[0] for key, values in parse_qs(target.query).items()}


def _satisfy(app: Flask, learner: accounts.Learner, course: ImportedCourse) -> None:
    """Every AU waived: the quick way to a satisfied course (the browser test plays them for real)."""
    for au in course.aus:
        lms.waive(app.extensions["lrs_store"], actor_of(learner), course, au.au_id, "Administrative")


def test_launch_redirects_to_the_module_on_the_content_origin_with_the_cmi5_query(
    portal: Flask, course: ImportedCourse
) -> None:
    browser, learner = signed_in(portal, "ana@example.org")
    page = browser.get(f"/portal/course/{course.id}")
    assert page.status_code == 200 and course.title["fr"] in text_of(page)
    assert 'id="launch-0"' in page.get_data(as_text=True)
    query = _launch(browser, course)
    assert urlsplit(query["endpoint"]).netloc == "lrs.test" and urlsplit(query["fetch"]).netloc == "lrs.test"
    assert json.loads(query["actor"]) == actor_of(learner)
    assert [s["verb"]["id"] for s in statements_of(portal, learner)] == [spec.LAUNCHED]
    assert browser.get(f"/portal/course/{course.id}/launch/0").status_code == 405  # a launch writes: POST only
    assert browser.post(f"/portal/course/{course.id}/launch/{len(course.aus)}").status_code == 404
    missing = browser.get("/portal/course/99999")
    assert missing.status_code == 404 and missing.mimetype == "text/html" and says(missing, "not_found")


def test_a_satisfied_course_offers_the_certificate_anyone_can_verify(portal: Flask, course: ImportedCourse) -> None:
    browser, learner = signed_in(portal, "ana@example.org")
    before = browser.get(f"/portal/course/{course.id}")
    assert says(before, "certificate_when_done")
    too_early = browser.post(f"/portal/course/{course.id}/certificate", {"display_name": "Ana Peeters"})
    assert too_early.status_code == 409
    _launch(browser, course)
    _satisfy(portal, learner, course)
    offered = browser.get(f"/portal/course/{course.id}")
    assert says(offered, "certificate_available")
    assert f'action="/portal/course/{course.id}/certificate"' in text_of(offered)

    nameless = browser.post(f"/portal/course/{course.id}/certificate", {"display_name": "  "})
    assert nameless.status_code == 400 and says(nameless, "certificate_name_needed")
    issued = browser.post(f"/portal/course/{course.id}/certificate", {"display_name": "Ana Peeters"})
    assert issued.status_code == 303
    code = issued.headers["Location"].rsplit("#cert-", 1)[1]
    assert code in text_of(browser.get(f"/portal/course/{course.id}"))

    pdf = browser.get(f"/portal/certificate/{code}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.headers["Cache-Control"] == "no-store"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert code in text and "Ana Peeters" in text

    public = Browser(portal, "192.0.2.77")
    shown = public.get(f"/portal/verify/{code}")
    assert shown.status_code == 200
    page = text_of(shown)
    lang_title = translate("nl", "verify_valid", code=code)
    assert lang_title in page and "Ana Peeters" in page and course.title["fr"] in page
    if course.level is not None:  # the course's level (the next test shows one for sure)
        assert translate("nl", f"level_{course.level}") in page
    assert format_date(dt.datetime.now(dt.UTC).date(), format="long", locale="nl_BE") in page
    assert "ana@example.org" not in page and "zone-nord" not in page
    loose = public.get(f"/portal/verify?code={code.lower().replace('-', ' ')}")
    assert loose.status_code == 302 and loose.headers["Location"].endswith(f"/portal/verify/{code}")

    malformed = public.get("/portal/verify?code=NOT-A-CODE")
    assert malformed.status_code == 400 and translate("nl", "code_malformed") in text_of(malformed)
    assert translate("nl", "code_malformed") in text_of(public.get("/portal/verify/XXXX"))

    other, _ = signed_in(portal, "ben@example.org")
    assert other.get(f"/portal/certificate/{code}.pdf").status_code == 404
    assert public.get(f"/portal/certificate/{code}.pdf").status_code == 302  # signed out: sign in first


def test_the_verification_page_names_the_level_of_a_course_that_has_one(portal: Flask) -> None:
    learner = new_learner(portal, "ana@example.org")
    cert = certificate.issue(
        engine_of_app(portal),
        learner.id,
        "Ana <b>Peeters</b>",
        "https://gsog.example.org/course/deepening",
        "Verdieping",
        "deepening",
        "nl",
        "3f0b8a3c-9f1e-4c55-8d2e-3a1f0c2b7d11",
        dt.datetime.now(dt.UTC),
    )
    for lang in ("nl", "fr"):
        page = text_of(Browser(portal).get(f"/portal/verify/{cert.code}?lang={lang}"))
        assert translate(lang, "level_deepening") in page and "Verdieping" in page
        assert "Ana <b>Peeters</b>" in page and "<b>" not in Browser(portal).get(f"/portal/verify/{cert.code}").text


def test_the_verification_page_shows_an_imported_courses_own_level_as_is(portal: Flask) -> None:
    learner = new_learner(portal, "ana@example.org")
    cert = certificate.issue(
        engine_of_app(portal),
        learner.id,
        "Ana Peeters",
        "https://publisher.example/course/b1",
        "B1",
        "b1-advanced",
        "fr",
        "3f0b8a3c-9f1e-4c55-8d2e-3a1f0c2b7d11",
        dt.datetime.now(dt.UTC),
    )
    page = Browser(portal).get(f"/portal/verify/{cert.code}")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "b1-advanced" in text_of(page)


def test_the_name_fields_take_what_the_certificate_takes(portal: Flask, course: ImportedCourse) -> None:
    browser, learner = signed_in(portal, "ana@example.org")
    _launch(browser, course)
    _satisfy(portal, learner, course)
    for page in (browser.get(f"/portal/course/{course.id}"), browser.get("/portal/profile")):
        field = re.search(r'<input id="display_name"[^>]*>', page.get_data(as_text=True))
        assert field and f'maxlength="{accounts.MAX_NAME_CHARS}"' in field.group(0)
    too_long = browser.post(
        f"/portal/course/{course.id}/certificate", {"display_name": "A" * (accounts.MAX_NAME_CHARS + 1)}
    )
    assert too_long.status_code == 400
    assert says(too_long, "profile_invalid", field=translate(lang_of(too_long), "field_display_name"))
    longest = "Ana " + "B" * (accounts.MAX_NAME_CHARS - 4)
    issued = browser.post(f"/portal/course/{course.id}/certificate", {"display_name": longest})
    assert issued.status_code == 303
    code = issued.headers["Location"].rsplit("#cert-", 1)[1]
    assert longest in text_of(Browser(portal).get(f"/portal/verify/{code}"))


# --- account ---------------------------------------------------------------------------------------


def test_my_data_holds_my_statements_and_profile_not_anyone_elses(portal: Flask, course: ImportedCourse) -> None:
    ana_browser, ana = signed_in(portal, "ana@example.org")
    ben_browser, ben = signed_in(portal, "ben@example.org")
    _launch(ana_browser, course)
    _launch(ben_browser, course)
    answer = ana_browser.get("/portal/account/data.json")
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    assert answer.headers["Cache-Control"] == "no-store"
    data = json.loads(answer.data)
    assert data["profile"]["organisation"] == "zone-nord" and data["profile"]["sector"] == "police"
    assert data["actor"] == actor_of(ana)
    verbs = [s["verb"]["id"] for s in data["statements"]]
    assert spec.LAUNCHED in verbs
    assert all(s["actor"] == actor_of(ana) for s in data["statements"])
    body = answer.get_data(as_text=True)
    assert ben.actor_name not in body and "ben@example.org" not in body


def test_deleting_the_account_needs_the_password_then_erases_everything(portal: Flask, course: ImportedCourse) -> None:
    browser, learner = signed_in(portal, "ana@example.org")
    _launch(browser, course)
    _satisfy(portal, learner, course)
    issued = browser.post(f"/portal/course/{course.id}/certificate", {"display_name": "Ana Peeters"})
    code = issued.headers["Location"].rsplit("#cert-", 1)[1]
    other, ben = signed_in(portal, "ben@example.org")
    _launch(other, course)
    assert statements_of(portal, learner)

    wrong = browser.post("/portal/account/delete", {"password": "not my password!"})
    assert wrong.status_code == 400 and says(wrong, "wrong_password")
    assert accounts.get_learner(engine_of_app(portal), learner.id) is not None

    gone = browser.post("/portal/account/delete", {"password": PASSWORD})
    assert gone.status_code == 303 and "deleted=1" in gone.headers["Location"]
    assert statements_of(portal, learner) == []
    assert statements_of(portal, ben)  # the other learner's records stay
    assert accounts.get_learner(engine_of_app(portal), learner.id) is None
    assert Browser(portal).get(f"/portal/verify/{code}").status_code == 404
    with engine_of_app(portal).connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(portal_certificates)).scalar_one() == 0
    assert goes_to_signin(browser.get("/portal/account"))
    assert Browser(portal).signin("ana@example.org").status_code == 401


# --- languages ------------------------------------------------------------------------------------

#: Each page and the message key of its title.
ANONYMOUS_PAGES = {
    "/portal/signin": "signin_title",
    "/portal/signup": "signup_title",
    "/portal/forgot": "forgot_title",
    "/portal/verify": "verify_title",
    "/portal/confirm/some-token": "confirm_title",
    "/portal/reset/some-token": "reset_title",
}
LEARNER_PAGES = {
    "/portal/courses": "courses_title",
    "/portal/profile": "profile_title",
    "/portal/account": "account_title",
}


def _pages(portal: Flask, course: ImportedCourse) -> Iterator[tuple[Browser, str, str | None]]:
    """Every page (browser, path, title key; None: the course's title) with a fresh session each."""
    for path, key in ANONYMOUS_PAGES.items():
        yield Browser(portal), path, key
    browser, _ = signed_in(portal, "ana@example.org")
    for path, key in LEARNER_PAGES.items():
        yield browser, path, key
    yield browser, f"/portal/course/{course.id}", None
    waiting, _ = signed_in(portal, "uma@example.org", verified=False, profile=False)
    yield waiting, "/portal/unconfirmed", "unconfirmed_title"


def test_every_page_speaks_dutch_and_french(portal: Flask, course: ImportedCourse) -> None:
    for browser, path, key in _pages(portal, course):
        titles = {}
        for lang in ("nl", "fr"):
            page = browser.get(f"{path}?lang={lang}")
            assert page.status_code == 200, (path, lang, page.status_code)
            assert f'<html lang="{lang}">' in page.get_data(as_text=True), (path, lang)
            expected = course.title["fr"] if key is None else translate(lang, key)
            assert title_of(page).startswith(expected), (path, lang, title_of(page))
            assert title_of(page).endswith(translate(lang, "app_title"))
            titles[lang] = title_of(page)
        assert titles["nl"] != titles["fr"], path


def test_after_sign_in_the_profile_language_wins_over_the_browsers_unless_one_was_chosen(portal: Flask) -> None:
    new_learner(portal, "ana@example.org", language="fr")
    dutch_browser = Browser(portal)
    dutch_browser.http.environ_base["HTTP_ACCEPT_LANGUAGE"] = "nl-BE,nl;q=0.9"
    assert lang_of(dutch_browser.get("/portal/signin")) == "nl"
    assert dutch_browser.signin("ana@example.org").status_code == 302
    assert lang_of(dutch_browser.get("/portal/courses")) == "fr"
    chooser = Browser(portal)
    assert lang_of(chooser.get("/portal/signin?lang=nl")) == "nl"
    assert chooser.signin("ana@example.org").status_code == 302
    assert lang_of(chooser.get("/portal/courses")) == "nl"


def test_the_portal_catalogues_are_complete() -> None:
    found, problems = check_catalogues(["nl", "fr", "en"], folder=CATALOGUES)
    assert all(found.values()), found
    assert problems == []


#: The codes of :class:`lrs.portal.accounts.AccountError` (its docstring) the sign-up, reset and password pages show.
ACCOUNT_ERROR_CODES = (
    "email_missing",
    "email_too_long",
    "email_invalid",
    "password_too_short",
    "password_too_long",
    "language_missing",
    "language_invalid",
    "invite_unknown",
    "invite_expired",
    "invite_used_up",
    "account_gone",
)


def _keys_used() -> set[str]:
    """Every message key the templates and views ask for: literal ones, and each family built from a known list."""
    sources = [path.read_text() for path in TEMPLATES.glob("*.html")] + [Path(views.__file__).read_text()]
    literal = {key for text in sources for key in re.findall(r"""\bt\(\s*["']([a-z0-9_]+)["']\s*[,)]""", text)}
    families = {
        *(f"field_{name}" for name in accounts.PROFILE_FIELDS),
        *(f"sector_{code}" for code in views.SECTORS),
        *(f"region_{code}" for code in views.REGIONS),
        *(f"role_{code}" for code in views.ROLES),
        *(f"level_{code}" for code in accounts.LEVELS),
        *(f"token_{code}" for code in ("unknown", "used", "expired")),
        *(f"error_{code}" for code in ACCOUNT_ERROR_CODES),
        "start",
        "continue",
        "review",
    }
    return literal | families


def test_every_key_the_pages_use_is_in_the_catalogue_template() -> None:
    wanted = set(entries(CATALOGUES / "messages.pot"))
    used = _keys_used()
    assert len(used) > 50  # the scan found the templates' keys
    assert sorted(used - wanted) == []


# --- headers and cookies ----------------------------------------------------------------------------


def test_every_page_carries_the_portal_headers(portal: Flask, course: ImportedCourse) -> None:
    for browser, path, _ in _pages(portal, course):
        page = browser.get(path)
        assert page.mimetype == "text/html", path
        policy = page.headers["Content-Security-Policy"]
        assert "script-src" not in policy and "default-src 'none'" in policy, path
        form_action = re.search(r"form-action ([^;]+)", policy)
        assert form_action and CONTENT in form_action.group(1).split() and "'self'" in form_action.group(1), path
        assert page.headers["Cache-Control"] == "no-store", path
        assert page.headers["X-Frame-Options"] == "DENY", path
        assert page.headers["X-Content-Type-Options"] == "nosniff", path
        assert "<script" not in page.get_data(as_text=True), path
        # a module's script on the content origin can neither read a portal page with the cookie ...
        asked = browser.http.get(path, base_url=MAIN, headers={"Origin": CONTENT})
        assert "Access-Control-Allow-Credentials" not in asked.headers, path
        # ... nor load one on its own origin
        assert browser.http.get(path, base_url=CONTENT).status_code == 404, path


def test_the_session_cookie_is_locked_down_and_never_opens_the_dashboard(portal: Flask) -> None:
    new_learner(portal, "ana@example.org")
    browser = Browser(portal)
    answer = browser.signin("ana@example.org")
    cookies = answer.headers.getlist("Set-Cookie")
    session = [c for c in cookies if c.startswith(f"{COOKIE}=")]
    assert len(session) == 1
    flags = [part.strip() for part in session[0].split(";")]
    assert "HttpOnly" in flags and "SameSite=Lax" in flags and "Path=/portal" in flags and "Secure" in flags
    device = [c for c in cookies if c.startswith(f"{throttle.DEVICE_COOKIE_NAME}=")]
    assert len(device) == 1 and "Path=/portal/signin" in device[0] and "HttpOnly" in device[0]
    assert not any(c.startswith("gsog_dashboard=") for c in cookies)
    dashboard = browser.http.get("/dashboard/", base_url=MAIN)
    assert dashboard.status_code in (302, 303) and "/dashboard/login" in dashboard.headers["Location"]


def test_a_wrong_address_or_method_under_the_portal_gets_a_portal_page(portal: Flask) -> None:
    """Routing errors and failures under /portal/ answer with the portal's page, not the API's JSON.

    A 404 for an unknown path under /portal/ and a 405 (a bookmarked GET of
    /portal/signout) happen before Flask knows the blueprint, so the portal's
    own error handler never sees them; the app-wide handlers
    (:func:`lrs.api.common.html_error_page`) give the portal's page, with its
    headers, in the learner's language.
    """
    browser = Browser(portal)
    for path, status, key in (
        ("/portal/no-such-page?lang=fr", 404, "not_found"),
        ("/portal/signout?lang=fr", 405, "not_allowed"),
    ):
        page = browser.get(path)
        assert page.status_code == status, path
        assert page.mimetype == "text/html", (path, page.get_data(as_text=True)[:200])
        assert translate("fr", key) in text_of(page), path
        assert page.headers["Cache-Control"] == "no-store", path
    dashboard = browser.get("/dashboard/no-such-page?lang=fr")
    assert dashboard.status_code == 404 and dashboard.mimetype == "text/html"
    assert "Cette page n'existe pas." in text_of(dashboard)
    api = browser.get("/xapi/no-such-resource")
    assert api.status_code == 404 and api.mimetype == "application/json"  # the API keeps its JSON errors


def test_a_failure_inside_a_portal_page_is_a_portal_page_not_json(
    portal: Flask, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(views.certificate, "normalise_code", broken)
    page = Browser(portal).get("/portal/verify?code=ABCD&lang=fr")
    assert page.status_code == 500 and page.mimetype == "text/html"
    assert translate("fr", "error_generic") in text_of(page)
    assert "disk on fire" not in page.get_data(as_text=True)
    assert "Content-Security-Policy" in page.headers and page.headers["Cache-Control"] == "no-store"
