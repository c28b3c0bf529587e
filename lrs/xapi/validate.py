"""Statement validation for xAPI 1.0.3 and 2.0, with messages that name the field.

The LRS must reject (400) any statement that breaks the data model: unknown or
wrongly-cased properties, nulls outside extensions, wrong types, malformed
IRIs/UUIDs/timestamps/durations/language tags, and the structural rules for
actors, objects, results, contexts and attachments (1.0.3 Data §2.2, 2.0
§4.2). A learning designer or player author reading the error should see
*which* field is wrong, so every problem carries a path such as
``context.contextActivities.parent[0].id``.

Validation never changes the statement; normalisation (context activities as
arrays, UTC timestamps) happens later in :mod:`lrs.xapi.statements`.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from lrs.xapi.spec import ADL_VERBS
from lrs.xapi.versions import V2, ApiVersion, statement_version_ok

VOIDED_VERB: Final = ADL_VERBS + "voided"
SIGNATURE_USAGE: Final = "http://adlnet.gov/expapi/attachments/signature"

#: Longest identifier (verb id, activity id, agent identifier, document id), in UTF-8 bytes. The store
#: indexes each of them, and PostgreSQL refuses a B-tree entry over 2704 bytes (an error, so a 500);
#: the document key holds three (activity id, agent, document id): 3 x 800 bytes and the rest fit.
MAX_IDENTIFIER_BYTES: Final = 800


def identifier_problem(value: str) -> str | None:
    """Why an identifier is too long to index, or None."""
    size = len(value.encode("utf-8", "surrogatepass"))
    if size > MAX_IDENTIFIER_BYTES:
        return f"is {size} bytes; identifiers are limited to {MAX_IDENTIFIER_BYTES} bytes (UTF-8)"
    return None


#: Stop collecting after this many problems: one broken statement in a large
#: batch should not produce a megabyte of error text.
MAX_PROBLEMS: Final = 20

INTERACTION_TYPES: Final = frozenset(
    {"true-false", "choice", "fill-in", "long-fill-in", "matching", "performance", "sequencing", "likert", "numeric",
     "other"}
)
#: Which interaction-component lists each interaction type may carry.
COMPONENTS_BY_TYPE: Final[dict[str, frozenset[str]]] = {
    "choice": frozenset({"choices"}),
    "sequencing": frozenset({"choices"}),
    "likert": frozenset({"scale"}),
    "matching": frozenset({"source", "target"}),
    "performance": frozenset({"steps"}),
}
COMPONENT_LISTS: Final = ("choices", "scale", "source", "target", "steps")
CONTEXT_ACTIVITY_KINDS: Final = ("parent", "grouping", "category", "other")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a statement, and where."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class StatementInvalid(ValueError):
    """Raised with every problem found (the API answers 400 with them)."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        shown = "; ".join(str(p) for p in problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        super().__init__(shown + more)


# --- formats -------------------------------------------------------------

