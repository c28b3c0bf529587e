"""The learner portal's pages: accounts, profile, catalogue, course pages, certificates, own data.

Every page is plain HTML under one stylesheet, with no script at all: it
works without JavaScript, under a CSP that lets nothing run, at 360 px.
Every POST carries a CSRF token. A module opens in the same window on the
content origin (:mod:`lrs.portal.content`); its ``returnURL`` brings the
learner back to the course page.

What each page does is in its view's docstring; what learners may trust:

* nothing says "confirmed", "saved" or "passed" unless the store says so:
  the course page reads progress from the cmi5 records and the reports'
  tables (:mod:`lrs.portal.lms`), never from what the browser claims;
* sign-in answers the same for an unknown address and a wrong password,
  sign-up and "forgot password" the same for a new and a known address
  (the known owner gets a mail saying someone tried);
* a session ends after its idle time (:mod:`lrs.sessions`), after
  :data:`MAX_SESSION_SECONDS` however active, and everywhere at once when
  the learner changes or resets the password, signs out, or deletes the
  account (the learner's ``session_generation`` is in every cookie).
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable
from functools import wraps
from typing import Any, Final, ParamSpec, TypeVar

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_timedelta
from babel.numbers import format_percent
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from lrs.api.urls import external, public_base
from lrs.config import LrsConfig
from lrs.courses.catalogue import catalogue
from lrs.courses.store import ImportedCourse, list_courses
from lrs.portal import accounts, certificate, content, export, lms
from lrs.portal.i18n import NATIVE_NAMES, languages, pick_language, pick_text, translate
from lrs.portal.mail import MailError, mail_text, send_mail
from lrs.portal.throttle import DEVICE_COOKIE_NAME, DEVICE_COOKIE_SECONDS, TooManyAttempts, claim_mail
from lrs.sessions import PORTAL_PREFIX, csrf
from lrs.store.interface import Store
from lrs.store.sql import engine_of

P = ParamSpec("P")
R = TypeVar("R")

bp = Blueprint("portal", __name__, template_folder="templates", static_folder="static")

#: A sign-in lasts at most this long, however active (then the learner signs in again).
MAX_SESSION_SECONDS: Final = 12 * 3600
#: The framework's sectors and regions offered in the profile; a course may add sectors (offered too).
SECTORS: Final = ("police", "justice", "medical", "psychosocial", "education")
REGIONS: Final = ("be-bru", "be-vlg", "be-wal", "nl", "other")
ROLES: Final = ("frontline", "supervisor", "trainer", "policy", "student", "other")


def _now() -> float:
    """Seconds since the epoch (a function so tests can move time on)."""
    return time.time()


def _store() -> Store:
    found: Store = current_app.extensions["lrs_store"]
    return found


def _engine() -> Any:
    return engine_of(_store())


def _config() -> LrsConfig:
    cfg: LrsConfig = current_app.config["LRS"]
    return cfg


def t(key: str, **values: object) -> str:
    """Message ``key`` in the page's language."""
    return translate(g.lang, key, **values)


def _page_csp() -> str:
    """No script, our stylesheet and images; forms post here, and a launch redirects to the content origin."""
    return (
        "default-src 'none'; style-src 'self'; img-src 'self'; "
        f"form-action 'self' {content.content_origin()}; base-uri 'none'; frame-ancestors 'none'"
    )


@bp.before_request
def _before() -> Response | None:
    """Session secret, the signed-in learner, the language, then CSRF on every POST."""
    if not current_app.secret_key:
        g.lang = request.accept_languages.best_match(languages()) or languages()[0]
        g.learner = None
        return _message(
            503, "The portal needs a session secret: set GSOG_LRS_SECRET_KEY (32 or more random characters)."
        )
    g.learner = _current_learner()
    g.lang = pick_language(g.learner.language if g.learner else None)
    if request.method == "POST":
        csrf.protect()
    return None


@bp.after_request
def _headers(response: Response) -> Response:
    """Personal pages are never cached; every HTML page gets the portal's CSP."""
    response.headers["Cache-Control"] = "no-store"
    if response.mimetype == "text/html":
        response.headers["Content-Security-Policy"] = _page_csp()
    return response


