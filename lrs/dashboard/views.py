"""The dashboard's pages: login, logout, one page per report, downloads and the printable PDF.

Every page needs an evaluator's session except the login page. Every POST
carries a CSRF token. Pages are plain HTML (no script at all), styled by
one stylesheet of our own, with charts as SVG images rendered on the
server: they work without JavaScript and under a CSP that allows only
this origin's images and stylesheet.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, Final, ParamSpec, TypeVar

from babel.numbers import format_decimal, format_percent
from flask import (
    Blueprint,
    Response,
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
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response as BaseResponse

from lrs.config import LrsConfig
from lrs.courses.store import CourseImportError, import_package, list_courses, remove_course
from lrs.dashboard.accounts import ADMIN_ROLE, ROLES, TooManyAttempts, User, authenticate, get_user
from lrs.dashboard.charts import chart_data, is_number, render_svg
from lrs.dashboard.filters import CHOICES, CODE_FIELDS, BadFilter, Selection, parse_selection
from lrs.dashboard.i18n import LANGUAGES, MESSAGES, pick_language, translate
from lrs.reports import REPORTS, SUPPRESSED, ReportTable, compare, run_report
from lrs.reports.formats import to_csv, to_xlsx
from lrs.sessions import csrf
from lrs.store.interface import Store
from lrs.store.sql import engine_of

P = ParamSpec("P")
R = TypeVar("R")

#: Policy of every dashboard page: our stylesheet and images (the charts) only, no script,
#: forms only to ourselves, no framing.
PAGE_CSP: Final = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)

bp = Blueprint("dashboard", __name__, template_folder="templates", static_folder="static")


def _now() -> float:
    """Seconds since the epoch (a function so tests can move time on)."""
    return time.time()


def _store() -> Store:
    found: Store = current_app.extensions["lrs_store"]
    return found


def _config() -> LrsConfig:
    cfg: LrsConfig = current_app.config["LRS"]
    return cfg


def t(key: str, **values: object) -> str:
    """Message ``key`` in the request's language."""
    return translate(g.lang, key, **values)


@bp.before_request
def _before() -> Response | None:
    """The secret check, then the language, then CSRF on every POST.

    Without a session secret nothing can be signed (no login, no CSRF
    token, no remembered language): every page says what the operator must
    set, in the browser's language choice, instead of failing.
    """
    if not current_app.secret_key:
        g.lang = request.accept_languages.best_match(LANGUAGES) or LANGUAGES[0]
        return _message_page(
            503,
            "The dashboard needs a session secret: set GSOG_LRS_SECRET_KEY (32 or more random characters).",
        )
    g.lang = pick_language()
    if request.method == "POST":
        csrf.protect()
    return None


@bp.after_request
def _headers(response: Response) -> Response:
    """No caching of pages with learners' figures; the dashboard's CSP on every HTML page."""
    response.headers["Cache-Control"] = "no-store"
    if response.mimetype == "text/html":
        response.headers["Content-Security-Policy"] = PAGE_CSP
    return response


@bp.errorhandler(CSRFError)
def _csrf_failed(_error: CSRFError) -> Response:
    """A POST without a valid token: 400 with a page that says what to do."""
    return _message_page(400, t("csrf_failed"))


@bp.context_processor
def _template_helpers() -> dict[str, Any]:
    return {"t": t, "languages": LANGUAGES, "lang_url": _lang_url}


def _lang_url(lang: str) -> str:
    """The current page in ``lang`` (same query, ``lang`` replaced)."""
    values: dict[str, Any] = {**(request.view_args or {}), **request.args, "lang": lang}
    return url_for(request.endpoint or "dashboard.index", **values)


def _message_page(status: int, message: str) -> Response:
    # the helpers given here too: a routing error's page is rendered outside the blueprint's context processor
    page = render_template("dashboard/message.html", message=message, **_template_helpers())
    return make_response(page, status)


def current_user() -> User | None:
    """The signed-in account, or None (no session, session past its limit, or account removed)."""
    user_id = session.get("user_id")
    login_at = session.get("login_at")
    if not isinstance(user_id, int) or not isinstance(login_at, (int, float)):
        return None
    if _now() - login_at > _config().dashboard_session_seconds:
        session.clear()
        g.session_ended = True
        return None
    user = get_user(engine_of(_store()), user_id)
    if user is None or user.role not in ROLES:
        session.clear()
        return None
    return user


