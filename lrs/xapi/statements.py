"""From a validated statement to what is stored, indexed, compared and served.

The LRS owns a few properties of every statement (``id`` when missing,
``stored``, ``authority``, ``version``, ``timestamp`` when missing; 2.0 also
normalises timestamps to UTC). Everything else is kept as the client sent it,
so ``format=exact`` returns it unchanged. The :class:`StatementIndex` lists
what the statement can be found by, computed here once so every store
backend filters the same way.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from typing import Any, Final, Literal

from lrs.store.interface import ActivityRelation, AgentRelation, NewStatement, StatementIndex
from lrs.xapi.agents import group_members, normalise_mbox, try_agent_key
from lrs.xapi.validate import CONTEXT_ACTIVITY_KINDS, VOIDED_VERB, Problem, StatementInvalid, parse_timestamp
from lrs.xapi.versions import V2, ApiVersion, statement_version_default

Format = Literal["exact", "ids", "canonical"]
FORMATS: Final = ("exact", "ids", "canonical")


class VoidingError(ValueError):
    """A voiding statement that the LRS must refuse (it targets another voiding statement)."""


# --- time ------------------------------------------------------------------


_TIMESPEC: Final = {0: "seconds", 3: "milliseconds", 6: "microseconds"}


def format_timestamp(moment: dt.datetime, digits: int = 6) -> str:
    """UTC ISO 8601 with ``Z``; ``digits`` fractional digits (0, 3 or 6)."""
    utc = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return utc.isoformat(timespec=_TIMESPEC[digits]) + "Z"


def utc_timestamp(value: str) -> str:
    """The same instant in UTC, keeping the precision the client sent (up to microseconds)."""
    moment = parse_timestamp(value)
    if moment is None:
        return value
    match = re.search(r"\.(\d+)", value)
    digits = 0 if match is None else (3 if len(match.group(1)) <= 3 else 6)
    return format_timestamp(moment, digits)


def now_utc() -> dt.datetime:
    """The current instant, aware, in UTC (microsecond precision)."""
    return dt.datetime.now(dt.UTC)


# --- preparation -----------------------------------------------------------


def copy_json(value: Any) -> Any:
    """A deep copy of parsed JSON (dicts, lists, scalars): 5x faster than ``copy.deepcopy``.

    Statements are copied several times per request, so this shows in ingest
    throughput; JSON has no cycles or shared objects that deepcopy's memo
    would be needed for.
    """
    if isinstance(value, dict):
        return {key: copy_json(item) if isinstance(item, (dict, list)) else item for key, item in value.items()}
    if isinstance(value, list):
        return [copy_json(item) if isinstance(item, (dict, list)) else item for item in value]
    return value


def prepare(
    statement: Mapping[str, Any],
    *,
    api: ApiVersion,
    authority: Mapping[str, Any],
    stored: dt.datetime,
    attachment_hashes: tuple[str, ...] = (),
    define: bool = True,
) -> NewStatement:
    """A validated client statement made complete and ready for :meth:`Store.insert_statements`.

    ``authority`` is the authenticated client's Agent/Group and replaces any
    authority the statement carries: the LRS vouches for who sent what. Without ``define`` (the
    client lacks that scope) the statement's Activity definitions and agent
    names do not update what GET /activities and GET /agents serve: xAPI's
    "ids from the saved statements should be considered undefined".
    """
    result = _own_changed_parts(statement)
    statement_id = str(result.get("id") or uuid.uuid4()).lower()
    comparable_text = comparable(statement)
    result["id"] = statement_id
    normalise_context_activities(result)
    stored_text = format_timestamp(stored)
    result["stored"] = stored_text
    if api == V2:
        _utc_timestamps(result)
    result.setdefault("timestamp", stored_text)
    result["authority"] = copy_json(dict(authority))
    result.setdefault("version", statement_version_default(api))
    index = statement_index(result)
    if not define:
        index = dataclasses.replace(
            index,
            activity_objects=tuple(_ids_activity(a) for a in index.activity_objects),
            agent_objects=tuple((key, _ids_actor(a)) for key, a in index.agent_objects),
        )
    return NewStatement(
        id=statement_id,
        statement=result,
        stored=stored,
        index=index,
        attachments=attachment_hashes,
        comparable=comparable_text,
    )


def _own_changed_parts(statement: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of the statement deep enough for :func:`prepare` to change it.

    ``prepare`` sets top-level properties, wraps single context activities in
    arrays and (2.0) rewrites timestamps; only those containers are copied,
    everything else is shared with the request body, which nobody changes.
    """
    result = dict(statement)
    obj = result.get("object")
    if isinstance(obj, dict) and obj.get("objectType") == "SubStatement":
        result["object"] = obj = dict(obj)
        _own_context(obj)
    _own_context(result)
    return result