@bp.errorhandler(CSRFError)
def _csrf_failed(_error: CSRFError) -> Response:
    """A POST without a valid token (an old tab, or another site's form): say what to do."""
    return _message(400, t("csrf_failed"))


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    """Errors inside a portal page as pages in the learner's language."""
    return error_page(error.code or 500)


def error_page(status: int) -> Response:
    """The portal's page for an error status, with the portal's headers, wherever under /portal it happened.

    Also called by the app-wide handlers (:func:`lrs.api.common.html_error_page`)
    for what happens before the portal's own hooks run: an unknown address,
    a wrong method, an unexpected failure.
    """
    if "lang" not in g:
        g.learner = None
        try:
            g.lang = pick_language()
        except RuntimeError:  # no session (no secret): the browser's choice
            g.lang = request.accept_languages.best_match(languages()) or languages()[0]
    key = {404: "not_found", 405: "not_allowed", 413: "too_large"}.get(status, "error_generic")
    return _headers(_message(status, t(key)))


@bp.context_processor
def _template_helpers() -> dict[str, Any]:
    return {
        "t": t,
        "lang_choices": [(code, NATIVE_NAMES.get(code, code)) for code in languages()],
        "lang_url": _lang_url,
        "pick_text": pick_text,
        "sector_name": sector_name,
        "level_name": level_name,
        "language_name": language_name,
        "module_status": module_status,
        "launch_label": launch_label,
        "percent": lambda share: format_percent(share, locale=_locale()),
        "date_text": lambda when: format_date(when, format="long", locale=_locale()),
        "duration_text": duration_text,
    }


def _locale() -> str:
    """The Babel locale of the page (Belgian forms of Dutch and French)."""
    lang = str(g.lang)
    return {"nl": "nl_BE", "fr": "fr_BE"}.get(lang, lang.replace("-", "_"))


def language_name(code: str | None) -> str:
    """A language's name in the page's language (from the CLDR data Babel carries), e.g. ``fr`` -> ``Frans``."""
    if not code:
        return t("unknown")
    try:
        return Locale.parse(code, sep="-").get_display_name(_locale()) or code
    except (ValueError, UnknownLocaleError):
        return code


def duration_text(value: str) -> str:
    """An ISO 8601 duration (``PT2H30M``) as words in the page's language; unreadable ones as given."""
    match = re.fullmatch(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:\d+(?:\.\d+)?S)?)?", value)
    if not match:
        return value
    days, hours, minutes = (int(part or 0) for part in match.groups())
    seconds = ((days * 24 + hours) * 60 + minutes) * 60
    if seconds <= 0:
        return value
    return format_timedelta(dt.timedelta(seconds=seconds), threshold=10, locale=_locale())


def module_status(au: lms.AuProgress) -> str:
    """One module's state in words: what the cmi5 records say, never more."""
    if au.waived:
        text = t("status_waived")
    elif au.satisfied and au.move_on == "NotApplicable" and not au.launched:
        text = t("status_optional")
    elif au.satisfied:
        text = t("status_passed") if au.passed else t("status_completed") if au.completed else t("status_satisfied")
    elif au.completed and au.move_on in ("Passed", "CompletedAndPassed") and not au.passed:
        text = t("status_failed")
    elif au.launched:
        text = t("status_in_progress")
    else:
        text = t("status_not_started")
    if au.score is not None:
        text += " · " + t("score", score=format_percent(au.score, locale=_locale()))
    return text


def launch_label(au: lms.AuProgress) -> str:
    """The message key of a module's button: start, continue, or review once it is done."""
    if au.satisfied and au.launched:
        return "review"
    return "continue" if au.launched else "start"


def _lang_url(lang: str) -> str:
    """The current page in ``lang``."""
    values: dict[str, Any] = {**(request.view_args or {}), **request.args, "lang": lang}
    return url_for(request.endpoint or "portal.index", **values)


def sector_name(code: str | None) -> str:
    """A sector's name in the page's language (its code when the catalogue has none)."""
    if not code:
        return t("unknown")
    key = f"sector_{code}"
    try:
        return t(key)
    except KeyError:
        return code


def level_name(code: str) -> str:
    """A level's name in the page's language; an imported course's own level as it is (it has no name here)."""
    try:
        return t(f"level_{code}")
    except KeyError:
        return code


