"""The LMS side of cmi5 that launching our AUs against this LRS needs.

Two endpoints, under the xAPI prefix in ``extensions/`` (xAPI 1.0.3
Communication §2.0: resources beyond the spec SHOULD use path segments
starting with ``extensions/``):

* ``POST <prefix>/extensions/cmi5/launches`` (scope ``cmi5/launch`` or
  ``all``): a launcher (the course preview, or a small LMS) creates one
  launch for an actor,
  registration and AU activity. The LRS writes the ``LMS.LaunchData`` state
  document (cmi5 §10: contextTemplate with session id and publisher id,
  launchMode, moveOn, masteryScore, returnURL), records the cmi5
  "launched" statement (§9.3.1) and answers with the launch
  URL parameters (cmi5 §8.1), including a one-time ``fetch`` URL.
* ``POST <prefix>/extensions/cmi5/fetch/<id>`` (no credentials: the id is
  one): returns ``{"auth-token": ...}`` once (cmi5 §8.2). Every answer is HTTP 200 with a
  JSON body, errors as ``{"error-code": "1"|"2"|"3", "error-text": ...}``
  (§8.2.3: 1 = already used or expired, 2 = security error such as an
  unknown token, 3 = application error). GET is not allowed (405), so no
  cache ever keeps a token.

The fetch record lives ``LrsConfig.cmi5_token_seconds``; the token it hands
out is bounded to the launch (see :mod:`lrs.auth.launch`).

The LMS's duties around the sessions it launches live here too, each change
in one transaction with the registration's records locked
(:meth:`lrs.store.interface.Store.cmi5_write`): a launch abandons the
registration's sessions still open (§9.3.6), and the statements of a launch
session are checked against the AU rules (:mod:`lrs.xapi.cmi5_rules`) and,
once the AU's moveOn criterion is met, the course's "satisfied" statement
is recorded (§9.3.9) when the launch named the course.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final, cast
from urllib.parse import quote, urlencode

from flask import Blueprint, Response, request, url_for

from lrs.api.common import config, fail, load_json, store
from lrs.api.document_http import xapi_error
from lrs.api.urls import app_path, external
from lrs.auth import CMI5_LAUNCH_SCOPE, current_principal, require
from lrs.auth.launch import LAUNCH_DATA_STATE_ID, FetchError, create_launch, fetch_auth_token
from lrs.store.interface import (
    Attachment,
    Cmi5Au,
    Cmi5Registration,
    Cmi5Session,
    Cmi5Status,
    Cmi5Unit,
    Document,
    DocumentKey,
    LaunchToken,
    NewStatement,
    Store,
)
from lrs.xapi import spec
from lrs.xapi.agents import agent_key
from lrs.xapi.cmi5_rules import (
    PREFERENCES_PROFILE,
    Cmi5Violation,
    SessionRules,
    language_list_ok,
    move_on_met,
)
from lrs.xapi.documents import DocumentError, etag_for, parse_agent, parse_iri, parse_registration
from lrs.xapi.profile import launch_context_problem, launch_extensions
from lrs.xapi.statements import prepare
from lrs.xapi.versions import V1

bp = Blueprint("cmi5", __name__)
log = logging.getLogger("lrs.cmi5")

CMI5_CATEGORY: Final = {"id": spec.CMI5_CATEGORY}
LAUNCHED_VERB: Final = {"id": spec.LAUNCHED, "display": {"en-US": "launched"}}
ABANDONED_VERB: Final = {"id": spec.ABANDONED, "display": {"en-US": "abandoned"}}
SATISFIED_VERB: Final = {"id": spec.SATISFIED, "display": {"en-US": "satisfied"}}
WAIVED_VERB: Final = {"id": spec.WAIVED, "display": {"en-US": "waived"}}
MOVEON_CATEGORY: Final = {"id": spec.MOVEON_CATEGORY}
LAUNCH_MODES: Final = ("Normal", "Browse", "Review")
MOVE_ON: Final = ("Passed", "Completed", "CompletedAndPassed", "CompletedOrPassed", "NotApplicable")
AUDIO: Final = ("on", "off")
#: Parameters of the launch URL, in the order cmi5 §8.1 lists them.
LAUNCH_PARAMETERS: Final = ("endpoint", "fetch", "actor", "registration", "activityId")


def _bad(message: str) -> Exception:
    return xapi_error(DocumentError(400, message))


def _optional_str(body: Mapping[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise _bad(f"{name}: must be a string")
    return value


def _iri(value: str | None, name: str) -> str:
    try:
        return parse_iri(value, name)
    except DocumentError as error:
        raise xapi_error(error) from error


def _launch_data(body: dict[str, Any], activity_id: str, session_id: str, launch_mode: str) -> dict[str, Any]:
    """The ``LMS.LaunchData`` document for one launch (cmi5 §10.2)."""
    context: dict[str, Any] = {"extensions": {**_learner_context(body), spec.SESSION_ID: session_id}}
    publisher_id = _optional_str(body, "publisherId")
    if publisher_id is not None:
        _iri(publisher_id, "publisherId")
        if publisher_id == activity_id:
            raise _bad("activityId: must differ from the AU's publisherId (cmi5 8.1.5)")
        context["contextActivities"] = {"grouping": [{"objectType": "Activity", "id": publisher_id}]}
    data: dict[str, Any] = {"contextTemplate": context, "launchMode": launch_mode, "moveOn": _move_on(body)}
    mastery = body.get("masteryScore")
    if mastery is not None:
        if isinstance(mastery, bool) or not isinstance(mastery, int | float) or not 0 <= mastery <= 1:
            raise _bad("masteryScore: must be a number from 0 to 1")
        data["masteryScore"] = mastery
    for name in ("returnURL", "launchParameters", "launchMethod"):
        value = _optional_str(body, name)
        if value is not None:
            data[name] = value
    return data


def _learner_context(body: Mapping[str, Any]) -> dict[str, str]:
    """The launch's ``learnerContext`` as our context extensions (organisation, region, role, level).

    They go into the contextTemplate, so every statement of the session
    carries them (cmi5 10.2.1.0-6); absent keys stay absent, never guessed.
    """
    value = body.get("learnerContext")
    if value is None:
        return {}
    problem = launch_context_problem(value)
    if problem is not None:
        raise _bad(problem)
    return launch_extensions(value)


def _move_on(body: Mapping[str, Any]) -> str:
    move_on = body.get("moveOn", "NotApplicable")
    if move_on not in MOVE_ON:
        raise _bad(f"moveOn: must be one of {', '.join(MOVE_ON)}")
    return str(move_on)


def _launch_mode(body: Mapping[str, Any]) -> str | None:
    mode = body.get("launchMode")
    if mode is not None and mode not in LAUNCH_MODES:
        raise _bad(f"launchMode: must be one of {', '.join(LAUNCH_MODES)}")
    return None if mode is None else str(mode)


def _course(body: Mapping[str, Any], activity_id: str) -> dict[str, Any] | None:
    """The optional ``course`` of a launch: what the LMS needs to judge course satisfaction.

    ``{"id": LMS course activity id, "publisherId": course id of cmi5.xml,
    "aus": [{"activityId": LMS AU activity id, "moveOn": ...}, ...]}``; the
    launched AU must be one of ``aus``.
    """
    course = body.get("course")
    if course is None:
        return None
    if not isinstance(course, Mapping):
        raise _bad("course: must be an object with id and aus")
    course_id = _iri(_optional_str(course, "id"), "course.id")
    publisher_id = _optional_str(course, "publisherId")
    if publisher_id is not None:
        _iri(publisher_id, "course.publisherId")
        if publisher_id == course_id:
            raise _bad("course.id: must differ from the course's publisherId (cmi5 9.4)")
    aus = course.get("aus")
    if not isinstance(aus, list) or not aus:
        raise _bad("course.aus: must be a non-empty list of {activityId, moveOn}")
    entries = []
    for number, au in enumerate(aus):
        if not isinstance(au, Mapping):
            raise _bad(f"course.aus[{number}]: must be an object with activityId and moveOn")
        entries.append(
            {
                "activityId": _iri(_optional_str(au, "activityId"), f"course.aus[{number}].activityId"),
                "moveOn": _move_on(au),
            }
        )
    if activity_id not in {e["activityId"] for e in entries}:
        raise _bad("course.aus: must list the launched activityId")
    result: dict[str, Any] = {"id": course_id, "aus": entries}
    if publisher_id is not None:
        result["publisherId"] = publisher_id
    return result


def _preferences(body: Mapping[str, Any]) -> dict[str, str] | None:
    """The learner preferences the launcher gives (cmi5 §11), or None to leave the profile alone."""
    language = _optional_str(body, "languagePreference")
    audio = _optional_str(body, "audioPreference")
    if language is not None and not language_list_ok(language):
        raise _bad("languagePreference: must be a comma-separated list of language tags (cmi5 11.1)")
    if audio is not None and audio not in AUDIO:
        raise _bad("audioPreference: must be on or off (cmi5 11.2)")
    if language is None:
        return None
    preferences = {"languagePreference": language}
    if audio is not None:
        preferences["audioPreference"] = audio
    return preferences


def iso_duration(seconds: float) -> str:
    """An xAPI duration (ISO 8601, hundredths of a second at most), e.g. ``PT75.5S``."""
    text = f"{max(seconds, 0.0):.2f}".rstrip("0").rstrip(".")
    return f"PT{text}S"


def _json_document(key: DocumentKey, value: Mapping[str, Any], now: dt.datetime) -> Document:
    content = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Document(key, content, "application/json", etag_for(content), now)


def _launched_statement(
    actor: dict[str, Any], activity_id: str, registration: str, launch_data: dict[str, Any], au_url: str | None
) -> dict[str, Any]:
    """The cmi5 "launched" statement the LMS records before the AU starts (cmi5 §9.3.1, §9.6.3)."""
    context = copy.deepcopy(launch_data["contextTemplate"])
    context["registration"] = registration
    context.setdefault("contextActivities", {})["category"] = [dict(CMI5_CATEGORY)]
    extensions = context.setdefault("extensions", {})
    extensions[spec.LAUNCH_MODE] = launch_data["launchMode"]
    extensions[spec.MOVE_ON] = launch_data["moveOn"]
    if "masteryScore" in launch_data:
        extensions[spec.MASTERY_SCORE] = launch_data["masteryScore"]
    if "launchParameters" in launch_data:
        extensions[spec.LAUNCH_PARAMETERS] = launch_data["launchParameters"]
    if au_url:
        extensions[spec.LAUNCH_URL] = au_url
    return {
        "id": str(uuid.uuid4()),
        "actor": actor,
        "verb": dict(LAUNCHED_VERB),
        "object": {"objectType": "Activity", "id": activity_id},
        "context": context,
    }


def _abandoned_statement(actor: dict[str, Any], session: Cmi5Session) -> dict[str, Any]:
    """The LMS's "abandoned" statement for a session left open (cmi5 §9.3.6, §9.5.4.2).

    Duration: from the launch to the AU's last statement (none: zero), the
    spec's rule when the LMS has no better measure of the session time.
    """
    context = copy.deepcopy(session.launch_data.get("contextTemplate", {}))
    context["registration"] = session.registration
    context.setdefault("contextActivities", {})["category"] = [dict(CMI5_CATEGORY)]
    end = session.last_statement or session.launched
    return {
        "id": str(uuid.uuid4()),
        "actor": actor,
        "verb": dict(ABANDONED_VERB),
        "object": {"objectType": "Activity", "id": session.activity_id},
        "result": {"duration": iso_duration((end - session.launched).total_seconds())},
        "context": context,
    }


def _satisfied_statement(record: Cmi5Registration, course: Mapping[str, Any], session_id: str) -> dict[str, Any]:
    """The LMS's "satisfied" statement about the course (cmi5 §9.3.9, §9.4)."""
    activities: dict[str, Any] = {"category": [dict(CMI5_CATEGORY)]}
    if course.get("publisherId"):
        activities["grouping"] = [{"objectType": "Activity", "id": course["publisherId"]}]
    return {
        "id": str(uuid.uuid4()),
        "actor": record.actor,
        "verb": dict(SATISFIED_VERB),
        "object": {"objectType": "Activity", "id": course["id"], "definition": {"type": spec.CMI5_COURSE_TYPE}},
        "context": {
            "registration": record.registration,
            "contextActivities": activities,
            "extensions": {spec.SESSION_ID: session_id},
        },
    }


