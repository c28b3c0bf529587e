"""Serving imported course packages to learners' browsers, on an origin of their own.

``GET /content/<package id>/<member>`` (and HEAD) answers with one file of a
stored package (:mod:`lrs.courses.store`), streamed from its database chunks:
conditional requests (an ETag from the package's SHA-256 and the path),
byte ranges (a video seeks: 206, or 416 for a range past the end), the MIME
type of the name (``.js`` text/javascript, ``.vtt`` text/vtt, ``.mp4``
video/mp4, ...). Only names the package lists are served, by exact match:
nothing outside the package is reachable, whatever the path says.

Why a second origin. A package's scripts run with the rights of the origin
that serves them. On the portal's origin, a malicious or buggy package
could read the portal's pages with the learner's session (and act as the
learner). So packages are served from ``LrsConfig.content_url``, a second
host name pointing at this same server, and the host decides what a
request may reach (:func:`install_content_host`): on the content host only
``/content/`` (everything else 404), on any other host never ``/content/``.
The player talks to the xAPI endpoint on the main origin (the launch's
``endpoint``) through CORS, which the LRS answers for any origin (its
credentials are the session token, never a cookie).

Without ``content_url``: on a loopback address the content origin is the
other loopback name on the same port (``127.0.0.1`` <-> ``localhost``), so the
demo and the tests run separated on a fresh machine; otherwise the files are
served on the main origin under ``/content/`` and a warning is logged once
(set ``GSOG_LRS_CONTENT_URL`` in production).

Window: the portal opens an AU in the same window (a redirect to the AU URL
after the launch POST); the player goes back to the launch's ``returnURL``
when the learner leaves. No page embeds an AU, so content refuses framing
(``frame-ancestors 'none'``, ``X-Frame-Options: DENY``), and
``Cross-Origin-Opener-Policy: same-origin`` cuts the link to any window that
opened it.

Course files are public to whoever knows a package id (as the catalogue
is): they hold course material, never learners' data, and the content
origin carries no cookie to check.
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
import threading
from dataclasses import dataclass
from typing import Final
from urllib.parse import quote, urlsplit

import sqlalchemy as sa
from flask import Blueprint, Flask, Response, abort, request

from lrs.api.common import config, error_response, store
from lrs.api.urls import public_base, public_origin
from lrs.courses.store import course_file, file_chunks
from lrs.courses.tables import course_packages
from lrs.store.sql import engine_of

log = logging.getLogger("lrs.portal.content")

#: The blueprint's name: the host check tells content requests by it.
BLUEPRINT: Final = "content"
bp = Blueprint(BLUEPRINT, __name__)

#: Loopback names that swap into each other for a development content origin.
_LOOPBACK_PAIR: Final = {"localhost": "127.0.0.1", "127.0.0.1": "localhost"}
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}
#: MIME types by suffix where the platform's table is missing or wrong (``mimetypes`` reads /etc/mime.types).
_TYPES: Final = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".vtt": "text/vtt",
    ".mp4": "video/mp4",
    ".webm": "video/webm",
    ".json": "application/json",
    ".css": "text/css",
    ".html": "text/html",
    ".svg": "image/svg+xml",
    ".woff2": "font/woff2",
}
#: How long a browser may reuse a file without asking (a package id's files never change:
#: re-importing a version stores it under a new id).
MAX_AGE: Final = 24 * 3600

_warned = threading.Event()


@dataclass(frozen=True)
class ContentOrigin:
    """Where package files are served: ``base`` (no trailing slash) and whether it is an origin of its own."""

    base: str
    separate: bool

    @property
    def origin(self) -> str:
        """``scheme://host[:port]`` (for CSP source lists such as the portal's ``form-action``)."""
        parts = urlsplit(self.base)
        return f"{parts.scheme}://{parts.netloc}"

    def __str__(self) -> str:
        """The origin, so that the object reads right in a CSP source list."""
        return self.origin

    @property
    def host(self) -> tuple[str, int]:
        """The (host name, port) a request's Host must name to be on the content origin."""
        return _host_port(urlsplit(self.base).netloc, urlsplit(self.base).scheme)


def _host_port(netloc: str, scheme: str) -> tuple[str, int]:
    parts = urlsplit("//" + netloc)
    try:
        port = parts.port
    except ValueError:
        port = None
    return (parts.hostname or "").lower(), port or _DEFAULT_PORTS.get(scheme, 80)


def content_origin() -> ContentOrigin:
    """The content origin of this request's app (needs a request context: it may derive from the bind address).

    ``content_url`` when set; else the loopback twin of :func:`public_base`
    (development); else :func:`public_base` itself, shared with the portal
    (a warning, once per process).
    """
    configured = config().content_url
    if configured:
        return ContentOrigin(configured, separate=True)
    main = public_base()
    parts = urlsplit(main)
    twin = _LOOPBACK_PAIR.get((parts.hostname or "").lower())
    if twin is not None:
        netloc = twin + (f":{parts.port}" if parts.port else "")
        return ContentOrigin(parts._replace(netloc=netloc).geturl(), separate=True)
    if not _warned.is_set():
        _warned.set()
        log.warning(
            "content_url (GSOG_LRS_CONTENT_URL) is not set: course packages are served on the portal's own "
            "origin %s, where their scripts could read the portal's pages; set it to a second host name",
            main,
        )
    return ContentOrigin(main, separate=False)