def _own_context(part: dict[str, Any]) -> None:
    context = part.get("context")
    if isinstance(context, dict):
        part["context"] = context = dict(context)
        if isinstance(context.get("contextActivities"), dict):
            context["contextActivities"] = dict(context["contextActivities"])


def normalise_context_activities(statement: dict[str, Any]) -> None:
    """Context activities given as one object become one-element arrays (spec: always returned as arrays)."""
    for part in (statement, statement.get("object")):
        if not isinstance(part, dict):
            continue
        context = part.get("context")
        activities = context.get("contextActivities") if isinstance(context, dict) else None
        if isinstance(activities, dict):
            for kind, value in list(activities.items()):
                if isinstance(value, dict):
                    activities[kind] = [value]


def _utc_timestamps(statement: dict[str, Any]) -> None:
    """2.0 stores timestamps in UTC (statement and sub-statement)."""
    for part in (statement, statement.get("object")):
        if isinstance(part, dict) and isinstance(part.get("timestamp"), str):
            part["timestamp"] = utc_timestamp(part["timestamp"])


# --- voiding ---------------------------------------------------------------


def voided_target(statement: Mapping[str, Any]) -> str | None:
    """The id a voiding statement voids, else None."""
    verb, obj = statement.get("verb"), statement.get("object")
    voiding = isinstance(verb, Mapping) and verb.get("id") == VOIDED_VERB
    if voiding and isinstance(obj, Mapping) and obj.get("objectType") == "StatementRef":
        target = obj.get("id")
        return target.lower() if isinstance(target, str) else None
    return None


def check_voiding_target(target: Mapping[str, Any] | None) -> None:
    """Refuse to void a voiding statement ("any statement that voids another cannot itself be voided").

    An unknown target is fine: the spec says not to reject on that ground.
    """
    if target is not None and voided_target(target) is not None:
        raise VoidingError("object.id: a voiding statement cannot itself be voided")


# --- index -----------------------------------------------------------------


class _IndexBuilder:
    """Collects agents and activities with the relation in which they appear."""

    def __init__(self) -> None:
        self.agents: set[tuple[str, AgentRelation]] = set()
        self.activities: set[tuple[str, ActivityRelation]] = set()
        self.activity_objects: dict[str, dict[str, Any]] = {}
        self.agent_objects: dict[str, dict[str, Any]] = {}

    def actor(self, actor: Any, relation: AgentRelation) -> None:
        if not isinstance(actor, Mapping):
            return
        for agent in (actor, *group_members(actor)):
            key = try_agent_key(agent)
            if key is not None:
                self.agents.add((key, relation))
                self.agent_objects.setdefault(key, dict(agent))

    def activity(self, activity: Any, relation: ActivityRelation) -> None:
        if isinstance(activity, Mapping) and isinstance(activity.get("id"), str):
            self.activities.add((activity["id"], relation))
            known = self.activity_objects.get(activity["id"])
            if known is None or ("definition" in activity and "definition" not in known):
                self.activity_objects[activity["id"]] = dict(activity)

    def context(self, context: Any, agent_rel: AgentRelation, activity_rel: ActivityRelation) -> None:
        if not isinstance(context, Mapping):
            return
        self.actor(context.get("instructor"), agent_rel)
        self.actor(context.get("team"), agent_rel)
        for item in context.get("contextAgents") or []:
            if isinstance(item, Mapping):
                self.actor(item.get("agent"), agent_rel)
        for item in context.get("contextGroups") or []:
            if isinstance(item, Mapping):
                self.actor(item.get("group"), agent_rel)
        for activity in _context_activities(context):
            self.activity(activity, activity_rel)

    def target(self, obj: Any, agent_rel: AgentRelation, activity_rel: ActivityRelation) -> None:
        if not isinstance(obj, Mapping):
            return
        object_type = obj.get("objectType", "Activity")
        if object_type == "Activity":
            self.activity(obj, activity_rel)
        elif object_type in ("Agent", "Group"):
            self.actor(obj, agent_rel)