def course_satisfied(course: Mapping[str, Any], aus: Mapping[str, Cmi5Au]) -> bool:
    """Whether every AU of the course met its moveOn in the registration (NotApplicable ones always have)."""
    for entry in course["aus"]:
        if entry["moveOn"] == "NotApplicable":
            continue
        au = aus.get(entry["activityId"])
        if au is None or not au.satisfied:
            return False
    return True


class _Stamps:
    """``stored`` instants for the statements one transaction records: increasing, never before ``after``."""

    def __init__(self, after: dt.datetime | None = None) -> None:
        self._last = after

    def next(self) -> dt.datetime:
        now = dt.datetime.now(dt.UTC)
        if self._last is not None and now <= self._last:
            now = self._last + dt.timedelta(microseconds=1)
        self._last = now
        return now


def _satisfy_course(
    unit: Cmi5Unit,
    record: Cmi5Registration,
    aus: Mapping[str, Cmi5Au],
    session_id: str,
    stamps: _Stamps,
) -> list[NewStatement]:
    """The course's satisfied statement when this change met it (once per registration)."""
    if record.course is None or record.satisfied or not course_satisfied(record.course, aus):
        return []
    unit.put_registration(replace(record, satisfied=True))
    statement = _satisfied_statement(record, record.course, session_id)
    return [prepare(statement, api=V1, authority=record.authority, stored=stamps.next())]


