"""Dual tracking of SCORM packages: pseudonyms of LMS learners, and what an organisation's client may send.

Police academies run our SCORM packages in their own LMS. Built with
``course build --lrs URL --lrs-key KEY --organisation ID``, a SCORM package
reports to the LMS as always and also sends the xAPI package's statements
to our LRS (``player/core/mirror.js``). Defined here once, for the builder,
the player's config and the LRS's checks:

* **The actor is a pseudonym**: an account whose ``homePage`` is
  :func:`pseudonym_home` of the organisation and whose ``name`` is
  :func:`pseudonym`: HMAC-SHA-256 of the organisation, a line feed and the LMS learner id
  (hex), never the learner's name.
* **The key choice.** The hash is computed in the learner's browser (the
  LMS learner id must not leave it), so its key travels in the package. It
  is :func:`pseudonym_key`: HMAC-SHA-256 of the organisation, keyed with the
  secret of the organisation's LRS client. The LRS keeps only a salted hash
  of that secret, so whoever reads the LRS (evaluators, researchers, a copy
  of the database) cannot test guessed learner ids (employee numbers,
  e-mail addresses) against the pseudonyms, which an unkeyed hash would
  allow. The organisation, which holds its package, can compute a
  learner's pseudonym (for an erasure request: ``lrs erase --actor``). The
  same client gives the same pseudonyms in every package of that
  organisation; a new client (a new secret) starts new ones, so keep one
  client per organisation for the whole evaluation period.
* **The client is write-only and bound** (``lrs client add NAME --scope
  statements/write --organisation ID``): :func:`statement_problem` says
  what such a client may not send, so a key copied out of a package can
  only add pseudonymous statements of its own organisation, and read
  nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from typing import Any, Final

from lrs.xapi.profile import CODE, PUBLISHER, iri

#: Where each organisation's pseudonyms live: ``<base><organisation id>``.
PSEUDONYM_BASE: Final = f"{PUBLISHER}/pseudonyms/"
#: A pseudonym: the 64 hex digits of an HMAC-SHA-256 (nothing else fits, so no name slips in).
PSEUDONYM_NAME: Final = re.compile(r"[0-9a-f]{64}")
#: Separates the purpose of the derived key from the organisation in :func:`pseudonym_key`.
_KEY_PURPOSE: Final = "gsog dual-tracking pseudonym key\n"
#: Context members that name people besides the actor.
_OTHER_PEOPLE: Final = ("instructor", "team")


def organisation_problem(organisation: str) -> str | None:
    """Why ``organisation`` cannot be an organisation id (None when it can): a code, as the profile's."""
    if re.fullmatch(CODE, organisation) is None:
        return f"{organisation!r} is not a code: 1 to 64 letters, digits and . _ : - (no spaces)"
    return None


def pseudonym_home(organisation: str) -> str:
    """The account ``homePage`` of the pseudonyms of ``organisation``'s learners."""
    return PSEUDONYM_BASE + organisation


def pseudonym_key(secret: str, organisation: str) -> str:
    """The key a package hashes learner ids with, derived from the organisation's client secret (hex)."""
    message = (_KEY_PURPOSE + organisation).encode("utf-8")
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def pseudonym(key: str, organisation: str, learner_id: str) -> str:
    """A learner's pseudonym: hex HMAC-SHA-256 of the organisation, a line feed and the LMS learner id."""
    message = f"{organisation}\n{learner_id}".encode()
    return hmac.new(key.encode("utf-8"), message, hashlib.sha256).hexdigest()


def pseudonym_actor(key: str, organisation: str, learner_id: str) -> dict[str, Any]:
    """The actor of a learner's statements in a dual-tracking package."""
    return {
        "objectType": "Agent",
        "account": {"homePage": pseudonym_home(organisation), "name": pseudonym(key, organisation, learner_id)},
    }


def _actor_problem(actor: Any, home: str) -> str | None:
    if not isinstance(actor, Mapping) or actor.get("objectType", "Agent") != "Agent":
        return "actor: must be an Agent"
    extra = sorted(set(actor) - {"objectType", "account"})
    account = actor.get("account")
    if (
        extra
        or not isinstance(account, Mapping)
        or account.get("homePage") != home
        or not isinstance(account.get("name"), str)
        or PSEUDONYM_NAME.fullmatch(account["name"]) is None
    ):
        without = f" (no {', '.join(extra)})" if extra else ""
        return f"actor: must be a pseudonym only: an account with homePage {home} and a 64-hex-digit name{without}"
    return None


def statement_problem(organisation: str, statement: Mapping[str, Any]) -> str | None:
    """Why a client bound to ``organisation`` may not send ``statement`` (None when it may).

    The statement's organisation extension must be the client's
    organisation (never added for it: the player always sends it), the
    actor a pseudonym under that organisation's home, the object an
    activity (no voiding, no agent or sub-statement as object) and no other
    person named in the context.
    """
    org_iri = iri("organisation")
    context = statement.get("context")
    extensions = context.get("extensions") if isinstance(context, Mapping) else None
    given = extensions.get(org_iri) if isinstance(extensions, Mapping) else None
    if given != organisation:
        got = "missing" if given is None else f"{given!r}"
        return (
            f"context.extensions[{org_iri}]: is {got}; this client is bound to organisation "
            f"{organisation!r} and sends only that organisation's statements"
        )
    problem = _actor_problem(statement.get("actor"), pseudonym_home(organisation))
    if problem is not None:
        return problem
    target = statement.get("object")
    if not isinstance(target, Mapping) or target.get("objectType", "Activity") != "Activity":
        return "object: must be an Activity (this client may not void statements or name agents)"
    if isinstance(context, Mapping):
        for name in _OTHER_PEOPLE:
            if name in context:
                return f"context.{name}: not allowed for an organisation's client (it names people)"
    return None