def _context_activities(context: Mapping[str, Any]) -> Iterator[Any]:
    activities = context.get("contextActivities")
    if not isinstance(activities, Mapping):
        return
    for kind in CONTEXT_ACTIVITY_KINDS:
        value = activities.get(kind)
        if isinstance(value, list):
            yield from value
        elif value is not None:
            yield value


def statement_index(statement: Mapping[str, Any]) -> StatementIndex:
    """What a complete statement is found by (see :class:`StatementIndex`)."""
    builder = _IndexBuilder()
    builder.actor(statement.get("actor"), "actor")
    obj = statement.get("object")
    builder.target(obj, "object", "object")
    builder.actor(statement.get("authority"), "authority")
    builder.context(statement.get("context"), "context", "context")
    references = None
    if isinstance(obj, Mapping) and obj.get("objectType") == "SubStatement":
        builder.actor(obj.get("actor"), "sub")
        builder.target(obj.get("object"), "sub", "sub")
        builder.context(obj.get("context"), "sub", "sub")
    elif isinstance(obj, Mapping) and obj.get("objectType") == "StatementRef" and isinstance(obj.get("id"), str):
        references = str(obj["id"]).lower()
    context = statement.get("context")
    registration = context.get("registration") if isinstance(context, Mapping) else None
    verb = statement.get("verb")
    return StatementIndex(
        verb_id=str(verb.get("id")) if isinstance(verb, Mapping) else "",
        registration=registration.lower() if isinstance(registration, str) else None,
        agents=frozenset(builder.agents),
        activities=frozenset(builder.activities),
        references=references,
        voids=voided_target(statement),
        activity_objects=tuple(builder.activity_objects.values()),
        agent_objects=tuple(builder.agent_objects.items()),
    )


# --- comparison ------------------------------------------------------------

#: Properties the LRS may assign or that are not part of the immutable statement.
_NOT_COMPARED: Final = ("id", "authority", "stored", "version")


def comparable(statement: Mapping[str, Any], *, drop_attachments: bool = False) -> str:
    """Canonical text of a statement for "is this the same statement?" decisions.

    Differences the spec lists as immutability exceptions are ignored (1.0.3
    Data §2.3.1): LRS-assigned properties, Activity definitions and Verb
    display, timestamp serialisation, member order, e-mail and UUID case,
    duration precision beyond 0.01 s, single context activity vs array.
    Built from new dicts where something changes and shared values elsewhere:
    ``statement`` is left as it is, and nothing is copied that is not changed.
    """
    canonical = _canonical_part(statement)
    for key in _NOT_COMPARED:
        canonical.pop(key, None)
    if drop_attachments:
        canonical.pop("attachments", None)
    return json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _canonical_part(part: Mapping[str, Any]) -> dict[str, Any]:
    """A statement or sub-statement in canonical form."""
    out = dict(part)
    verb = out.get("verb")
    if isinstance(verb, dict) and "display" in verb:
        out["verb"] = {k: v for k, v in verb.items() if k != "display"}
    if isinstance(out.get("timestamp"), str):
        moment = parse_timestamp(out["timestamp"])
        if moment is not None:
            out["timestamp"] = format_timestamp(moment)
    for key in ("actor", "authority"):
        if key in out:
            out[key] = _canonical_actor(out[key])
    obj = out.get("object")
    if isinstance(obj, dict):
        object_type = obj.get("objectType", "Activity")
        if object_type == "Activity":
            out["object"] = _canonical_activity_ref(obj)
        elif object_type in ("Agent", "Group"):
            out["object"] = _canonical_actor(obj)
        elif object_type == "StatementRef" and isinstance(obj.get("id"), str):
            out["object"] = {**obj, "id": obj["id"].lower()}
        elif object_type == "SubStatement":
            out["object"] = _canonical_part(obj)
    result = out.get("result")
    if isinstance(result, dict) and isinstance(result.get("duration"), str):
        out["result"] = {**result, "duration": truncate_duration(result["duration"])}
    if isinstance(out.get("context"), dict):
        out["context"] = _canonical_context(out["context"])
    return out


def _canonical_activity_ref(activity: Any) -> Any:
    """An Activity without what may change between sends of one statement (definition, objectType)."""
    if not isinstance(activity, dict):
        return activity
    return {k: v for k, v in activity.items() if k not in ("definition", "objectType")}


