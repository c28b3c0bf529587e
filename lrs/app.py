"""The Flask app factory: no import-time side effects, one config object."""

from __future__ import annotations

from typing import Final

from flask import Flask, Response, current_app, request

from lrs.api import register_blueprints
from lrs.api.common import ERROR_PAGES, install_app_hooks
from lrs.api.ops import install_request_log
from lrs.config import LrsConfig
from lrs.courses.api import bp as courses_bp
from lrs.dashboard import URL_PREFIX as DASHBOARD_PREFIX
from lrs.dashboard import bp as dashboard_bp
from lrs.dashboard.views import error_page as dashboard_error_page
from lrs.portal.content import install_content_host
from lrs.portal.views import bp as portal_bp
from lrs.portal.views import error_page as portal_error_page
from lrs.sessions import PORTAL_PREFIX, configure_sessions
from lrs.store.interface import Store

#: CSP for an HTML page that does not set its own: nothing loads, nothing runs, no framing.
#: Every HTML page of the LRS sets a policy suited to it (lrs.api.preview); this one
#: covers any other (an error page of a server component, a future page) by default.
DEFAULT_HTML_CSP: Final = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; sandbox"


def create_app(config: LrsConfig | None = None, store: Store | None = None) -> Flask:
    """Build an LRS app; tests pass a config with a temporary database URL."""
    cfg = config or LrsConfig.from_env()
    app = Flask("lrs")
    app.config["LRS"] = cfg
    app.config["MAX_CONTENT_LENGTH"] = cfg.max_request_bytes
    if store is None:
        from lrs.store.sql import SqlStore  # imported here: the store opens a database

        store = SqlStore(cfg.database_url, sqlite_synchronous=cfg.sqlite_synchronous)
    app.extensions["lrs_store"] = store
    # App-wide behaviour, here and nowhere else; after_request hooks run last-registered first.
    install_app_hooks(app)
    register_blueprints(app)
    app.register_blueprint(courses_bp)  # GET /courses/catalogue, public (lrs.courses.api)
    configure_sessions(app, store)  # the dashboard's and the portal's session secret, cookies and CSRF
    app.register_blueprint(dashboard_bp, url_prefix=DASHBOARD_PREFIX)
    app.register_blueprint(portal_bp, url_prefix=PORTAL_PREFIX)  # the learner portal (lrs.portal)
    # people's areas answer errors with pages, the API with JSON (lrs.api.common.html_error_page)
    app.extensions[ERROR_PAGES] = {PORTAL_PREFIX: portal_error_page, DASHBOARD_PREFIX: dashboard_error_page}
    install_content_host(app)  # /content/ on the content origin only, and nothing else there (lrs.portal.content)
    install_request_log(app)
    app.after_request(_security_headers)
    return app


def _security_headers(response: Response) -> Response:
    """Headers every response gets, whichever blueprint (or error handler) made it.

    * ``X-Content-Type-Options: nosniff``: a browser never runs a response as a
      script or page it was not declared as (documents and attachments are
      client-written bytes).
    * ``Referrer-Policy: no-referrer``: launch URLs carry the one-time cmi5
      fetch URL and the learner; a link or resource loaded from such a page
      must not send it to another site.
    * ``Cache-Control: no-store`` on everything under the xAPI prefix and on
      every request that carried credentials: statements, documents and
      tokens must never sit in a shared (or the browser's) cache. A response
      that already says ``no-store`` keeps what it says.
    * HTML: a Content-Security-Policy (the page's own, else
      :data:`DEFAULT_HTML_CSP`) and ``X-Frame-Options`` (DENY unless the page
      chose), against script injection and clickjacking.
    """
    headers = response.headers
    headers["X-Content-Type-Options"] = "nosniff"
    headers.setdefault("Referrer-Policy", "no-referrer")
    cfg: LrsConfig = current_app.config["LRS"]
    prefix = cfg.xapi_prefix.rstrip("/") + "/"
    if request.path.startswith(prefix) or "Authorization" in request.headers:
        headers["Cache-Control"] = "no-store"
        headers.pop("Expires", None)
        headers.pop("Pragma", None)
    if response.mimetype in ("text/html", "application/xhtml+xml"):
        headers.setdefault("Content-Security-Policy", DEFAULT_HTML_CSP)
        headers.setdefault("X-Frame-Options", "DENY")
    return response