@dataclass(frozen=True)
class _Launch:
    """What a launch request asks for, validated before the transaction."""

    actor: dict[str, Any]
    actor_key: str
    activity_id: str
    registration: str
    session_id: str
    au_url: str | None
    course: dict[str, Any] | None
    preferences: dict[str, str] | None
    launch_mode: str | None
    body: dict[str, Any]


def _parse_launch(body: dict[str, Any]) -> _Launch:
    try:
        actor, actor_key = parse_agent(json.dumps(body.get("actor")) if "actor" in body else None, name="actor")
        activity_id = parse_iri(_optional_str(body, "activityId"), "activityId")
        registration = parse_registration(_optional_str(body, "registration")) or str(uuid.uuid4())
    except DocumentError as error:
        raise xapi_error(error) from error
    session_id = str(uuid.uuid4())
    launch_mode = _launch_mode(body)
    _launch_data(body, activity_id, session_id, launch_mode or "Normal")  # validates the rest of the body
    return _Launch(
        actor=actor,
        actor_key=actor_key,
        activity_id=activity_id,
        registration=registration,
        session_id=session_id,
        au_url=_optional_str(body, "auUrl"),
        course=_course(body, activity_id),
        preferences=_preferences(body),
        launch_mode=launch_mode,
        body=body,
    )


