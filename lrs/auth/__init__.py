"""Authentication and authorization of LRS requests.

HTTP Basic is the one scheme (xAPI §4.0 requires at least one of OAuth 1.0,
Basic or CAC; Basic is what the conformance suite, TinCan clients and cmi5
use). Two kinds of credentials are accepted:

* **clients** (``lrs client add``): a random key and secret; the store keeps
  a salted HMAC-SHA-256 of the secret (hand-chosen secrets need 128 bits),
  the client's scopes and the ``authority`` its statements get. Client keys
  are public, so a wrong secret must neither cost CPU nor lock the client
  out: see :mod:`lrs.auth.credentials` (only clients still stored with a
  legacy argon2 hash are rate-limited, through a database counter, until
  their first successful sign-in upgrades the hash);
* **cmi5 launch sessions**: ``Basic base64("cmi5:<secret>")`` as returned by
  the fetch URL (:mod:`lrs.auth.launch`), bound to one actor, registration
  and activity.

Views declare what they need with :func:`require`; a missing or wrong
credential is 401 (with ``WWW-Authenticate``), valid credentials without the
scope are 403.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from functools import wraps
from typing import Any, Final, ParamSpec, TypeVar

from flask import current_app, g, request

from lrs.auth.credentials import (
    TooManyFailures,
    check_secret_strength,
    hash_secret,
    new_key,
    new_secret,
    verify_secret,
)
from lrs.auth.launch import LAUNCH_USER, authenticate_session, launch_forbids, statement_forbids
from lrs.auth.principal import (
    CMI5_LAUNCH_SCOPE,
    DEFAULT_SCOPES,
    KNOWN_SCOPES,
    LAUNCH_SCOPES,
    XAPI_SCOPES,
    Principal,
    permits,
    unknown_scopes,
)
from lrs.store.interface import ClientRecord, Cmi5Session, Store
from lrs.xapi.cmi5_rules import violation_message
from lrs.xapi.dual_tracking import organisation_problem

__all__ = [
    "CMI5_LAUNCH_SCOPE",
    "DEFAULT_SCOPES",
    "KNOWN_SCOPES",
    "LAUNCH_SCOPES",
    "XAPI_SCOPES",
    "Principal",
    "add_client",
    "authenticate",
    "check_launch",
    "current_principal",
    "launch_session",
    "default_authority",
    "launch_forbids",
    "parse_basic",
    "permits",
    "require",
    "statement_forbids",
]

#: The scopes of a client bound to an organisation (dual tracking): statements/write only.
ORGANISATION_SCOPES: Final = ("statements/write",)
#: ``WWW-Authenticate`` value sent with every 401 (RFC 7617).
CHALLENGE: Final = 'Basic realm="xAPI", charset="UTF-8"'
#: homePage of the ``account`` in default client authorities: clients are
#: accounts of this LRS, and ``.invalid`` never resolves to anyone else.
AUTHORITY_HOME: Final = "https://gsog-lrs.invalid/clients"

P = ParamSpec("P")
R = TypeVar("R")


def _xapi_error(status: int, message: str, headers: dict[str, str] | None = None) -> Exception:
    # Imported here: lrs.api.common may come to use lrs.auth itself.
    from lrs.api.common import XapiError

    return XapiError(status, message, {"WWW-Authenticate": CHALLENGE} if status == 401 else headers)


def default_authority(name: str, key: str) -> dict[str, Any]:
    """The Agent put into ``authority`` for a client without an explicit one."""
    return {"objectType": "Agent", "name": name, "account": {"homePage": AUTHORITY_HOME, "name": key}}


def add_client(
    store: Store,
    name: str,
    scopes: Iterable[str],
    authority: Mapping[str, Any] | None = None,
    *,
    key: str | None = None,
    secret: str | None = None,
    organisation: str | None = None,
) -> tuple[str, str]:
    """Create a client and return ``(key, secret)``; only the secret's hash is stored.

    ``key`` / ``secret`` may be given for scripted set-ups (e.g. the
    conformance run); otherwise both are random. A given secret needs at
    least :data:`lrs.auth.credentials.MIN_SECRET_CHARS` characters (its hash
    is a fast one, safe only for secrets nobody can search). Unknown scopes
    and weak secrets raise ``ValueError``; no scopes means the xAPI default
    (statements/write, statements/read/mine). ``organisation`` binds the
    client to one organisation (the key of its dual-tracking SCORM packages,
    :mod:`lrs.xapi.dual_tracking`): its only scope is statements/write.
    """
    wanted = tuple(dict.fromkeys(scopes)) or (ORGANISATION_SCOPES if organisation is not None else DEFAULT_SCOPES)
    if organisation is not None:
        problem = organisation_problem(organisation)
        if problem:
            raise ValueError(f"organisation: {problem}")
        if wanted != ORGANISATION_SCOPES:
            raise ValueError(
                f"a client bound to an organisation may only have scope {' '.join(ORGANISATION_SCOPES)}: "
                "its key is copied into SCORM packages"
            )
    bad = unknown_scopes(wanted)
    if bad:
        raise ValueError(f"unknown scope(s) {', '.join(bad)}; known: {', '.join(KNOWN_SCOPES)}")
    if not name.strip():
        raise ValueError("the client needs a name")
    client_key = key or new_key()
    if not _usable_key(client_key):
        raise ValueError(
            f"client key {client_key!r} is not usable (1 to {MAX_KEY_CHARS} printable characters, "
            f"no ':', not {LAUNCH_USER!r})"
        )
    if secret is not None:
        check_secret_strength(secret)
    client_secret = secret or new_secret()
    store.put_client(
        ClientRecord(
            key=client_key,
            secret_hash=hash_secret(client_secret),
            name=name,
            scopes=wanted,
            authority=dict(authority) if authority else default_authority(name, client_key),
            created=dt.datetime.now(dt.UTC),
            organisation=organisation,
        )
    )
    return client_key, client_secret


#: Longest client key (the ``clients.key`` column is VARCHAR(200)).
MAX_KEY_CHARS: Final = 200


def _usable_key(key: str) -> bool:
    """Whether ``key`` can be a client key: fits the column, printable, no ':' (Basic auth), not the cmi5 user."""
    return 0 < len(key) <= MAX_KEY_CHARS and key.isprintable() and ":" not in key and key != LAUNCH_USER


def parse_basic(header: str | None) -> tuple[str, str] | None:
    """``(user, password)`` from an ``Authorization: Basic`` header, None when absent or malformed."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "basic" or not value.strip():
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    user, sep, password = decoded.partition(":")
    # NUL cannot reach a PostgreSQL text column (the key and token lookups): such a header proves nothing.
    if not sep or not user or "\x00" in decoded:
        return None
    return user, password