def content_url(package_id: int, member: str) -> str:
    """The absolute URL of a package file on the content origin; ``member`` may carry a query (an AU's URL)."""
    parts = urlsplit(member)
    url = f"{content_origin().base}/content/{package_id}/{quote(parts.path, safe='/')}"
    return url + (f"?{parts.query}" if parts.query else "") + (f"#{parts.fragment}" if parts.fragment else "")


def on_content_host() -> bool:
    """Whether this request's Host is the (separate) content origin's host."""
    origin = content_origin()
    return origin.separate and _host_port(request.host, request.scheme) == origin.host


def _route_by_host() -> Response | None:
    """Before every request: the content host serves content only, and content is served there only.

    Answers the LRS's 404 for an unknown path (nothing about the other
    host's routes is revealed), as a response rather than an exception, so
    no blueprint's own error page runs for a request it never saw. With no
    separate content origin, nothing is refused.
    """
    origin = content_origin()
    if not origin.separate:
        return None
    content_request = request.blueprint == BLUEPRINT
    if on_content_host() != content_request:
        return error_response(404, f"No resource at {request.path}.")
    return None


def install_content_host(app: Flask) -> None:
    """Register the content blueprint and the host check, first of the app's before-request hooks.

    Called once from :func:`lrs.app.create_app` (app-wide behaviour is wired there).
    """
    app.register_blueprint(bp)
    app.before_request_funcs.setdefault(None, []).insert(0, _route_by_host)


def _package_csp() -> str:
    """CSP of package files: the player runs its own scripts, loads its own media, talks to the LRS only.

    The player (player/index.html) loads ``player/*.js``, ``content/course.js``,
    its stylesheet, images, captions and videos from the package, has no
    inline script or style, and its favicon is ``data:,``; it calls the
    launch's ``endpoint`` and ``fetch`` URLs on the LRS's main origin.
    """
    return (
        "default-src 'self'; img-src 'self' data:; media-src 'self'; "
        f"connect-src 'self' {public_origin()}; object-src 'none'; base-uri 'self'; "
        "form-action 'self'; frame-ancestors 'none'"
    )


def _package_sha(package_id: int) -> str | None:
    row = sa.select(course_packages.c.sha256).where(course_packages.c.id == package_id)
    with engine_of(store()).connect() as conn:
        found = conn.execute(row).scalar()
    return None if found is None else str(found)


def mimetype_of(member: str) -> str:
    """The Content-Type of a package file by its name (``application/octet-stream`` when unknown)."""
    suffix = "." + member.rsplit(".", 1)[-1].lower() if "." in member.rsplit("/", 1)[-1] else ""
    return _TYPES.get(suffix) or mimetypes.guess_type(member)[0] or "application/octet-stream"


@bp.route("/content/<int:package_id>/<path:member>", methods=["GET"])
def serve(package_id: int, member: str) -> Response:
    """One file of a stored package, streamed from its chunks, whole or by one byte range.

    Memory stays at one stored chunk whatever the file's size, and a range
    reads only the chunks it covers (a video seek does not read the start).
    A multi-range request gets the whole file (200), as RFC 9110 allows.
    """
    sha = _package_sha(package_id)
    file = course_file(store(), package_id, member) if sha is not None else None
    if file is None or sha is None:
        abort(404)
    etag = hashlib.sha256(f"{sha}\0{member}".encode()).hexdigest()[:32]
    response = Response(mimetype=mimetype_of(member), direct_passthrough=True)
    response.set_etag(etag)
    headers = response.headers
    headers["Accept-Ranges"] = "bytes"
    headers["Cache-Control"] = f"private, max-age={MAX_AGE}"
    headers["Content-Security-Policy"] = _package_csp()
    headers["X-Frame-Options"] = "DENY"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if request.if_none_match.contains(etag):
        response.status_code = 304
        return response
    start, end = 0, file.size
    byte_range, if_range = request.range, request.if_range
    # If-Range: the range applies to this version only (a date never matches: the ETag is the validator)
    fresh = if_range.date is None and if_range.etag in (None, etag)
    if byte_range is not None and len(byte_range.ranges) == 1 and fresh:
        bounds = byte_range.range_for_length(file.size)
        if bounds is None:
            response.status_code = 416
            headers["Content-Range"] = f"bytes */{file.size}"
            return response
        start, end = bounds
        response.status_code = 206
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{file.size}"
    response.content_length = end - start
    if request.method != "HEAD":
        response.response = file_chunks(store(), file, start, end)
    return response
