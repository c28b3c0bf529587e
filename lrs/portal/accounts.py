"""Learners of the portal: sign-up, e-mail confirmation, sign-in, password reset, profile, invitations, deletion.

The portal's pages (``lrs.portal.views``) call these functions; none of
them touches Flask, so the CLI and the tests use them as they are. Why
they look like this:

* The password rules, the argon2id hasher and the dummy hash an unknown
  address is checked against are the dashboard's
  (:mod:`lrs.dashboard.accounts`): one policy for everyone who signs in.
* No answer tells whether an e-mail address has an account. Signing up
  with a registered address gives a :class:`SignUp` without token (the page
  shows the same "check your mail" as for a new account and mails the
  owner a note instead of a link); a reset request for an unknown address
  returns None (same page again); signing in with an unknown address costs
  the same argon2 check as a wrong password.
* One-time links (confirm e-mail, reset password) keep only the SHA-256 of
  their token; a token is used up atomically (``UPDATE ... WHERE used IS
  NULL``), so two clicks cannot both succeed.
* ``session_generation`` goes into every session cookie; a password change
  or reset and "sign out everywhere" raise it, which ends every session.
* Profile values are the codes the cmi5 launch puts into the statements'
  context (:func:`lrs.xapi.profile.launch_value_problem` checks them, so
  whatever is stored here the launch accepts) and the evaluation reports
  count by. The learner's xAPI actor is an account with a random name
  (:func:`learner_actor`), never the e-mail address.
* Deleting a learner erases their statements and documents first, through
  the same erasure as ``lrs erase --actor`` (:meth:`Store.erase_agent`),
  then their rows in one transaction: a failure half-way leaves an account
  that can simply be deleted again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
import secrets
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import sqlalchemy as sa
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from lrs.courses.api import LANGUAGE_TAG
from lrs.dashboard.accounts import MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS, check_password_strength, dummy_hash
from lrs.dashboard.accounts import AccountError as DashboardAccountError
from lrs.dashboard.accounts import TooManyAttempts as TooManyAttempts  # what authenticate() raises
from lrs.dashboard.accounts import password_hasher as hasher
from lrs.portal import throttle
from lrs.portal.certificate import MAX_NAME_CHARS as MAX_NAME_CHARS  # the name is printed there
from lrs.portal.tables import portal_certificates, portal_invitations, portal_learners, portal_tokens
from lrs.sessions import PORTAL_PREFIX
from lrs.store.interface import Store
from lrs.store.sql import engine_of
from lrs.store.tables import documents, statement_agent
from lrs.xapi.agents import agent_key
from lrs.xapi.profile import CODE, launch_value_problem
from lrs.xapi.profile import LEVELS as LEVELS  # the levels a profile offers

#: The device cookie value to set after a successful sign-in (see :mod:`lrs.portal.throttle`).
device_cookie = throttle.issue_device_cookie

#: Longest e-mail address accepted (RFC 5321's path limit less the angle brackets).
MAX_EMAIL_CHARS: Final = 254
#: How long a one-time link works, by purpose.
TOKEN_LIFETIMES: Final[Mapping[str, dt.timedelta]] = {
    "verify": dt.timedelta(hours=48),
    "reset": dt.timedelta(hours=1),
}
#: Used or expired tokens are kept this long (so a late click reads "expired", not "unknown"), then dropped.
TOKEN_KEEP: Final = dt.timedelta(days=7)
#: The profile fields :func:`update_profile` changes.
PROFILE_FIELDS: Final = ("display_name", "sector", "organisation", "region", "language", "role", "level")
#: The profile fields the cmi5 launch carries into the statements' context (``learnerContext``).
LAUNCH_CONTEXT_FIELDS: Final = ("organisation", "region", "role", "level")
#: Longest invitation label (the display name's limit is the certificate's, MAX_NAME_CHARS).
MAX_LABEL_CHARS: Final = 200
#: Longest language tag (BCP 47's practical limit, as the table's column).
MAX_LANGUAGE_CHARS: Final = 35

_SECTOR = re.compile(CODE)
_EMAIL_LOCAL = re.compile(r"[\w!#$%&'*+/=?^`{|}~-]+(\.[\w!#$%&'*+/=?^`{|}~-]+)*")
_EMAIL_DOMAIN = re.compile(r"([^\W_]([\w-]{0,61}[^\W_])?\.)+[^\W\d_]{2,63}")


class AccountError(ValueError):
    """A refused request: the form ``field`` it concerns (``account``: the request as a whole), a ``code``, a message.

    ``code`` is stable (the pages translate ``error_<code>``): ``email_missing``,
    ``email_too_long``, ``email_invalid``, ``password_too_short``,
    ``password_too_long``, ``language_missing``, ``language_invalid``,
    ``invite_unknown``, ``invite_expired``, ``invite_used_up``,
    ``account_gone``; :class:`ProfileError` and :class:`TokenError` add theirs.
    """

    def __init__(self, field: str, code: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.code = code
        self.message = message


class ProfileError(AccountError):
    """A refused profile or invitation value.

    Codes: ``code_invalid``, ``level_invalid``, ``text_invalid``, ``too_long``,
    ``locked``, ``unknown_field``, ``language_missing``, ``language_invalid``.
    """


class TokenError(AccountError):
    """A one-time link that does not work; ``code`` is ``unknown``, ``used`` or ``expired`` (field ``token``)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__("token", code, message)


