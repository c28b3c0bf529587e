"""What every xAPI resource shares: versions, errors, headers, CORS, alternate syntax.

Every resource blueprint calls :func:`xapi_blueprint` on itself; that makes
its requests negotiate ``X-Experience-API-Version`` (400 when missing or
unsupported) and refuse broken alternate-syntax requests. App-wide hooks
(installed once by :func:`lrs.app.create_app` through :func:`install_app_hooks`)
echo the version on *every* response, errors included, render every error as
``{"error": {"message": ...}}`` and add CORS headers so browser-based players
can post statements from another origin.

Version echo when a request did not say which version it speaks (About
without header, or the 400 for a missing header): the configured default,
``LrsConfig.xapi_default_version`` (``GSOG_LRS_XAPI_DEFAULT_VERSION``), 2.0.0
unless set; the conformance suite's 1.0.3 run expects 1.0.3 there.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from email.utils import format_datetime
from io import SEEK_END, BytesIO
from typing import IO, Any, Final, NoReturn
from urllib.parse import parse_qsl, urlencode

from flask import Blueprint, Flask, Response, current_app, g, request
from werkzeug.exceptions import HTTPException
from werkzeug.wsgi import ClosingIterator

from lrs.api import errorlog
from lrs.api.form_stream import Form, FormError, read_form
from lrs.config import LrsConfig
from lrs.store.interface import ConflictError, PreconditionFailed, Store
from lrs.xapi.jsontext import MAX_JSON_DEPTH, ClientJsonError, dumps_json, parse_client_json, printable, text_problem
from lrs.xapi.validate import StatementInvalid
from lrs.xapi.versions import V1, V2, ApiVersion, coerce, negotiate

log = logging.getLogger(__name__)

VERSION_HEADER: Final = "X-Experience-API-Version"
#: Headers a browser may send cross-origin and read back (CORS).
CORS_ALLOW_HEADERS: Final = (
    "Authorization, Content-Type, X-Experience-API-Version, If-Match, If-None-Match, Accept-Language"
)
CORS_EXPOSE_HEADERS: Final = (
    "X-Experience-API-Version, X-Experience-API-Consistent-Through, ETag, Last-Modified, Content-Type, Location"
)
CORS_ALLOW_METHODS: Final = "GET, HEAD, POST, PUT, DELETE, OPTIONS"
#: Form fields of the 1.0.3 alternate request syntax that stand for headers.
ALTERNATE_HEADER_FIELDS: Final = {
    "authorization": "HTTP_AUTHORIZATION",
    "x-experience-api-version": "HTTP_X_EXPERIENCE_API_VERSION",
    "content-type": "CONTENT_TYPE",
    "content-length": "CONTENT_LENGTH",
    "if-match": "HTTP_IF_MATCH",
    "if-none-match": "HTTP_IF_NONE_MATCH",
}
_ALT_ERROR: Final = "lrs.alternate_syntax_error"


class XapiError(Exception):
    """An error answered as ``{"error": {"message": ...}}`` with ``status``.

    Raise it anywhere in a request; the app-wide handler renders it with the
    version header (and, on statements, the consistent-through header).
    """

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def fail(status: int, message: str) -> NoReturn:
    """Raise :class:`XapiError` (reads better in view code)."""
    raise XapiError(status, message)


# --- configuration and state of the request ----------------------------------


def config() -> LrsConfig:
    """The app's :class:`LrsConfig`."""
    cfg: LrsConfig = current_app.config["LRS"]
    return cfg


def store() -> Store:
    """The app's store (``current_app.extensions["lrs_store"]``)."""
    found: Store = current_app.extensions["lrs_store"]
    return found


def default_version() -> ApiVersion:
    """The version echoed when the request named none (see module docstring)."""
    return coerce(getattr(config(), "xapi_default_version", None), V2)


def api_version() -> ApiVersion:
    """The version this request negotiated (the default before negotiation)."""
    version: ApiVersion | None = g.get("xapi_version")
    return version or default_version()


def is_v2() -> bool:
    """Whether this request speaks xAPI 2.0."""
    return api_version() == V2