def _message(status: int, message: str) -> Response:
    # the helpers given here too: a routing error's page is rendered outside the blueprint's context processor
    page = render_template("portal/message.html", message=message, **_template_helpers())
    return make_response(page, status)


# --- who is signed in ---------------------------------------------------------------------------


def _current_learner() -> accounts.Learner | None:
    """The signed-in learner, or None: no session, past its limit, ended everywhere, or account gone."""
    learner_id = session.get("learner_id")
    login_at = session.get("login_at")
    generation = session.get("generation")
    if not isinstance(learner_id, int) or not isinstance(login_at, int) or not isinstance(generation, int):
        return None
    if _now() - login_at > MAX_SESSION_SECONDS:
        _forget_session()
        g.session_ended = True
        return None
    learner = accounts.get_learner(_engine(), learner_id)
    if learner is None or learner.session_generation != generation:
        _forget_session()
        g.session_ended = True
        return None
    return learner


def _forget_session() -> None:
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def _start_session(learner: accounts.Learner) -> None:
    """A fresh session for ``learner``: nothing from before the sign-in carries over (no fixation).

    Only a language the visitor chose (``?lang=``) is kept; otherwise the
    profile's language applies from now on, not the browser's default.
    """
    lang = session.get("lang")
    session.clear()
    session.permanent = True
    session["learner_id"] = learner.id
    session["generation"] = learner.session_generation
    session["login_at"] = int(_now())
    if lang:
        session["lang"] = lang


def signed_in(view: Callable[P, R]) -> Callable[P, R | BaseResponse]:
    """Send a visitor without a session to the sign-in page (back here after)."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | BaseResponse:
        if g.learner is None:
            ended = "1" if g.get("session_ended") else None
            return redirect(url_for("portal.signin", next=request.full_path, ended=ended))
        return view(*args, **kwargs)

    return wrapper


def ready(view: Callable[P, R]) -> Callable[P, R | BaseResponse]:
    """Signed in, e-mail confirmed and profile complete: what taking a course needs."""

    @wraps(view)
    @signed_in
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | BaseResponse:
        learner: accounts.Learner = g.learner
        if not learner.verified:
            return redirect(url_for("portal.unconfirmed"))
        if not profile_complete(learner):
            return redirect(url_for("portal.profile", next=request.full_path))
        return view(*args, **kwargs)

    return wrapper


def profile_complete(learner: accounts.Learner) -> bool:
    """What the reports need before a launch: sector, organisation and language."""
    return bool(learner.sector and learner.organisation and learner.language)


def _safe_next(target: str | None, default: str) -> str:
    """Where to go after a form: a portal path only (never another site)."""
    if target and target.startswith(PORTAL_PREFIX + "/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for(default)


def _address() -> str:
    return request.remote_addr or "unknown"


def _mail_limit(to: str) -> Response | None:
    """A 429 page once ``to`` or this client had their mails of the window, else None (one mail counted).

    At most a few mails per recipient and per client address in each window
    (:func:`lrs.portal.throttle.claim_mail`): the forms cannot be used to
    flood someone's mailbox. Counted for the address typed whether or not it
    has an account, so a 429 tells nothing about accounts either.
    """
    try:
        claim_mail(_store(), recipient=to.strip().lower(), address=_address())
    except TooManyAttempts as limited:
        return _message(429, t("mail_throttled", minutes=max(1, -(-limited.retry_after // 60))))
    return None


def _mail(to: str, kind: str, lang: str | None, **values: str) -> None:
    """Queue one of the portal's mails, to be sent once the answer has gone out.

    Sending after the response keeps a known and an unknown address equally
    fast to answer (no account enumeration by timing), and a slow mail server
    never holds the page.
    """
    subject, body = mail_text(kind, lang, **values)
    config = _config()
    logger = current_app.logger

    def send() -> None:
        try:
            send_mail(config, to, subject, body)
        except MailError:
            logger.exception("portal: could not send the %s mail", kind)

    g.setdefault("outbox", []).append(send)


@bp.after_request
def _send_mail_after(response: Response) -> Response:
    """Send the request's queued mails when the response is closed (after it went out)."""
    for send in g.pop("outbox", []):
        response.call_on_close(send)
    return response


