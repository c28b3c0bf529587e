"""Pseudonymised statements for researchers (``lrs export statements``).

A researcher needs what learners did, never who they are. Each statement is
rebuilt from an allow-list rather than scrubbed of known identifiers, so a
field added to a statement later stays out until someone decides it may go
in:

* every Agent or Group anywhere (actor, object, instructor, team, members,
  inside a SubStatement) becomes an account named by a keyed hash of its
  identifier; names are dropped. The same learner gets the same pseudonym
  throughout one export (so pre- and post-test can be paired), and, unless
  the caller keeps the key, a different one in the next export;
* statement ids, registrations and StatementRefs are hashed the same way, so
  the export links within itself but not to the LRS;
* ``authority``, ``stored``, attachments, ``version`` and any extension
  outside our profile (:mod:`lrs.xapi.profile`, whose values are codes of
  groups) are left out;
* a learner's own words never leave: the response of a free-text interaction
  (fill-in, long-fill-in, other, and anything not on the list of closed
  interaction types) is removed, and so are result extensions holding text.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from collections.abc import Mapping
from typing import Any, Final

from lrs.xapi.agents import try_agent_key
from lrs.xapi.profile import EXTENSIONS

#: Interaction types whose response is a choice among authored options, a number or an order:
#: no free text of the learner's.
CLOSED_INTERACTIONS: Final = frozenset({"true-false", "choice", "likert", "matching", "sequencing", "numeric"})
#: The account homePage of every pseudonym.
PSEUDONYM_HOME: Final = "urn:gsog:pseudonym"
#: A result extension value kept only if it holds no letters (numbers, ranges, played segments).
_NO_TEXT = re.compile(r"^[0-9\s.,:;\[\]_+-]*$")
_PROFILE_IRIS: Final = frozenset(e.iri for e in EXTENSIONS)


class Pseudonymiser:
    """Rebuilds statements for export under one secret key (see the module docstring)."""

    def __init__(self, key: bytes) -> None:
        """``key``: at least 32 random bytes; keep it only to link this export with a later one."""
        if len(key) < 32:
            raise ValueError("the pseudonym key must be at least 32 bytes")
        self._key = key

    def _digest(self, kind: str, value: str) -> bytes:
        return hmac.new(self._key, f"{kind}\x00{value}".encode(), hashlib.sha256).digest()

    def pseudonym(self, agent_key: str) -> str:
        """The pseudonym of one agent key (hex, 128 bits)."""
        return self._digest("agent", agent_key)[:16].hex()

    def uuid(self, value: str) -> str:
        """A UUID standing for a statement id or registration (same input, same output)."""
        return str(uuid.UUID(bytes=self._digest("uuid", value.lower())[:16], version=4))

    def agent(self, value: Any) -> dict[str, Any]:
        """An Agent or Group as an account pseudonym; an anonymous Group keeps only its members."""
        given: Mapping[str, Any] = value if isinstance(value, Mapping) else {}
        out: dict[str, Any] = {"objectType": "Group" if given.get("objectType") == "Group" else "Agent"}
        key = try_agent_key(given)
        if key is not None:
            out["account"] = {"homePage": PSEUDONYM_HOME, "name": self.pseudonym(key)}
        members = given.get("member")
        if isinstance(members, list):
            out["member"] = [self.agent(m) for m in members]
        return out

    def statement(self, statement: Mapping[str, Any]) -> dict[str, Any]:
        """The export form of one stored statement."""
        out: dict[str, Any] = {}
        if isinstance(statement.get("id"), str):
            out["id"] = self.uuid(statement["id"])
        out.update(self._core(statement))
        if "timestamp" in statement:
            out["timestamp"] = statement["timestamp"]
        return out

    def _core(self, statement: Mapping[str, Any]) -> dict[str, Any]:
        """Actor, verb, object, result and context: what a SubStatement has too."""
        out: dict[str, Any] = {"actor": self.agent(statement.get("actor")), "verb": statement.get("verb")}
        target = statement.get("object")
        out["object"] = self._object(target)
        definition = target.get("definition") if isinstance(target, Mapping) else None
        if isinstance(statement.get("result"), Mapping):
            out["result"] = self._result(statement["result"], definition)
        if isinstance(statement.get("context"), Mapping):
            out["context"] = self._context(statement["context"])
        return out

    def _object(self, target: Any) -> Any:
        if not isinstance(target, Mapping):
            return target
        kind = target.get("objectType", "Activity")
        if kind in ("Agent", "Group"):
            return self.agent(target)
        if kind == "StatementRef":
            return {"objectType": "StatementRef", "id": self.uuid(str(target.get("id", "")))}
        if kind == "SubStatement":
            return {"objectType": "SubStatement", **self._core(target)}
        return dict(target)

    def _result(self, result: Mapping[str, Any], definition: Any) -> dict[str, Any]:
        out = {k: result[k] for k in ("score", "success", "completion", "duration") if k in result}
        kind = definition.get("interactionType") if isinstance(definition, Mapping) else None
        if "response" in result and kind in CLOSED_INTERACTIONS:
            out["response"] = result["response"]
        extensions = result.get("extensions")
        if isinstance(extensions, Mapping):
            kept = {iri: v for iri, v in extensions.items() if _holds_no_text(v)}
            if kept:
                out["extensions"] = kept
        return out

    def _context(self, context: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if isinstance(context.get("registration"), str):
            out["registration"] = self.uuid(context["registration"])
        for name in ("instructor", "team"):
            if isinstance(context.get(name), Mapping):
                out[name] = self.agent(context[name])
        for name in ("contextActivities", "revision", "platform", "language"):
            if name in context:
                out[name] = context[name]
        if isinstance(context.get("statement"), Mapping):
            out["statement"] = {"objectType": "StatementRef", "id": self.uuid(str(context["statement"].get("id", "")))}
        extensions = context.get("extensions")
        if isinstance(extensions, Mapping):
            kept = {iri: v for iri, v in extensions.items() if iri in _PROFILE_IRIS}
            if kept:
                out["extensions"] = kept
        return out


def _holds_no_text(value: Any) -> bool:
    """Numbers, booleans, and strings of digits and separators (e.g. played segments ``0[.]12.5``)."""
    if isinstance(value, bool | int | float):
        return True
    return isinstance(value, str) and bool(_NO_TEXT.match(value))