def evaluator_required(view: Callable[P, R]) -> Callable[P, R | BaseResponse]:
    """Send a visitor without an evaluator session to the login page (back here after login)."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | BaseResponse:
        user = current_user()
        if user is None:
            ended = "1" if g.get("session_ended") else None
            return redirect(url_for("dashboard.login", next=request.full_path, ended=ended))
        g.user = user
        return view(*args, **kwargs)

    return wrapper


def _safe_next(target: str | None) -> str:
    """Where to go after login: a dashboard path only (never another site)."""
    if target and target.startswith("/dashboard/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("dashboard.index")


@bp.route("/login", methods=["GET", "POST"])
def login() -> BaseResponse | str:
    """The login form; a POST checks the password (argon2) and starts a fresh session."""
    error = None
    status = 200
    if request.method == "POST":
        username = request.form.get("username", "")
        password = request.form.get("password", "")
        try:
            user = authenticate(_store(), username, password)
        except TooManyAttempts as limited:
            user = None
            error = t("login_throttled", minutes=max(1, -(-limited.retry_after // 60)))
            status = 429
        else:
            if user is None:
                error, status = t("login_failed"), 401
            elif user.role not in ROLES:
                user, error, status = None, t("forbidden"), 403
        if user is not None:
            lang = g.lang
            session.clear()  # a new session: nothing from before the login carries over
            session.permanent = True
            session["user_id"] = user.id
            session["login_at"] = int(_now())
            session["lang"] = lang
            return redirect(_safe_next(request.args.get("next")))
    notice = t("session_ended") if request.args.get("ended") else None
    if request.args.get("bye"):
        notice = t("logged_out")
    page = render_template("dashboard/login.html", error=error, notice=notice)
    return make_response(page, status)


@bp.route("/logout", methods=["POST"])
def logout() -> BaseResponse:
    """End the session (a POST with a CSRF token, so no other page can sign a user out)."""
    lang = g.lang
    session.clear()
    session["lang"] = lang
    return redirect(url_for("dashboard.login", bye="1"))


def _stamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


# --- reports ------------------------------------------------------------------------


def _k() -> int:
    """The smallest group a report cell may show (``GSOG_LRS_REPORT_MIN_GROUP``)."""
    return _config().report_min_group


def _selection() -> Selection:
    return parse_selection(request.args)


def _table(name: str, selection: Selection) -> ReportTable:
    """Report ``name`` for the selection: one period, or both periods side by side."""
    store = _store()
    if selection.compare is not None:
        return compare(store, name, selection.filter, selection.compare, k=_k())
    return run_report(store, name, selection.filter, k=_k())


def title_of(table_or_definition: Any) -> str:
    """A report's title in the request's language."""
    titles: dict[str, str] = table_or_definition.titles
    return titles.get(g.lang) or titles.get("en") or str(table_or_definition.name)


def column_label(column: Any) -> str:
    """A column's heading in the request's language."""
    labels: dict[str, str] = column.labels
    return labels.get(g.lang) or labels.get("en") or str(column.key)


def cell_text(table: ReportTable, column: Any, cell: Any) -> str:
    """A cell as the page and the PDF show it, in the language's number format (Babel).

    Shares as percentages, counts as whole numbers, other figures to two
    decimals. The downloads keep the raw values (spreadsheets format them);
    the suppression marker is the same everywhere.
    """
    if cell is SUPPRESSED:
        return table.suppressed_marker
    if cell is None:
        return "–"
    if isinstance(cell, bool) or not isinstance(cell, (int, float)):
        return str(cell)
    locale = _LOCALES[g.lang]
    if column.kind == "share":
        return format_percent(cell, format="#,##0.0 %", locale=locale)
    if column.kind == "count" or isinstance(cell, int):
        return format_decimal(cell, format="#,##0", locale=locale)
    return format_decimal(cell, format="#,##0.00", locale=locale)


#: The Belgian locale of each dashboard language (number formats).
_LOCALES: Final = {"nl": "nl_BE", "fr": "fr_BE"}


def summary_label(table: ReportTable, key: str) -> str:
    """The label of a single figure outside the table (e.g. the number of organisations)."""
    labels = table.summary_labels.get(key, {})
    return labels.get(g.lang) or labels.get("en") or key


def summary_text(table: ReportTable, value: Any) -> str:
    """A single figure as the page shows it (a count, or the suppression marker)."""
    if value is SUPPRESSED:
        return table.suppressed_marker
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return format_decimal(value, locale=_LOCALES[g.lang])
    return "–" if value is None else str(value)


def suppressed_note(table: ReportTable) -> str:
    """What the suppression marker means, with the table's threshold."""
    return t("suppressed_note", marker=table.suppressed_marker, k=table.k)