# --- accounts -----------------------------------------------------------------------------------


@bp.route("/")
def index() -> BaseResponse:
    """The portal's address: the courses when signed in, else the sign-in page."""
    return redirect(url_for("portal.courses" if g.learner else "portal.signin"))


@bp.route("/signup", methods=["GET", "POST"])
def signup() -> BaseResponse | Response:
    """Sign-up: e-mail, password, language (and an organisation's invitation when the link carried one).

    Whatever the address, the answer is the same page ("check your mail"):
    a new address gets the confirmation link, an address that has an
    account gets a note saying so (with the reset link's page).
    """
    invite = request.values.get("invite", "")
    invitation = accounts.find_invitation(_engine(), invite) if invite else None
    errors: dict[str, str] = {}
    form = {"email": "", "language": g.lang}
    if request.method == "POST":
        form = {"email": request.form.get("email", ""), "language": request.form.get("language", g.lang)}
        if invite and invitation is None:
            errors["invite"] = t("invite_invalid")
        elif (limited := _mail_limit(form["email"])) is not None:
            return limited  # counted before the account is made: one address cannot make accounts without end
        else:
            try:
                outcome = accounts.sign_up(
                    _engine(),
                    form["email"],
                    request.form.get("password", ""),
                    form["language"],
                    invitation_token=invite or None,
                )
            except accounts.AccountError as problem:
                errors[problem.field] = t(f"error_{problem.code}")
            else:
                if outcome.token is not None:
                    link = external(url_for("portal.confirm", token=outcome.token))
                    _mail(outcome.email, "verify", form["language"], link=link)
                else:
                    link = external(url_for("portal.forgot"))
                    _mail(outcome.email, "already_registered", outcome.language, link=link)
                return make_response(render_template("portal/check_mail.html", email=outcome.email))
    status = 400 if errors else 200
    page = render_template("portal/signup.html", form=form, errors=errors, invite=invite, invitation=invitation)
    return make_response(page, status)


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str) -> BaseResponse | Response:
    """The link of the confirmation mail: a button, so that a mail scanner opening the link confirms nothing."""
    if request.method == "POST":
        try:
            accounts.verify_email(_engine(), token)
        except accounts.TokenError as problem:
            return _message(400, t(f"token_{problem.code}"))
        if g.learner is not None:
            return redirect(url_for("portal.profile", confirmed="1"))
        return redirect(url_for("portal.signin", confirmed="1"))
    return make_response(render_template("portal/confirm.html", token=token))


@bp.route("/unconfirmed", methods=["GET", "POST"])
@signed_in
def unconfirmed() -> BaseResponse | Response:
    """Signed in, address not yet confirmed: say so, and send the link again on request."""
    learner: accounts.Learner = g.learner
    if learner.verified:
        return redirect(url_for("portal.courses"))
    sent = False
    if request.method == "POST":
        limited = _mail_limit(learner.email)
        if limited is not None:
            return limited
        token = accounts.new_verify_token(_engine(), learner.id)
        _mail(
            learner.email, "verify", learner.language or g.lang, link=external(url_for("portal.confirm", token=token))
        )
        sent = True
    return make_response(render_template("portal/unconfirmed.html", sent=sent))


