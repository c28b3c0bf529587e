"""Client secrets: argon2id hashes at rest, and a small cache of proven credentials.

Hashing with argon2 means a copy of the database does not hand out working
credentials. Verifying argon2 on every request would cost tens of
milliseconds of CPU per statement POST, so once a (key, secret) pair has been
proven against the stored hash we remember a SHA-256 of it together with
the hash it was proven against: the next request with the same pair costs a
store lookup and a SHA-256. Removing a client or giving it a new secret
changes what the store returns, so the cache can never keep an old
credential alive.

Wrong secrets cost the same argon2 work, so they are limited: a wrong
(key, secret) pair already checked is refused from memory, and after
:data:`MAX_FAILURES` different wrong secrets for one client key within
:data:`FAILURE_WINDOW_SECONDS` further unproven secrets for that key are
refused unchecked (HTTP 429 with Retry-After) until the window passes. A
client whose secret was already proven keeps working meanwhile. Unknown
keys never reach argon2 at all.
"""

from __future__ import annotations

import hashlib
import secrets as _random
import threading
import time
from collections import OrderedDict, deque
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

#: OWASP's argon2id minimum (19 MiB, 2 passes, 1 lane): client secrets are
#: 256-bit random values, so the hash only needs to make a stolen table
#: useless, not to stretch a weak password; verification stays ~30 ms.
_HASHER: Final = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
_CACHE_SIZE: Final = 1024
#: Wrong secrets checked per client key within the window before further ones are refused unchecked.
MAX_FAILURES: Final = 10
FAILURE_WINDOW_SECONDS: Final = 60.0

_proven: OrderedDict[tuple[str, str, str], None] = OrderedDict()
_refused: OrderedDict[tuple[str, str, str], None] = OrderedDict()
_failures: dict[str, deque[float]] = {}
_lock = threading.Lock()


class TooManyFailures(Exception):
    """Too many wrong secrets for one client key lately; ``retry_after`` seconds until the next check."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed attempts; retry after {retry_after} s")
        self.retry_after = retry_after


def new_secret() -> str:
    """A fresh client secret (256 random bits, URL-safe, no ':' so it fits Basic auth)."""
    return _random.token_urlsafe(32)


def new_key() -> str:
    """A fresh client key (the Basic-auth user name): 20 hex characters."""
    return _random.token_hex(10)


def hash_secret(secret: str) -> str:
    """The argon2id hash stored for a secret."""
    return _HASHER.hash(secret)


def _fingerprint(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def verify_secret(key: str, secret_hash: str, secret: str) -> bool:
    """Whether ``secret`` matches ``secret_hash`` (the stored hash of client ``key``).

    Raises :class:`TooManyFailures` instead of checking when ``key`` had too
    many wrong secrets in the last :data:`FAILURE_WINDOW_SECONDS`.
    """
    entry = (key, secret_hash, _fingerprint(secret))
    now = time.monotonic()
    with _lock:
        if entry in _proven:
            _proven.move_to_end(entry)
            return True
        if entry in _refused:
            return False
        recent = _failures.get(key)
        while recent and recent[0] <= now - FAILURE_WINDOW_SECONDS:
            recent.popleft()
        if recent is not None and len(recent) >= MAX_FAILURES:
            raise TooManyFailures(int(recent[0] + FAILURE_WINDOW_SECONDS - now) + 1)
    try:
        _HASHER.verify(secret_hash, secret)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        with _lock:
            _remember(_refused, entry)
            _failures.setdefault(key, deque()).append(now)
        return False
    with _lock:
        _remember(_proven, entry)
    return True


def _remember(cache: OrderedDict[tuple[str, str, str], None], entry: tuple[str, str, str]) -> None:
    cache[entry] = None
    while len(cache) > _CACHE_SIZE:
        cache.popitem(last=False)


def forget_all() -> None:
    """Empty the caches of proven and refused credentials (tests; a secret rotation needs no call)."""
    with _lock:
        _proven.clear()
        _refused.clear()
        _failures.clear()