def _canonical_context(context: dict[str, Any]) -> dict[str, Any]:
    out = dict(context)
    if isinstance(out.get("registration"), str):
        out["registration"] = out["registration"].lower()
    statement_ref = out.get("statement")
    if isinstance(statement_ref, dict) and isinstance(statement_ref.get("id"), str):
        out["statement"] = {**statement_ref, "id": statement_ref["id"].lower()}
    for key in ("instructor", "team"):
        if key in out:
            out[key] = _canonical_actor(out[key])
    for list_key, item_key in (("contextAgents", "agent"), ("contextGroups", "group")):
        items = out.get(list_key)
        if isinstance(items, list):
            out[list_key] = [
                {**item, item_key: _canonical_actor(item[item_key])}
                if isinstance(item, dict) and item_key in item
                else item
                for item in items
            ]
    activities = out.get("contextActivities")
    if isinstance(activities, dict):
        out["contextActivities"] = {
            kind: [_canonical_activity_ref(a) for a in (value if isinstance(value, list) else [value])]
            for kind, value in activities.items()
        }
    return out


def _canonical_actor(actor: Any) -> Any:
    if not isinstance(actor, dict):
        return actor
    out = dict(actor)
    if isinstance(out.get("mbox"), str):
        out["mbox"] = normalise_mbox(out["mbox"])
    if isinstance(out.get("mbox_sha1sum"), str):
        out["mbox_sha1sum"] = out["mbox_sha1sum"].lower()
    if out.get("objectType") == "Agent":
        del out["objectType"]
    members = out.get("member")
    if isinstance(members, list):
        canonical = [_canonical_actor(member) for member in members]
        out["member"] = sorted(canonical, key=lambda m: json.dumps(m, sort_keys=True))
    return out


_SECONDS = re.compile(r"(\d+)(?:[.,](\d+))?S$")


def truncate_duration(duration: str) -> str:
    """Drop precision beyond hundredths of a second (``PT1.2567S`` -> ``PT1.25S``)."""
    match = _SECONDS.search(duration)
    if match is None or match.group(2) is None:
        return duration
    fraction = match.group(2)[:2].rstrip("0")
    seconds = match.group(1) + ("." + fraction if fraction else "")
    return duration[: match.start()] + seconds + "S"


# --- output formats -----------------------------------------------------------


def render(
    statement: dict[str, Any],
    fmt: Format,
    languages: list[str] | None = None,
    activity_lookup: Callable[[str], Mapping[str, Any] | None] | None = None,
) -> dict[str, Any]:
    """A stored statement in the requested ``format`` (exact / ids / canonical).

    Reshapes ``statement`` in place and returns it: the caller hands over a
    statement just decoded from the store, and a page of 100 is served
    without copying each one first.
    """
    result = statement
    if fmt == "ids":
        _ids_part(result)
    elif fmt == "canonical":
        _canonical_languages(result, languages or [], activity_lookup)
    return result


_IFIS: Final = ("mbox", "mbox_sha1sum", "openid", "account")


def _ids_actor(actor: Any) -> Any:
    """Only objectType and the identifier; an anonymous Group keeps its members' identifiers."""
    if not isinstance(actor, dict):
        return actor
    kept: dict[str, Any] = {k: actor[k] for k in ("objectType", *_IFIS) if k in actor}
    if actor.get("objectType") == "Group" and not any(k in actor for k in _IFIS):
        kept["member"] = [_ids_actor(m) for m in actor.get("member") or []]
    return kept


def _ids_activity(activity: Any) -> Any:
    return {"id": activity["id"]} if isinstance(activity, dict) and "id" in activity else activity


def _ids_part(part: dict[str, Any]) -> None:
    for key in ("actor", "authority"):
        if key in part:
            part[key] = _ids_actor(part[key])
    verb = part.get("verb")
    if isinstance(verb, dict) and "id" in verb:
        part["verb"] = {"id": verb["id"]}
    obj = part.get("object")
    if isinstance(obj, dict):
        object_type = obj.get("objectType", "Activity")
        if object_type == "Activity":
            part["object"] = _ids_activity(obj)
        elif object_type in ("Agent", "Group"):
            part["object"] = _ids_actor(obj)
        elif object_type == "SubStatement":
            _ids_part(obj)
    context = part.get("context")
    if isinstance(context, dict):
        for key in ("instructor", "team"):
            if key in context:
                context[key] = _ids_actor(context[key])
        for item in context.get("contextAgents") or []:
            if isinstance(item, dict) and "agent" in item:
                item["agent"] = _ids_actor(item["agent"])
        for item in context.get("contextGroups") or []:
            if isinstance(item, dict) and "group" in item:
                item["group"] = _ids_actor(item["group"])
        activities = context.get("contextActivities")
        if isinstance(activities, dict):
            for kind, value in activities.items():
                items = value if isinstance(value, list) else [value]
                activities[kind] = [_ids_activity(a) for a in items]


