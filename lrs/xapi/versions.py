"""The two xAPI versions this LRS speaks and how a request picks one.

Both versions are served side by side: the ``X-Experience-API-Version``
request header chooses, and every response echoes the *latest patch* of the
chosen version (1.0.3 spec §3.3: "set this header to the latest patch
version"), so a client sending ``1.0.1`` gets ``1.0.3`` back.
"""

from __future__ import annotations

import re
from typing import Final, Literal

ApiVersion = Literal["1.0.3", "2.0.0"]

V1: Final[ApiVersion] = "1.0.3"
V2: Final[ApiVersion] = "2.0.0"
#: What GET /about lists, oldest first.
SUPPORTED: Final[tuple[ApiVersion, ...]] = (V1, V2)

_V1_HEADER = re.compile(r"^1\.0(\.\d+)?$")
_V2_HEADER = re.compile(r"^2\.0(\.\d+)?$")


def negotiate(header: str | None) -> ApiVersion | None:
    """The version to answer in for a request header value, or None when unsupported.

    ``1.0`` and any ``1.0.x`` mean 1.0.3 (the spec requires accepting every
    1.0.x patch); ``2.0`` and ``2.0.x`` mean 2.0.0. Anything else, including
    a missing header, is unsupported and the caller answers 400.
    """
    if header is None:
        return None
    value = header.strip()
    if _V1_HEADER.match(value):
        return V1
    if _V2_HEADER.match(value):
        return V2
    return None


def coerce(value: str | None, default: ApiVersion = V2) -> ApiVersion:
    """A configured version name made safe (unknown values fall back to ``default``)."""
    return negotiate(value) or default


def statement_version_default(api: ApiVersion) -> str:
    """The ``version`` property given to statements that arrive without one.

    1.0.x statements are always "1.0.0" (1.0.3 Data §2.4.10); 2.0 ones "2.0.0".
    """
    return "1.0.0" if api == V1 else "2.0.0"


_STMT_V1 = re.compile(r"^1\.0(\.\d+)?$")
_STMT_V2 = re.compile(r"^2\.0(\.\d+)?$")


def statement_version_ok(value: str, api: ApiVersion) -> bool:
    """Whether a statement's own ``version`` property is acceptable under ``api``.

    1.0.x statements stay valid under 2.0 (2.0 LRSs store older statements
    unchanged); a 2.0.x statement is not a 1.0.3 statement.
    """
    if _STMT_V1.match(value):
        return True
    return api == V2 and bool(_STMT_V2.match(value))
