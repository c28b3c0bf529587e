"""Sign-in rate limits of the learner portal: per account and per address, without locking out the real learner.

Why it looks like this (OWASP's "device cookies" against password guessing):

* A failed sign-in is counted per account and per client address, in the
  ``auth_failures`` table the dashboard and the API clients use
  (:meth:`lrs.store.interface.Store.claim_auth_check`): atomic across
  workers, one row per key and window. Each attempt claims one check
  before the password is tested and a successful one gives it back, so
  the counters count failures. Keys are hashes (:func:`counter_key`): an
  e-mail address, or a password typed into the address field, never lands
  in the database in clear. Counters of past windows are dropped as
  attempts arrive.
* Limits: :data:`ACCOUNT_LIMIT` failures per account and
  :data:`ADDRESS_LIMIT` per address in each :data:`WINDOW_SECONDS` window.
  The account limit also counts addresses that have no account, so the
  limit does not tell which ones do.
* A counter per account alone would let anyone lock a learner out by
  guessing wrong on purpose. So a successful sign-in gives the browser a
  *device cookie* (:func:`issue_device_cookie`), signed with the app's
  secret and bound to the learner's id. An attempt that presents a valid
  device cookie for the account it signs in to is limited only by that
  cookie's own counter (:data:`DEVICE_LIMIT`, small: a stolen cookie buys
  few guesses), not by the account's or the address's: an attacker
  hammering the account from elsewhere does not lock out the learner's own
  browser, nor do the colleagues behind the same office address.
* Pages that send mail (sign-up, "send the link again", forgotten
  password) claim a check per client address and per recipient
  (:func:`claim_mail`): nobody can flood an inbox through the portal or
  make it send mail by the thousand. These checks are never given back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Final

import sqlalchemy as sa
from itsdangerous import BadData, URLSafeTimedSerializer

from lrs.dashboard.accounts import TooManyAttempts
from lrs.store.interface import Store
from lrs.store.sql import engine_of
from lrs.store.tables import auth_failures

__all__ = [
    "ACCOUNT_LIMIT",
    "ADDRESS_LIMIT",
    "COUNTER_PREFIX",
    "DEVICE_COOKIE_NAME",
    "DEVICE_COOKIE_SECONDS",
    "DEVICE_LIMIT",
    "MAIL_ADDRESS_LIMIT",
    "MAIL_RECIPIENT_LIMIT",
    "WINDOW_SECONDS",
    "Claim",
    "DeviceCookie",
    "TooManyAttempts",
    "claim",
    "claim_mail",
    "counter_key",
    "device_cookie_learner",
    "issue_device_cookie",
    "release",
]

#: Length of one counting window; a limit used up is free again when its window ends.
WINDOW_SECONDS: Final = 15 * 60
#: Failed sign-ins per account (hash of the e-mail address) and window, without a device cookie.
ACCOUNT_LIMIT: Final = 10
#: Failed sign-ins per client address and window, without a device cookie (an office behind one NAT
#: address shares it; its learners' device cookies keep them out of it).
ADDRESS_LIMIT: Final = 30
#: Failed sign-ins per device cookie and window: a learner's own browser, small.
DEVICE_LIMIT: Final = 5
#: Life of a device cookie (the lead sets the cookie's ``max_age`` to this).
DEVICE_COOKIE_SECONDS: Final = 180 * 24 * 3600
#: Name of the device cookie (HttpOnly, Secure on https; only the sign-in page needs to receive it).
DEVICE_COOKIE_NAME: Final = "gsog_portal_device"
#: Mails (confirmation, reset link, "already registered" note) one client address may have sent per window.
MAIL_ADDRESS_LIMIT: Final = 10
#: Mails one e-mail address may receive per window: enough to ask again, too few to flood an inbox.
MAIL_RECIPIENT_LIMIT: Final = 3
#: Prefix of the portal's counters in ``auth_failures`` (the dashboard's and clients' keys differ).
COUNTER_PREFIX: Final = "portal-limit:"
#: Keeps device cookies apart from anything else the same secret signs.
_SALT: Final = "gsog-portal-device-cookie"


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=_SALT)


def issue_device_cookie(secret: str, learner_id: int) -> str:
    """A new device cookie value for ``learner_id``, to set after every successful sign-in.

    It carries the learner's id and a random nonce (the nonce is what its
    counter counts, so each browser has its own), signed with ``secret``
    (the app's session secret) and timed, so an old one is refused.
    """
    return _serializer(secret).dumps({"learner": learner_id, "nonce": secrets.token_urlsafe(16)})


@dataclass(frozen=True)
class DeviceCookie:
    """A valid device cookie: whose it is and which browser."""

    learner_id: int
    nonce: str


def device_cookie_learner(secret: str, cookie: str | None, now: dt.datetime) -> DeviceCookie | None:
    """The device cookie ``cookie`` if it is ours, intact and younger than :data:`DEVICE_COOKIE_SECONDS`."""
    if not cookie:
        return None
    try:  # checks the signature; the age is checked against ``now`` below
        payload, issued = _serializer(secret).loads(cookie, return_timestamp=True)
    except BadData:
        return None
    age = (now - issued).total_seconds()
    if age > DEVICE_COOKIE_SECONDS or age < -WINDOW_SECONDS:  # expired, or from the far future
        return None
    if not isinstance(payload, dict):
        return None
    learner, nonce = payload.get("learner"), payload.get("nonce")
    if isinstance(learner, bool) or not isinstance(learner, int) or not isinstance(nonce, str):
        return None
    return DeviceCookie(learner, nonce)


def counter_key(kind: str, value: str) -> str:
    """The ``auth_failures`` key of counter ``kind`` (account, address, device, mail-to, mail-from): a hash."""
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{COUNTER_PREFIX}{kind}:{digest}"


@dataclass(frozen=True)
class Claim:
    """The counters one sign-in attempt claimed a check of; :func:`release` gives them back on success."""

    window: int
    keys: tuple[str, ...]


def _window(now: dt.datetime) -> tuple[int, int]:
    """The window holding ``now`` (its start in epoch seconds) and the seconds left in it."""
    seconds = int(now.timestamp())
    start = seconds - seconds % WINDOW_SECONDS
    return start, start + WINDOW_SECONDS - seconds


def _drop_old_windows(store: Store, window: int) -> None:
    """Delete the portal's counters of past windows (an attacker's sprayed keys do not pile up)."""
    with engine_of(store).begin() as conn:
        conn.execute(
            sa.delete(auth_failures).where(
                auth_failures.c.key.startswith(COUNTER_PREFIX), auth_failures.c.window_start < window
            )
        )


def claim(
    store: Store, *, account: str, address: str, device: DeviceCookie | None, learner_id: int | None, now: dt.datetime
) -> Claim:
    """Count one sign-in attempt before its password is checked; TooManyAttempts once a limit is used up.

    ``account`` is the normalised e-mail address typed, ``address`` the
    client's address, ``device`` the valid device cookie presented (if
    any) and ``learner_id`` the account the e-mail belongs to (None when
    none). A device cookie bound to that very account puts the attempt
    under the cookie's counter only; otherwise the account's and the
    address's counters both count it, and both must have room.
    """
    window, left = _window(now)
    _drop_old_windows(store, window)
    if device is not None and learner_id is not None and device.learner_id == learner_id:
        limits = {counter_key("device", f"{device.learner_id}:{device.nonce}"): DEVICE_LIMIT}
    else:
        limits = {counter_key("account", account): ACCOUNT_LIMIT, counter_key("address", address): ADDRESS_LIMIT}
    over = False
    for key, limit in limits.items():  # claim every counter, so each sees every attempt
        over = store.claim_auth_check(key, window) > limit or over
    if over:
        raise TooManyAttempts(left)
    return Claim(window, tuple(limits))


def release(store: Store, claimed: Claim) -> None:
    """Give the checks of a successful attempt back: only failures stay counted."""
    for key in claimed.keys:
        store.release_auth_check(key, claimed.window)


def claim_mail(store: Store, *, recipient: str, address: str, now: dt.datetime | None = None) -> None:
    """Count one mail to ``recipient`` asked for from client ``address``; TooManyAttempts once a limit is used up.

    Call it before the work that may send the mail (sign-up, new
    confirmation link, reset request), whether or not the address has an
    account, so the answer tells nothing; answer 429 with ``retry_after``.
    """
    from lrs.portal.accounts import fold_email  # accounts imports this module

    window, left = _window(now or dt.datetime.now(dt.UTC))
    _drop_old_windows(store, window)
    limits = {
        counter_key("mail-to", fold_email(recipient)): MAIL_RECIPIENT_LIMIT,
        counter_key("mail-from", address): MAIL_ADDRESS_LIMIT,
    }
    over = False
    for key, limit in limits.items():
        over = store.claim_auth_check(key, window) > limit or over
    if over:
        raise TooManyAttempts(left)
