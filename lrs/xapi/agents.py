"""Agent identity: one canonical key per inverse functional identifier (IFI).

Filters (``agent=`` on statements), documents (state, agent profile) and cmi5
launch tokens all need to decide whether two Agent objects are the same
learner. xAPI says they are exactly when they share an IFI, so the key is the
IFI alone, normalised where the spec allows (an e-mail address's case is not
significant in practice, so ``mbox`` is lower-cased).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

IFI_PROPERTIES = ("mbox", "mbox_sha1sum", "openid", "account")


class AgentKeyError(ValueError):
    """The object carries no usable inverse functional identifier."""


def normalise_mbox(mbox: str) -> str:
    """``mailto:`` IRI in one spelling: scheme and address lower-cased."""
    if mbox[:7].lower() != "mailto:":
        return mbox
    return "mailto:" + mbox[7:].strip().lower()


def mbox_sha1(mbox: str) -> str:
    """The ``mbox_sha1sum`` an mbox would have (hex SHA-1 of the full mailto IRI)."""
    return hashlib.sha1(mbox.encode("utf-8")).hexdigest()  # noqa: S324 - the xAPI-defined hash


def ifis_present(agent: Mapping[str, Any]) -> list[str]:
    """Names of the IFI properties an object carries (xAPI needs exactly one for an Agent)."""
    return [name for name in IFI_PROPERTIES if name in agent]


def agent_key(agent: Mapping[str, Any]) -> str:
    """Canonical key of an Agent or identified Group, e.g. ``mbox:mailto:a@b.be``.

    Raises :class:`AgentKeyError` for anonymous groups and objects without an
    IFI: they cannot be looked up by identity.
    """
    if "mbox" in agent and isinstance(agent["mbox"], str):
        return "mbox:" + normalise_mbox(agent["mbox"])
    if "mbox_sha1sum" in agent and isinstance(agent["mbox_sha1sum"], str):
        return "mbox_sha1sum:" + agent["mbox_sha1sum"].strip().lower()
    if "openid" in agent and isinstance(agent["openid"], str):
        return "openid:" + agent["openid"].strip()
    account = agent.get("account")
    if isinstance(account, Mapping):
        home, name = account.get("homePage"), account.get("name")
        if isinstance(home, str) and isinstance(name, str):
            return f"account:{home.strip()}|{name}"
    raise AgentKeyError("the agent has no inverse functional identifier (mbox, mbox_sha1sum, openid or account)")


def try_agent_key(agent: Any) -> str | None:
    """:func:`agent_key` for anything, None when there is no identifier."""
    if not isinstance(agent, Mapping):
        return None
    try:
        return agent_key(agent)
    except AgentKeyError:
        return None


def group_members(actor: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The ``member`` list of a Group (empty for Agents and member-less Groups)."""
    members = actor.get("member")
    if actor.get("objectType") != "Group" or not isinstance(members, list):
        return []
    return [m for m in members if isinstance(m, Mapping)]


def person_object(agents: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Combine every Agent object seen for one learner into an xAPI Person object.

    The Person object lists, per IFI property, every value known (GET /agents);
    ``name`` collects display names. Nothing beyond what statements carried is
    added (personal data: store and show the minimum).
    """
    person: dict[str, Any] = {"objectType": "Person"}
    fields: dict[str, list[Any]] = {"name": [], "mbox": [], "mbox_sha1sum": [], "openid": [], "account": []}
    for agent in agents:
        for prop, values in fields.items():
            value = agent.get(prop)
            if value is not None and value not in values:
                values.append(value)
    for prop, values in fields.items():
        if values:
            person[prop] = values
    return person