_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`]+$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_MAILTO = re.compile(r"^mailto:[^@\s:/]+@[^@\s/]+\.[^@\s/]+$", re.IGNORECASE)
_SHA1 = re.compile(r"^[0-9a-fA-F]{40}$")
_SHA2 = re.compile(r"^[0-9a-fA-F]{56}$|^[0-9a-fA-F]{64}$|^[0-9a-fA-F]{96}$|^[0-9a-fA-F]{128}$")
_TIMESTAMP = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})[Tt](?P<h>\d{2}):(?P<m>\d{2}):(?P<s>\d{2})(?P<frac>\.\d+)?"
    r"(?P<tz>[Zz]|[+-]\d{2}(?::?\d{2})?)?$"
)
_NUM = r"\d+(?:[.,]\d+)?"
_DURATION = re.compile(
    rf"^P(?:(?=\d)(?:{_NUM}Y)?(?:{_NUM}M)?(?:{_NUM}D)?(?:T(?=\d)(?:{_NUM}H)?(?:{_NUM}M)?(?:{_NUM}S)?)?"
    rf"|T(?=\d)(?:{_NUM}H)?(?:{_NUM}M)?(?:{_NUM}S)?|{_NUM}W)$"
)
_MEDIA_TYPE = re.compile(r"^[A-Za-z0-9!#$&^_.+\-]+/[A-Za-z0-9!#$&^_.+\-]+(\s*;.*)?$")

# RFC 5646 language tags, well-formedness only (registry checks are out of scope).
_LANGTAG = re.compile(
    r"""^(?:
      (?P<langtag>
        (?P<language>[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4}|[a-z]{5,8})
        (?:-(?P<script>[a-z]{4}))?
        (?:-(?P<region>[a-z]{2}|\d{3}))?
        (?P<variants>(?:-(?:[a-z\d]{5,8}|\d[a-z\d]{3}))*)
        (?P<extensions>(?:-[\da-wyz](?:-[a-z\d]{2,8})+)*)
        (?:-x(?:-[a-z\d]{1,8})+)?
      )
      |x(?:-[a-z\d]{1,8})+
      |(?P<grandfathered>en-gb-oed|i-ami|i-bnn|i-default|i-enochian|i-hak|i-klingon|i-lux|i-mingo|i-navajo|i-pwn
        |i-tao|i-tay|i-tsu|sgn-be-fr|sgn-be-nl|sgn-ch-de|art-lojban|cel-gaulish|no-bok|no-nyn|zh-guoyu|zh-hakka
        |zh-min|zh-min-nan|zh-xiang)
    )$""",
    re.VERBOSE,
)


def is_iri(value: Any) -> bool:
    """Absolute IRI with a scheme (best effort, as the spec allows)."""
    return isinstance(value, str) and bool(_IRI.match(value))


def is_uuid(value: Any) -> bool:
    """8-4-4-4-12 hexadecimal UUID, either case."""
    return isinstance(value, str) and bool(_UUID.match(value))


def is_language_tag(value: Any) -> bool:
    """RFC 5646 well-formed tag; also refuses repeated extension singletons and variants."""
    if not isinstance(value, str) or not value:
        return False
    lowered = value.lower()
    match = _LANGTAG.match(lowered)
    if not match:
        return False
    if match.group("langtag") is None:
        return True
    variants = [v for v in (match.group("variants") or "").split("-") if v]
    if len(variants) != len(set(variants)):
        return False
    singletons = re.findall(r"-([\da-wyz])(?=-)", match.group("extensions") or "")
    return len(singletons) == len(set(singletons))


def parse_timestamp(value: Any) -> dt.datetime | None:
    """An aware datetime for an ISO 8601 / RFC 3339 timestamp, None when malformed.

    The "unknown local offset" spellings ``-00``, ``-0000`` and ``-00:00`` are
    refused (RFC 3339 §4.3; the conformance suite tests it). A timestamp
    without a zone is read as UTC.
    """
    if not isinstance(value, str):
        return None
    match = _TIMESTAMP.match(value)
    if not match:
        return None
    tz = match.group("tz")
    if tz and tz[0] == "-" and tz[1:].replace(":", "").strip("0") == "":
        return None
    try:
        date = dt.date.fromisoformat(match.group("date"))
        frac = match.group("frac") or ""
        micro = int((frac[1:] + "000000")[:6]) if frac else 0
        naive = dt.datetime(date.year, date.month, date.day, int(match.group("h")), int(match.group("m")),
                            int(match.group("s")), micro)
        aware = naive.replace(tzinfo=_zone(tz))
        # 0001-01-01T00:00+14:00 and 9999-12-31T23:59-01:00 have no UTC instant a datetime holds; every
        # user of a timestamp converts to UTC (stored, compared, served), so they are refused here.
        aware.astimezone(dt.UTC)
    except (ValueError, OverflowError):
        return None
    return aware


def timestamp_problem(value: Any) -> str:
    """Why :func:`parse_timestamp` refused ``value``: its form, or an instant out of range in UTC."""
    match = _TIMESTAMP.match(value) if isinstance(value, str) else None
    if match is not None:
        tz = match.group("tz")
        if tz and tz[0] == "-" and tz[1:].replace(":", "").strip("0") == "":
            return "must be an ISO 8601 timestamp with a known offset (-00:00 means unknown, RFC 3339 4.3): use Z"
        local = value[: match.start("tz")] if tz else value
        try:
            _zone(tz)
        except ValueError:
            return "has an offset outside -23:59 to +23:59"
        if parse_timestamp(local + "Z") is None:
            return "is not a real date and time (check month, day and hours)"
        return "is outside the range of instants this LRS keeps (years 0001 to 9999, in UTC)"
    return "must be an ISO 8601 timestamp with time zone, e.g. 2024-05-04T17:00:00.000Z"


def _zone(tz: str | None) -> dt.tzinfo:
    if not tz or tz in ("Z", "z"):
        return dt.UTC
    sign = 1 if tz[0] == "+" else -1
    digits = tz[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    if hours > 23 or minutes > 59:
        raise ValueError("offset out of range")
    return dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))


def is_duration(value: Any) -> bool:
    """ISO 8601 duration in the designator format (``PT1H30M``, ``P4W``; not ``P4W1D``)."""
    return isinstance(value, str) and value not in ("P", "PT") and bool(_DURATION.match(value))


def is_number(value: Any) -> bool:
    """A finite JSON number a double holds (booleans are not numbers, whatever Python thinks)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int beyond the double range
        return False


# --- the checker ---------------------------------------------------------


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


class _Checker:
    """Walks one statement collecting :class:`Problem` s."""

    def __init__(self, api: ApiVersion) -> None:
        self.api = api
        self.problems: list[Problem] = []

    def fail(self, path: str, message: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(path, message))

    # generic shapes -----------------------------------------------------

    def obj(self, path: str, value: Any, allowed: frozenset[str], required: frozenset[str] = frozenset()) -> bool:
        """Check an object's type, keys (case-sensitive), required keys and nulls."""
        if not isinstance(value, dict):
            self.fail(path, "must be an object" if value is not None else "must not be null")
            return False
        for key, item in value.items():
            if key not in allowed:
                self.fail(_join(path, key), _unknown_message(key, allowed))
            elif item is None:
                self.fail(_join(path, key), "must not be null")
        for key in sorted(required - value.keys()):
            self.fail(_join(path, key), "is required")
        return True

    def string(self, path: str, value: Any, *, non_empty: bool = False) -> bool:
        if not isinstance(value, str):
            self.fail(path, "must be a string")
            return False
        if non_empty and not value:
            self.fail(path, "must not be empty")
            return False
        return True

    def identifier(self, path: str, value: Any) -> None:
        """A value the store indexes (see :data:`MAX_IDENTIFIER_BYTES`)."""
        problem = identifier_problem(value) if isinstance(value, str) else None
        if problem is not None:
            self.fail(path, problem)

    def iri(self, path: str, value: Any, what: str = "an IRI") -> None:
        if not isinstance(value, str):
            self.fail(path, f"must be {what} (a string)")
        elif not is_iri(value):
            self.fail(path, f"must be {what} with a scheme, e.g. http://example.com/x")

    def uuid(self, path: str, value: Any) -> None:
        if not is_uuid(value):
            self.fail(path, "must be a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)")

    def boolean(self, path: str, value: Any) -> None:
        if not isinstance(value, bool):
            self.fail(path, "must be true or false")

    def timestamp(self, path: str, value: Any) -> None:
        if parse_timestamp(value) is None:
            self.fail(path, timestamp_problem(value))

    def language_map(self, path: str, value: Any) -> None:
        if not isinstance(value, dict):
            self.fail(path, "must be a language map (an object of language tag to string)")
            return
        for tag, text in value.items():
            if not is_language_tag(tag):
                self.fail(_join(path, tag), "is not an RFC 5646 language tag")
            elif not isinstance(text, str):
                self.fail(_join(path, tag), "must be a string")

    def extensions(self, path: str, value: Any) -> None:
        """Extension keys are IRIs; values may be anything, null included."""
        if not isinstance(value, dict):
            self.fail(path, "must be an object whose keys are IRIs")
            return
        for key in value:
            if not is_iri(key):
                self.fail(_join(path, key), "extension keys must be IRIs")

    def array(self, path: str, value: Any, *, non_empty: bool = False) -> list[Any] | None:
        if not isinstance(value, list):
            self.fail(path, "must be an array")
            return None
        if non_empty and not value:
            self.fail(path, "must not be empty")
        return value

    # statement ------------------------------------------------------------

    def statement(self, path: str, stmt: Any) -> None:
        allowed = _STATEMENT_KEYS
        if not self.obj(path, stmt, allowed, frozenset({"actor", "verb", "object"})):
            return
        if "id" in stmt:
            self.uuid(_join(path, "id"), stmt["id"])
        self.body(path, stmt, sub=False)
        if "stored" in stmt:
            self.timestamp(_join(path, "stored"), stmt["stored"])
        if "authority" in stmt:
            self.authority(_join(path, "authority"), stmt["authority"])
        if "version" in stmt:
            version = stmt["version"]
            if not isinstance(version, str) or not statement_version_ok(version, self.api):
                wanted = "1.0.x or 2.0.x" if self.api == V2 else "1.0.x"
                self.fail(_join(path, "version"), f"must be a version string starting {wanted}")

    def body(self, path: str, stmt: dict[str, Any], *, sub: bool) -> None:
        """What statements and sub-statements share."""
        if "actor" in stmt:
            self.actor(_join(path, "actor"), stmt["actor"])
        if "verb" in stmt:
            self.verb(_join(path, "verb"), stmt["verb"])
        obj = stmt.get("object")
        if "object" in stmt:
            self.object(_join(path, "object"), obj, in_sub=sub)
        verb = stmt.get("verb")
        voiding = isinstance(verb, dict) and verb.get("id") == VOIDED_VERB
        if voiding and (not isinstance(obj, dict) or obj.get("objectType") != "StatementRef"):
            self.fail(_join(path, "object"), "a voiding statement's object must be a StatementRef")
        if "result" in stmt:
            self.result(_join(path, "result"), stmt["result"])
        if "context" in stmt:
            self.context(_join(path, "context"), stmt["context"], obj)
        if "timestamp" in stmt:
            self.timestamp(_join(path, "timestamp"), stmt["timestamp"])
        if "attachments" in stmt:
            self.attachments(_join(path, "attachments"), stmt["attachments"])

    # actors -----------------------------------------------------------------

    def actor(self, path: str, value: Any) -> None:
        """An Agent or a Group."""
        if isinstance(value, dict) and value.get("objectType") == "Group":
            self.group(path, value)
        else:
            self.agent(path, value)

    def agent(self, path: str, value: Any, *, object_type_required: bool = False) -> None:
        if not self.obj(path, value, _AGENT_KEYS):
            return
        object_type = value.get("objectType")
        if object_type is None and "objectType" not in value:
            if object_type_required:
                self.fail(_join(path, "objectType"), "is required (Agent)")
        elif object_type != "Agent":
            self.fail(_join(path, "objectType"), 'must be "Agent" (or "Group" for a group)')
        if "name" in value:
            self.string(_join(path, "name"), value["name"])
        ifis = [k for k in _IFI_KEYS if k in value]
        if not ifis:
            self.fail(path, "an Agent needs exactly one of mbox, mbox_sha1sum, openid or account")
        elif len(ifis) > 1:
            self.fail(path, f"an Agent must have only one identifier, found {', '.join(ifis)}")
        self.ifis(path, value)

    def group(self, path: str, value: dict[str, Any], *, authority: bool = False) -> None:
        if not self.obj(path, value, _GROUP_KEYS, frozenset({"objectType"})):
            return
        if value.get("objectType") != "Group":
            self.fail(_join(path, "objectType"), 'must be "Group"')
        if "name" in value:
            self.string(_join(path, "name"), value["name"])
        ifis = [k for k in _IFI_KEYS if k in value]
        if len(ifis) > 1:
            self.fail(path, f"a Group must have at most one identifier, found {', '.join(ifis)}")
        self.ifis(path, value)
        if "member" in value:
            members = self.array(_join(path, "member"), value["member"], non_empty=not ifis)
            for i, member in enumerate(members or []):
                member_path = _join(_join(path, "member"), i)
                if isinstance(member, dict) and member.get("objectType") == "Group":
                    self.fail(_join(member_path, "objectType"), "a Group's members must be Agents, not Groups")
                else:
                    self.agent(member_path, member)
        elif not ifis:
            self.fail(_join(path, "member"), "is required for an anonymous Group (one without identifier)")

    def ifis(self, path: str, value: dict[str, Any]) -> None:
        if "mbox" in value:
            mbox = value["mbox"]
            if not isinstance(mbox, str) or not mbox.startswith("mailto:"):
                self.fail(_join(path, "mbox"), "must start with mailto:")
            elif not _MAILTO.match(mbox):
                self.fail(_join(path, "mbox"), "must be mailto: followed by an e-mail address")
            self.identifier(_join(path, "mbox"), mbox)
        if "mbox_sha1sum" in value and not (
            isinstance(value["mbox_sha1sum"], str) and _SHA1.match(value["mbox_sha1sum"])
        ):
            self.fail(_join(path, "mbox_sha1sum"), "must be the 40-character hex SHA-1 of a mailto IRI")
        if "openid" in value:
            self.iri(_join(path, "openid"), value["openid"], "a URI")
            self.identifier(_join(path, "openid"), value["openid"])
        if "account" in value:
            account_path = _join(path, "account")
            account = value["account"]
            if self.obj(account_path, account, frozenset({"homePage", "name"}), frozenset({"homePage", "name"})):
                if "homePage" in account:
                    self.iri(_join(account_path, "homePage"), account["homePage"], "an IRL")
                if "name" in account:
                    self.string(_join(account_path, "name"), account["name"])
                home, name = account.get("homePage"), account.get("name")
                if isinstance(home, str) and isinstance(name, str):
                    self.identifier(account_path, f"{home}|{name}")

    def authority(self, path: str, value: Any) -> None:
        """An Agent, or (3-legged OAuth) an anonymous Group of exactly two Agents."""
        if isinstance(value, dict) and value.get("objectType") == "Group":
            self.group(path, value)
            if any(k in value for k in _IFI_KEYS):
                self.fail(path, "a Group authority must be anonymous (OAuth consumer plus user)")
            members = value.get("member")
            if isinstance(members, list) and len(members) != 2:
                self.fail(_join(path, "member"), "a Group authority must have exactly two Agents")
        else:
            self.agent(path, value)

    # verb / objects -----------------------------------------------------------

    def verb(self, path: str, value: Any) -> None:
        if not self.obj(path, value, frozenset({"id", "display"}), frozenset({"id"})):
            return
        if "id" in value:
            self.iri(_join(path, "id"), value["id"])
            self.identifier(_join(path, "id"), value["id"])
        if "display" in value:
            self.language_map(_join(path, "display"), value["display"])

    def object(self, path: str, value: Any, *, in_sub: bool) -> None:
        if not isinstance(value, dict):
            self.fail(path, "must be an object" if value is not None else "must not be null")
            return
        object_type = value.get("objectType", "Activity")
        checks: dict[Any, Callable[[], None]] = {
            "Activity": lambda: self.activity(path, value),
            "Agent": lambda: self.agent(path, value, object_type_required=True),
            "Group": lambda: self.group(path, value),
            "StatementRef": lambda: self.statement_ref(path, value),
            "SubStatement": lambda: self.sub_statement(path, value, in_sub),
        }
        check = checks.get(object_type) if isinstance(object_type, str) else None
        if check is None:
            self.fail(_join(path, "objectType"), "must be Activity, Agent, Group, StatementRef or SubStatement")
            return
        check()

    def activity(self, path: str, value: Any) -> None:
        if not self.obj(path, value, frozenset({"objectType", "id", "definition"}), frozenset({"id"})):
            return
        if "objectType" in value and value["objectType"] != "Activity":
            self.fail(_join(path, "objectType"), 'must be "Activity"')
        if "id" in value:
            self.iri(_join(path, "id"), value["id"])
            self.identifier(_join(path, "id"), value["id"])
        if "definition" in value:
            self.definition(_join(path, "definition"), value["definition"])

    def definition(self, path: str, value: Any) -> None:
        if not self.obj(path, value, _DEFINITION_KEYS):
            return
        for key in ("name", "description"):
            if key in value:
                self.language_map(_join(path, key), value[key])
        if "type" in value:
            self.iri(_join(path, "type"), value["type"])
        if "moreInfo" in value:
            self.iri(_join(path, "moreInfo"), value["moreInfo"], "an IRL")
        if "extensions" in value:
            self.extensions(_join(path, "extensions"), value["extensions"])
        self.interaction(path, value)

    def interaction(self, path: str, value: dict[str, Any]) -> None:
        """interactionType, correctResponsesPattern and the component lists it allows."""
        interaction_type = value.get("interactionType")
        used = [k for k in ("correctResponsesPattern", *COMPONENT_LISTS) if k in value]
        if "interactionType" not in value:
            for key in used:
                self.fail(_join(path, key), "needs an interactionType in the same definition")
            return
        if not isinstance(interaction_type, str) or interaction_type not in INTERACTION_TYPES:
            self.fail(_join(path, "interactionType"), "must be one of " + ", ".join(sorted(INTERACTION_TYPES)))
            return
        if "correctResponsesPattern" in value:
            patterns = self.array(_join(path, "correctResponsesPattern"), value["correctResponsesPattern"])
            for i, pattern in enumerate(patterns or []):
                self.string(_join(_join(path, "correctResponsesPattern"), i), pattern)
        allowed = COMPONENTS_BY_TYPE.get(interaction_type, frozenset())
        for key in COMPONENT_LISTS:
            if key not in value:
                continue
            if key not in allowed:
                self.fail(_join(path, key), f"is not used with interactionType {interaction_type}")
            self.components(_join(path, key), value[key])

    def components(self, path: str, value: Any) -> None:
        items = self.array(path, value)
        seen: set[str] = set()
        for i, component in enumerate(items or []):
            item_path = _join(path, i)
            if not self.obj(item_path, component, frozenset({"id", "description"}), frozenset({"id"})):
                continue
            if "id" in component and self.string(_join(item_path, "id"), component["id"], non_empty=True):
                if component["id"] in seen:
                    self.fail(_join(item_path, "id"), "interaction component ids must be distinct")
                seen.add(component["id"])
            if "description" in component:
                self.language_map(_join(item_path, "description"), component["description"])

    def statement_ref(self, path: str, value: Any) -> None:
        if not self.obj(path, value, frozenset({"objectType", "id"}), frozenset({"objectType", "id"})):
            return
        if value.get("objectType") != "StatementRef":
            self.fail(_join(path, "objectType"), 'must be "StatementRef"')
        if "id" in value:
            self.uuid(_join(path, "id"), value["id"])

    def sub_statement(self, path: str, value: dict[str, Any], in_sub: bool) -> None:
        if in_sub:
            self.fail(_join(path, "objectType"), "a SubStatement cannot contain another SubStatement")
            return
        for key in ("id", "stored", "version", "authority"):
            if key in value:
                self.fail(_join(path, key), "is not allowed in a SubStatement")
        rest = {k: v for k, v in value.items() if k not in ("id", "stored", "version", "authority")}
        if self.obj(path, rest, _SUB_STATEMENT_KEYS, frozenset({"objectType", "actor", "verb", "object"})):
            self.body(path, rest, sub=True)

    # result / context / attachments -----------------------------------------

    def result(self, path: str, value: Any) -> None:
        if not self.obj(path, value, _RESULT_KEYS):
            return
        if "score" in value:
            self.score(_join(path, "score"), value["score"])
        for key in ("success", "completion"):
            if key in value:
                self.boolean(_join(path, key), value[key])
        if "response" in value:
            self.string(_join(path, "response"), value["response"])
        if "duration" in value and not is_duration(value["duration"]):
            self.fail(_join(path, "duration"), "must be an ISO 8601 duration, e.g. PT1H30M or PT12.5S")
        if "extensions" in value:
            self.extensions(_join(path, "extensions"), value["extensions"])

    def score(self, path: str, value: Any) -> None:
        if not self.obj(path, value, frozenset({"scaled", "raw", "min", "max"})):
            return
        numbers: dict[str, float] = {}
        for key in ("scaled", "raw", "min", "max"):
            if key in value:
                if is_number(value[key]):
                    numbers[key] = float(value[key])
                else:
                    self.fail(_join(path, key), "must be a number")
        if "scaled" in numbers and not -1.0 <= numbers["scaled"] <= 1.0:
            self.fail(_join(path, "scaled"), "must be between -1 and 1")
        low, high, raw = numbers.get("min"), numbers.get("max"), numbers.get("raw")
        if low is not None and high is not None and low >= high:
            self.fail(_join(path, "min"), "must be less than max")
        if raw is not None and low is not None and raw < low:
            self.fail(_join(path, "raw"), "must not be less than min")
        if raw is not None and high is not None and raw > high:
            self.fail(_join(path, "raw"), "must not be greater than max")

    def context(self, path: str, value: Any, obj: Any) -> None:
        allowed = _CONTEXT_KEYS_V2 if self.api == V2 else _CONTEXT_KEYS
        if not self.obj(path, value, allowed):
            return
        if "registration" in value:
            self.uuid(_join(path, "registration"), value["registration"])
        if "instructor" in value:
            self.actor(_join(path, "instructor"), value["instructor"])
        if "team" in value:
            team = value["team"]
            if isinstance(team, dict) and team.get("objectType") == "Group":
                self.group(_join(path, "team"), team)
            else:
                self.fail(_join(path, "team"), 'must be a Group (objectType "Group")')
        if "contextActivities" in value:
            self.context_activities(_join(path, "contextActivities"), value["contextActivities"])
        is_activity = isinstance(obj, dict) and obj.get("objectType", "Activity") == "Activity"
        for key in ("revision", "platform"):
            if key in value:
                self.string(_join(path, key), value[key])
                if not is_activity:
                    self.fail(_join(path, key), "is only allowed when the statement's object is an Activity")
        if "language" in value and not is_language_tag(value["language"]):
            self.fail(_join(path, "language"), "must be an RFC 5646 language tag")
        if "statement" in value:
            self.statement_ref(_join(path, "statement"), value["statement"])
        if "extensions" in value:
            self.extensions(_join(path, "extensions"), value["extensions"])
        if "contextAgents" in value:
            self.context_agents(_join(path, "contextAgents"), value["contextAgents"], group=False)
        if "contextGroups" in value:
            self.context_agents(_join(path, "contextGroups"), value["contextGroups"], group=True)

    def context_activities(self, path: str, value: Any) -> None:
        if not self.obj(path, value, frozenset(CONTEXT_ACTIVITY_KINDS)):
            return
        for kind in CONTEXT_ACTIVITY_KINDS:
            if kind not in value:
                continue
            item = value[kind]
            if isinstance(item, list):
                for i, activity in enumerate(item):
                    self.activity(_join(_join(path, kind), i), activity)
            else:
                self.activity(_join(path, kind), item)

    def context_agents(self, path: str, value: Any, *, group: bool) -> None:
        """2.0 contextAgents / contextGroups: typed wrappers around Agents or Groups."""
        items = self.array(path, value)
        object_type, member = ("contextGroup", "group") if group else ("contextAgent", "agent")
        for i, item in enumerate(items or []):
            item_path = _join(path, i)
            keys = frozenset({"objectType", member, "relevantTypes"})
            if not self.obj(item_path, item, keys, frozenset({"objectType", member})):
                continue
            if item.get("objectType") != object_type:
                self.fail(_join(item_path, "objectType"), f'must be "{object_type}"')
            if member in item:
                if group:
                    target = item[member]
                    if isinstance(target, dict) and target.get("objectType") == "Group":
                        self.group(_join(item_path, member), target)
                    else:
                        self.fail(_join(item_path, member), 'must be a Group (objectType "Group")')
                else:
                    self.agent(_join(item_path, member), item[member])
            if "relevantTypes" in item:
                types = self.array(_join(item_path, "relevantTypes"), item["relevantTypes"], non_empty=True)
                for j, iri in enumerate(types or []):
                    self.iri(_join(_join(item_path, "relevantTypes"), j), iri)

    def attachments(self, path: str, value: Any) -> None:
        items = self.array(path, value)
        for i, item in enumerate(items or []):
            item_path = _join(path, i)
            if not self.obj(item_path, item, _ATTACHMENT_KEYS, _ATTACHMENT_REQUIRED):
                continue
            if "usageType" in item:
                self.iri(_join(item_path, "usageType"), item["usageType"])
            for key in ("display", "description"):
                if key in item:
                    self.language_map(_join(item_path, key), item[key])
            if "contentType" in item and not (
                isinstance(item["contentType"], str) and _MEDIA_TYPE.match(item["contentType"])
            ):
                self.fail(_join(item_path, "contentType"), "must be an Internet media type such as text/plain")
            if "length" in item and not (
                isinstance(item["length"], int) and not isinstance(item["length"], bool) and item["length"] >= 0
            ):
                self.fail(_join(item_path, "length"), "must be a whole number of octets")
            if "sha2" in item and not (isinstance(item["sha2"], str) and _SHA2.match(item["sha2"])):
                self.fail(_join(item_path, "sha2"), "must be the hex SHA-2 hash of the attachment")
            if "fileUrl" in item:
                self.iri(_join(item_path, "fileUrl"), item["fileUrl"], "an IRL")


def _unknown_message(key: str, allowed: frozenset[str]) -> str:
    for name in allowed:
        if name.lower() == key.lower():
            return f'is not allowed (property names are case-sensitive: did you mean "{name}"?)'
    return "is not allowed here"


_IFI_KEYS: Final = ("mbox", "mbox_sha1sum", "openid", "account")
_AGENT_KEYS: Final = frozenset({"objectType", "name", *_IFI_KEYS})
_GROUP_KEYS: Final = frozenset({"objectType", "name", "member", *_IFI_KEYS})
_STATEMENT_KEYS: Final = frozenset(
    {"id", "actor", "verb", "object", "result", "context", "timestamp", "stored", "authority", "version",
     "attachments"}
)
_SUB_STATEMENT_KEYS: Final = frozenset(
    {"objectType", "actor", "verb", "object", "result", "context", "timestamp", "attachments"}
)
_DEFINITION_KEYS: Final = frozenset(
    {"name", "description", "type", "moreInfo", "extensions", "interactionType", "correctResponsesPattern",
     *COMPONENT_LISTS}
)
_RESULT_KEYS: Final = frozenset({"score", "success", "completion", "response", "duration", "extensions"})
_CONTEXT_KEYS: Final = frozenset(
    {"registration", "instructor", "team", "contextActivities", "revision", "platform", "language", "statement",
     "extensions"}
)
_CONTEXT_KEYS_V2: Final = _CONTEXT_KEYS | {"contextAgents", "contextGroups"}
_ATTACHMENT_KEYS: Final = frozenset({"usageType", "display", "description", "contentType", "length", "sha2", "fileUrl"})
_ATTACHMENT_REQUIRED: Final = frozenset({"usageType", "display", "contentType", "length", "sha2"})


# --- public entry points ---------------------------------------------------


def statement_problems(statement: Any, api: ApiVersion, path: str = "") -> list[Problem]:
    """Every problem found in one statement (empty list when valid)."""
    checker = _Checker(api)
    checker.statement(path, statement)
    return checker.problems


def check_statement(statement: Any, api: ApiVersion, path: str = "") -> None:
    """Raise :class:`StatementInvalid` unless the statement is valid for ``api``."""
    problems = statement_problems(statement, api, path)
    if problems:
        raise StatementInvalid(problems)


def check_agent(agent: Any, api: ApiVersion, path: str = "agent") -> None:
    """Validate an Agent or identified Group given as a request parameter (e.g. ``agent=``)."""
    checker = _Checker(api)
    checker.actor(path, agent)
    if not checker.problems and isinstance(agent, Mapping) and not any(k in agent for k in _IFI_KEYS):
        checker.fail(path, "must identify an Agent or Group (mbox, mbox_sha1sum, openid or account)")
    if checker.problems:
        raise StatementInvalid(checker.problems)


def check_iri(value: str, path: str) -> None:
    """Validate an IRI request parameter (``verb=``, ``activity=``)."""
    if not is_iri(value):
        raise StatementInvalid([Problem(path, "must be an IRI with a scheme, e.g. http://example.com/x")])
    problem = identifier_problem(value)
    if problem is not None:
        raise StatementInvalid([Problem(path, problem)])


def check_uuid(value: str, path: str) -> None:
    """Validate a UUID request parameter (``statementId=``, ``registration=``)."""
    if not is_uuid(value):
        raise StatementInvalid([Problem(path, "must be a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)")])
