"""Client secrets at rest, and how a presented secret is checked.

Client keys are public (every statement's ``authority`` names one), so a
check of a wrong secret must cost the server nothing worth attacking and
must never lock the real client out.

* **New format** ``sha256$<salt>$<digest>``: HMAC-SHA-256 of the secret
  keyed with a per-client random salt. Every secret this LRS accepts carries
  at least 128 random bits (:data:`MIN_SECRET_CHARS`; ``lrs client add``
  makes 256), so a stolen table is as useless with a fast hash as with a
  slow one: nobody can search a 2^128 space. The check costs microseconds,
  so wrong secrets are no CPU lever and no limiter or lockout is needed; a
  client that sends its secret is always let in.
* **Legacy format** (argon2id, written before this format existed): still
  accepted, each check costing ~30 ms of CPU. Those checks are limited per
  client key through a counter in the database (``auth_failures``), taken
  atomically *before* the argon2 check, so across all workers at most
  :data:`MAX_FAILURES` unproven secrets per key per window
  (:data:`FAILURE_WINDOW_SECONDS`) are checked; beyond that the answer is
  429 with Retry-After. A correct secret gives its slot back and upgrades
  the stored hash to the new format, so that client is never limited again.

No proven or refused secret is cached in process memory: the new-format
check is as cheap as a cache lookup, and per-worker caches disagreed with
each other.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets as _random
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from lrs.store.interface import ClientRecord, Store

#: Prefix of the stored hash of new-format secrets.
SHA256_SCHEME: Final = "sha256"
#: Shortest secret accepted when one is chosen by hand: 32 hex characters are
#: 128 bits, what a fast salted hash needs to stay out of reach of a search.
MIN_SECRET_CHARS: Final = 32
#: Argon2 checks of unproven secrets per legacy client key per window, across all workers.
MAX_FAILURES: Final = 10
#: Length of one limiter window (a fixed window, aligned to the epoch).
FAILURE_WINDOW_SECONDS: Final = 60
#: Verifies legacy argon2id hashes (its parameters are read from each hash).
_ARGON2: Final = PasswordHasher()


class TooManyFailures(Exception):
    """Too many unproven secrets for one legacy client key lately; ``retry_after`` seconds until the next check."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed attempts; retry after {retry_after} s")
        self.retry_after = retry_after


class WeakSecret(ValueError):
    """A hand-chosen client secret too short to be safe behind a fast hash."""


def new_secret() -> str:
    """A fresh client secret (256 random bits, URL-safe, no ':' so it fits Basic auth)."""
    return _random.token_urlsafe(32)


def new_key() -> str:
    """A fresh client key (the Basic-auth user name): 20 hex characters."""
    return _random.token_hex(10)


def check_secret_strength(secret: str) -> None:
    """Raise :class:`WeakSecret` for a secret shorter than :data:`MIN_SECRET_CHARS` characters."""
    if len(secret) < MIN_SECRET_CHARS:
        raise WeakSecret(
            f"the secret has {len(secret)} characters; at least {MIN_SECRET_CHARS} are needed "
            "(128 random bits, e.g. 32 hex digits); leave it out to get a random one"
        )


def _digest(salt: bytes, secret: str) -> str:
    return hmac.new(salt, secret.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def hash_secret(secret: str) -> str:
    """The stored form of a secret: ``sha256$<salt hex>$<HMAC-SHA-256 hex>``."""
    salt = _random.token_bytes(16)
    return f"{SHA256_SCHEME}${salt.hex()}${_digest(salt, secret)}"


def is_legacy_hash(secret_hash: str) -> bool:
    """Whether ``secret_hash`` is an argon2 hash from before the fast format."""
    return secret_hash.startswith("$argon2")


def _fast_match(secret_hash: str, secret: str) -> bool:
    scheme, _, rest = secret_hash.partition("$")
    salt_hex, _, digest = rest.partition("$")
    if scheme != SHA256_SCHEME or not digest:
        return False
    try:
        salt = bytes.fromhex(salt_hex)
    except ValueError:
        return False
    return hmac.compare_digest(_digest(salt, secret), digest)


def _window(now: dt.datetime) -> tuple[int, int]:
    """The limiter window containing ``now`` (epoch seconds of its start) and the seconds left in it."""
    seconds = int(now.timestamp())
    start = seconds - seconds % FAILURE_WINDOW_SECONDS
    return start, start + FAILURE_WINDOW_SECONDS - seconds


def verify_secret(store: Store, client: ClientRecord, secret: str, *, now: dt.datetime | None = None) -> bool:
    """Whether ``secret`` is ``client``'s secret.

    New-format hashes are checked directly. Legacy argon2 hashes are checked
    only after a slot is taken in the database counter (raises
    :class:`TooManyFailures` when none is left); a match gives the slot back
    and replaces the hash with the new format.
    """
    if not is_legacy_hash(client.secret_hash):
        return _fast_match(client.secret_hash, secret)
    window, left = _window(now or dt.datetime.now(dt.UTC))
    if store.claim_auth_check(client.key, window) > MAX_FAILURES:
        raise TooManyFailures(left)
    try:
        _ARGON2.verify(client.secret_hash, secret)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    store.release_auth_check(client.key, window)
    store.replace_client_secret(client.key, client.secret_hash, hash_secret(secret))
    return True