def start_launch(
    body: dict[str, Any], authority: dict[str, Any], *, review_when_satisfied: bool = False
) -> dict[str, Any]:
    """Create one cmi5 launch, in one transaction of the registration.

    Abandons the registration's open sessions (§9.3.6), writes LMS.LaunchData
    and (when given) the learner preferences, records "launched", the
    session and the fetch record. Without ``launchMode`` in the body the
    mode is Normal, or with ``review_when_satisfied`` Review once the AU is
    satisfied in the registration (what CATAPULT does). Shared by the
    launches endpoint and the package preview; returns the launch
    parameters, and the full ``url`` when the body names ``auUrl``.
    """
    wanted = _parse_launch(body)
    lifetime = dt.timedelta(seconds=config().cmi5_token_seconds)

    def work(unit: Cmi5Unit) -> tuple[dict[str, Any], str, str, dt.datetime]:
        now = dt.datetime.now(dt.UTC)
        stamps = _Stamps()
        record = unit.registration
        if record is None:
            record = Cmi5Registration(
                wanted.registration, wanted.actor_key, wanted.actor, dict(authority), now, wanted.course
            )
            unit.put_registration(record)
        elif record.actor_key != wanted.actor_key:
            raise _bad("registration: it belongs to another learner; launch without one to get a new registration")
        elif wanted.course is not None and record.course != wanted.course:
            record = replace(record, course=wanted.course)
            unit.put_registration(record)
        aus = unit.aus()
        au = aus.get(wanted.activity_id) or Cmi5Au(wanted.registration, wanted.activity_id)
        if _move_on(wanted.body) == "NotApplicable":
            au = replace(au, satisfied=True)  # §9.6.1: met from the start
        if aus.get(wanted.activity_id) != au:
            unit.put_au(au)
            aus[wanted.activity_id] = au
        lms: list[NewStatement] = []
        for old in unit.open_sessions():
            lms.append(
                prepare(_abandoned_statement(record.actor, old), api=V1, authority=authority, stored=stamps.next())
            )
            unit.put_session(replace(old, status="abandoned"))
        mode = wanted.launch_mode or ("Review" if review_when_satisfied and au.satisfied else "Normal")
        launch_data = _launch_data(wanted.body, wanted.activity_id, wanted.session_id, mode)
        state_key = DocumentKey(
            "state", wanted.activity_id, wanted.actor_key, wanted.registration, LAUNCH_DATA_STATE_ID
        )
        unit.put_document(_json_document(state_key, launch_data, now))
        if wanted.preferences is not None:
            profile_key = DocumentKey("agent_profile", agent=wanted.actor_key, doc_id=PREFERENCES_PROFILE)
            unit.put_document(_json_document(profile_key, wanted.preferences, now))
        # met at registration (all AUs NotApplicable) or by this launch's NotApplicable AU: outside an AU session
        lms += _satisfy_course(unit, record, aus, str(uuid.uuid4()), stamps)
        launched = prepare(
            _launched_statement(wanted.actor, wanted.activity_id, wanted.registration, launch_data, wanted.au_url),
            api=V1,
            authority=authority,
            stored=stamps.next(),
        )
        unit.insert_statements([*lms, launched], [])
        unit.put_session(
            Cmi5Session(wanted.session_id, wanted.registration, wanted.activity_id, launch_data, launched=now)
        )
        fetch_id, fetch_record = create_launch(
            store(),
            actor=wanted.actor,
            registration=wanted.registration,
            activity_id=wanted.activity_id,
            lifetime=lifetime,
            now=now,
            session_id=wanted.session_id,
        )
        unit.put_launch_token(fetch_record)
        return launch_data, launched.id, fetch_id, now

    launch_data, launched_id, fetch_id, now = store().cmi5_write(wanted.registration, work)
    parameters = {
        # from LrsConfig.public_url, never the Host header (lrs.api.urls)
        "endpoint": external(config().xapi_prefix + "/"),
        "fetch": external(app_path(url_for("cmi5.fetch", fetch_id=fetch_id))),
        "actor": json.dumps(wanted.actor, ensure_ascii=False, separators=(",", ":")),
        "registration": wanted.registration,
        "activityId": wanted.activity_id,
    }
    query = urlencode(parameters, quote_via=quote)
    answer: dict[str, Any] = {
        **parameters,
        "actor": wanted.actor,
        "sessionId": wanted.session_id,
        "expires": (now + lifetime).isoformat(),
        "launchData": launch_data,
        "launchedStatement": launched_id,
        "query": query,
    }
    if wanted.au_url:
        answer["url"] = wanted.au_url + ("&" if "?" in wanted.au_url else "?") + query
    return answer


