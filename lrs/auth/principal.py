"""Who is calling: the authenticated principal and what its scopes let it do."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from lrs.store.interface import LaunchToken

#: The xAPI scopes (1.0.3 Communication §4.2; unchanged in 2.0).
XAPI_SCOPES: Final = (
    "statements/write",
    "statements/read/mine",
    "statements/read",
    "state",
    "define",
    "profile",
    "all/read",
    "all",
)
#: Not an xAPI scope: may create cmi5 launches (POST /cmi5/launches). ``all`` implies it.
CMI5_LAUNCH_SCOPE: Final = "cmi5/launch"
KNOWN_SCOPES: Final = (*XAPI_SCOPES, CMI5_LAUNCH_SCOPE)
#: What a client gets when none is asked for (xAPI §4.2: "MUST assume ... statements/write and statements/read/mine").
DEFAULT_SCOPES: Final = ("statements/write", "statements/read/mine")
#: What a cmi5 launch session may do: send statements and keep its state and
#: learner preferences. No statement reading and no voiding (cmi5 §6.3).
LAUNCH_SCOPES: Final = frozenset({"statements/write", "state", "profile"})


@dataclass(frozen=True)
class Principal:
    """The authenticated caller, set as ``flask.g.client`` by :func:`lrs.auth.require`.

    ``authority`` is the Agent/Group the statements API puts into
    ``authority``; ``launch`` is set for cmi5 launch sessions and bounds
    their access to one actor, registration and activity; ``organisation``
    for clients bound to one organisation (dual-tracking SCORM packages).
    """

    key: str
    scopes: frozenset[str]
    authority: dict[str, Any] = field(default_factory=dict)
    launch: LaunchToken | None = None
    #: a dual-tracking package's client: may only send this organisation's pseudonymous
    #: statements and read nothing (:mod:`lrs.xapi.dual_tracking`)
    organisation: str | None = None

    def allows(self, required: Iterable[str], *, read_only: bool) -> bool:
        """Whether one of ``required`` is granted (see :func:`permits`)."""
        return permits(self.scopes, required, read_only=read_only)


def permits(granted: Iterable[str], required: Iterable[str], *, read_only: bool) -> bool:
    """Whether scopes ``granted`` satisfy any one of ``required``.

    ``all`` satisfies everything; ``all/read`` satisfies anything for a
    read-only request (GET/HEAD); ``statements/read`` includes
    ``statements/read/mine``. No required scopes: any authenticated caller.
    """
    have = set(granted)
    wanted = list(required)
    if not wanted or "all" in have:
        return True
    if read_only and "all/read" in have:
        return True
    for scope in wanted:
        if scope in have:
            return True
        if scope == "statements/read/mine" and "statements/read" in have:
            return True
    return False


def unknown_scopes(scopes: Iterable[str]) -> list[str]:
    """The scope names in ``scopes`` this LRS does not know."""
    return [s for s in scopes if s not in KNOWN_SCOPES]