def negotiate_version() -> ApiVersion:
    """Read ``X-Experience-API-Version``; 400 when missing or unsupported."""
    header = request.headers.get(VERSION_HEADER)
    version = negotiate(header)
    if version is None:
        if header is None:
            fail(400, f"The {VERSION_HEADER} header is required (1.0.3 or 2.0.0).")
        fail(400, f"{VERSION_HEADER} {header!r} is not supported; use 1.0.x (answered as 1.0.3) or 2.0.x.")
    g.xapi_version = version
    return version


# --- responses -----------------------------------------------------------------


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """JSON with ``Content-Type: application/json; charset=utf-8`` (non-ASCII kept as UTF-8)."""
    body = dumps_json(data)
    response = Response(body, status=status, content_type="application/json; charset=utf-8")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """The one error shape of the LRS."""
    return json_response({"error": {"message": message}}, status, headers)


def http_date(moment: dt.datetime) -> str:
    """RFC 7231 date for ``Last-Modified`` (seconds precision, GMT)."""
    return format_datetime(moment.astimezone(dt.UTC), usegmt=True)


def parse_bool(name: str, value: str | None, default: bool = False) -> bool:
    """``true`` / ``false`` query parameters; anything else is a 400 naming the parameter."""
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    fail(400, f"{name}: must be true or false")


def check_params(allowed: Iterable[str]) -> None:
    """400 for any query parameter this resource does not define (names are case-sensitive)."""
    known = set(allowed)
    for name in request.args:
        if name not in known:
            near = [k for k in known if k.lower() == name.lower()]
            hint = f' (parameter names are case-sensitive: "{near[0]}")' if near else ""
            fail(400, f"Unknown parameter {name!r}{hint}.")
        if len(request.args.getlist(name)) > 1:
            fail(400, f"Parameter {name!r} is given more than once.")


def media_type(header: str | None) -> str:
    """The bare, lower-cased media type of a Content-Type header ('' when absent)."""
    return (header or "").split(";", 1)[0].strip().lower()


def load_json(text: str | bytes, what: str) -> Any:
    """Parse JSON from a client: 400 naming ``what`` and the place for every refusal.

    The rules (UTF-8, syntax, finite numbers only, bounded nesting, no NUL or
    lone surrogate in any string) are :func:`lrs.xapi.jsontext.parse_client_json`'s,
    the one parser of client JSON.
    """
    try:
        return parse_client_json(text, what)
    except ClientJsonError as error:
        fail(400, str(error))


def check_request_text() -> None:
    """400 for NUL or a lone surrogate in the path, a query parameter or a header.

    Every one of them can end up in a database (ids, IRIs, content types,
    the Basic user name) where PostgreSQL refuses NUL with an error; refusing
    them here, app-wide and before authentication, makes that a 400 naming
    the parameter for every route instead of a 500 on some.
    """
    problem = text_problem(request.path)
    if problem is not None:
        fail(400, f"The request path {problem}.")
    for name, value in request.args.items(multi=True):
        for part, text in (("name", name), ("value", value)):
            problem = text_problem(text)
            if problem is not None:
                fail(400, f"Query parameter {printable(name)!r} ({part}) {problem}.")
    for name, value in request.headers.items():
        problem = text_problem(value)
        if problem is not None:
            fail(400, f"The {printable(name)} header {problem}.")


# --- hooks -------------------------------------------------------------------------


def xapi_blueprint(bp: Blueprint) -> None:
    """Make ``bp`` an xAPI resource: version negotiation and alternate-syntax checks first."""
    bp.before_request(_before_xapi_request)


def _before_xapi_request() -> None:
    if request.method == "OPTIONS":
        return
    problem = request.environ.get(_ALT_ERROR)
    if problem is not None:
        status, message = problem
        # The version header may be what was wrong; still answer in a sane version.
        version = negotiate(request.headers.get(VERSION_HEADER))
        if version is not None:
            g.xapi_version = version
        fail(status, message)
    negotiate_version()


#: ``app.extensions`` key of the HTML error pages: path prefix -> ``page(status)`` (see :func:`html_error_page`).
ERROR_PAGES: Final = "lrs_error_pages"


