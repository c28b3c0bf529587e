"""cmi5 launch credentials: a one-time fetch URL that hands out one session token.

cmi5 §8.2: the LMS puts a ``fetch`` URL in the launch URL; the AU POSTs it
once and gets ``{"auth-token": ...}``, which it sends as
``Authorization: Basic <auth-token>`` for the whole session. The launch URL
ends up in browser history, so the fetch URL must not itself be a
credential. Two records are kept through the store:

* the *fetch* record (``f.<random id>``, the id is in the fetch URL): live
  for ``LrsConfig.cmi5_token_seconds``, taken (marked fetched) atomically by
  the first POST so a second one gets cmi5 error 1;
* the *session* record (``s.<sha256 of the session secret>``), written when
  the fetch succeeds. The auth-token is ``base64("cmi5:<session secret>")``;
  only its hash is stored, like a client secret, but a fast one: the secret
  is 256 random bits and must be found by lookup on every request.

A session is bound to the launch's actor, registration and activity
(:func:`launch_forbids`) and to the cmi5 session id of the launch
(``LaunchToken.session_id``), whose record ends it earlier when the AU
terminates or the LMS abandons it; it lives :data:`SESSION_SECONDS` at most.
Refusals name the cmi5 requirement the request breaks
(:func:`lrs.xapi.cmi5_rules.violation_message`).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import secrets
from collections.abc import Mapping
from typing import Any, Final

from lrs.auth.principal import LAUNCH_SCOPES, Principal
from lrs.store.interface import LaunchToken, Store
from lrs.xapi.agents import agent_key
from lrs.xapi.cmi5_rules import PREFERENCES_PROFILE, identity_violation, violation_message
from lrs.xapi.validate import VOIDED_VERB

#: The Basic-auth user name of every launch session token.
LAUNCH_USER: Final = "cmi5"
FETCH_PREFIX: Final = "f."
SESSION_PREFIX: Final = "s."
#: Longest a launch session token stays valid after its fetch (a long module plus breaks).
SESSION_SECONDS: Final = 12 * 3600
#: The state document the LMS writes before launch (cmi5 §10); the AU MUST NOT change it.
LAUNCH_DATA_STATE_ID: Final = "LMS.LaunchData"
#: ``authority`` of statements sent with a launch session.
LAUNCH_AUTHORITY: Final[dict[str, Any]] = {
    "objectType": "Agent",
    "name": "cmi5 launch",
    "account": {"homePage": "https://gsog-lrs.invalid/clients", "name": "cmi5-launch"},
}


class FetchError(Exception):
    """A refused fetch, with the cmi5 ``error-code`` (§8.2.3.2) and ``error-text``."""

    def __init__(self, code: str, text: str) -> None:
        super().__init__(text)
        self.code = code
        self.text = text


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _session_record(secret: str) -> str:
    return SESSION_PREFIX + hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_launch(
    store: Store,
    *,
    actor: Mapping[str, Any],
    registration: str,
    activity_id: str,
    lifetime: dt.timedelta,
    now: dt.datetime,
    session_id: str = "",
) -> tuple[str, LaunchToken]:
    """A fetch record for one launch and its id (the last part of the fetch URL).

    The caller stores the record (``put_launch_token``), in the same
    transaction as the rest of the launch.
    """
    fetch_id = secrets.token_urlsafe(32)
    record = LaunchToken(
        token=FETCH_PREFIX + fetch_id,
        actor_key=agent_key(actor),
        actor=dict(actor),
        registration=registration,
        activity_id=activity_id,
        expires=_utc(now) + lifetime,
        session_id=session_id,
    )
    return fetch_id, record


def fetch_auth_token(store: Store, fetch_id: str, *, now: dt.datetime) -> str:
    """Take the fetch record once and return the session ``auth-token``; :class:`FetchError` otherwise."""
    record = store.take_launch_token(FETCH_PREFIX + fetch_id, _utc(now))
    if record is None:
        known = store.get_launch_token(FETCH_PREFIX + fetch_id)
        if known is None:
            raise FetchError("2", "Unknown fetch URL: no launch was created with it.")
        if known.fetched:
            raise FetchError("1", "The authorization token has already been returned.")
        raise FetchError("1", "The fetch URL has expired; launch the AU again.")
    session_secret = secrets.token_urlsafe(32)
    store.put_launch_token(
        LaunchToken(
            token=_session_record(session_secret),
            actor_key=record.actor_key,
            actor=record.actor,
            registration=record.registration,
            activity_id=record.activity_id,
            expires=_utc(now) + dt.timedelta(seconds=SESSION_SECONDS),
            fetched=True,
            session_id=record.session_id,
        )
    )
    return base64.b64encode(f"{LAUNCH_USER}:{session_secret}".encode()).decode("ascii")


def authenticate_session(store: Store, secret: str, *, now: dt.datetime) -> Principal | None:
    """The principal for a launch session secret, or None when unknown or expired."""
    record = store.get_launch_token(_session_record(secret))
    if record is None or not record.fetched or _utc(record.expires) <= _utc(now):
        return None
    return Principal(
        key=f"{LAUNCH_USER}:{record.token[len(SESSION_PREFIX) : len(SESSION_PREFIX) + 12]}",
        scopes=LAUNCH_SCOPES,
        authority=dict(LAUNCH_AUTHORITY),
        launch=record,
    )


def launch_forbids(
    launch: LaunchToken,
    *,
    resource: str,
    method: str,
    agent: str | None = None,
    activity_id: str | None = None,
    registration: str | None = None,
    doc_id: str | None = None,
) -> str | None:
    """Why a launch session may not make this request (None when it may).

    ``resource`` is ``state``, ``activity_profile``, ``agent_profile``,
    ``agents`` or ``activities``; ``agent`` is an agent key.
    """
    read_only = method in ("GET", "HEAD")
    if agent is not None and agent != launch.actor_key:
        requirement = "11.0.0.0-1" if resource == "agent_profile" else "8.1.3.0-3"
        return violation_message(requirement, f"{resource} request: agent is not the launch's actor")
    if resource == "state":
        if activity_id != launch.activity_id:
            return "this launch session may only use the launched AU's activityId"
        if (registration or "") != launch.registration:
            return violation_message("8.1.4.0-3", "state request: registration is not the launch's registration")
        if not read_only and not doc_id:
            return "a launch session may not delete all state documents at once"
        if not read_only and doc_id == LAUNCH_DATA_STATE_ID:
            return violation_message("10.2.1.0-5", f"{method} of state {LAUNCH_DATA_STATE_ID}")
    elif resource == "agent_profile" and doc_id == PREFERENCES_PROFILE and method == "DELETE":
        return "Rejected request to delete the learner preferences Agent Profile document: the LMS keeps it"
    elif resource == "activity_profile":
        if activity_id != launch.activity_id:
            return "this launch session may only use the launched AU's activityId"
        if not read_only:
            return "a launch session may only read activity profiles"
    return None


def statement_forbids(launch: LaunchToken, statement: Mapping[str, Any]) -> str | None:
    """Why a launch session without a cmi5 session record may not send this statement (None when it may).

    Sessions this LRS launched get the full cmi5 rules
    (:class:`lrs.xapi.cmi5_rules.SessionRules`); tokens issued before those
    records existed carry no session id and are judged here, by the same
    identity rules: only the launched learner as an Agent and no other agent
    named (:func:`lrs.xapi.cmi5_rules.identity_violation`), the launch's
    registration in the context, and no voiding (cmi5 §6.3: the AU's
    credentials must not allow it).
    """
    wrong = identity_violation(statement, launch.actor_key, "statement")
    if wrong is not None:
        return wrong.message
    context = statement.get("context")
    registration = context.get("registration") if isinstance(context, Mapping) else None
    if not isinstance(registration, str) or registration.lower() != launch.registration.lower():
        got = "missing" if registration is None else f"{registration}, not {launch.registration}"
        return violation_message("9.6.1.0-1", f"context.registration is {got}")
    verb = statement.get("verb")
    if isinstance(verb, Mapping) and verb.get("id") == VOIDED_VERB:
        return violation_message("6.3.0.0-1", "verb: a cmi5 launch session may not void statements")
    return None