def _report_or_404(name: str) -> None:
    if name not in REPORTS:
        raise NotFound()


@bp.errorhandler(NotFound)
def _not_found(_error: NotFound) -> Response:
    """An unknown report or download format: 404 with a way back to the list."""
    return _message_page(404, t("not_found"))


def error_page(status: int) -> Response:
    """The dashboard's page for an error status under /dashboard (called by :func:`lrs.api.common.html_error_page`)."""
    if "lang" not in g:
        try:
            g.lang = pick_language()
        except RuntimeError:  # no session (no secret): the browser's choice
            g.lang = request.accept_languages.best_match(LANGUAGES) or LANGUAGES[0]
    key = {404: "page_not_found"}.get(status, "error_generic")
    return _headers(_message_page(status, t(key)))


def _field_label(field: str) -> str:
    """The form's label of query field ``field``, as the user saw it."""
    if field == "language":
        return t("lang_filter")
    if field.startswith("compare_"):
        return f"{t('compare_period')} – {_field_label(field.removeprefix('compare_'))}"
    return t(field) if field in MESSAGES else field


@bp.errorhandler(BadFilter)
def _bad_filter(error: BadFilter) -> Response:
    """A filter value the reports cannot use: 400, naming the field and what to enter."""
    problem = t(error.problem, **error.values)
    return _message_page(
        400,
        t(
            "bad_filter",
            field=f"«\u202f{_field_label(error.field)}\u202f»" if g.lang == "fr" else f"'{_field_label(error.field)}'",
            problem=problem,
        ),
    )


def admin_required(view: Callable[P, R]) -> Callable[P, R | BaseResponse]:
    """Pages that change what learners are offered: an admin account only (403 for an evaluator)."""

    @wraps(view)
    @evaluator_required
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | BaseResponse:
        if g.user.role != ADMIN_ROLE:
            return _message_page(403, t("admins_only"))
        return view(*args, **kwargs)

    return wrapper


@bp.route("/")
@evaluator_required
def index() -> str:
    """Every report of the registry, with the filter form and the printable PDF."""
    selection = _selection()
    reports = [(name, title_of(definition)) for name, definition in REPORTS.items()]
    return render_template(
        "dashboard/index.html", reports=reports, selection=selection, choices=CHOICES, fields=CODE_FIELDS
    )


@bp.route("/reports/<name>")
@evaluator_required
def report(name: str) -> str:
    """One report: filters, chart (an image with a text alternative), the table, downloads."""
    _report_or_404(name)
    selection = _selection()
    table = _table(name, selection)
    reports = [(other, title_of(definition)) for other, definition in REPORTS.items()]
    return render_template(
        "dashboard/report.html",
        name=name,
        table=table,
        title=title_of(table),
        explanation=table.explanation.get(g.lang, ""),
        reports=reports,
        selection=selection,
        choices=CHOICES,
        fields=CODE_FIELDS,
        cell_text=cell_text,
        column_label=column_label,
        summary_label=summary_label,
        summary_text=summary_text,
        is_number=is_number,
        note=suppressed_note(table),
    )


@bp.route("/reports/<name>/chart.svg")
@evaluator_required
def chart(name: str) -> Response:
    """The report's chart as SVG (an image of our origin: the page's CSP allows it)."""
    _report_or_404(name)
    table = _table(name, _selection())
    svg = render_svg(chart_data(table, g.lang), title_of(table), t("no_rows"))
    response = Response(svg, mimetype="image/svg+xml")
    # SVG is a document: as an image it runs nothing, opened directly it may not either.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    return response