def html_error_page(status: int) -> Response | None:
    """The error page of the area a request's path is in (the portal, the dashboard), or None for JSON.

    People reach those areas with a browser: a mistyped address, a
    bookmarked form address (405) or a failure inside a page must answer
    with a page in their language and the area's headers, not the API's
    JSON. Routing errors happen before Flask knows the blueprint, so the
    areas register their page here by path prefix (in ``create_app``)
    instead of relying on their blueprint's error handler.
    """
    pages: dict[str, Callable[[int], Response]] = current_app.extensions.get(ERROR_PAGES, {})
    for prefix, page in pages.items():
        if request.path == prefix or request.path.startswith(prefix + "/"):
            return page(status)
    return None


def install_app_hooks(app: Flask) -> None:
    """App-wide: NUL checks, error rendering, version echo, CORS, alternate syntax (call once)."""
    cfg: LrsConfig = app.config["LRS"]
    app.wsgi_app = AlternateSyntax(app.wsgi_app, cfg.xapi_prefix, cfg.max_request_bytes)  # type: ignore[method-assign]
    app.before_request(check_request_text)
    app.after_request(_finish_response)
    app.register_error_handler(XapiError, _xapi_error)
    app.register_error_handler(StatementInvalid, _invalid)
    app.register_error_handler(ConflictError, _conflict)
    app.register_error_handler(PreconditionFailed, _precondition)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)


def _xapi_error(error: XapiError) -> Response:
    return error_response(error.status, error.message, error.headers)


def _invalid(error: StatementInvalid) -> Response:
    return error_response(400, str(error))


def _conflict(error: ConflictError) -> Response:
    message = str(error) or "A statement with this id exists with different content."
    return error_response(409, message)


def _precondition(error: PreconditionFailed) -> Response:
    return error_response(412, str(error) or "The If-Match / If-None-Match precondition failed.")


def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    page = html_error_page(status)
    if page is not None:
        for name, value in error.get_headers():
            if name.lower() == "allow":
                page.headers["Allow"] = value
        return page
    if status == 413:
        limit = config().max_request_bytes
        message = f"The request body is larger than this LRS accepts ({limit} bytes, max_request_bytes)."
    elif status == 404:
        message = f"No resource at {request.path}."
    elif status == 405:
        message = f"{request.method} is not allowed on {request.path}."
    else:
        message = error.description or error.name
    response = error_response(status, message)
    for name, value in error.get_headers():
        if name.lower() == "allow":
            response.headers["Allow"] = value
    return response


def _unexpected(error: Exception) -> Response:
    if errorlog.hides_message(error):  # its text may quote SQL parameters: learners' data
        log.error("unexpected error on %s %s:\n%s", request.method, request.url_rule or "?", errorlog.summary(error))
    else:
        log.exception("unexpected error on %s %s", request.method, request.url_rule or "?", exc_info=error)
    page = html_error_page(500)
    if page is not None:
        return page
    return error_response(500, "The LRS hit an internal error; the request was not completed.")


def _finish_response(response: Response) -> Response:
    response.headers[VERSION_HEADER] = api_version()
    origin = request.headers.get("Origin")
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers.add("Vary", "Origin")
        response.headers["Access-Control-Expose-Headers"] = CORS_EXPOSE_HEADERS
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = CORS_ALLOW_METHODS
            response.headers["Access-Control-Allow-Headers"] = (
                request.headers.get("Access-Control-Request-Headers") or CORS_ALLOW_HEADERS
            )
            response.headers["Access-Control-Max-Age"] = "600"
    return response


# --- alternate request syntax (xAPI 1.0.3 Communication §1.3) ---------------------