@bp.route("/signin", methods=["GET", "POST"])
def signin() -> BaseResponse | Response:
    """Sign-in by e-mail and password; throttled per account and address, never against the owner's own browser."""
    error = None
    status = 200
    if request.method == "POST":
        try:
            learner = accounts.authenticate(
                _store(),
                request.form.get("email", ""),
                request.form.get("password", ""),
                address=_address(),
                device_cookie=request.cookies.get(DEVICE_COOKIE_NAME),
                secret=str(current_app.secret_key),
            )
        except accounts.TooManyAttempts as limited:
            learner = None
            error, status = t("signin_throttled", minutes=max(1, -(-limited.retry_after // 60))), 429
        else:
            if learner is None:
                error, status = t("signin_failed"), 401
        if learner is not None:
            _start_session(learner)
            if not learner.verified:
                target = url_for("portal.unconfirmed")
            elif not profile_complete(learner):
                target = url_for("portal.profile")
            else:
                target = _safe_next(request.args.get("next"), "portal.courses")
            response = redirect(target)
            response.set_cookie(
                DEVICE_COOKIE_NAME,
                accounts.device_cookie(str(current_app.secret_key), learner.id),
                max_age=DEVICE_COOKIE_SECONDS,
                path=url_for("portal.signin"),
                secure=_config().public_url.startswith("https://"),
                httponly=True,
                samesite="Strict",
            )
            return response
    notice = None
    if request.args.get("confirmed"):
        notice = t("confirmed")
    elif request.args.get("reset"):
        notice = t("password_was_reset")
    elif request.args.get("bye"):
        notice = t("signed_out")
    elif request.args.get("ended"):
        notice = t("session_ended")
    elif request.args.get("deleted"):
        notice = t("account_deleted")
    return make_response(render_template("portal/signin.html", error=error, notice=notice), status)


@bp.route("/signout", methods=["POST"])
def signout() -> BaseResponse:
    """Sign out: this session ends, and so does every other of the account (its cookies stop working)."""
    if g.learner is not None:
        accounts.end_all_sessions(_engine(), g.learner.id)
    _forget_session()
    return redirect(url_for("portal.signin", bye="1"))


@bp.route("/forgot", methods=["GET", "POST"])
def forgot() -> BaseResponse | Response:
    """Ask for a reset link; the answer is the same whether an account exists or not."""
    if request.method == "POST":
        email = request.form.get("email", "")
        limited = _mail_limit(email)
        if limited is not None:
            return limited
        found = accounts.request_password_reset(_engine(), email)
        if found is not None:
            learner, token = found
            _mail(
                learner.email, "reset", learner.language or g.lang, link=external(url_for("portal.reset", token=token))
            )
        return make_response(render_template("portal/check_mail.html", email=email.strip(), reset=True))
    return make_response(render_template("portal/forgot.html"))


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset(token: str) -> BaseResponse | Response:
    """A new password from the reset link; every session of the account ends."""
    error = None
    if request.method == "POST":
        try:
            accounts.reset_password(_engine(), token, request.form.get("password", ""))
        except accounts.TokenError as problem:
            return _message(400, t(f"token_{problem.code}"))
        except accounts.AccountError as problem:
            error = t(f"error_{problem.code}")
        else:
            _forget_session()
            return redirect(url_for("portal.signin", reset="1"))
    return make_response(render_template("portal/reset.html", token=token, error=error), 400 if error else 200)


# --- profile ------------------------------------------------------------------------------------


def _offered_sectors() -> list[str]:
    """The framework's sectors, then any sector an imported course adds."""
    found = [v.sector for v in list_courses(_engine(), current_only=True) if v.sector]
    return list(dict.fromkeys([*SECTORS, *found]))


def _offered_languages() -> list[str]:
    """The portal's languages, then any language an imported course adds."""
    found = [lang for v in list_courses(_engine(), current_only=True) for lang in v.languages]
    return list(dict.fromkeys([*languages(), *found]))


@bp.route("/profile", methods=["GET", "POST"])
@signed_in
def profile() -> BaseResponse | Response:
    """The learner's context for the reports: sector, organisation, region, language, role, level; and a name.

    What an invitation set (organisation, sector, region) is shown but not
    editable: it is the organisation's statement of who it invited.
    """
    learner: accounts.Learner = g.learner
    errors: dict[str, str] = {}
    values = {field: getattr(learner, field) or "" for field in accounts.PROFILE_FIELDS}
    if request.method == "POST":
        values = {field: request.form.get(field, "").strip() for field in accounts.PROFILE_FIELDS}
        for field in learner.locked_fields:
            values[field] = getattr(learner, field) or ""
        try:
            accounts.update_profile(_engine(), learner.id, **{k: (v or None) for k, v in values.items()})
        except accounts.ProfileError as problem:
            errors[problem.field] = t("profile_invalid", field=t(f"field_{problem.field}"))
        else:
            if values.get("language") and (lang := pick_language(values["language"])):
                session["lang"] = lang if lang in languages() else session.get("lang", g.lang)
            return redirect(_safe_next(request.args.get("next"), "portal.courses"))
    page = render_template(
        "portal/profile.html",
        values=values,
        errors=errors,
        locked=learner.locked_fields,
        sectors=_offered_sectors(),
        regions=REGIONS,
        roles=ROLES,
        levels=accounts.LEVELS,
        course_languages=_offered_languages(),
        confirmed=bool(request.args.get("confirmed")),
    )
    return make_response(page, 400 if errors else 200)


# --- courses ------------------------------------------------------------------------------------


def _actor() -> dict[str, Any]:
    learner: accounts.Learner = g.learner
    return accounts.learner_actor(learner.actor_name, public_base())


def _package(package_id: int) -> ImportedCourse:
    for package in list_courses(_engine()):
        if package.id == package_id:
            return package
    abort(404)


@bp.route("/courses")
@ready
def courses() -> Response:
    """The catalogue in the learner's language and sector (``?all=1``: every course), and the learner's courses."""
    learner: accounts.Learner = g.learner
    show_all = bool(request.args.get("all"))
    entries = catalogue(_store(), None if show_all else learner.language, None if show_all else learner.sector)
    mine = []
    for package in list_courses(_engine()):
        state = lms.progress(_store(), _actor(), package)
        if state.registration is not None:
            mine.append((package, state))
    page = render_template("portal/courses.html", entries=entries, mine=mine, show_all=show_all)
    return make_response(page)


@bp.route("/course/<int:package_id>")
@ready
def course(package_id: int) -> Response:
    """One course: its modules with progress and a start/continue/review button, goals, the certificate."""
    package = _package(package_id)
    state = lms.progress(_store(), _actor(), package)
    goals = lms.goal_results(_store(), _actor(), package) if state.registration else []
    cert = certificate.certificate_of(_engine(), g.learner.id, package.course_iri)
    page = render_template(
        "portal/course.html",
        package=package,
        state=state,
        goals=goals,
        cert=cert,
        returned=bool(request.args.get("returned")),
    )
    return make_response(page)


@bp.route("/course/<int:package_id>/launch/<int:position>", methods=["POST"])
@ready
def launch(package_id: int, position: int) -> BaseResponse:
    """Open module ``position`` of the course: a new cmi5 launch, then the AU in this window."""
    package = _package(package_id)
    if not 0 <= position < len(package.aus):
        abort(404)
    learner: accounts.Learner = g.learner
    url = lms.launch(
        _actor(),
        accounts.launch_context(learner),
        package,
        position,
        language=pick_text({lang: lang for lang in package.languages}, g.lang),
        return_url=external(url_for("portal.course", package_id=package_id, returned="1")),
    )
    return redirect(url, code=303)


@bp.route("/course/<int:package_id>/certificate", methods=["POST"])
@ready
def issue_certificate(package_id: int) -> BaseResponse | Response:
    """Issue the certificate of a satisfied course, under the name the learner gives (kept in the profile)."""
    package = _package(package_id)
    learner: accounts.Learner = g.learner
    state = lms.progress(_store(), _actor(), package)
    if not state.satisfied or state.registration is None:
        return _message(409, t("certificate_not_yet"))
    name = request.form.get("display_name", "").strip() or (learner.display_name or "")
    try:
        accounts.update_profile(_engine(), learner.id, display_name=name)
        cert = certificate.issue(
            _engine(),
            learner.id,
            name,
            package.course_iri,
            pick_text(package.title, g.lang),
            package.level,
            g.lang,
            state.registration,
            dt.datetime.now(dt.UTC),
        )
    except accounts.ProfileError as problem:
        return _message(400, t("profile_invalid", field=t(f"field_{problem.field}")))
    except certificate.CertificateError as problem:
        name_missing = str(problem).startswith("display_name:")
        return _message(400, t("certificate_name_needed") if name_missing else t("error_generic"))
    return redirect(url_for("portal.course", package_id=package_id) + f"#cert-{cert.code}", code=303)


@bp.route("/certificate/<code>.pdf")
@ready
def certificate_pdf(code: str) -> Response:
    """The learner's own certificate as PDF (someone else's code: 404)."""
    cert = certificate.get_certificate(_engine(), code)
    if cert is None or cert.learner_id != g.learner.id:
        abort(404)
    pdf = certificate.certificate_pdf(
        cert,
        cert.language,
        issuer=certificate.certificate_issuer(_config(), public_base()),
        verify_url=external(url_for("portal.verify_code", code=cert.code)),
    )
    response = make_response(pdf)
    response.mimetype = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="certificate-{cert.code}.pdf"'
    return response


@bp.route("/verify")
def verify() -> BaseResponse | Response:
    """Anyone: type a certificate's code (``?code=``) to check it."""
    typed = request.args.get("code", "")
    if typed:
        try:
            code = certificate.normalise_code(typed)
        except certificate.CodeError:
            return make_response(render_template("portal/verify.html", typed=typed, error=t("code_malformed")), 400)
        return redirect(url_for("portal.verify_code", code=code))
    return make_response(render_template("portal/verify.html", typed="", error=None))


@bp.route("/verify/<code>")
def verify_code(code: str) -> Response:
    """Anyone: what a certificate says (name, course, level, date) and nothing else; unknown codes say so."""
    try:
        normal = certificate.normalise_code(code)
    except certificate.CodeError:
        return make_response(render_template("portal/verify.html", typed=code, error=t("code_malformed")), 404)
    found = certificate.lookup(_engine(), normal)
    status = 200 if found else 404
    return make_response(render_template("portal/verified.html", found=found, code=normal), status)


# --- account ------------------------------------------------------------------------------------


@bp.route("/account")
@signed_in
def account() -> Response:
    """The account: own data download, password change, sign out everywhere, delete the account."""
    done = request.args.get("done")
    notice = {"password": t("password_changed")}.get(done or "")
    return make_response(render_template("portal/account.html", notice=notice, error=None))


@bp.route("/account/data.json")
@signed_in
def my_data() -> Response:
    """Everything the portal holds about the learner, and every statement they made, as one JSON file."""
    learner: accounts.Learner = g.learner
    body = export.learner_data(_store(), _engine(), learner.id, _actor())
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = 'attachment; filename="my-gsog-data.json"'
    return response


def _account_error(error: str, status: int = 400) -> Response:
    """The account page again, saying what went wrong."""
    return make_response(render_template("portal/account.html", notice=None, error=error), status)


def _password_refused(learner: accounts.Learner, password: str) -> Response | None:
    """The account page with an error unless ``password`` is the learner's; throttled like a sign-in.

    Whoever holds a stolen session cookie must not get unlimited guesses
    at the password through these forms.
    """
    try:
        found = accounts.authenticate(
            _store(),
            learner.email,
            password,
            address=_address(),
            device_cookie=request.cookies.get(DEVICE_COOKIE_NAME),
            secret=str(current_app.secret_key),
        )
    except accounts.TooManyAttempts as limited:
        error = t("signin_throttled", minutes=max(1, -(-limited.retry_after // 60)))
        return _account_error(error, 429)
    if found is None or found.id != learner.id:
        return _account_error(t("wrong_password"))
    return None


@bp.route("/account/password", methods=["POST"])
@signed_in
def change_password() -> BaseResponse | Response:
    """A new password (the current one required); every other session ends, this one goes on."""
    learner: accounts.Learner = g.learner
    refused = _password_refused(learner, request.form.get("current_password", ""))
    if refused is not None:
        return refused
    try:
        changed = accounts.change_password(
            _engine(), learner.id, request.form.get("current_password", ""), request.form.get("new_password", "")
        )
    except accounts.AccountError as problem:
        return _account_error(t(f"error_{problem.code}"))
    if changed is None:
        return _account_error(t("wrong_password"))
    _start_session(changed)
    return redirect(url_for("portal.account", done="password"), code=303)


@bp.route("/account/delete", methods=["POST"])
@signed_in
def delete_account() -> BaseResponse | Response:
    """Delete the account and erase every statement and document of the learner (the same erasure as ``lrs erase``)."""
    learner: accounts.Learner = g.learner
    refused = _password_refused(learner, request.form.get("password", ""))
    if refused is not None:
        return refused
    accounts.delete_learner(_store(), learner.id, public_base())
    _forget_session()
    return redirect(url_for("portal.signin", deleted="1"), code=303)