def _foreign_activities(record: Cmi5Registration, aus: Mapping[str, Cmi5Au], own: str) -> frozenset[str]:
    """The activities a session of AU ``own`` may not send statements about: the registration's other AUs, its course.

    Other AUs are those the course lists and those launched in the
    registration (a launch may name no course).
    """
    course = record.course or {}
    listed = {str(au["activityId"]) for au in course.get("aus", []) if isinstance(au, Mapping) and "activityId" in au}
    named = listed | set(aus) | ({str(course["id"])} if "id" in course else set())
    return frozenset(named - {own})


def store_session_statements(
    launch: LaunchToken,
    statements: Sequence[Mapping[str, Any]],
    attachments: Sequence[Attachment],
    prepare_all: Callable[[], list[NewStatement]],
    *,
    batch: bool,
) -> list[str]:
    """Check a launch session's statements against the cmi5 AU rules and store them with their effects.

    One transaction: the session's and AU's records are read with the
    registration locked, every statement is checked in order (403 naming
    the requirement, nothing stored, at the first one that breaks a rule),
    the statements are stored, the session advances, and when the AU's
    moveOn is met the course may become satisfied. Statements stored before
    with the same content (a client's retry) are no-ops and not judged again.
    The session may only speak for its own learner, registration and AU
    (:func:`lrs.xapi.cmi5_rules.identity_violation`,
    :func:`lrs.xapi.cmi5_rules.foreign_activity`, the registration and
    session id checks of :class:`lrs.xapi.cmi5_rules.SessionRules`).
    """

    def work(unit: Cmi5Unit) -> list[str]:
        session = unit.session(launch.session_id)
        record = unit.registration
        if session is None or record is None:
            raise Cmi5Violation("8.1.2.0-2", "Session unknown")
        aus = unit.aus()
        au = aus.get(session.activity_id) or Cmi5Au(session.registration, session.activity_id)
        prepared = prepare_all()
        resent = unit.already_stored(prepared)
        skip = {n for n, s in enumerate(statements) if isinstance(s.get("id"), str) and prepared[n].id in resent}
        rules = SessionRules(
            activity_id=session.activity_id,
            registration=session.registration,
            actor_key=launch.actor_key,
            launch_data=session.launch_data,
            status=session.status,
            verbs=list(session.verbs),
            au_completed=au.completed,
            au_passed=au.passed,
            launch_data_read=session.launch_data_read,
            preferences_read=session.preferences_read,
            foreign_activities=_foreign_activities(record, aus, session.activity_id),
        )
        rules.check_batch(statements, skip=skip, batch=batch)
        ids = unit.insert_statements(prepared, attachments)
        if len(skip) == len(statements):
            return ids
        stamps = _Stamps(max(s.stored for s in prepared))
        status = cast(Cmi5Status, rules.status)
        unit.put_session(replace(session, status=status, verbs=tuple(rules.verbs), last_statement=stamps.next()))
        changed = replace(au, completed=rules.au_completed, passed=rules.au_passed)
        move_on = str(session.launch_data.get("moveOn", "NotApplicable"))
        if move_on_met(move_on, completed=changed.completed, passed=changed.passed):
            changed = replace(changed, satisfied=True)
        if changed != aus.get(session.activity_id):
            unit.put_au(changed)
            aus[session.activity_id] = changed
        unit.insert_statements(_satisfy_course(unit, record, aus, session.session_id, stamps), [])
        return ids

    try:
        return store().cmi5_write(launch.registration, work)
    except Cmi5Violation as violation:
        fail(403, violation.message)


