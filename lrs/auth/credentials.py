"""Client secrets: argon2id hashes at rest, and a small cache of proven credentials.

Hashing with argon2 means a copy of the database does not hand out working
credentials. Verifying argon2 on every request would cost tens of
milliseconds of CPU per statement POST, so once a (key, secret) pair has been
proven against the stored hash we remember a SHA-256 of it together with
the hash it was proven against: the next request with the same pair costs a
store lookup and a SHA-256. Removing a client or giving it a new secret
changes what the store returns, so the cache can never keep an old
credential alive.
"""

from __future__ import annotations

import hashlib
import secrets as _random
import threading
from collections import OrderedDict
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

#: OWASP's argon2id minimum (19 MiB, 2 passes, 1 lane): client secrets are
#: 256-bit random values, so the hash only needs to make a stolen table
#: useless, not to stretch a weak password; verification stays ~30 ms.
_HASHER: Final = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
_CACHE_SIZE: Final = 1024

_proven: OrderedDict[tuple[str, str, str], None] = OrderedDict()
_lock = threading.Lock()


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
    """Whether ``secret`` matches ``secret_hash`` (the stored hash of client ``key``)."""
    entry = (key, secret_hash, _fingerprint(secret))
    with _lock:
        if entry in _proven:
            _proven.move_to_end(entry)
            return True
    try:
        _HASHER.verify(secret_hash, secret)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    with _lock:
        _proven[entry] = None
        while len(_proven) > _CACHE_SIZE:
            _proven.popitem(last=False)
    return True


def forget_all() -> None:
    """Empty the cache of proven credentials (tests; a secret rotation needs no call)."""
    with _lock:
        _proven.clear()