def authenticate(store: Store, header: str | None, *, now: dt.datetime | None = None) -> Principal | None:
    """The principal an ``Authorization`` header proves, or None."""
    credentials = parse_basic(header)
    if credentials is None:
        return None
    user, password = credentials
    if user == LAUNCH_USER:
        return authenticate_session(store, password, now=now or dt.datetime.now(dt.UTC))
    if not _usable_key(user):  # e.g. a NUL, which PostgreSQL refuses in a query: no such client anyway
        return None
    client = store.get_client(user)
    if client is None or not verify_secret(store, client, password):
        return None
    return Principal(
        key=client.key,
        scopes=frozenset(client.scopes),
        authority=dict(client.authority),
        organisation=client.organisation,
    )


def _store() -> Store:
    store: Store = current_app.extensions["lrs_store"]
    return store


def current_principal() -> Principal | None:
    """The principal of this request once :func:`require` ran (None before)."""
    principal: Principal | None = g.get("client")
    return principal


def require(*scopes: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a view: authenticate, check that one of ``scopes`` is granted, set ``g.client``.

    401 without valid credentials, 403 when the scopes do not allow the
    request (see :func:`lrs.auth.principal.permits`; ``all/read`` only
    counts for GET and HEAD).
    """

    def decorate(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                principal = authenticate(_store(), request.headers.get("Authorization"))
            except TooManyFailures as error:
                raise _xapi_error(
                    429,
                    f"Too many wrong secrets for this client key; try again in {error.retry_after} s.",
                    {"Retry-After": str(error.retry_after)},
                ) from error
            if principal is None:
                if request.headers.get("Authorization"):
                    raise _xapi_error(401, "The credentials in the Authorization header are not valid.")
                raise _xapi_error(401, "Authentication required: send HTTP Basic credentials.")
            _check_organisation_client(principal, scopes)
            if not principal.allows(scopes, read_only=request.method in ("GET", "HEAD")):
                raise _xapi_error(
                    403, f"These credentials do not allow this request (needs one of: {', '.join(scopes)})."
                )
            g.client = principal
            if "statements/write" not in scopes:
                _check_session_open(principal)
            return view(*args, **kwargs)

        return wrapper

    return decorate


def _check_organisation_client(principal: Principal, scopes: tuple[str, ...]) -> None:
    """403 for anything but sending statements by a client bound to an organisation.

    Its key sits in SCORM packages anyone can unzip: it must read nothing
    (not even the statements it sent) and write nothing but statements,
    which :func:`lrs.xapi.dual_tracking.statement_problem` then checks.
    """
    if principal.organisation is None:
        return
    if "statements/write" not in scopes or request.method not in ("POST", "PUT"):
        raise _xapi_error(
            403,
            f"This client is bound to organisation {principal.organisation!r}: it may only send "
            "statements (POST or PUT /statements) and read nothing.",
        )


def _check_session_open(principal: Principal) -> None:
    """403 for any request of a launch session the AU terminated or the LMS abandoned.

    cmi5 §8.2.1: the token is limited to the duration of the session. The
    statements resource judges its own writes (with the more precise
    requirement a statement after the end breaks).
    """
    launch = principal.launch
    if launch is None or not launch.session_id:
        return
    session = _store().get_cmi5_session(launch.session_id)
    g.cmi5_session = session
    if session is None:
        raise _xapi_error(403, violation_message("8.1.2.0-2", "Session unknown"))
    if session.status == "terminated" and _late_state_write(session):
        return
    if session.status in ("terminated", "abandoned"):
        raise _xapi_error(403, violation_message("8.1.2.0-2", f"Session {session.status}"))


#: How long after its terminated statement an AU may still write its own state documents.
TERMINATED_STATE_GRACE: Final = dt.timedelta(seconds=60)


def _late_state_write(session: Cmi5Session) -> bool:
    """A State API write that left the AU with its terminated statement, arriving just after it.

    A page being closed sends its last state and terminated as parallel
    keepalive requests, which may arrive in either order. cmi5 forbids
    statements after terminated, not the AU's own state documents, so
    refusing them would only lose the learner's place; LMS.LaunchData stays
    read-only through the document rules.
    """
    if request.method not in ("PUT", "POST") or not request.path.endswith("/activities/state"):
        return False
    ended = session.last_statement
    return ended is not None and dt.datetime.now(dt.UTC) - ended <= TERMINATED_STATE_GRACE


def launch_session() -> Cmi5Session | None:
    """The cmi5 session record of this request's launch session, as loaded by :func:`require` (or None)."""
    session: Cmi5Session | None = g.get("cmi5_session")
    return session


def check_launch(
    resource: str,
    *,
    agent: str | None = None,
    activity_id: str | None = None,
    registration: str | None = None,
    doc_id: str | None = None,
) -> None:
    """403 when this request's launch session (if any) is not allowed to touch these parameters."""
    principal = current_principal()
    if principal is None or principal.launch is None:
        return
    reason = launch_forbids(
        principal.launch,
        resource=resource,
        method=request.method,
        agent=agent,
        activity_id=activity_id,
        registration=registration,
        doc_id=doc_id,
    )
    if reason:
        raise _xapi_error(403, reason)
