"""App-wide session and CSRF set-up for the pages people sign in to, called once from :func:`lrs.app.create_app`.

Two areas have sessions: the evaluators' dashboard and the learners'
portal. Each gets a cookie of its own (:data:`AREAS`), scoped to its path,
so a learner's session never opens the dashboard, an evaluator's never the
portal, and xAPI requests carry neither. Why it looks like this:

* Flask's signed-cookie session, signed with ``GSOG_LRS_SECRET_KEY`` or the
  key the LRS generated and keeps in its database (:func:`session_secret`):
  every worker and restart must accept the same cookies.
* The cookie is ``HttpOnly`` (no script reads it), ``SameSite=Strict`` for
  the dashboard (no other site's page sends it) and ``Lax`` for the portal
  (a module on the content origin links back to the course page; a
  cross-site POST still carries no cookie, and every POST needs its token), ``Secure`` when the public URL is https, and
  scoped to its area's path.
* Idle time per area: a session with no request for ``idle_seconds`` has
  ended (the cookie's signature carries its time, so an old cookie is
  refused by the server, not only forgotten by the browser). Each area
  also checks the sign-in time against its own longest session.
* CSRF tokens from Flask-WTF. Its app-wide check is off
  (``WTF_CSRF_CHECK_DEFAULT``): xAPI clients POST without cookies or tokens,
  and each area's blueprint runs the check on every POST itself. The
  Referer check Flask-WTF makes on https is off because every response says
  ``Referrer-Policy: no-referrer``; the token and ``SameSite=Strict`` carry
  the protection.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Final

import sqlalchemy as sa
from flask import Flask, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from flask.wrappers import Request, Response
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from lrs.config import LrsConfig
from lrs.store.interface import Store
from lrs.store.sql import engine_of
from lrs.store.tables import app_secrets


@dataclass(frozen=True)
class SessionArea:
    """One part of the site with its own session cookie."""

    prefix: str
    cookie: str
    idle_seconds: int
    #: ``Strict``, or ``Lax`` where people arrive by a link from another site (the portal: a module on the
    #: content origin sends the learner back to the course page); every POST carries a CSRF token either way.
    samesite: str = "Strict"


#: Where the dashboard is mounted.
DASHBOARD_PREFIX: Final = "/dashboard"
#: Where the learner portal is mounted.
PORTAL_PREFIX: Final = "/portal"
#: Every area with sessions; a request outside them has no session at all.
AREAS: Final = (
    # an evaluator sees learners' figures: a short idle time
    SessionArea(DASHBOARD_PREFIX, "gsog_dashboard", 30 * 60),
    # a learner comes back from a module of an hour or more to the course page
    SessionArea(PORTAL_PREFIX, "gsog_portal", 4 * 3600, samesite="Lax"),
)
#: A dashboard session with no request for this long has ended.
IDLE_SECONDS: Final = AREAS[0].idle_seconds

csrf = CSRFProtect()
#: Name of the generated session secret in ``app_secrets``.
SESSION_SECRET: Final = "session_secret_key"


def area_of(path: str) -> SessionArea | None:
    """The area ``path`` belongs to, if any."""
    for area in AREAS:
        if path == area.prefix or path.startswith(area.prefix + "/"):
            return area
    return None


class AreaSessionInterface(SecureCookieSessionInterface):
    """Signed-cookie sessions with one cookie, path and idle time per area (:data:`AREAS`)."""

    def _area(self) -> SessionArea | None:
        return area_of(request.path)

    def get_cookie_name(self, app: Flask) -> str:
        """The area's cookie (outside every area the name is never used: no session opens there)."""
        area = self._area()
        return area.cookie if area else "gsog_none"

    def get_cookie_path(self, app: Flask) -> str:
        """The area's path: the browser sends the cookie there only."""
        area = self._area()
        return area.prefix if area else "/"

    def get_cookie_samesite(self, app: Flask) -> str | None:
        """The area's SameSite rule."""
        area = self._area()
        return area.samesite if area else "Strict"

    def get_expiration_time(self, app: Flask, session: SessionMixin) -> dt.datetime | None:
        """Now plus the area's idle time for a permanent session; a browser session otherwise."""
        area = self._area()
        if not session.permanent or area is None:
            return None
        return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=area.idle_seconds)

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """The area's session; outside every area an empty one that is never saved."""
        area = area_of(request.path)
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        raw = request.cookies.get(area.cookie) if area else None
        if not raw:
            return self.session_class()
        try:
            data = serializer.loads(raw, max_age=area.idle_seconds if area else 0)
        except Exception:  # noqa: BLE001 - a bad, old or foreign cookie is simply no session
            return self.session_class()
        return self.session_class(data)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        """Save inside an area only."""
        if self._area() is not None:
            super().save_session(app, session, response)


def configure_sessions(app: Flask, store: Store) -> None:
    """Set the session secret, the cookies' flags and lifetimes, and CSRF tokens on ``app``.

    A store without SQL tables (a test double) and no ``GSOG_LRS_SECRET_KEY``
    leaves the secret unset; the dashboard and the portal then answer 503 saying so.
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
    app.session_interface = AreaSessionInterface()
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=cfg.public_url.startswith("https://"),
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_SSL_STRICT=False,
        WTF_CSRF_TIME_LIMIT=cfg.dashboard_session_seconds,
    )
    csrf.init_app(app)


def session_secret(engine: Engine) -> str:
    """The generated session secret, created on first use; every worker reads the same row.

    Two workers starting at once may both try to insert; the primary key lets
    one win and the other reads the winner's value.
    """
    query = sa.select(app_secrets.c.value).where(app_secrets.c.name == SESSION_SECRET)
    with engine.connect() as conn:
        found = conn.execute(query).scalar_one_or_none()
    if found is not None:
        return str(found)
    try:
        with engine.begin() as conn:
            conn.execute(sa.insert(app_secrets).values(name=SESSION_SECRET, value=secrets.token_urlsafe(48)))
    except IntegrityError:
        pass
    with engine.connect() as conn:
        return str(conn.execute(query).scalar_one())