#: Download formats: the reports' own writers (headers in the page's language) and a media type each.
DOWNLOADS: Final[dict[str, tuple[Callable[[ReportTable, str], bytes], str]]] = {
    "csv": (to_csv, "text/csv; charset=utf-8"),
    "xlsx": (to_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}


def _file_stem(name: str, selection: Selection) -> str:
    flt = selection.filter
    period = f"{flt.start or 'begin'}_{flt.end or 'now'}"
    return f"gsog-{name}-{period}"


@bp.route("/reports/<name>/download.<fmt>")
@evaluator_required
def download(name: str, fmt: str) -> Response:
    """The report as CSV or XLSX: the same writer and numbers as ``lrs report NAME --format FMT``."""
    _report_or_404(name)
    if fmt not in DOWNLOADS:
        raise NotFound()
    selection = _selection()
    writer, mimetype = DOWNLOADS[fmt]
    response = Response(writer(_table(name, selection), g.lang), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{_file_stem(name, selection)}.{fmt}"'
    return response


def _filters_line(selection: Selection) -> str:
    used = [f"{_field_label(f)}: {v}" for f, v in selection.args.items() if f in CODE_FIELDS]
    return t("filters_used", filters=", ".join(used) or t("none"))


def _period_text(start: dt.date | None, end: dt.date | None) -> str:
    if start is None and end is None:
        return t("whole_period")
    return f"{start or '…'} – {end or '…'}"


@bp.route("/report.pdf")
@evaluator_required
def report_pdf_view() -> Response:
    """The printable report: every report for the period and filters, in the chosen language."""
    selection = _selection()
    tables = [_table(name, selection) for name in REPORTS]
    flt = selection.filter
    period = _period_text(flt.start, flt.end)
    if selection.compare is not None:
        period += " ↔ " + _period_text(selection.compare.start, selection.compare.end)
    heading = f"{t('app_title')} — {period}"
    from lrs.dashboard.pdf import report_pdf  # fpdf2 and matplotlib load on the first PDF, not with every worker

    pdf = report_pdf(
        tables,
        g.lang,
        heading=heading,
        lines=[_filters_line(selection), t("generated", date=_stamp())],
        cell_text=cell_text,
        labels=column_label,
        no_data=t("no_rows"),
        footnote=suppressed_note,
        summary=lambda table: [
            f"{summary_label(table, k)}: {summary_text(table, v)}" for k, v in table.summary.items()
        ],
    )
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="gsog-report-{g.lang}-{flt.start or "begin"}_{flt.end or "now"}.pdf"'
    )
    return response


# --- courses (admins) -----------------------------------------------------------------------------


def _courses_page(status: int = 200, problems: tuple[str, ...] = (), notice: str | None = None) -> Response:
    packages = list_courses(engine_of(_store()))
    page = render_template(
        "dashboard/courses.html",
        packages=packages,
        problems=problems,
        notice=notice,
        limit_mib=_config().max_request_bytes // (1024 * 1024),
    )
    return make_response(page, status)


@bp.route("/courses")
@admin_required
def courses() -> Response:
    """The courses the portal offers (every stored package version), an upload form and a remove button each."""
    done = request.args.get("done")
    notice = {"imported": t("course_imported"), "removed": t("course_removed")}.get(done or "")
    return _courses_page(notice=notice)


@bp.route("/courses/import", methods=["POST"])
@admin_required
def import_course() -> BaseResponse:
    """Import an uploaded cmi5 zip with ``lrs course import``'s rules: all or nothing, every refusal named."""
    upload = request.files.get("package")
    if upload is None or not upload.filename:
        return _courses_page(400, (t("choose_package"),))
    name = Path(upload.filename).name
    with tempfile.TemporaryDirectory(prefix="gsog-import-") as folder:
        path = Path(folder) / "package.zip"
        upload.save(path)
        try:
            import_package(_store(), path, name=name)
        except CourseImportError as refused:
            return _courses_page(422, refused.problems)
    return redirect(url_for("dashboard.courses", done="imported"), code=303)


@bp.route("/courses/<int:package_id>/remove", methods=["POST"])
@admin_required
def remove_package(package_id: int) -> BaseResponse:
    """Remove one package version (the version imported before it becomes current again)."""
    if not remove_course(_store(), str(package_id)):
        return _message_page(404, t("not_found"))
    return redirect(url_for("dashboard.courses", done="removed"), code=303)