class AlternateSyntax:
    """WSGI middleware turning a 1.0.3 ``POST ?method=X`` form into the request it stands for.

    Browsers of old could only send GET and POST without custom headers, so
    1.0.3 lets a client POST a form carrying the real method (query string),
    the headers, the parameters and the body (``content``). Rewriting the
    WSGI environ once, before Flask routes, means every resource gets the
    syntax for free. 2.0 removed it: such requests are refused (400). Problems
    are recorded in the environ and raised by :func:`_before_xapi_request` so
    they get the normal JSON error and version header.

    The form carries the credentials, so it is read before anyone is
    authenticated: it is read as a stream (:func:`lrs.api.form_stream.read_form`)
    whose memory does not grow with the body, refused past ``max_bytes``
    before a byte is read, and its ``content`` becomes the new ``wsgi.input``
    from a temporary file (closed when the response is done).
    """

    def __init__(self, wsgi_app: Any, prefix: str, max_bytes: int) -> None:
        self.wsgi_app = wsgi_app
        self.prefix = prefix.rstrip("/")
        self.max_bytes = max_bytes

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO", "").startswith(self.prefix + "/"):
            query = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
            if any(name == "method" for name, _ in query):
                body = self._rewrite(environ, query)
                if body is not None:
                    return ClosingIterator(self.wsgi_app(environ, start_response), [body.close])
        return self.wsgi_app(environ, start_response)

    def _reject(self, environ: dict[str, Any], message: str, status: int = 400) -> None:
        environ[_ALT_ERROR] = (status, message)

    def _rewrite(self, environ: dict[str, Any], query: list[tuple[str, str]]) -> IO[bytes] | None:
        """Rewrite ``environ`` (or record why not); return the new body file to close afterwards."""
        if environ.get("REQUEST_METHOD") != "POST":
            self._reject(environ, "The alternate request syntax (?method=) must be sent as a POST.")
            return None
        header_version = negotiate(environ.get("HTTP_X_EXPERIENCE_API_VERSION"))
        if header_version == V2:
            self._reject(environ, "xAPI 2.0 does not support the alternate request syntax (?method=).")
            return None
        if len(query) != 1:
            self._reject(environ, "With the alternate request syntax, 'method' must be the only query parameter.")
            return None
        method = query[0][1].upper()
        if method not in ("GET", "HEAD", "PUT", "POST", "DELETE"):
            self._reject(environ, f"method={query[0][1]!r} is not an HTTP method the LRS supports.")
            return None
        form = self._read_form(environ)
        if form is None:
            return None
        return self._apply(environ, method, form)

    def _read_form(self, environ: dict[str, Any]) -> Form | None:
        """The form, read in constant memory; None (and the error recorded) when it is refused."""
        content_type = media_type(environ.get("CONTENT_TYPE"))
        declared = (environ.get("CONTENT_LENGTH") or "").strip()
        if declared and not (declared.isascii() and declared.isdigit()):
            self._reject(environ, f"Content-Length {declared[:40]!r} is not a number of bytes.")
            return None
        length = int(declared or 0)
        if length > self.max_bytes:
            self._reject(environ, f"The request body is larger than this LRS accepts ({self.max_bytes} bytes).", 413)
            return None
        if content_type != "application/x-www-form-urlencoded":
            if length:
                self._reject(environ, "The alternate request syntax needs an application/x-www-form-urlencoded body.")
                return None
            return Form([], None)
        try:
            return read_form(environ["wsgi.input"].read, length)
        except FormError as error:
            self._reject(environ, str(error))
            return None

    def _apply(self, environ: dict[str, Any], method: str, form: Form) -> IO[bytes] | None:
        params: list[tuple[str, str]] = []
        content_type: str | None = None
        for name, value in form.fields:
            key = ALTERNATE_HEADER_FIELDS.get(name.lower())
            if key == "CONTENT_TYPE":
                content_type = value
            elif key == "CONTENT_LENGTH":
                continue  # recomputed from "content"
            elif key is not None:
                environ[key] = value
            else:
                params.append((name, value))
        body = form.content
        if negotiate(environ.get("HTTP_X_EXPERIENCE_API_VERSION")) == V2:
            self._reject(environ, "xAPI 2.0 does not support the alternate request syntax (?method=).")
            if body is not None:
                body.close()
            return None
        if body is None:
            body = BytesIO()
        size = body.seek(0, SEEK_END)
        body.seek(0)
        environ["REQUEST_METHOD"] = method
        environ["QUERY_STRING"] = urlencode(params)
        environ["CONTENT_TYPE"] = content_type or ("application/json" if form.content is not None else "")
        environ["CONTENT_LENGTH"] = str(size)
        environ["wsgi.input"] = body
        environ["lrs.alternate_syntax"] = True
        return body


__all__ = [
    "MAX_JSON_DEPTH",
    "V1",
    "V2",
    "XapiError",
    "api_version",
    "check_params",
    "check_request_text",
    "config",
    "error_response",
    "fail",
    "http_date",
    "install_app_hooks",
    "is_v2",
    "json_response",
    "load_json",
    "media_type",
    "negotiate_version",
    "parse_bool",
    "store",
    "xapi_blueprint",
]