def _canonical_languages(
    part: dict[str, Any], languages: list[str], lookup: Callable[[str], Mapping[str, Any] | None] | None
) -> None:
    verb = part.get("verb")
    if isinstance(verb, dict) and isinstance(verb.get("display"), dict):
        verb["display"] = pick_language(verb["display"], languages)
    obj = part.get("object")
    if isinstance(obj, dict):
        object_type = obj.get("objectType", "Activity")
        if object_type == "Activity":
            _canonical_activity(obj, languages, lookup)
        elif object_type == "SubStatement":
            _canonical_languages(obj, languages, lookup)
    context = part.get("context")
    if isinstance(context, dict):
        for activity in _context_activities(context):
            if isinstance(activity, dict):
                _canonical_activity(activity, languages, lookup)


def _canonical_activity(
    activity: dict[str, Any], languages: list[str], lookup: Callable[[str], Mapping[str, Any] | None] | None
) -> None:
    if lookup is not None and isinstance(activity.get("id"), str):
        known = lookup(activity["id"])
        if known is not None and isinstance(known.get("definition"), Mapping):
            activity["definition"] = copy_json(dict(known["definition"]))
    definition = activity.get("definition")
    if not isinstance(definition, dict):
        return
    for key in ("name", "description"):
        if isinstance(definition.get(key), dict):
            definition[key] = pick_language(definition[key], languages)
    for key in ("choices", "scale", "source", "target", "steps"):
        for component in definition.get(key) or []:
            if isinstance(component, dict) and isinstance(component.get("description"), dict):
                component["description"] = pick_language(component["description"], languages)


#: An RFC 9110 qvalue: 0 to 1 with at most three decimals (so no NaN, Infinity or exponent).
_QVALUE: Final = re.compile(r"(?:0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)")


def parse_accept_language(header: str | None) -> list[str]:
    """Language ranges of an ``Accept-Language`` header, best first (q=0 dropped).

    A weight that is not an RFC 9110 qvalue (``q=NaN``, ``q=2``, ``q=1e3``)
    is a 400 naming the header (:class:`StatementInvalid`): guessing a weight
    would pick a language the client did not ask for.
    """
    if not header:
        return []
    ranked: list[tuple[Decimal, int, str]] = []
    for position, part in enumerate(header.split(",")):
        pieces = [p.strip() for p in part.split(";")]
        if not pieces[0]:
            continue
        quality = Decimal(1)
        for param in pieces[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() != "q":
                continue
            value = value.strip()
            if not _QVALUE.fullmatch(value):
                shown = value if len(value) <= 20 else value[:20] + "..."
                problem = Problem("Accept-Language", f"q={shown!r} is not a weight from 0 to 1 (at most 3 decimals)")
                raise StatementInvalid([problem])
            quality = Decimal(value)
        if quality > 0:
            ranked.append((-quality, position, pieces[0]))
    return [tag for _, _, tag in sorted(ranked)]


def pick_language(language_map: dict[str, Any], languages: list[str]) -> dict[str, Any]:
    """Reduce a language map to the single best entry for the client's languages.

    Exact tag match first, then prefix matches either way (``en`` ~ ``en-GB``),
    ``*`` for anything; without a match prefer ``en-US``/``en``, then the first entry.
    """
    if len(language_map) <= 1:
        return dict(language_map)
    lowered = {key.lower(): key for key in language_map}
    for wanted in languages:
        choice = _match_language(wanted.lower(), lowered)
        if choice is not None:
            return {choice: language_map[choice]}
    for fallback in ("en-us", "en"):
        if fallback in lowered:
            return {lowered[fallback]: language_map[lowered[fallback]]}
    first = next(iter(language_map))
    return {first: language_map[first]}


def _match_language(wanted: str, lowered: dict[str, str]) -> str | None:
    if wanted == "*":
        return next(iter(lowered.values()))
    if wanted in lowered:
        return lowered[wanted]
    for key, original in lowered.items():
        if key.startswith(wanted + "-") or wanted.startswith(key + "-"):
            return original
    return None
