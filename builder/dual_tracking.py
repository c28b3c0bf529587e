"""``course build --lrs URL --lrs-key KEY --organisation ID``: SCORM packages that also report to our LRS.

Without the three options a package has no LRS configuration and sends
nothing. With them, each SCORM package's ``content/course.js`` carries
``window.GSOG_LRS`` (:meth:`DualTracking.player_config`): the endpoint, the
Authorization header of the organisation's write-only client, the
organisation id, the home of its pseudonyms and the key the player hashes
LMS learner ids with (:mod:`lrs.xapi.dual_tracking` says why that key, and
what the LRS lets such a client do). The player's ``core/mirror.js`` reads
it. cmi5 and xAPI packages get their LRS from the launch, so only the
formats whose adapter mirrors (``player/bundle.json`` ``mirror``) take it.

The secret is never printed: errors name the option, not its value.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urlsplit

from lrs.auth.credentials import MIN_SECRET_CHARS
from lrs.xapi.dual_tracking import organisation_problem, pseudonym_home, pseudonym_key

#: Where ``--lrs-key`` is read from when the option is not given (keeps the secret out of shell history).
ENV_LRS_KEY: Final = "GSOG_LRS_KEY"
#: Hosts an ``http://`` LRS may have (a developer's machine); anywhere else the key would travel in clear.
LOOPBACK: Final = frozenset({"localhost", "127.0.0.1", "::1"})


class DualTrackingError(ValueError):
    """The dual-tracking options are wrong; the message names the option (never the secret)."""


@dataclass(frozen=True)
class DualTracking:
    """The LRS a build's SCORM packages also report to, and the organisation they belong to."""

    endpoint: str
    key: str
    organisation: str
    secret: str = field(repr=False)

    @classmethod
    def from_options(cls, lrs: str | None, lrs_key: str | None, organisation: str | None) -> DualTracking | None:
        """The configuration of ``--lrs``, ``--lrs-key`` and ``--organisation``; None when none is given.

        All three or none: a package with an LRS but no organisation (or no
        key) would send statements the LRS refuses.
        """
        given = {"--lrs": lrs, "--lrs-key": lrs_key, "--organisation": organisation}
        if all(v is None for v in given.values()):
            return None
        missing = [name for name, value in given.items() if not value]
        if missing:
            raise DualTrackingError(
                f"{', '.join(missing)}: missing; dual tracking needs --lrs, --lrs-key (or ${ENV_LRS_KEY}) "
                "and --organisation together"
            )
        assert lrs is not None and lrs_key is not None and organisation is not None
        problem = organisation_problem(organisation)
        if problem:
            raise DualTrackingError(f"--organisation: {problem}")
        key, sep, secret = lrs_key.partition(":")
        if not sep or not key or not secret:
            raise DualTrackingError(f"--lrs-key: give KEY:SECRET as `lrs client add` printed them (or ${ENV_LRS_KEY})")
        if len(secret) < MIN_SECRET_CHARS:
            raise DualTrackingError(
                f"--lrs-key: the secret is shorter than {MIN_SECRET_CHARS} characters; "
                "use the one `lrs client add ... --organisation ID` printed"
            )
        return cls(endpoint=_endpoint(lrs), key=key, organisation=organisation, secret=secret)

    def player_config(self) -> dict[str, Any]:
        """``window.GSOG_LRS`` for ``core/mirror.js``."""
        basic = base64.b64encode(f"{self.key}:{self.secret}".encode()).decode("ascii")
        return {
            "endpoint": self.endpoint,
            "auth": f"Basic {basic}",
            "organisation": self.organisation,
            "homePage": pseudonym_home(self.organisation),
            "pseudonymKey": pseudonym_key(self.secret, self.organisation),
        }


def _endpoint(url: str) -> str:
    """The xAPI endpoint with a trailing slash; https, or http on the loopback interface only."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DualTrackingError(
            f"--lrs: {url!r} is not an http(s) URL of an xAPI endpoint, e.g. https://lrs.example.org/xapi/"
        )
    if parts.scheme == "http" and parts.hostname not in LOOPBACK:
        raise DualTrackingError(
            "--lrs: use https:// (over http the package's key and the statements would travel in clear, "
            "and an LMS served over https blocks the requests); http is accepted for localhost only"
        )
    if parts.query or parts.fragment or parts.username:
        raise DualTrackingError("--lrs: give the endpoint without user, query or fragment")
    return url if url.endswith("/") else url + "/"


def dual_tracking_options(
    lrs: str | None, lrs_key: str | None, organisation: str | None, formats: list[str] | None
) -> DualTracking | None:
    """:meth:`DualTracking.from_options`, refused when none of ``formats`` (None: all) can use it."""
    from builder.payload import mirrored_formats  # payload imports this module

    dual = DualTracking.from_options(lrs, lrs_key, organisation)
    mirrored = mirrored_formats()
    if dual is not None and formats is not None and not set(formats) & set(mirrored):
        raise DualTrackingError(
            f"--lrs: dual tracking is for {' and '.join(mirrored)} packages; "
            f"{', '.join(formats)} packages get their LRS from the launch"
        )
    return dual
