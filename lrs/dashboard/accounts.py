"""Dashboard accounts: argon2 password hashes, roles, login throttling, the session secret.

Why it looks like this:

* Passwords are hashed with argon2id (``argon2-cffi``'s defaults, which follow
  RFC 9106's recommendation): a copied database does not give the passwords
  back cheaply. A hash made with older parameters is rehashed at the next
  successful login.
* A login with an unknown user name costs the same argon2 check as a wrong
  password, and both answer the same: the answer never tells whether an
  account exists (no user enumeration).
* Failed logins are counted per user name in the database
  (``auth_failures``, the counter client secrets use), so the limit holds
  across workers and also for names that do not exist (else the limit
  would tell which names do). The counter's key is a hash of the name,
  never the name: people type their password into the name field, and it
  must not land in the database in clear. Counters of past windows are
  dropped as logins arrive, so names sprayed by an attacker do not pile up.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Final

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from lrs.store.interface import Store
from lrs.store.sql import engine_of
from lrs.store.tables import auth_failures, users

#: The role that may also change what the portal offers (import and remove courses).
ADMIN_ROLE: Final = "admin"
#: Roles an account can have; the dashboard admits these (an admin sees the reports too).
ROLES: Final = ("evaluator", ADMIN_ROLE)
#: Shortest password accepted (``lrs user add`` refuses shorter ones).
MIN_PASSWORD_CHARS: Final = 12
#: Longest password accepted: a login never hashes megabytes someone posted.
MAX_PASSWORD_CHARS: Final = 1024
#: User names: a letter or digit, then letters, digits, ``.``, ``_``, ``-`` (at most 64).
USERNAME: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
#: Failed logins allowed per user name and window, then refused until the window ends.
MAX_LOGIN_FAILURES: Final = 5
LOGIN_WINDOW_SECONDS: Final = 300
#: Prefix of the login counters in ``auth_failures`` (random client keys never have it).
COUNTER_PREFIX: Final = "dashboard-login:"

password_hasher = PasswordHasher()
#: Checked against when the user name is unknown, so that answer takes as long as a wrong password.


@functools.cache
def dummy_hash() -> str:
    """A hash to verify against for unknown names (same cost as a real one).

    Made on first use, not at import: argon2id's 64 MiB working memory
    would otherwise count in every worker's peak, dashboard used or not.
    """
    return password_hasher.hash(secrets.token_urlsafe(24))


@dataclass(frozen=True)
class User:
    """One dashboard account (never its hash outside this module)."""

    id: int
    username: str
    role: str
    created: dt.datetime


class AccountError(ValueError):
    """A refused account change, with a message for the person who asked."""


class TooManyAttempts(Exception):
    """Too many failed logins for this user name; try again after ``retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed logins; retry after {retry_after} s")
        self.retry_after = retry_after


def check_password_strength(password: str) -> None:
    """AccountError unless the password has :data:`MIN_PASSWORD_CHARS` to :data:`MAX_PASSWORD_CHARS` characters."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise AccountError(f"password too short: use at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise AccountError(f"password too long: use at most {MAX_PASSWORD_CHARS} characters")


def add_user(engine: Engine, username: str, password: str, role: str) -> User:
    """Create account ``username``; AccountError for a bad name, role or password, or a taken name."""
    if not USERNAME.match(username):
        raise AccountError(
            f"user name {username!r}: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    if role not in ROLES:
        raise AccountError(f"role {role!r} is not one of {', '.join(ROLES)}")
    check_password_strength(password)
    created = dt.datetime.now(dt.UTC)
    try:
        with engine.begin() as conn:
            new_id = conn.execute(
                sa.insert(users)
                .values(username=username, password_hash=password_hasher.hash(password), role=role, created=created)
                .returning(users.c.id)
            ).scalar_one()
    except IntegrityError:
        raise AccountError(f"user {username!r} exists already") from None
    return User(id=int(new_id), username=username, role=role, created=created)


def list_users(engine: Engine) -> list[User]:
    """Every account, by name."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(users.c.id, users.c.username, users.c.role, users.c.created).order_by(users.c.username)
        )
        return [User(id=r.id, username=r.username, role=r.role, created=r.created) for r in rows]


def get_user(engine: Engine, user_id: int) -> User | None:
    """The account with ``user_id`` (None once removed: its sessions stop working)."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(users.c.id, users.c.username, users.c.role, users.c.created).where(users.c.id == user_id)
        ).first()
    return None if row is None else User(id=row.id, username=row.username, role=row.role, created=row.created)


def remove_user(engine: Engine, username: str) -> bool:
    """Delete account ``username``; False when there is none."""
    with engine.begin() as conn:
        return conn.execute(sa.delete(users).where(users.c.username == username)).rowcount > 0


def _window(now: dt.datetime) -> tuple[int, int]:
    """The limiter window holding ``now`` (epoch seconds) and the seconds left in it."""
    seconds = int(now.timestamp())
    start = seconds - seconds % LOGIN_WINDOW_SECONDS
    return start, start + LOGIN_WINDOW_SECONDS - seconds


def login_counter(username: str) -> str:
    """The ``auth_failures`` key counting logins as ``username``: a hash, so no typed text is stored."""
    return COUNTER_PREFIX + hashlib.sha256(username.encode("utf-8", "surrogatepass")).hexdigest()


def authenticate(store: Store, username: str, password: str, *, now: dt.datetime | None = None) -> User | None:
    """The account if ``password`` is right, else None; TooManyAttempts once the name's limit is used up.

    Every attempt claims one check of the name's counter before the hash is
    tested, atomically across workers; a successful login gives its check
    back. A name that does not exist is counted and timed the same way.
    """
    window, left = _window(now or dt.datetime.now(dt.UTC))
    engine = engine_of(store)
    with engine.begin() as conn:
        conn.execute(
            sa.delete(auth_failures).where(
                auth_failures.c.key.startswith(COUNTER_PREFIX), auth_failures.c.window_start < window
            )
        )
    counter = login_counter(username)
    if store.claim_auth_check(counter, window) > MAX_LOGIN_FAILURES:
        raise TooManyAttempts(left)
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(users.c.id, users.c.username, users.c.role, users.c.created, users.c.password_hash).where(
                users.c.username == username
            )
        ).first()
    # an unknown name or an over-long password is checked against the dummy hash: same cost, same answer
    stored = row.password_hash if row is not None and len(password) <= MAX_PASSWORD_CHARS else None
    try:
        password_hasher.verify(stored or dummy_hash(), password[: MAX_PASSWORD_CHARS + 1])
    except (VerificationError, InvalidHashError):
        return None
    if row is None or stored is None:  # the dummy hash matched: impossible in practice, but never a login
        return None
    store.release_auth_check(counter, window)
    if password_hasher.check_needs_rehash(row.password_hash):
        with engine.begin() as conn:
            conn.execute(
                sa.update(users)
                .where(users.c.id == row.id, users.c.password_hash == row.password_hash)
                .values(password_hash=password_hasher.hash(password))
            )
    return User(id=row.id, username=row.username, role=row.role, created=row.created)