def course_body(publisher_id: str, aus: Sequence[tuple[str, str]], suffix: str) -> dict[str, Any]:
    """A launch's ``course`` from the publisher's ids: the course and each ``(AU id, moveOn)`` of cmi5.xml.

    cmi5 8.1.5 / 9.4 want the LMS's own ids for the AUs and the course: a
    launcher appends its ``suffix`` to the publisher's. One definition for
    every launcher (the package preview, the learner portal), so the ids a
    launcher writes are the ids its progress pages read.
    """
    return {
        "id": publisher_id + suffix,
        "publisherId": publisher_id,
        "aus": [{"activityId": au_id + suffix, "moveOn": move_on} for au_id, move_on in aus],
    }


def _waived_statement(
    actor: dict[str, Any], registration: str, activity_id: str, publisher_id: str | None, reason: str
) -> dict[str, Any]:
    """The LMS's "waived" statement for an AU (cmi5 §9.3.8, §9.5.5.2): success and completion, with the reason."""
    activities: dict[str, Any] = {"category": [dict(CMI5_CATEGORY), dict(MOVEON_CATEGORY)]}
    if publisher_id:
        activities["grouping"] = [{"objectType": "Activity", "id": publisher_id}]
    return {
        "id": str(uuid.uuid4()),
        "actor": actor,
        "verb": dict(WAIVED_VERB),
        "object": {"objectType": "Activity", "id": activity_id},
        "result": {"success": True, "completion": True, "extensions": {spec.WAIVED_REASON: reason}},
        "context": {
            "registration": registration,
            "contextActivities": activities,
            "extensions": {spec.SESSION_ID: str(uuid.uuid4())},
        },
    }