class InvitationError(AccountError):
    """An invitation that cannot be used; ``code`` ``invite_unknown``, ``invite_expired`` or ``invite_used_up``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__("invite", code, message)


def _gone() -> AccountError:
    return AccountError("account", "account_gone", "this account no longer exists")


@dataclass(frozen=True)
class Learner:
    """One learner of the portal (never the password hash outside this module)."""

    id: int
    email: str
    actor_name: str
    verified: bool
    display_name: str | None
    sector: str | None
    organisation: str | None
    region: str | None
    language: str | None
    role: str | None
    level: str | None
    invitation_id: int | None
    session_generation: int
    created: dt.datetime
    #: Profile fields the learner's invitation set: the organisation's word on whom it invited, not editable.
    locked_fields: tuple[str, ...] = ()


def launch_context(learner: Learner) -> dict[str, str]:
    """The cmi5 launch's ``learnerContext``: the learner's profile codes the statements will carry.

    Only set values (none is guessed); the keys are those
    ``lrs.api.cmi5._learner_context`` reads (organisation, region, role,
    level), and the values were checked as the launch checks them.
    """
    found = {name: getattr(learner, name) for name in LAUNCH_CONTEXT_FIELDS}
    return {name: value for name, value in found.items() if value is not None}


@dataclass(frozen=True)
class SignUp:
    """What :func:`sign_up` did, for a page that must answer the same either way.

    ``token`` is the ``verify`` token to mail as a link to ``email``; None
    when the address has an account already: then mail its owner the
    ``already_registered`` note instead, in ``language`` (the owner's).
    ``learner`` is the new learner, or the existing owner.
    """

    email: str
    language: str | None
    token: str | None
    learner: Learner


@dataclass(frozen=True)
class Invitation:
    """An organisation's invitation link (its token is shown once, when made)."""

    id: int
    organisation: str
    sector: str | None
    region: str | None
    label: str
    created: dt.datetime
    expires: dt.datetime | None
    max_uses: int | None
    uses: int

    def state(self, now: dt.datetime) -> str:
        """``open``, ``expired`` (also: revoked) or ``used_up``."""
        if self.expires is not None and self.expires <= now:
            return "expired"
        if self.max_uses is not None and self.uses >= self.max_uses:
            return "used_up"
        return "open"


def _now(now: dt.datetime | None) -> dt.datetime:
    return now if now is not None else dt.datetime.now(dt.UTC)


def learner_actor(actor_name: str, base: str) -> dict[str, Any]:
    """The learner's xAPI actor: an account on ``<base>/portal`` named ``actor_name`` (never the e-mail).

    ``base`` is the LRS's public base URL (``lrs.api.urls.public_base()``
    in a request; ``LrsConfig.public_url`` from the CLI).
    """
    return {"objectType": "Agent", "account": {"homePage": base.rstrip("/") + PORTAL_PREFIX, "name": actor_name}}


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def fold_email(email: str) -> str:
    """What every address is compared as: stripped, NFC, lower-case."""
    return unicodedata.normalize("NFC", email.strip()).lower()


def normalise_email(email: str) -> str:
    """``email`` as stored (stripped, NFC, lower-case); AccountError (field ``email``) unless it looks sane."""
    folded = fold_email(email)
    if not folded:
        raise AccountError("email", "email_missing", "enter your e-mail address")
    if len(folded) > MAX_EMAIL_CHARS:
        raise AccountError("email", "email_too_long", f"too long: at most {MAX_EMAIL_CHARS} characters")
    local, at, domain = folded.rpartition("@")
    if (
        not at
        or not local
        or len(local) > 64
        or not _EMAIL_LOCAL.fullmatch(local)
        or not _EMAIL_DOMAIN.fullmatch(domain)
    ):
        raise AccountError("email", "email_invalid", "not an e-mail address such as name@example.org")
    return folded


def _check_password(password: str, field: str) -> None:
    """The dashboard's password rules, as an AccountError naming ``field``."""
    try:
        check_password_strength(password)
    except DashboardAccountError as error:
        code = "password_too_short" if len(password) < MIN_PASSWORD_CHARS else "password_too_long"
        raise AccountError(field, code, str(error).removeprefix("password ")) from None


def _check_language(value: str, error: type[AccountError] = AccountError) -> str:
    if not value:
        raise error("language", "language_missing", "choose a language")
    if len(value) > MAX_LANGUAGE_CHARS or not LANGUAGE_TAG.fullmatch(value):
        raise error("language", "language_invalid", "must be a language tag such as nl, fr or nl-BE")
    return value


def _check_text(value: str, field: str, limit: int) -> str:
    text = unicodedata.normalize("NFC", value.strip())
    if len(text) > limit:
        raise ProfileError(field, "too_long", f"too long: at most {limit} characters")
    if any(unicodedata.category(c).startswith("C") for c in text):
        raise ProfileError(field, "text_invalid", "must be one line of text, without control characters")
    return text


def _check_code(field: str, value: str) -> str:
    """A profile or invitation code; ProfileError naming ``field`` if the launch would refuse it."""
    if field == "sector":  # set by each package's build; checked like the reports' filter
        if not _SECTOR.fullmatch(value):
            raise ProfileError(field, "code_invalid", "must be a code: letters, digits and . _ : - (no spaces)")
        return value
    problem = launch_value_problem(field, value)
    if problem is not None:
        raise ProfileError(field, "level_invalid" if field == "level" else "code_invalid", problem)
    return value


_LEARNER_COLUMNS = [
    *(c for c in portal_learners.c if c.name != "password_hash"),
    portal_invitations.c.sector.label("invited_sector"),
    portal_invitations.c.region.label("invited_region"),
    portal_invitations.c.id.label("invited"),
]
_LEARNER_FROM = portal_learners.outerjoin(
    portal_invitations, portal_invitations.c.id == portal_learners.c.invitation_id
)


def _select_learners(*extra: Any) -> sa.Select[Any]:
    """Learners with what their invitation set (to lock those fields)."""
    return sa.select(*_LEARNER_COLUMNS, *extra).select_from(_LEARNER_FROM)


def _learner(row: Any) -> Learner:
    locked = [
        name
        for name, preset in (
            ("organisation", row.invited),
            ("sector", row.invited_sector),
            ("region", row.invited_region),
        )
        if preset is not None
    ]
    return Learner(
        id=row.id,
        email=row.email,
        actor_name=row.actor_name,
        verified=row.verified is not None,
        display_name=row.display_name,
        sector=row.sector,
        organisation=row.organisation,
        region=row.region,
        language=row.language,
        role=row.role,
        level=row.level,
        invitation_id=row.invitation_id,
        session_generation=row.session_generation,
        created=row.created,
        locked_fields=tuple(locked),
    )


def _load(conn: Connection, learner_id: int) -> Learner:
    row = conn.execute(_select_learners().where(portal_learners.c.id == learner_id)).first()
    if row is None:
        raise _gone()
    return _learner(row)


def get_learner(engine: Engine, learner_id: int) -> Learner | None:
    """The learner ``learner_id`` (None once deleted: their sessions stop working)."""
    with engine.connect() as conn:
        row = conn.execute(_select_learners().where(portal_learners.c.id == learner_id)).first()
    return None if row is None else _learner(row)


def learner_by_actor_name(engine: Engine, actor_name: str) -> Learner | None:
    """The learner whose xAPI account is named ``actor_name`` (None if none)."""
    with engine.connect() as conn:
        row = conn.execute(_select_learners().where(portal_learners.c.actor_name == actor_name)).first()
    return None if row is None else _learner(row)


def _find(conn: Connection, email: str) -> Any:
    return conn.execute(
        _select_learners(portal_learners.c.password_hash).where(portal_learners.c.email == email)
    ).first()


# one-time tokens -----------------------------------------------------------


def _issue(conn: Connection, learner_id: int, purpose: str, now: dt.datetime) -> str:
    """A new one-time token for ``purpose``; only its hash is stored. Old ones of the learner are dropped."""
    conn.execute(
        sa.delete(portal_tokens).where(
            portal_tokens.c.learner_id == learner_id, portal_tokens.c.expires < now - TOKEN_KEEP
        )
    )
    token = secrets.token_urlsafe(32)
    conn.execute(
        sa.insert(portal_tokens).values(
            token_hash=_token_hash(token),
            purpose=purpose,
            learner_id=learner_id,
            expires=now + TOKEN_LIFETIMES[purpose],
        )
    )
    return token


def _consume(conn: Connection, token: str, purpose: str, now: dt.datetime) -> int:
    t = portal_tokens.c
    digest = _token_hash(token)
    learner_id = conn.execute(
        sa.update(portal_tokens)
        .where(t.token_hash == digest, t.purpose == purpose, t.used.is_(None), t.expires > now)
        .values(used=now)
        .returning(t.learner_id)
    ).scalar_one_or_none()
    if learner_id is not None:
        return int(learner_id)
    row = conn.execute(sa.select(t.used, t.expires).where(t.token_hash == digest, t.purpose == purpose)).first()
    if row is None:
        raise TokenError("unknown", "this link is not valid: copy the whole link from the e-mail, or ask for a new one")
    if row.used is not None:
        raise TokenError("used", "this link has been used already: ask for a new one if you need it")
    raise TokenError("expired", "this link has expired: ask for a new one")


def consume_token(engine: Engine, token: str, purpose: str, now: dt.datetime | None = None) -> int:
    """Use up one-time token ``token`` of ``purpose`` (``verify``, ``reset``): the learner's id, or TokenError."""
    if purpose not in TOKEN_LIFETIMES:
        raise ValueError(f"token purpose {purpose!r} is not one of {', '.join(TOKEN_LIFETIMES)}")
    with engine.begin() as conn:
        return _consume(conn, token, purpose, _now(now))


# sign-up, confirmation, reset ------------------------------------------------


def _use_invitation(conn: Connection, token: str, now: dt.datetime) -> Any:
    """Count one use of the invitation with ``token`` (atomically) and return its row; InvitationError if it cannot."""
    i = portal_invitations.c
    digest = _token_hash(token)
    row = conn.execute(
        sa.update(portal_invitations)
        .where(
            i.token_hash == digest,
            sa.or_(i.expires.is_(None), i.expires > now),
            sa.or_(i.max_uses.is_(None), i.uses < i.max_uses),
        )
        .values(uses=i.uses + 1)
        .returning(i.id, i.organisation, i.sector, i.region)
    ).first()
    if row is not None:
        return row
    found = conn.execute(sa.select(*portal_invitations.c).where(i.token_hash == digest)).first()
    raise _invitation_error(None if found is None else _invitation(found), now)


def _invitation_error(found: Invitation | None, now: dt.datetime) -> InvitationError:
    """Why invitation ``found`` (None: no invitation has the token) cannot be used."""
    if found is None:
        return InvitationError("invite_unknown", "this invitation link is not valid: copy the whole link you received")
    if found.state(now) == "expired":
        return InvitationError("invite_expired", "this invitation has expired: ask your organisation for a new link")
    return InvitationError("invite_used_up", "this invitation has been used as often as allowed: ask your organisation")


def sign_up(
    engine: Engine,
    email: str,
    password: str,
    language: str,
    invitation_token: str | None = None,
    now: dt.datetime | None = None,
) -> SignUp:
    """Create an unverified learner and a ``verify`` token to mail; see :class:`SignUp`.

    AccountError names the field (``email``, ``password``, ``language``,
    ``invite``: unknown, expired or used-up invitation, whose use is counted
    only when an account is made). An address with an account gives a
    SignUp without token: the page answers the same and mails the owner a
    note instead. The password is hashed either way, so both take as long.
    """
    now = _now(now)
    address = normalise_email(email)
    _check_password(password, "password")
    language = _check_language(language.strip())
    password_hash = hasher.hash(password)
    try:
        with engine.begin() as conn:
            preset: dict[str, Any] = {}
            if invitation_token is not None:
                invitation = _use_invitation(conn, invitation_token, now)
                preset = {
                    "invitation_id": invitation.id,
                    "organisation": invitation.organisation,
                    "sector": invitation.sector,
                    "region": invitation.region,
                }
            learner_id = conn.execute(
                sa.insert(portal_learners)
                .values(
                    email=address,
                    password_hash=password_hash,
                    actor_name=secrets.token_hex(16),
                    language=language,
                    session_generation=0,
                    created=now,
                    **preset,
                )
                .returning(portal_learners.c.id)
            ).scalar_one()
            token = _issue(conn, int(learner_id), "verify", now)
            learner = _load(conn, int(learner_id))
    except IntegrityError:
        with engine.connect() as conn:
            existing = _find(conn, address)
        if existing is None:  # not the address: (astronomically unlikely) a repeated random actor name
            raise
        owner = _learner(existing)
        return SignUp(email=address, language=owner.language, token=None, learner=owner)
    return SignUp(email=address, language=language, token=token, learner=learner)


def new_verify_token(engine: Engine, learner_id: int, now: dt.datetime | None = None) -> str:
    """A fresh ``verify`` token for a signed-in learner who lost the first mail or let it expire."""
    with engine.begin() as conn:
        _load(conn, learner_id)
        return _issue(conn, learner_id, "verify", _now(now))


def verify_email(engine: Engine, token: str, now: dt.datetime | None = None) -> Learner:
    """Confirm the address of the learner the ``verify`` token was mailed to; TokenError if it does not work."""
    now = _now(now)
    with engine.begin() as conn:
        learner_id = _consume(conn, token, "verify", now)
        conn.execute(
            sa.update(portal_learners)
            .where(portal_learners.c.id == learner_id, portal_learners.c.verified.is_(None))
            .values(verified=now)
        )
        return _load(conn, learner_id)


def request_password_reset(engine: Engine, email: str, now: dt.datetime | None = None) -> tuple[Learner, str] | None:
    """The learner with ``email`` and a ``reset`` token to mail them; None for an address without account.

    The page answers the same in both cases ("if the address has an
    account, we sent a link").
    """
    address = fold_email(email)
    with engine.begin() as conn:
        row = _find(conn, address)
        if row is None:
            return None
        return _learner(row), _issue(conn, row.id, "reset", _now(now))


def reset_password(engine: Engine, token: str, new_password: str, now: dt.datetime | None = None) -> Learner:
    """Set a new password with a ``reset`` token: ends every session, and confirms the address.

    The mail reached its owner, so the address is confirmed. AccountError
    (field ``password``) for a password the rules refuse, checked before
    the token is used, so the learner can try again with the same link;
    TokenError if the link does not work. Other reset links of the learner
    stop working.
    """
    now = _now(now)
    _check_password(new_password, "password")
    password_hash = hasher.hash(new_password)
    with engine.begin() as conn:
        learner_id = _consume(conn, token, "reset", now)
        learners = portal_learners.c
        conn.execute(
            sa.update(portal_learners)
            .where(learners.id == learner_id)
            .values(password_hash=password_hash, session_generation=learners.session_generation + 1)
        )
        conn.execute(
            sa.update(portal_learners)
            .where(learners.id == learner_id, learners.verified.is_(None))
            .values(verified=now)
        )
        t = portal_tokens.c
        conn.execute(
            sa.update(portal_tokens)
            .where(t.learner_id == learner_id, t.purpose == "reset", t.used.is_(None))
            .values(used=now)
        )
        return _load(conn, learner_id)


# sign-in ---------------------------------------------------------------------


def authenticate(
    store: Store,
    email: str,
    password: str,
    address: str,
    device_cookie: str | None,
    *,
    secret: str,
    now: dt.datetime | None = None,
) -> Learner | None:
    """The learner if ``password`` is right, else None; TooManyAttempts (``retry_after`` s) when throttled.

    ``address`` is the client's address (``request.remote_addr``),
    ``device_cookie`` the value of the :data:`throttle.DEVICE_COOKIE_NAME`
    cookie (None without), ``secret`` the app's session secret that signs
    it. See :mod:`lrs.portal.throttle` for the limits. After a success, set
    a new device cookie: ``throttle.issue_device_cookie(secret, learner.id)``.
    An unknown address costs the same argon2 check and gives the same None.
    Unverified learners sign in too (``learner.verified`` is False).
    """
    now = _now(now)
    engine = engine_of(store)
    account = fold_email(email)
    with engine.connect() as conn:
        row = _find(conn, account) if len(account) <= MAX_EMAIL_CHARS else None
    device = throttle.device_cookie_learner(secret, device_cookie, now)
    claimed = throttle.claim(
        store, account=account, address=address, device=device, learner_id=None if row is None else row.id, now=now
    )
    stored = row.password_hash if row is not None and len(password) <= MAX_PASSWORD_CHARS else None
    try:
        hasher.verify(stored or dummy_hash(), password[: MAX_PASSWORD_CHARS + 1])
    except (VerificationError, InvalidHashError):
        return None
    if row is None or stored is None:  # the dummy hash matched: impossible in practice, but never a sign-in
        return None
    throttle.release(store, claimed)
    if hasher.check_needs_rehash(stored):
        with engine.begin() as conn:
            conn.execute(
                sa.update(portal_learners)
                .where(portal_learners.c.id == row.id, portal_learners.c.password_hash == stored)
                .values(password_hash=hasher.hash(password))
            )
    return _learner(row)


# profile and sessions ------------------------------------------------------------


def update_profile(engine: Engine, learner_id: int, **changes: str | None) -> Learner:
    """Change some of :data:`PROFILE_FIELDS` (None or "" clears one); returns the updated learner.

    Codes are checked as the cmi5 launch checks them (``level``: basic,
    deepening or specialised), ``language`` is a BCP 47 tag (it cannot be
    cleared), ``display_name`` one line of text. A field the learner's
    invitation set (:attr:`Learner.locked_fields`) keeps its value: giving
    that same value is fine, another one is refused (``locked``).
    ProfileError names the first field that is wrong; nothing changes then.
    """
    values: dict[str, str | None] = {}
    for field, raw in changes.items():
        if field not in PROFILE_FIELDS:
            raise ProfileError(field, "unknown_field", f"not a profile field (known: {', '.join(PROFILE_FIELDS)})")
        value = None if raw is None else raw.strip()
        if not value:
            if field == "language":
                raise ProfileError(field, "language_missing", "choose a language")
            values[field] = None
        elif field == "display_name":
            values[field] = _check_text(value, field, MAX_NAME_CHARS)
        elif field == "language":
            values[field] = _check_language(value, ProfileError)
        else:
            values[field] = _check_code(field, value)
    with engine.begin() as conn:
        current = _load(conn, learner_id)
        for field in current.locked_fields:
            if field in values and values[field] != getattr(current, field):
                raise ProfileError(field, "locked", "set by your organisation's invitation; it cannot be changed")
        if values:
            conn.execute(sa.update(portal_learners).where(portal_learners.c.id == current.id).values(**values))
        return _load(conn, learner_id)


def check_password(engine: Engine, learner_id: int, password: str) -> bool:
    """Whether ``password`` is the learner's (a confirmation before deleting the account); False if no learner."""
    with engine.connect() as conn:
        stored = conn.execute(
            sa.select(portal_learners.c.password_hash).where(portal_learners.c.id == learner_id)
        ).scalar_one_or_none()
    try:
        hasher.verify(stored or dummy_hash(), password[: MAX_PASSWORD_CHARS + 1])
    except (VerificationError, InvalidHashError):
        return False
    return stored is not None


def change_password(engine: Engine, learner_id: int, current_password: str, new_password: str) -> Learner | None:
    """Replace the password after checking the current one; every session ends.

    Returns the updated learner (its new ``session_generation`` goes into
    the page's own session, so only the other sessions end), or None when
    ``current_password`` is wrong. AccountError (field ``new_password``)
    for a new password the rules refuse.
    """
    _check_password(new_password, "new_password")
    if not check_password(engine, learner_id, current_password):
        return None
    password_hash = hasher.hash(new_password)
    learners = portal_learners.c
    with engine.begin() as conn:
        conn.execute(
            sa.update(portal_learners)
            .where(learners.id == learner_id)
            .values(password_hash=password_hash, session_generation=learners.session_generation + 1)
        )
        return _load(conn, learner_id)


def end_all_sessions(engine: Engine, learner_id: int) -> int:
    """Sign the learner out everywhere (raise the session generation); returns the new generation."""
    learners = portal_learners.c
    with engine.begin() as conn:
        generation = conn.execute(
            sa.update(portal_learners)
            .where(learners.id == learner_id)
            .values(session_generation=learners.session_generation + 1)
            .returning(learners.session_generation)
        ).scalar_one_or_none()
    if generation is None:
        raise _gone()
    return int(generation)


# deletion ---------------------------------------------------------------------


def _agent_keys(engine: Engine, actor_name: str, base: str) -> list[str]:
    """Every agent key of the learner: the one ``base`` gives, and any under another portal base.

    The public URL may have changed since the statements were stored; the
    random actor name alone identifies the learner, so every account key
    ending in it is theirs. (Hex digits only: safe in a LIKE pattern.)
    """
    keys = {agent_key(learner_actor(actor_name, base))}
    if re.fullmatch(r"[0-9a-f]+", actor_name):
        pattern = f"account:%|{actor_name}"
        with engine.connect() as conn:
            keys.update(
                conn.execute(
                    sa.select(statement_agent.c.agent_key).where(statement_agent.c.agent_key.like(pattern)).distinct()
                ).scalars()
            )
            keys.update(
                conn.execute(sa.select(documents.c.agent).where(documents.c.agent.like(pattern)).distinct()).scalars()
            )
    return sorted(keys)


def delete_learner(store: Store, learner_id: int, base: str) -> int:
    """Delete the learner and everything about them; returns how many statements were erased.

    First the LRS's records of the learner's actor (statements, documents,
    cmi5 records, derived report rows) through :meth:`Store.erase_agent`,
    the erasure ``lrs erase --actor`` uses; then, in one transaction, their
    tokens, certificates and the account. If anything fails half-way the
    account is still there and the deletion can simply be run again.
    AccountError (``account_gone``) when there is no such learner.
    """
    engine = engine_of(store)
    learner = get_learner(engine, learner_id)
    if learner is None:
        raise _gone()
    removed = sum(store.erase_agent(key) for key in _agent_keys(engine, learner.actor_name, base))
    with engine.begin() as conn:
        conn.execute(sa.delete(portal_tokens).where(portal_tokens.c.learner_id == learner_id))
        conn.execute(sa.delete(portal_certificates).where(portal_certificates.c.learner_id == learner_id))
        conn.execute(sa.delete(portal_learners).where(portal_learners.c.id == learner_id))
    logging.getLogger("lrs.privacy").info(json.dumps({"event": "erasure", "source": "portal", "statements": removed}))
    return removed


# invitations --------------------------------------------------------------------


def _invitation(row: Any) -> Invitation:
    return Invitation(
        id=row.id,
        organisation=row.organisation,
        sector=row.sector,
        region=row.region,
        label=row.label,
        created=row.created,
        expires=row.expires,
        max_uses=row.max_uses,
        uses=row.uses,
    )


def invitation_link(base: str, token: str) -> str:
    """The sign-up link of an invitation: ``<base>/portal/signup?invite=TOKEN``."""
    return f"{base.rstrip('/')}{PORTAL_PREFIX}/signup?invite={token}"


def create_invitation(
    engine: Engine,
    organisation: str,
    sector: str | None = None,
    region: str | None = None,
    label: str = "",
    days: int | None = None,
    max_uses: int | None = None,
    now: dt.datetime | None = None,
) -> tuple[Invitation, str]:
    """A new invitation and its token (shown this once; only its hash is kept).

    Whoever signs up with it gets ``organisation``, ``sector`` and
    ``region`` preset. ``days``: valid that many days (None: until
    revoked); ``max_uses``: that many sign-ups (None: unlimited).
    ProfileError names a wrong field.
    """
    now = _now(now)
    values: dict[str, Any] = {"organisation": _check_code("organisation", organisation.strip())}
    for field, value in (("sector", sector), ("region", region)):
        values[field] = _check_code(field, value.strip()) if value else None
    if days is not None and days < 1:
        raise ProfileError("days", "code_invalid", "must be 1 or more")
    if max_uses is not None and max_uses < 1:
        raise ProfileError("uses", "code_invalid", "must be 1 or more")
    token = secrets.token_urlsafe(24)
    with engine.begin() as conn:
        new_id = conn.execute(
            sa.insert(portal_invitations)
            .values(
                token_hash=_token_hash(token),
                label=_check_text(label, "label", MAX_LABEL_CHARS),
                created=now,
                expires=None if days is None else now + dt.timedelta(days=days),
                max_uses=max_uses,
                uses=0,
                **values,
            )
            .returning(portal_invitations.c.id)
        ).scalar_one()
        row = conn.execute(sa.select(*portal_invitations.c).where(portal_invitations.c.id == new_id)).one()
    return _invitation(row), token


def check_invitation(engine: Engine, token: str, now: dt.datetime | None = None) -> Invitation:
    """The invitation of ``token`` if it can still be used (the sign-up page shows it); else InvitationError."""
    now = _now(now)
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(*portal_invitations.c).where(portal_invitations.c.token_hash == _token_hash(token))
        ).first()
    found = None if row is None else _invitation(row)
    if found is None or found.state(now) != "open":
        raise _invitation_error(found, now)
    return found


