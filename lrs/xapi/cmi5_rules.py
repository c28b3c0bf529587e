"""The cmi5 rules an AU must follow in the sessions this LRS launches (cmi5 §7-§11).

A cmi5 LMS "SHOULD reject statements that conflict with" the statement
rules (§6.3); ADL's reference LMS, CATAPULT's player, answers such a request
403 with the requirement id, its text and what was wrong. We do the same,
with the requirement ids of the cmi5 requirements list, so an AU that runs
here without a refusal also runs in CATAPULT (and a refusal reads the same
in both).

Everything here is pure: :class:`SessionRules` holds what the session did
so far and checks one statement after the other, advancing as it goes, so a
batch is judged as if its statements came one by one. Loading and saving
that state, atomically with storing the statements, is the caller's
(:func:`lrs.api.cmi5.store_session_statements`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from lrs.xapi.agents import try_agent_key
from lrs.xapi.jsontext import ClientJsonError, parse_client_json
from lrs.xapi.spec import ADL_VERBS, CMI5_CATEGORY, MASTERY_SCORE, MOVEON_CATEGORY, SESSION_ID
from lrs.xapi.statements import statement_index
from lrs.xapi.validate import VOIDED_VERB

INITIALIZED: Final = ADL_VERBS + "initialized"
COMPLETED: Final = ADL_VERBS + "completed"
PASSED: Final = ADL_VERBS + "passed"
FAILED: Final = ADL_VERBS + "failed"
TERMINATED: Final = ADL_VERBS + "terminated"
VOIDED: Final = VOIDED_VERB
#: The verbs an AU may use in cmi5-defined statements (launched, satisfied, abandoned, waived are the LMS's).
AU_VERBS: Final = (INITIALIZED, COMPLETED, PASSED, FAILED, TERMINATED)
#: Verbs that record satisfaction-related data (§10.2.2) and need the moveOn category (§9.6.2.2).
JUDGING: Final = (COMPLETED, PASSED, FAILED)

#: The profile document the AU must read at start-up (§11).
PREFERENCES_PROFILE: Final = "cmi5LearnerPreferences"
_LANGUAGES = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*(?:,[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*)*")
_UTC_SUFFIX = re.compile(r"(?:[Zz]|\+00(?::?00)?)$")

#: Requirement id -> requirement, worded after the cmi5 specification (ids of its requirements list).
REQUIREMENTS: Final[Mapping[str, str]] = {
    "6.3.0.0-1": "The LMS MUST NOT provide permissions/credentials which allow the AU to issue voiding Statements.",
    "8.1.2.0-2": 'The authorization token returned by the "fetch" URL MUST be limited to the duration of a '
    "specific user session.",
    "8.1.3.0-3": 'The AU MUST use the "actor" value in xAPI requests that require an "actor" property or that '
    'require an "agent" parameter.',
    "8.1.4.0-3": 'The AU MUST use the "registration" value in xAPI requests that require a "registration".',
    "8.1.5.0-6": 'The AU MUST use the "activityId" value as the id property of the Object in all "cmi5 defined" '
    "statements.",
    "9.1.0.0-1": "The AU MUST assign a statement id property in UUID format (as defined in the xAPI "
    "specification) for all statements it issues.",
    "9.2.0.0-2": 'The Actor property for all "cmi5 defined" statements MUST be of objectType "Agent".',
    "9.2.0.0-3": 'The Actor property MUST contain an "account" IFI as defined in the xAPI specification.',
    "9.3.0.0-1": "AUs MUST use the below verbs that are indicated as mandatory in other sections of this "
    "specification.",
    "9.3.0.0-2": "Verbs MUST NOT be duplicated (in cmi5 defined statements).",
    "9.3.0.0-3": 'More than one of the set of {"Passed","Failed"} verbs MUST NOT be used (in cmi5 defined statements).',
    "9.3.0.0-4": 'The "Initialized" verb MUST be the first statement (cmi5 allowed or defined).',
    "9.3.0.0-5": 'The "Terminated" verb MUST be the last statement (cmi5 allowed or defined).',
    "9.3.0.0-6": 'Exactly zero or one "Completed" cmi5 defined statement MUST be used per registration.',
    "9.3.0.0-7": 'Exactly zero or one "Passed" cmi5 defined statement MUST be used per registration.',
    "9.3.0.0-8": 'A "Failed" statement MUST NOT follow a "Passed" statement (in cmi5 defined statements) per '
    "registration.",
    "9.3.4.0-2": 'If the "Passed" statement contains a (scaled) score, the (scaled) score MUST be equal to or '
    'greater than the "masteryScore" indicated in the LMS Launch Data.',
    "9.3.5.0-2": 'If the "Failed" statement contains a (scaled) score, the (scaled) score MUST be less than the '
    '"masteryScore" indicated in the LMS Launch Data.',
    "9.3.6.0-2": "The LMS MUST NOT allow any statements to be recorded for a session after recording an "
    '"Abandoned" statement.',
    "9.4.0.0-1": 'An Object MUST be present, as specified in this section, in all "cmi5 defined" statements.',
    "9.5.1.0-2": 'cmi5 defined statements, other than "Passed" or "Failed", MUST NOT include the "score" property.',
    "9.5.1.0-3": 'The AU MUST provide the "min" and "max" values for "score" when the "raw" value is provided.',
    "9.5.2.0-1": 'The "success" property of the result MUST be set to true for the following cmi5 defined '
    'statements ["Passed", "Waived"].',
    "9.5.2.0-2": 'The "success" property of the result MUST be set to false for the following cmi5 defined '
    'statements ["Failed"].',
    "9.5.2.0-3": 'cmi5 defined statements, other than "Passed", "Waived" or "Failed", MUST NOT include the '
    '"success" property.',
    "9.5.3.0-1": 'The "completion" property of the result MUST be set to true for the following cmi5 defined '
    'statements ["Completed", "Waived"].',
    "9.5.3.0-2": 'cmi5 defined statements, other than "Completed" or "Waived", MUST NOT include the "completion" '
    "property.",
    "9.5.4.1-1": 'The AU MUST include the "duration" property in "Terminated" statements.',
    "9.5.4.1-2": 'The AU MUST include the "duration" property in "Completed" statements.',
    "9.5.4.1-3": 'The AU MUST include the "duration" property in "Passed" statements.',
    "9.5.4.1-4": 'The AU MUST include the "duration" property in "Failed" statements.',
    "9.6.0.0-1": "All cmi5 defined statements MUST contain a context that includes all properties as defined in "
    "this section [9.6].",
    "9.6.1.0-1": "The value for the registration property used in the context object MUST be the value provided "
    "by the LMS.",
    "9.6.2.2-1": 'cmi5 defined statements with a Result object (Section 9.5) that include either "success" or '
    '"completion" properties MUST have an Activity object with an "id" of '
    '"https://w3id.org/xapi/cmi5/context/categories/moveon" in the "category" context activities list.',
    "9.6.2.2-2": "Other statements [than those with a result.completion or result.success property] MUST NOT "
    "include this Activity [the moveOn Category Activity].",
    "9.6.3.1-4": "An AU MUST include the session ID provided by the LMS in the context as an extension for all "
    '"cmi5 defined" and "cmi5 allowed" statements it makes directly in the LRS.',
    "9.6.3.2-2": 'An AU MUST include the "masteryScore" value provided by the LMS in the context as an extension '
    'for "passed"/"failed" Statements it makes based on the "masteryScore".',
    "9.7.0.0-1": "All statements MUST include a timestamp property per the xAPI specification to ensure "
    "statement ordering requirements are met.",
    "9.7.0.0-2": "All timestamps MUST be recorded in UTC time.",
    "10.2.1.0-4": 'The AU MUST get the "contextTemplate" value from the "LMS.LaunchData" State document.',
    "10.2.1.0-5": 'The AU MUST NOT modify or delete the "LMS.LaunchData" State document.',
    "10.2.1.0-6": 'The AU MUST use the contextTemplate as a template for the "context" property in all xAPI '
    "statements it sends to the LMS.",
    "10.2.2.0-2": "Browse [launchMode] Indicates to the AU that satisfaction-related data MUST NOT be recorded in "
    "the LMS using xAPI statements.",
    "10.2.2.0-3": "Review [launchMode] Indicates to the AU that satisfaction-related data MUST NOT be recorded in "
    "the LMS using xAPI statements.",
    "11.0.0.0-1": "The Agent used in xAPI Agent Profile requests MUST match the actor property generated by the "
    "LMS at AU launch time.",
    "11.0.0.0-3": "The AU MUST retrieve the Learner Preferences document from the Agent Profile on startup.",
    "11.0.0.0-5": 'The [Agent Profile] document content MUST be a JSON object with the "languagePreference" and '
    '"audioPreference" properties as described in Section 11.1 and 11.2.',
    "11.1.0.0-1": "The languagePreference MUST be a comma-separated list of RFC 5646 Language Tags as indicated "
    "in the xAPI specification (Section 5.2).",
}


def violation_message(requirement: str | None, detail: str) -> str:
    """``<id> - <requirement> (<detail>)``, the form CATAPULT answers with; just ``detail`` for a rule of this LRS."""
    if requirement is None:
        return detail
    return f"{requirement} - {REQUIREMENTS[requirement]} ({detail})"


class Cmi5Violation(Exception):
    """A request that breaks a cmi5 requirement, or (``requirement`` None) a rule of this LRS (answered 403)."""

    def __init__(self, requirement: str | None, detail: str) -> None:
        self.requirement = requirement
        self.detail = detail
        self.message = violation_message(requirement, detail)
        super().__init__(self.message)


def identity_violation(statement: Mapping[str, Any], actor_key: str, where: str) -> Cmi5Violation | None:
    """Why a launch session's statement is not entirely about its own learner (None when it is).

    A launch session holds one learner's token, in that learner's browser,
    so its statements must not be findable as anyone else's: the actor is an
    Agent (never a Group, whose members are indexed as agents) with exactly
    the launch's identifier, and every other agent the statement names
    (object, context instructor/team/contextAgents/contextGroups, a
    SubStatement's actor, object and context, members of any Group) is that
    same learner. This is the set :func:`lrs.xapi.statements.statement_index`
    files the statement under for ``agent=`` queries (with or without
    ``related_agents``), so nothing a session sends can show up under another
    learner. ``authority`` is not the client's to set (the LRS replaces it).
    """
    return actor_violation(statement, actor_key, where) or other_agents_violation(statement, actor_key, where)


def actor_violation(statement: Mapping[str, Any], actor_key: str, where: str) -> Cmi5Violation | None:
    """The actor part of :func:`identity_violation`: an Agent with exactly the launch's identifier."""
    actor = statement.get("actor")
    if not isinstance(actor, Mapping) or try_agent_key(actor) != actor_key:
        return Cmi5Violation("8.1.3.0-3", f"{where}: actor is not the launch's actor")
    if actor.get("objectType", "Agent") != "Agent" or "member" in actor:
        requirement = "9.2.0.0-2" if is_cmi5_defined(statement) else "8.1.3.0-3"
        return Cmi5Violation(requirement, f"{where}: actor.objectType is {actor.get('objectType')}, not Agent")
    return None


def other_agents_violation(statement: Mapping[str, Any], actor_key: str, where: str) -> Cmi5Violation | None:
    """The rest of :func:`identity_violation`: no agent but the launch's actor anywhere in the statement."""
    others = sorted(
        relation for key, relation in statement_index(statement).agents if key != actor_key and relation != "authority"
    )
    if others:
        return Cmi5Violation(
            "8.1.3.0-3",
            f"{where}: the statement names an agent other than the launch's actor "
            f"(in {', '.join(dict.fromkeys(others))})",
        )
    return None


def foreign_activity(statement: Mapping[str, Any], foreign: frozenset[str], where: str) -> Cmi5Violation | None:
    """Why a launch session's statement is about an activity the LMS keeps for others (None when it is not).

    ``foreign``: the registration's other AUs and its course. A session's
    statements belong to its own AU: their results about another AU or the
    course are that AU's session's or the LMS's to record, and a statement
    naming them (as object, in context activities or in a SubStatement)
    would be found under them by ``activity=`` queries.
    """
    named = sorted({activity for activity, _ in statement_index(statement).activities} & foreign)
    if named:
        return Cmi5Violation(
            None,
            f"{where}: names {named[0]}, another AU or the course of this registration; a launch session may "
            "only send statements of its own AU",
        )
    return None


def _verb_name(verb_id: str) -> str:
    return verb_id.rsplit("/", 1)[-1]


def _as_list(value: Any) -> list[Any]:
    """A contextActivities value as a list: xAPI 1.0.3 also allows a single activity object."""
    if isinstance(value, list):
        return value
    return [value] if isinstance(value, Mapping) else []


def category_ids(statement: Mapping[str, Any]) -> set[str]:
    """Ids of the statement's category context activities."""
    context = statement.get("context")
    activities = context.get("contextActivities") if isinstance(context, Mapping) else None
    if not isinstance(activities, Mapping):
        return set()
    return {a["id"] for a in _as_list(activities.get("category")) if isinstance(a, Mapping) and "id" in a}


def is_cmi5_defined(statement: Mapping[str, Any]) -> bool:
    """Whether the statement is "cmi5 defined" (carries the cmi5 category, §7.1.3)."""
    return CMI5_CATEGORY in category_ids(statement)


def template_mismatch(context: Mapping[str, Any], template: Mapping[str, Any]) -> str | None:
    """What in ``context`` does not carry the contextTemplate (None when all of it is there).

    As the reference LMS checks it: each contextActivities list of the
    template must start the statement's list of that kind, same ids in the
    same places (the AU adds its own after them); every other property of
    the template must be there with each of its keys equal.
    """
    for prop, expected in template.items():
        if prop == "contextActivities":
            provided = context.get("contextActivities")
            if not isinstance(provided, Mapping) or not isinstance(expected, Mapping):
                return "context.contextActivities is missing"
            for kind, wanted in expected.items():
                have = _as_list(provided.get(kind))
                for number, activity in enumerate(_as_list(wanted)):
                    want_id = activity.get("id") if isinstance(activity, Mapping) else None
                    got = have[number] if number < len(have) else None
                    if not isinstance(got, Mapping) or got.get("id") != want_id:
                        return f"context.contextActivities.{kind}[{number}] must be the template's activity {want_id}"
            continue
        if prop not in context:
            return f"context.{prop} is missing"
        value = context[prop]
        if isinstance(expected, Mapping):
            if not isinstance(value, Mapping):
                return f"context.{prop} must be an object holding the template's"
            for key, item in expected.items():
                if key not in value or value[key] != item:
                    return f"context.{prop}[{key!r}] differs from the contextTemplate"
        elif value != expected:
            return f"context.{prop} differs from the contextTemplate"
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


@dataclass
class SessionRules:
    """What an AU session did so far, and the checks of its next statement.

    ``verbs`` are the cmi5-defined verbs the session sent; ``au_completed``
    and ``au_passed`` what the AU's cmi5-defined statements established in
    the registration (any session).
    """

    activity_id: str
    registration: str
    actor_key: str
    launch_data: Mapping[str, Any]
    status: str = "launched"
    #: the registration's other AUs and its course (see :func:`foreign_activity`)
    foreign_activities: frozenset[str] = frozenset()
    verbs: list[str] = field(default_factory=list)
    au_completed: bool = False
    au_passed: bool = False
    launch_data_read: bool = False
    preferences_read: bool = False

    @property
    def template(self) -> Mapping[str, Any]:
        """The contextTemplate of LMS.LaunchData."""
        template = self.launch_data.get("contextTemplate")
        return template if isinstance(template, Mapping) else {}

    @property
    def launch_mode(self) -> str:
        """Normal, Browse or Review."""
        return str(self.launch_data.get("launchMode", "Normal"))

    @property
    def mastery_score(self) -> float | None:
        """The masteryScore of LMS.LaunchData, if any."""
        return _number(self.launch_data.get("masteryScore"))

    @property
    def session_id(self) -> str:
        """The session id the contextTemplate carries."""
        extensions = self.template.get("extensions")
        return str(extensions.get(SESSION_ID, "")) if isinstance(extensions, Mapping) else ""

    def check_batch(self, statements: Sequence[Mapping[str, Any]], *, skip: set[int], batch: bool) -> list[str | None]:
        """Check statements in order, advancing the state; the cmi5-defined verb of each (None: allowed).

        ``skip``: positions of statements stored before with the same
        content (a re-send): xAPI makes them no-ops, so they are neither
        checked nor counted again. Raises :class:`Cmi5Violation` at the
        first statement that breaks a rule.
        """
        verbs: list[str | None] = []
        for number, statement in enumerate(statements):
            if number in skip:
                verbs.append(None)
                continue
            where = f"statements[{number}]" if batch else "statement"
            statement_id = statement.get("id")
            if isinstance(statement_id, str):
                where += f" {statement_id}"
            verbs.append(self.check(statement, where))
        return verbs

    def check(self, statement: Mapping[str, Any], where: str) -> str | None:
        """Check one statement and advance; its cmi5-defined verb, or None for a cmi5 allowed one."""
        if self.status == "abandoned":
            raise Cmi5Violation("9.3.6.0-2", f"{where}: the LMS abandoned this session after a newer launch")
        if self.status == "terminated":
            raise Cmi5Violation("9.3.0.0-5", f'{where}: the session\'s cmi5 "terminated" was already recorded')
        if not self.preferences_read:
            raise Cmi5Violation(
                "11.0.0.0-3",
                f"{where}: Learner Prefs not yet retrieved; GET agents/profile with profileId "
                f"{PREFERENCES_PROFILE} (404 is fine) before the first statement",
            )
        if not self.launch_data_read:
            raise Cmi5Violation(
                "10.2.1.0-4", f"{where}: LMS.LaunchData not yet retrieved; GET that state document first"
            )
        self._check_common(statement, where)
        verb = str(statement["verb"]["id"])
        defined = is_cmi5_defined(statement)
        if self.status == "launched" and not (defined and verb == INITIALIZED):
            kind = "cmi5 defined" if defined else "cmi5 allowed"
            raise Cmi5Violation(
                "9.3.0.0-4", f'{where}: {kind} statement with verb {verb} before the session\'s cmi5 "initialized"'
            )
        if defined:  # its own requirements first: they name the object and actor more precisely
            self._check_defined(statement, verb, where)
        wrong = other_agents_violation(statement, self.actor_key, where)
        if wrong is not None:
            raise wrong
        if not defined:
            return None
        self._check_order(statement, verb, where)
        self.verbs.append(verb)
        if verb == INITIALIZED:
            self.status = "initialized"
        elif verb == TERMINATED:
            self.status = "terminated"
        elif verb == COMPLETED:
            self.au_completed = True
        elif verb == PASSED:
            self.au_passed = True
        return verb

    # -- every statement -----------------------------------------------------------
    def _check_common(self, statement: Mapping[str, Any], where: str) -> None:
        if not isinstance(statement.get("id"), str):
            raise Cmi5Violation("9.1.0.0-1", f"{where}: the statement has no id")
        if statement["verb"]["id"] == VOIDED:
            raise Cmi5Violation("6.3.0.0-1", f"{where}: a launch session may not void statements")
        timestamp = statement.get("timestamp")
        if not isinstance(timestamp, str):
            raise Cmi5Violation("9.7.0.0-1", f"{where}: the statement has no timestamp")
        if not _UTC_SUFFIX.search(timestamp):
            raise Cmi5Violation("9.7.0.0-2", f"{where}: timestamp {timestamp} is not in UTC (end it in Z)")
        wrong = actor_violation(statement, self.actor_key, where) or foreign_activity(
            statement, self.foreign_activities, where
        )
        if wrong is not None:
            raise wrong
        context = statement.get("context")
        if not isinstance(context, Mapping):
            raise Cmi5Violation("9.6.0.0-1", f"{where}: the statement has no context")
        registration = context.get("registration")
        if not isinstance(registration, str) or registration.lower() != self.registration.lower():
            got = "missing" if registration is None else f"{registration}, not {self.registration}"
            raise Cmi5Violation("9.6.1.0-1", f"{where}: context.registration is {got}")
        extensions = context.get("extensions")
        if not isinstance(extensions, Mapping) or SESSION_ID not in extensions:
            raise Cmi5Violation("9.6.3.1-4", f"{where}: context.extensions has no {SESSION_ID}")
        mismatch = template_mismatch(context, self.template)
        if mismatch:
            raise Cmi5Violation("10.2.1.0-6", f"{where}: {mismatch}")
        if MOVEON_CATEGORY in category_ids(statement) and not (
            is_cmi5_defined(statement) and statement["verb"]["id"] in JUDGING
        ):
            raise Cmi5Violation(
                "9.6.2.2-2",
                f"{where}: the moveOn category belongs only on cmi5 defined completed, passed and failed statements",
            )

    # -- cmi5 defined statements ---------------------------------------------------
    def _check_defined(self, statement: Mapping[str, Any], verb: str, where: str) -> None:
        if verb not in AU_VERBS:
            raise Cmi5Violation("9.3.0.0-1", f"{where}: unrecognized cmi5 defined statement with verb {verb}")
        actor = statement["actor"]
        if actor.get("objectType", "Agent") != "Agent":
            raise Cmi5Violation("9.2.0.0-2", f"{where}: actor.objectType is {actor.get('objectType')}")
        account = actor.get("account")
        if not isinstance(account, Mapping) or "homePage" not in account or "name" not in account:
            raise Cmi5Violation("9.2.0.0-3", f"{where}: actor has no account")
        target = statement.get("object")
        if (
            not isinstance(target, Mapping)
            or target.get("objectType", "Activity") != "Activity"
            or not isinstance(target.get("id"), str)
        ):
            raise Cmi5Violation("9.4.0.0-1", f"{where}: the object must be the AU's Activity")
        if target["id"] != self.activity_id:
            raise Cmi5Violation(
                "8.1.5.0-6", f"{where}: object.id is {target['id']}, not the launch's activityId {self.activity_id}"
            )
        if verb in JUDGING and self.launch_mode in ("Browse", "Review"):
            requirement = "10.2.2.0-2" if self.launch_mode == "Browse" else "10.2.2.0-3"
            raise Cmi5Violation(requirement, f"{where}: {_verb_name(verb)} sent in {self.launch_mode} launch mode")
        self._check_result(statement, verb, where)

    def _check_result(self, statement: Mapping[str, Any], verb: str, where: str) -> None:
        result = statement.get("result")
        name = _verb_name(verb)
        if not isinstance(result, Mapping):
            missing = {
                COMPLETED: ("9.5.3.0-1", "result.completion true"),
                PASSED: ("9.5.2.0-1", "result.success true"),
                FAILED: ("9.5.2.0-2", "result.success false"),
                TERMINATED: ("9.5.4.1-1", "result.duration"),
            }.get(verb)
            if missing:
                raise Cmi5Violation(missing[0], f"{where}: {name} without a result (needs {missing[1]})")
            return
        if "completion" in result and verb != COMPLETED:
            raise Cmi5Violation("9.5.3.0-2", f"{where}: result.completion on a {name} statement")
        if verb == COMPLETED and result.get("completion") is not True:
            raise Cmi5Violation("9.5.3.0-1", f"{where}: completed needs result.completion true")
        if "success" in result and verb not in (PASSED, FAILED):
            raise Cmi5Violation("9.5.2.0-3", f"{where}: result.success on a {name} statement")
        if verb == PASSED and result.get("success") is not True:
            raise Cmi5Violation("9.5.2.0-1", f"{where}: passed needs result.success true")
        if verb == FAILED and result.get("success") is not False:
            raise Cmi5Violation("9.5.2.0-2", f"{where}: failed needs result.success false")
        if ("success" in result or "completion" in result) and MOVEON_CATEGORY not in category_ids(statement):
            raise Cmi5Violation("9.6.2.2-1", f"{where}: {name} has result.success/completion but no moveOn category")
        score = result.get("score")
        if score is not None:
            if verb not in (PASSED, FAILED):
                raise Cmi5Violation("9.5.1.0-2", f"{where}: result.score on a {name} statement")
            if isinstance(score, Mapping) and "raw" in score and ("min" not in score or "max" not in score):
                raise Cmi5Violation("9.5.1.0-3", f"{where}: result.score.raw without min and max")
        mastery = self.mastery_score
        if verb in (PASSED, FAILED) and mastery is not None:
            extensions = statement["context"]["extensions"]
            if MASTERY_SCORE in extensions:
                given = _number(extensions[MASTERY_SCORE])
                if given != mastery:
                    raise Cmi5Violation(
                        "9.6.3.2-2",
                        f"{where}: masteryscore extension {extensions[MASTERY_SCORE]!r} is not the launch's "
                        f"masteryScore {mastery:g}",
                    )
            elif score is not None:
                raise Cmi5Violation("9.6.3.2-2", f"{where}: {name} with a score but no masteryscore extension")
        if "duration" not in result:
            requirement = {
                TERMINATED: "9.5.4.1-1",
                COMPLETED: "9.5.4.1-2",
                PASSED: "9.5.4.1-3",
                FAILED: "9.5.4.1-4",
            }.get(verb)
            if requirement:
                raise Cmi5Violation(requirement, f"{where}: {name} without result.duration")

    def _check_order(self, statement: Mapping[str, Any], verb: str, where: str) -> None:
        """The verb ordering rules of §9.3 per session and per registration."""
        name = _verb_name(verb)
        if verb in (INITIALIZED, COMPLETED, PASSED, FAILED) and verb in self.verbs:
            raise Cmi5Violation("9.3.0.0-2", f"{where}: {name} was already sent in this session")
        score = statement.get("result", {}).get("score")
        scaled = _number(score.get("scaled")) if isinstance(score, Mapping) else None
        mastery = self.mastery_score
        if verb == COMPLETED and self.au_completed:
            raise Cmi5Violation("9.3.0.0-6", f"{where}: the AU was already completed in this registration")
        if verb == PASSED:
            if mastery is not None and scaled is not None and scaled < mastery:
                raise Cmi5Violation(
                    "9.3.4.0-2", f"{where}: scaled score {scaled:g} is less than the masteryScore {mastery:g}"
                )
            if FAILED in self.verbs:
                raise Cmi5Violation("9.3.0.0-3", f"{where}: passed after failed in this session")
            if self.au_passed:
                raise Cmi5Violation("9.3.0.0-7", f"{where}: the AU was already passed in this registration")
        if verb == FAILED:
            if mastery is not None and scaled is not None and scaled >= mastery:
                raise Cmi5Violation(
                    "9.3.5.0-2",
                    f"{where}: scaled score {scaled:g} is not less than the masteryScore {mastery:g}",
                )
            if PASSED in self.verbs:
                raise Cmi5Violation("9.3.0.0-3", f"{where}: failed after passed in this session")
            if self.au_passed:
                raise Cmi5Violation("9.3.0.0-8", f"{where}: the AU was already passed in this registration")


def check_preferences_write(content_type: str | None, body: bytes) -> None:
    """The document rules of §11 for an AU's write of ``cmi5LearnerPreferences`` (raises when broken)."""
    if not (content_type or "").lower().startswith("application/json"):
        raise Cmi5Violation("11.0.0.0-5", f"Content-Type is not application/json: {content_type}")
    try:
        document = parse_client_json(body, "the body")
    except ClientJsonError:
        raise Cmi5Violation("11.0.0.0-5", "the body is not JSON") from None
    if not isinstance(document, dict):
        raise Cmi5Violation("11.0.0.0-5", "the body is not a JSON object")
    for name in ("languagePreference", "audioPreference"):
        if name not in document:
            raise Cmi5Violation("11.0.0.0-5", f"'{name}' property missing")
    language = document["languagePreference"]
    if not isinstance(language, str) or not _LANGUAGES.fullmatch(language):
        raise Cmi5Violation("11.1.0.0-1", f"'languagePreference' value invalid: {language!r}")


def language_list_ok(value: str) -> bool:
    """Whether ``value`` is a comma-separated list of language tags (§11.1)."""
    return bool(_LANGUAGES.fullmatch(value))


def move_on_met(move_on: str, *, completed: bool, passed: bool) -> bool:
    """Whether an AU with this moveOn criterion is satisfied (§13.1.4; NotApplicable always is)."""
    if move_on == "Completed":
        return completed
    if move_on == "Passed":
        return passed
    if move_on == "CompletedAndPassed":
        return completed and passed
    if move_on == "CompletedOrPassed":
        return completed or passed
    return move_on == "NotApplicable"
