"""App-wide session and CSRF set-up for the dashboard, called once from :func:`lrs.app.create_app`.

Why it looks like this:

* Flask's signed-cookie session, signed with ``GSOG_LRS_SECRET_KEY`` or the
  key the LRS generated and keeps in its database (:func:`session_secret`):
  every worker and restart must accept the same cookies.
* The cookie is ``HttpOnly`` (no script reads it), ``SameSite=Strict`` (no
  other site's page sends it), ``Secure`` when the public URL is https, and
  scoped to ``/dashboard``: xAPI requests never carry it.
* Two time limits: an idle session ends after :data:`IDLE_SECONDS` (the
  cookie's signature carries its time, so an old cookie is refused by the
  server, not only forgotten by the browser), and any login ends after
  ``LrsConfig.dashboard_session_seconds`` however active (checked by the
  dashboard against the login time in the session).
* CSRF tokens from Flask-WTF. Its app-wide check is off
  (``WTF_CSRF_CHECK_DEFAULT``): xAPI clients POST without cookies or tokens,
  and the dashboard blueprint runs the check on every POST itself. The
  Referer check Flask-WTF makes on https is off because every response says
  ``Referrer-Policy: no-referrer``; the token and ``SameSite=Strict`` carry
  the protection.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from lrs.config import LrsConfig
from lrs.dashboard.accounts import engine_of, session_secret
from lrs.store.interface import Store

#: A dashboard session with no request for this long has ended.
IDLE_SECONDS: Final = 30 * 60
#: Where the dashboard is mounted; the session cookie is sent for this path only.
URL_PREFIX: Final = "/dashboard"

csrf = CSRFProtect()


def configure_sessions(app: Flask, store: Store) -> None:
    """Set the session secret, the cookie's flags and lifetimes, and CSRF tokens on ``app``.

    A store without SQL tables (a test double) and no ``GSOG_LRS_SECRET_KEY``
    leaves the secret unset; the dashboard then answers 503 saying so.
    """
    cfg: LrsConfig = app.config["LRS"]
    secret = cfg.secret_key
    if not secret:
        try:
            secret = session_secret(engine_of(store))
        except TypeError:
            secret = ""
    if secret:
        app.secret_key = secret
    app.config.update(
        SESSION_COOKIE_NAME="gsog_dashboard",
        SESSION_COOKIE_PATH=URL_PREFIX,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=cfg.public_url.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=dt.timedelta(seconds=min(IDLE_SECONDS, cfg.dashboard_session_seconds)),
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_SSL_STRICT=False,
        WTF_CSRF_TIME_LIMIT=cfg.dashboard_session_seconds,
    )
    csrf.init_app(app)