def waive_au(
    target: Store,
    *,
    actor: dict[str, Any],
    registration: str,
    course: dict[str, Any],
    activity_id: str,
    publisher_id: str | None,
    reason: str,
    authority: dict[str, Any],
) -> bool:
    """Waive one AU in a registration: the LMS's "waived" statement, the AU satisfied, maybe the course too.

    One transaction of the registration (as launches and AU statements are):
    the registration is created when the learner never launched, the AU is
    marked satisfied and the course's "satisfied" statement is recorded when
    that met it (§9.3.9). An AU already satisfied is not waived (False: nothing
    written). ``reason`` is one of :data:`lrs.xapi.spec.WAIVE_REASONS`.
    ``target`` is passed in, so the CLI can waive outside a request.
    """
    if reason not in spec.WAIVE_REASONS:
        raise ValueError(f"reason: must be one of {', '.join(spec.WAIVE_REASONS)}, got {reason!r}")
    if activity_id not in {str(au["activityId"]) for au in course.get("aus", [])}:
        raise ValueError(f"activity: {activity_id} is not an AU of the course {course.get('id')}")
    actor_key = agent_key(actor)

    def work(unit: Cmi5Unit) -> bool:
        now = dt.datetime.now(dt.UTC)
        record = unit.registration
        if record is None:
            record = Cmi5Registration(registration, actor_key, dict(actor), dict(authority), now, dict(course))
            unit.put_registration(record)
        elif record.actor_key != actor_key:
            raise ValueError("registration: it belongs to another learner")
        elif record.course != course:
            record = replace(record, course=dict(course))
            unit.put_registration(record)
        aus = unit.aus()
        au = aus.get(activity_id) or Cmi5Au(registration, activity_id)
        if au.satisfied:
            return False
        aus[activity_id] = replace(au, satisfied=True)
        unit.put_au(aus[activity_id])
        stamps = _Stamps()
        statement = _waived_statement(record.actor, registration, activity_id, publisher_id, reason)
        waived = prepare(statement, api=V1, authority=authority, stored=stamps.next())
        session_id = statement["context"]["extensions"][spec.SESSION_ID]
        unit.insert_statements([waived, *_satisfy_course(unit, record, aus, session_id, stamps)], [])
        return True

    return target.cmi5_write(registration, work)


def enrollment_registration(actor: Mapping[str, Any], course_id: str, *, renew: bool = False) -> str:
    """The one registration of a learner's enrollment in a course, kept across its AU launches."""
    return store().cmi5_enrollment(agent_key(actor), course_id, str(uuid.uuid4()), renew=renew)


@bp.route("/extensions/cmi5/launches", methods=["POST"])
@require(CMI5_LAUNCH_SCOPE)
def create() -> Response:
    """Create a launch: write LMS.LaunchData and return the AU's launch URL parameters.

    Body (JSON): ``actor`` (Agent), ``activityId`` (IRI, the LMS-generated
    AU activity id), optional ``registration`` (UUID; a new one when absent),
    ``publisherId`` (the AU id from cmi5.xml, for the grouping), ``moveOn``,
    ``masteryScore``, ``launchMode`` (Normal when absent), ``returnURL``,
    ``launchParameters``, ``auUrl`` (the AU's index.html: the answer then
    has the full ``url``), ``languagePreference`` / ``audioPreference`` (written
    to the learner's cmi5LearnerPreferences) and ``course`` (``id``,
    ``publisherId``, ``aus`` with activityId and moveOn: the LRS then records
    the course's satisfied statement when every AU met its moveOn), and
    ``learnerContext`` (``organisation``, ``region``, ``role``, ``level``:
    codes, never personal data; written into the contextTemplate as our
    profile's extensions, :mod:`lrs.xapi.profile`).
    A registration belongs to one actor; a launch in a registration
    abandons its sessions still open.
    """
    if not request.is_json:
        raise _bad("Content-Type: the launch body must be application/json")
    # the one parser of client JSON: finite numbers, no NUL or lone surrogates, bounded nesting
    body = load_json(request.get_data(cache=False), "The launch body")
    if not isinstance(body, dict):
        raise _bad("the request body must be a JSON object with actor and activityId")
    principal = current_principal()
    answer = start_launch(body, principal.authority if principal is not None else {})
    response = Response(json.dumps(answer, ensure_ascii=False), status=201, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


def _fetch_answer(payload: dict[str, str]) -> Response:
    response = Response(json.dumps(payload), status=200, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/extensions/cmi5/fetch/<fetch_id>", methods=["POST"])
def fetch(fetch_id: str) -> Response:
    """The cmi5 fetch URL: the session auth-token the first time, a cmi5 error after that."""
    try:
        token = fetch_auth_token(store(), fetch_id, now=dt.datetime.now(dt.UTC))
    except FetchError as error:
        return _fetch_answer({"error-code": error.code, "error-text": error.text})
    except Exception:  # noqa: BLE001 - cmi5 answers any application failure with error-code 3
        log.exception("cmi5 fetch failed in the store")
        return _fetch_answer({"error-code": "3", "error-text": "The LMS could not issue a token; try again later."})
    return _fetch_answer({"auth-token": token})