def find_invitation(engine: Engine, token: str, now: dt.datetime | None = None) -> Invitation | None:
    """:func:`check_invitation`, with None for an invitation that cannot be used."""
    try:
        return check_invitation(engine, token, now)
    except InvitationError:
        return None


def list_invitations(engine: Engine) -> list[Invitation]:
    """Every invitation, newest first."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(*portal_invitations.c).order_by(portal_invitations.c.id.desc()))
        return [_invitation(r) for r in rows]


def revoke_invitation(engine: Engine, invitation_id: int, now: dt.datetime | None = None) -> bool:
    """End invitation ``invitation_id`` now (it expires; learners who used it keep their accounts); False if none."""
    now = _now(now)
    i = portal_invitations.c
    with engine.begin() as conn:
        found = conn.execute(sa.select(i.expires).where(i.id == invitation_id)).first()
        if found is None:
            return False
        if found.expires is None or found.expires > now:
            conn.execute(sa.update(portal_invitations).where(i.id == invitation_id).values(expires=now))
        return True


def count_learners(engine: Engine) -> tuple[int, int]:
    """How many learners there are, and how many of them confirmed their address."""
    with engine.connect() as conn:
        total, verified = conn.execute(
            sa.select(sa.func.count(), sa.func.count(portal_learners.c.verified)).select_from(portal_learners)
        ).one()
    return int(total), int(verified)
