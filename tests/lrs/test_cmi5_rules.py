"""The cmi5 AU rules the LRS enforces for the sessions it launches, and its LMS duties around them.

Every rule is shown twice: a statement (or request) that breaks it is
refused 403 with the requirement id first in the message, as ADL's CATAPULT
player answers, and the conforming request is accepted in the same session.
Runs on SQLite and PostgreSQL (the ``app`` fixture).
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import json
import threading
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from lrs.app import create_app
from lrs.config import LrsConfig

V1 = {"X-Experience-API-Version": "1.0.3"}
LAUNCHES = "/xapi/extensions/cmi5/launches"
STATEMENTS = "/xapi/statements"
STATE = "/xapi/activities/state"
PROFILE = "/xapi/agents/profile"
ACTOR = {"objectType": "Agent", "name": "Lies", "account": {"homePage": "https://lms.example.org", "name": "lp-42"}}
AU = "https://gsog.example.org/course/nl-police/m4/lms"
PUBLISHER = "https://gsog.example.org/au/m4"
OTHER_AU = "https://gsog.example.org/course/nl-police/m5/lms"
COURSE = "https://gsog.example.org/course/nl-police/lms"
COURSE_PUBLISHER = "https://gsog.example.org/course/nl-police"
TEST_ACTIVITY = "https://gsog.example.org/course/nl-police/post-test"
VIDEO = "https://gsog.example.org/media/clip-consent.nl.mp4"

ADL = "http://adlnet.gov/expapi/verbs/"
VIDEO_VERBS = "https://w3id.org/xapi/video/verbs/"
CMI5 = {"id": "https://w3id.org/xapi/cmi5/context/categories/cmi5"}
MOVEON = {"id": "https://w3id.org/xapi/cmi5/context/categories/moveon"}
EXT = "https://w3id.org/xapi/cmi5/context/extensions/"
SATISFIED = "https://w3id.org/xapi/adl/verbs/satisfied"
ABANDONED = "https://w3id.org/xapi/adl/verbs/abandoned"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def refused(response: Any, requirement: str) -> str:
    """Assert a 403 whose message starts with the requirement id, CATAPULT style; return the message."""
    body = response.get_json()
    assert response.status_code == 403, body
    message: str = body["error"]["message"]
    assert message.startswith(f"{requirement} - "), message
    return message


class Au:
    """One AU session launched through the launches endpoint, speaking to the LRS as an AU does."""

    def __init__(self, app: Any, client: Any, **launch: Any) -> None:
        body = {
            "actor": ACTOR,
            "activityId": AU,
            "publisherId": PUBLISHER,
            "moveOn": "CompletedAndPassed",
            "masteryScore": 0.8,
            **launch,
        }
        created = client.post(LAUNCHES, json=body)
        assert created.status_code == 201, created.get_json()
        self.launch: dict[str, Any] = created.get_json()
        self.http = app.test_client()
        token = self.http.post(urlsplit(self.launch["fetch"]).path).get_json()["auth-token"]
        self.headers = {**V1, "Authorization": f"Basic {token}"}
        self.registration: str = self.launch["registration"]
        self.session_id: str = self.launch["sessionId"]
        self.actor: dict[str, Any] = self.launch["actor"]

    # -- start-up reads -------------------------------------------------------------------
    def read_launch_data(self) -> dict[str, Any]:
        query = {
            "activityId": self.launch["activityId"],
            "agent": json.dumps(self.actor),
            "registration": self.registration,
            "stateId": "LMS.LaunchData",
        }
        response = self.http.get(STATE, query_string=query, headers=self.headers)
        assert response.status_code == 200, response.get_json()
        data: dict[str, Any] = response.get_json()
        return data

    def read_preferences(self) -> int:
        query = {"agent": json.dumps(self.actor), "profileId": "cmi5LearnerPreferences"}
        status: int = self.http.get(PROFILE, query_string=query, headers=self.headers).status_code
        assert status in (200, 404)
        return status

    def ready(self) -> Au:
        self.read_launch_data()
        self.read_preferences()
        return self

    def start(self) -> Au:
        self.ready()
        answer = self.post(self.defined("initialized"))
        assert answer.status_code == 200, answer.get_json()
        return self

    # -- statements ------------------------------------------------------------------------
    def context(self, *categories: dict[str, str], **extensions: Any) -> dict[str, Any]:
        context = copy.deepcopy(self.launch["launchData"]["contextTemplate"])
        context["registration"] = self.registration
        if categories:
            context.setdefault("contextActivities", {})["category"] = [dict(c) for c in categories]
        context["extensions"].update(extensions)
        return context

    def allowed(self, verb: str, target: str, **fields: Any) -> dict[str, Any]:
        """A cmi5 allowed statement: the context template, no cmi5 category."""
        verb_id = verb if "://" in verb else ADL + verb
        statement = {
            "id": str(uuid.uuid4()),
            "timestamp": _now(),
            "actor": self.actor,
            "verb": {"id": verb_id},
            "object": {"objectType": "Activity", "id": target},
            "context": self.context(),
        }
        statement.update(fields)
        return statement

    def defined(self, verb: str, result: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
        """A conforming cmi5 defined statement about the AU."""
        judging = verb in ("completed", "passed", "failed")
        statement = self.allowed(verb, self.launch["activityId"])
        extensions = {EXT + "masteryscore": 0.8} if verb in ("passed", "failed") else {}
        statement["context"] = self.context(CMI5, *([MOVEON] if judging else []), **extensions)
        default = {
            "completed": {"completion": True, "duration": "PT5M"},
            "passed": {"success": True, "score": {"scaled": 0.9}, "duration": "PT5M"},
            "failed": {"success": False, "score": {"scaled": 0.4}, "duration": "PT5M"},
            "terminated": {"duration": "PT10M"},
        }.get(verb)
        if result is not None:
            statement["result"] = result
        elif default is not None:
            statement["result"] = default
        statement.update(fields)
        return statement

    def post(self, *statements: dict[str, Any]) -> Any:
        body: Any = statements[0] if len(statements) == 1 else list(statements)
        return self.http.post(STATEMENTS, json=body, headers=self.headers)


def stored(client: Any, registration: str, verb: str | None = None) -> list[dict[str, Any]]:
    query = {"registration": registration, "ascending": "true", "limit": "0"}
    if verb:
        query["verb"] = verb
    answer = client.get(STATEMENTS, query_string=query, headers=V1)
    assert answer.status_code == 200
    statements: list[dict[str, Any]] = answer.get_json()["statements"]
    return statements


# --- a conforming session ----------------------------------------------------------------------


def test_conforming_session_is_accepted_and_satisfies_the_course(app: Any, client: Any) -> None:
    course = {
        "id": COURSE,
        "publisherId": COURSE_PUBLISHER,
        "aus": [
            {"activityId": AU, "moveOn": "CompletedAndPassed"},
            {"activityId": OTHER_AU, "moveOn": "NotApplicable"},
        ],
    }
    au = Au(app, client, course=course, languagePreference="nl-BE")
    assert au.read_launch_data()["launchMode"] == "Normal"
    assert au.read_preferences() == 200
    assert au.post(au.defined("initialized")).status_code == 200  # alone, as CATAPULT needs
    item = "https://gsog.example.org/course/nl-police/post-test/q1"
    video_context = au.context(**{"https://w3id.org/xapi/video/extensions/session-id": str(uuid.uuid4())})
    video_context["contextActivities"]["category"] = [{"id": "https://w3id.org/xapi/video"}]
    video = [
        au.allowed(verb, VIDEO, context=copy.deepcopy(video_context))
        for verb in (ADL + "initialized", VIDEO_VERBS + "played", VIDEO_VERBS + "paused", ADL + "completed")
    ]
    video_terminated = au.allowed(ADL + "terminated", VIDEO, context=copy.deepcopy(video_context))
    batch = [
        au.allowed("answered", item, result={"success": True, "response": "b"}),
        au.allowed("failed", TEST_ACTIVITY, result={"success": False, "score": {"scaled": 0.5}}),
        *video,
        video_terminated,  # a video's terminated does not end the AU session
        au.defined("completed"),
        au.allowed("passed", TEST_ACTIVITY, result={"success": True, "score": {"scaled": 0.9}}),
        au.defined("passed"),
    ]
    answer = au.post(*batch)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json() == [s["id"] for s in batch]
    assert au.post(au.allowed("experienced", item)).status_code == 200
    assert not stored(client, au.registration, ABANDONED)
    satisfied = stored(client, au.registration, SATISFIED)
    assert len(satisfied) == 1
    statement = satisfied[0]
    assert statement["object"]["id"] == COURSE
    assert statement["object"]["definition"]["type"] == "https://w3id.org/xapi/cmi5/activitytype/course"
    assert statement["context"]["registration"] == au.registration
    assert statement["context"]["extensions"][EXT + "sessionid"] == au.session_id
    assert statement["context"]["contextActivities"]["category"] == [CMI5]
    assert statement["context"]["contextActivities"]["grouping"][0]["id"] == COURSE_PUBLISHER
    assert au.post(au.defined("terminated")).status_code == 200
    verbs = [s["verb"]["id"] for s in stored(client, au.registration)]
    assert verbs[0] == ADL + "launched" and verbs[-1] == ADL + "terminated"
    assert len(verbs) == 1 + 1 + len(batch) + 1 + 1 + 1  # launched, initialized, batch, experienced, satisfied, end


def test_satisfied_waits_for_every_au_of_the_course(app: Any, client: Any) -> None:
    course = {
        "id": COURSE,
        "aus": [{"activityId": AU, "moveOn": "Completed"}, {"activityId": OTHER_AU, "moveOn": "Passed"}],
    }
    first = Au(app, client, moveOn="Completed", course=course).start()
    assert first.post(first.defined("completed"), first.defined("terminated")).status_code == 200
    assert not stored(client, first.registration, SATISFIED)
    second = Au(app, client, activityId=OTHER_AU, moveOn="Passed", course=course, registration=first.registration)
    second.start()
    assert second.post(second.defined("failed")).status_code == 200
    assert not stored(client, first.registration, SATISFIED)
    assert second.post(second.defined("terminated")).status_code == 200
    third = Au(app, client, activityId=OTHER_AU, moveOn="Passed", course=course, registration=first.registration)
    assert third.start().post(third.defined("passed")).status_code == 200
    satisfied = stored(client, first.registration, SATISFIED)
    assert [s["context"]["extensions"][EXT + "sessionid"] for s in satisfied] == [third.session_id]
    assert "grouping" not in satisfied[0]["context"]["contextActivities"]  # no publisher id given


def test_course_of_not_applicable_aus_is_satisfied_at_registration(app: Any, client: Any) -> None:
    course = {"id": COURSE, "aus": [{"activityId": AU, "moveOn": "NotApplicable"}]}
    au = Au(app, client, moveOn="NotApplicable", course=course)
    satisfied = stored(client, au.registration, SATISFIED)
    assert len(satisfied) == 1
    assert satisfied[0]["context"]["extensions"][EXT + "sessionid"] != au.session_id  # outside any AU session
    Au(app, client, moveOn="NotApplicable", course=course, registration=au.registration)
    assert len(stored(client, au.registration, SATISFIED)) == 1  # once per registration


# --- start-up -------------------------------------------------------------------------------------


def test_learner_preferences_must_be_read_first(app: Any, client: Any) -> None:
    au = Au(app, client)
    au.read_launch_data()
    message = refused(au.post(au.defined("initialized")), "11.0.0.0-3")
    assert "Learner Prefs not yet retrieved" in message and "statement " in message
    assert au.read_preferences() == 404  # none written: a 404 counts as retrieved
    assert au.post(au.defined("initialized")).status_code == 200


def test_launch_data_must_be_read_first(app: Any, client: Any) -> None:
    au = Au(app, client)
    au.read_preferences()
    refused(au.post(au.defined("initialized")), "10.2.1.0-4")
    au.read_launch_data()
    assert au.post(au.defined("initialized")).status_code == 200


def test_first_statement_is_the_cmi5_initialized(app: Any, client: Any) -> None:
    au = Au(app, client).ready()
    message = refused(au.post(au.allowed("answered", TEST_ACTIVITY)), "9.3.0.0-4")
    assert "cmi5 allowed" in message
    refused(au.post(au.allowed("initialized", VIDEO)), "9.3.0.0-4")  # a video's initialized is not the AU's
    refused(au.post(au.defined("completed")), "9.3.0.0-4")
    batch = au.post(au.allowed("answered", TEST_ACTIVITY), au.defined("initialized"))
    assert "statements[0]" in refused(batch, "9.3.0.0-4")
    assert au.post(au.defined("initialized"), au.allowed("answered", TEST_ACTIVITY)).status_code == 200


def test_nothing_after_terminated(app: Any, client: Any) -> None:
    au = Au(app, client).start()
    late = au.allowed("answered", TEST_ACTIVITY)
    message = refused(au.post(au.defined("terminated"), late), "9.3.0.0-5")
    assert f"statements[1] {late['id']}" in message
    terminated = au.defined("terminated")
    assert au.post(terminated).status_code == 200
    refused(au.post(late), "9.3.0.0-5")
    refused(au.post(au.defined("terminated")), "9.3.0.0-5")
    assert au.post(terminated).status_code == 200  # the same statement again: a retry, no error
    query = {"activityId": AU, "agent": json.dumps(ACTOR), "registration": au.registration, "stateId": "s"}
    message = refused(au.http.get(STATE, query_string=query, headers=au.headers), "8.1.2.0-2")
    assert "Session terminated" in message


def test_the_last_state_may_arrive_just_after_terminated(app: Any, client: Any) -> None:
    """A closing page sends its state and terminated in parallel: the state write is still taken."""
    au = Au(app, client).start()
    assert au.post(au.defined("terminated")).status_code == 200
    query = {"activityId": AU, "agent": json.dumps(ACTOR), "registration": au.registration, "stateId": "s"}
    assert au.http.put(STATE, query_string=query, json={"at": "the end"}, headers=au.headers).status_code == 204
    # nothing else is: no read, no statement, and LMS.LaunchData stays the LMS's
    refused(au.http.get(STATE, query_string=query, headers=au.headers), "8.1.2.0-2")
    refused(au.post(au.allowed("answered", TEST_ACTIVITY)), "9.3.0.0-5")
    launch_data = {**query, "stateId": "LMS.LaunchData"}
    assert au.http.put(STATE, query_string=launch_data, json={}, headers=au.headers).status_code == 403


def test_a_batch_is_refused_whole_naming_the_statement(app: Any, client: Any) -> None:
    au = Au(app, client).ready()
    bad = au.defined("completed", result={"completion": True})
    answer = au.post(au.defined("initialized"), au.allowed("answered", TEST_ACTIVITY), bad)
    message = refused(answer, "9.5.4.1-2")
    assert f"statements[2] {bad['id']}" in message and "duration" in message
    assert [s["verb"]["id"] for s in stored(client, au.registration)] == [ADL + "launched"]


def test_retried_statements_are_not_counted_twice(app: Any, client: Any) -> None:
    au = Au(app, client).ready()
    initialized, completed = au.defined("initialized"), au.defined("completed")
    assert au.post(initialized).status_code == 200
    assert au.post(initialized).status_code == 200
    assert au.post(initialized, completed).status_code == 200
    assert au.post(completed).status_code == 200
    refused(au.post(au.defined("initialized")), "9.3.0.0-2")
    refused(au.post(au.defined("completed")), "9.3.0.0-2")
    assert len(stored(client, au.registration, ADL + "completed")) == 1


# --- rules on every statement -------------------------------------------------------------------

Mutation = Callable[[Au, dict[str, Any]], None]


def _drop(*path: str) -> Mutation:
    def change(_au: Au, statement: dict[str, Any]) -> None:
        holder = statement
        for key in path[:-1]:
            holder = holder[key]
        del holder[path[-1]]

    return change


def _set(value: Any, *path: str) -> Mutation:
    def change(_au: Au, statement: dict[str, Any]) -> None:
        holder = statement
        for key in path[:-1]:
            holder = holder[key]
        holder[path[-1]] = value

    return change


def _other_grouping_first(_au: Au, statement: dict[str, Any]) -> None:
    grouping = statement["context"]["contextActivities"]["grouping"]
    grouping.insert(0, {"objectType": "Activity", "id": "https://gsog.example.org/other"})


def _add_moveon(_au: Au, statement: dict[str, Any]) -> None:
    statement["context"]["contextActivities"].setdefault("category", []).append(MOVEON)


def _group_actor(au: Au, statement: dict[str, Any]) -> None:
    statement["actor"] = {"objectType": "Group", "account": au.actor["account"]}


COMMON_RULES = [
    ("9.1.0.0-1", _drop("id")),
    ("9.7.0.0-1", _drop("timestamp")),
    ("9.7.0.0-2", _set("2026-05-04T12:00:00+02:00", "timestamp")),
    ("8.1.3.0-3", _set({"objectType": "Agent", "mbox": "mailto:other@example.org"}, "actor")),
    ("9.6.0.0-1", _drop("context")),
    ("9.6.1.0-1", _drop("context", "registration")),
    ("9.6.1.0-1", _set(str(uuid.uuid4()), "context", "registration")),
    ("9.6.3.1-4", _drop("context", "extensions", EXT + "sessionid")),
    ("10.2.1.0-6", _set(str(uuid.uuid4()), "context", "extensions", EXT + "sessionid")),
    ("10.2.1.0-6", _drop("context", "contextActivities", "grouping")),
    ("10.2.1.0-6", _other_grouping_first),
    ("9.6.2.2-2", _add_moveon),
]


@pytest.mark.parametrize(("requirement", "mutate"), COMMON_RULES)
@pytest.mark.parametrize("kind", ["defined", "allowed"])
def test_rules_of_every_statement(app: Any, client: Any, requirement: str, mutate: Mutation, kind: str) -> None:
    au = Au(app, client).start()

    def make() -> dict[str, Any]:
        return au.defined("terminated") if kind == "defined" else au.allowed("answered", TEST_ACTIVITY)

    bad = make()
    mutate(au, bad)
    refused(au.post(bad), requirement)
    assert au.post(make()).status_code == 200


def test_voiding_is_refused(app: Any, client: Any) -> None:
    au = Au(app, client).start()
    voiding = au.allowed("voided", "x", object={"objectType": "StatementRef", "id": str(uuid.uuid4())})
    refused(au.post(voiding), "6.3.0.0-1")


def test_single_activity_context_lists_count_as_lists(app: Any, client: Any) -> None:
    au = Au(app, client).start()
    statement = au.allowed("answered", TEST_ACTIVITY)
    statement["context"]["contextActivities"]["grouping"] = statement["context"]["contextActivities"]["grouping"][0]
    assert au.post(statement).status_code == 200


# --- a session speaks only for its own learner, registration and AU (issue #10 item 3) ------------------

VICTIM = {"objectType": "Agent", "name": "Victim", "mbox": "mailto:victim@example.org"}


def _learner_group_with_victim(au: Au, statement: dict[str, Any]) -> None:
    statement["actor"] = {"objectType": "Group", "account": au.actor["account"], "member": [VICTIM]}


def _learner_as_identified_group(au: Au, statement: dict[str, Any]) -> None:
    statement["actor"] = {"objectType": "Group", "account": au.actor["account"]}


def _victim_as_object(_au: Au, statement: dict[str, Any]) -> None:
    statement["object"] = dict(VICTIM)


def _victim_as_instructor(_au: Au, statement: dict[str, Any]) -> None:
    statement["context"]["instructor"] = dict(VICTIM)


def _victim_in_team(au: Au, statement: dict[str, Any]) -> None:
    statement["context"]["team"] = {"objectType": "Group", "member": [dict(au.actor), VICTIM]}


def _victim_in_sub_statement(au: Au, statement: dict[str, Any]) -> None:
    statement["object"] = {
        "objectType": "SubStatement",
        "actor": dict(VICTIM),
        "verb": {"id": ADL + "passed"},
        "object": {"objectType": "Activity", "id": TEST_ACTIVITY},
    }


FORGERIES = [
    _learner_group_with_victim,
    _learner_as_identified_group,
    _victim_as_object,
    _victim_as_instructor,
    _victim_in_team,
    _victim_in_sub_statement,
]


def _victim_statements(client: Any) -> list[dict[str, Any]]:
    query = {"agent": json.dumps(VICTIM), "related_agents": "true", "limit": "0"}
    answer = client.get(STATEMENTS, query_string=query, headers=V1)
    assert answer.status_code == 200, answer.get_json()
    found: list[dict[str, Any]] = answer.get_json()["statements"]
    return found


@pytest.mark.parametrize("forge", FORGERIES, ids=lambda f: f.__name__.strip("_"))
def test_a_session_cannot_record_statements_under_another_learner(app: Any, client: Any, forge: Mutation) -> None:
    """Whatever the statement names, it cannot appear under another learner's agent queries."""
    au = Au(app, client).start()
    forged = au.allowed("passed", TEST_ACTIVITY, result={"success": True})
    forge(au, forged)
    refused(au.post(forged), "8.1.3.0-3")
    batch = [au.allowed("experienced", TEST_ACTIVITY), forged]
    refused(au.post(*batch), "8.1.3.0-3")  # nothing of a batch is stored
    assert _victim_statements(client) == []
    assert au.post(au.allowed("passed", TEST_ACTIVITY, result={"success": True})).status_code == 200


def test_a_session_cannot_send_statements_of_another_au_or_registration(app: Any, client: Any) -> None:
    course = {"id": COURSE, "aus": [{"activityId": AU, "moveOn": "Completed"}, {"activityId": OTHER_AU}]}
    au = Au(app, client, course=course).start()
    other = Au(app, client, activityId=OTHER_AU, registration=str(uuid.uuid4())).start()  # another enrollment

    about_other_au = au.allowed("passed", OTHER_AU, result={"success": True})
    assert "another AU or the course" in au.post(about_other_au).get_json()["error"]["message"]
    assert au.post(about_other_au).status_code == 403
    about_course = au.allowed("completed", COURSE)
    assert au.post(about_course).status_code == 403
    under_other_au = au.allowed("answered", TEST_ACTIVITY)
    under_other_au["context"]["contextActivities"]["parent"] = [{"objectType": "Activity", "id": OTHER_AU}]
    assert au.post(under_other_au).status_code == 403
    other_registration = au.allowed("answered", TEST_ACTIVITY)
    other_registration["context"]["registration"] = other.registration
    refused(au.post(other_registration), "9.6.1.0-1")
    other_session = au.allowed("answered", TEST_ACTIVITY)
    other_session["context"]["extensions"][EXT + "sessionid"] = other.session_id
    refused(au.post(other_session), "10.2.1.0-6")

    about_au = {"activity": OTHER_AU, "related_activities": "true", "registration": au.registration}
    assert client.get(STATEMENTS, query_string=about_au, headers=V1).get_json()["statements"] == []
    assert stored(client, other.registration, ADL + "answered") == []
    assert au.post(au.allowed("answered", TEST_ACTIVITY)).status_code == 200  # its own AU: fine


def test_another_au_launched_in_the_registration_is_foreign_without_a_course(app: Any, client: Any) -> None:
    first = Au(app, client, activityId=OTHER_AU).start()
    first.post(first.defined("terminated"))
    au = Au(app, client, registration=first.registration).start()
    assert au.post(au.allowed("passed", OTHER_AU, result={"success": True})).status_code == 403
    assert au.post(au.allowed("passed", TEST_ACTIVITY, result={"success": True})).status_code == 200


# --- rules of cmi5 defined statements ----------------------------------------------------------------


def _result(value: Any) -> Mutation:
    return _set(value, "result")


DEFINED_RULES: list[tuple[str, str, Mutation]] = [
    ("9.3.0.0-1", "terminated", _set({"id": ADL + "launched"}, "verb")),
    ("9.3.0.0-1", "terminated", _set({"id": ADL + "experienced"}, "verb")),
    ("9.2.0.0-2", "completed", _group_actor),
    ("9.4.0.0-1", "completed", _set({"objectType": "Agent", "mbox": "mailto:x@example.org"}, "object")),
    ("8.1.5.0-6", "completed", _set(PUBLISHER, "object", "id")),
    ("9.5.3.0-1", "completed", _drop("result")),
    ("9.5.3.0-1", "completed", _result({"completion": False, "duration": "PT1M"})),
    ("9.5.2.0-1", "passed", _drop("result")),
    ("9.5.2.0-1", "passed", _result({"success": False, "duration": "PT1M"})),
    ("9.5.2.0-2", "failed", _drop("result")),
    ("9.5.2.0-2", "failed", _result({"success": True, "duration": "PT1M"})),
    ("9.5.4.1-1", "terminated", _drop("result")),
    ("9.5.4.1-1", "terminated", _result({})),
    ("9.5.3.0-2", "terminated", _result({"completion": True, "duration": "PT1M"})),
    ("9.5.2.0-3", "completed", _result({"completion": True, "success": True, "duration": "PT1M"})),
    ("9.6.2.2-1", "completed", _set([CMI5], "context", "contextActivities", "category")),
    ("9.6.2.2-2", "terminated", _add_moveon),
    ("9.5.1.0-2", "terminated", _result({"score": {"scaled": 1}, "duration": "PT1M"})),
    ("9.5.1.0-3", "passed", _result({"success": True, "score": {"raw": 9, "max": 10}, "duration": "PT1M"})),
    ("9.6.3.2-2", "passed", _drop("context", "extensions", EXT + "masteryscore")),
    ("9.6.3.2-2", "failed", _set(0.5, "context", "extensions", EXT + "masteryscore")),
    ("9.5.4.1-2", "completed", _result({"completion": True})),
    ("9.5.4.1-3", "passed", _result({"success": True})),
    ("9.5.4.1-4", "failed", _result({"success": False})),
    ("9.3.4.0-2", "passed", _set({"scaled": 0.79}, "result", "score")),
    ("9.3.5.0-2", "failed", _set({"scaled": 0.8}, "result", "score")),
]


@pytest.mark.parametrize(("requirement", "verb", "mutate"), DEFINED_RULES)
def test_rules_of_cmi5_defined_statements(app: Any, client: Any, requirement: str, verb: str, mutate: Mutation) -> None:
    au = Au(app, client).start()
    bad = au.defined(verb)
    mutate(au, bad)
    refused(au.post(bad), requirement)
    assert au.post(au.defined(verb)).status_code == 200


def test_judgements_without_a_score_need_no_mastery_extension(app: Any, client: Any) -> None:
    au = Au(app, client).start()
    passed = au.defined("passed", result={"success": True, "duration": "PT1M"})
    del passed["context"]["extensions"][EXT + "masteryscore"]
    assert au.post(passed).status_code == 200


def test_cmi5_defined_actor_needs_an_account(app: Any, client: Any) -> None:
    au = Au(app, client, actor={"objectType": "Agent", "mbox": "mailto:lies@example.org"}).ready()
    refused(au.post(au.defined("initialized")), "9.2.0.0-3")
    assert Au(app, client).start()  # the same AU with an account actor is fine


@pytest.mark.parametrize(("mode", "requirement"), [("Browse", "10.2.2.0-2"), ("Review", "10.2.2.0-3")])
def test_browse_and_review_record_no_satisfaction(app: Any, client: Any, mode: str, requirement: str) -> None:
    au = Au(app, client, launchMode=mode).start()
    for verb in ("completed", "passed", "failed"):
        refused(au.post(au.defined(verb)), requirement)
    answer = au.post(
        au.allowed("answered", TEST_ACTIVITY),
        au.allowed("passed", TEST_ACTIVITY, result={"success": True}),
        au.defined("terminated"),
    )
    assert answer.status_code == 200


# --- verb order per session and per registration -------------------------------------------------------


def test_verbs_once_per_session(app: Any, client: Any) -> None:
    au = Au(app, client).start()
    refused(au.post(au.defined("initialized")), "9.3.0.0-2")
    assert au.post(au.defined("failed")).status_code == 200
    refused(au.post(au.defined("failed")), "9.3.0.0-2")
    refused(au.post(au.defined("passed")), "9.3.0.0-3")
    assert au.post(au.defined("completed")).status_code == 200
    refused(au.post(au.defined("completed")), "9.3.0.0-2")


def test_failed_then_passed_in_one_batch_is_refused(app: Any, client: Any) -> None:
    au = Au(app, client).start()
    message = refused(au.post(au.defined("passed"), au.defined("failed")), "9.3.0.0-3")
    assert "statements[1]" in message


def test_completed_and_passed_once_per_registration(app: Any, client: Any) -> None:
    first = Au(app, client).start()
    assert (
        first.post(first.defined("completed"), first.defined("passed"), first.defined("terminated")).status_code == 200
    )
    again = Au(app, client, registration=first.registration).start()
    refused(again.post(again.defined("completed")), "9.3.0.0-6")
    refused(again.post(again.defined("passed")), "9.3.0.0-7")
    refused(again.post(again.defined("failed")), "9.3.0.0-8")
    assert again.post(again.defined("terminated")).status_code == 200
    other = Au(app, client, registration=str(uuid.uuid4())).start()  # a new enrollment starts afresh
    assert other.post(other.defined("completed"), other.defined("passed")).status_code == 200


def test_a_failed_session_may_be_followed_by_a_passed_one(app: Any, client: Any) -> None:
    first = Au(app, client).start()
    assert first.post(first.defined("failed"), first.defined("terminated")).status_code == 200
    second = Au(app, client, registration=first.registration).start()
    assert second.post(second.defined("failed")).status_code == 200
    assert second.post(second.defined("terminated")).status_code == 200
    third = Au(app, client, registration=first.registration).start()
    assert third.post(third.defined("passed")).status_code == 200


def test_concurrent_completed_statements_store_one(app: Any, client: Any) -> None:
    au = Au(app, client).start()
    statements = [au.defined("completed") for _ in range(6)]
    codes: list[int] = []

    def send(statement: dict[str, Any]) -> None:
        codes.append(app.test_client().post(STATEMENTS, json=statement, headers=au.headers).status_code)

    threads = [threading.Thread(target=send, args=(s,)) for s in statements]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(codes) == [200] + [403] * 5
    assert len(stored(client, au.registration, ADL + "completed")) == 1


# --- abandoned sessions ------------------------------------------------------------------------------


def test_a_new_launch_abandons_the_open_session(app: Any, client: Any) -> None:
    first = Au(app, client).start()
    assert first.post(first.allowed("answered", TEST_ACTIVITY)).status_code == 200
    second = Au(app, client, activityId=OTHER_AU, registration=first.registration)
    abandoned = stored(client, first.registration, ABANDONED)
    assert len(abandoned) == 1
    statement = abandoned[0]
    assert statement["object"]["id"] == AU
    assert statement["context"]["extensions"][EXT + "sessionid"] == first.session_id
    assert statement["context"]["contextActivities"]["category"] == [CMI5]
    assert statement["context"]["contextActivities"]["grouping"][0]["id"] == PUBLISHER
    assert statement["result"]["duration"].startswith("PT")
    refused(first.post(first.allowed("answered", TEST_ACTIVITY)), "9.3.6.0-2")
    query = {"activityId": AU, "agent": json.dumps(ACTOR), "registration": first.registration, "stateId": "s"}
    assert "Session abandoned" in refused(first.http.get(STATE, query_string=query, headers=first.headers), "8.1.2.0-2")
    assert second.start().post(second.defined("terminated")).status_code == 200
    Au(app, client, registration=first.registration)  # nothing open: nothing abandoned
    Au(app, client, registration=str(uuid.uuid4()))  # another registration: not this one's business
    assert len(stored(client, first.registration, ABANDONED)) == 1 + 0


def test_a_launch_never_started_is_abandoned_with_zero_duration(app: Any, client: Any) -> None:
    first = Au(app, client)
    Au(app, client, registration=first.registration)
    (abandoned,) = stored(client, first.registration, ABANDONED)
    assert abandoned["result"]["duration"] == "PT0S"


def test_registration_belongs_to_one_learner(client: Any) -> None:
    registration = str(uuid.uuid4())
    assert (
        client.post(LAUNCHES, json={"actor": ACTOR, "activityId": AU, "registration": registration}).status_code == 201
    )
    other = {"objectType": "Agent", "account": {"homePage": "https://lms.example.org", "name": "someone"}}
    answer = client.post(LAUNCHES, json={"actor": other, "activityId": AU, "registration": registration})
    assert answer.status_code == 400 and "registration" in answer.get_json()["error"]["message"]


# --- documents ------------------------------------------------------------------------------------


def test_document_rules_name_the_requirement(app: Any, client: Any) -> None:
    au = Au(app, client)
    query = {"activityId": AU, "agent": json.dumps(ACTOR), "registration": au.registration, "stateId": "LMS.LaunchData"}
    refused(au.http.put(STATE, query_string=query, json={"launchMode": "Normal"}, headers=au.headers), "10.2.1.0-5")
    refused(
        au.http.get(STATE, query_string={**query, "registration": str(uuid.uuid4())}, headers=au.headers), "8.1.4.0-3"
    )
    stranger = json.dumps({"mbox": "mailto:other@example.org"})
    refused(au.http.get(STATE, query_string={**query, "agent": stranger}, headers=au.headers), "8.1.3.0-3")
    prefs = {"agent": stranger, "profileId": "cmi5LearnerPreferences"}
    refused(au.http.get(PROFILE, query_string=prefs, headers=au.headers), "11.0.0.0-1")
    assert au.read_launch_data()["contextTemplate"]["extensions"][EXT + "sessionid"] == au.session_id


# --- clients that are not launch sessions -------------------------------------------------------------


def test_ordinary_clients_are_not_bound_by_the_au_rules(app: Any, client: Any) -> None:
    au = Au(app, client)
    loose = {
        "actor": ACTOR,
        "verb": {"id": ADL + "completed"},
        "object": {"objectType": "Activity", "id": AU},
        "context": {"registration": au.registration, "contextActivities": {"category": [CMI5]}},
    }
    assert client.post(STATEMENTS, json=[loose, dict(loose), dict(loose)], headers=V1).status_code == 200
    assert (
        client.post(
            STATEMENTS,
            json={
                **loose,
                "verb": {"id": ADL + "voided"},
                "object": {"objectType": "StatementRef", "id": stored(client, au.registration)[0]["id"]},
            },
            headers=V1,
        ).status_code
        == 200
    )
    # and a launch session's own rules are not disturbed by them
    au.start()
    assert au.post(au.defined("completed")).status_code == 200


# --- the package preview ----------------------------------------------------------------------------------

STRUCTURE = """<?xml version="1.0" encoding="UTF-8"?>
<courseStructure xmlns="https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd">
  <course id="https://example.org/c"><title><langstring lang="fr">C</langstring></title>
    <description><langstring lang="fr">C</langstring></description></course>
  <au id="https://example.org/c/au1" moveOn="Completed"><title><langstring lang="fr">Un</langstring></title>
    <description><langstring lang="fr">D</langstring></description><url>index.html?module=m1</url></au>
  <au id="https://example.org/c/au2" moveOn="NotApplicable"><title><langstring lang="fr">Deux</langstring></title>
    <description><langstring lang="fr">D</langstring></description><url>index.html?module=m2</url></au>
</courseStructure>
"""


@pytest.fixture
def preview(tmp_path: Path, store_url: str) -> Any:
    folder = tmp_path / "exports"
    folder.mkdir()
    with zipfile.ZipFile(folder / "demo-cmi5.zip", "w") as archive:
        archive.writestr("cmi5.xml", STRUCTURE)
        archive.writestr("index.html", "<!doctype html><title>AU</title>")
    return create_app(LrsConfig(database_url=store_url, preview_dir=str(folder)))


def _open(browser: Any, number: int, **query: str) -> dict[str, str]:
    answer = browser.post(f"/preview/demo-cmi5.zip/au/{number}", query_string=query)
    assert answer.status_code == 303
    return {k: v[0] for k, v in parse_qs(urlsplit(answer.headers["Location"]).query).items()}


def _session(app: Any, parameters: dict[str, str]) -> dict[str, str]:
    token = app.test_client().post(urlsplit(parameters["fetch"]).path).get_json()["auth-token"]
    return {**V1, "Authorization": f"Basic {token}"}


def test_preview_keeps_one_registration_per_learner_and_package(preview: Any) -> None:
    browser = preview.test_client()
    first, second, again = _open(browser, 0), _open(browser, 1), _open(browser, 0)
    assert first["registration"] == second["registration"] == again["registration"]
    assert first["activityId"] == "https://example.org/c/au1/lms-preview"
    assert browser.post("/preview/demo-cmi5.zip/restart").status_code == 303
    assert _open(browser, 0)["registration"] != first["registration"]
    assert b"Start over" in browser.get("/preview/").data


def test_preview_launch_mode_language_and_satisfaction(preview: Any) -> None:
    browser = preview.test_client()
    params = _open(browser, 0)
    headers = _session(preview, params)
    au = preview.test_client()
    state = {
        "activityId": params["activityId"],
        "agent": params["actor"],
        "registration": params["registration"],
        "stateId": "LMS.LaunchData",
    }
    data = au.get(STATE, query_string=state, headers=headers).get_json()
    assert data["launchMode"] == "Normal" and data["moveOn"] == "Completed"
    prefs = au.get(
        PROFILE, query_string={"agent": params["actor"], "profileId": "cmi5LearnerPreferences"}, headers=headers
    )
    assert prefs.get_json() == {"languagePreference": "fr"}
    context = copy.deepcopy(data["contextTemplate"])
    context["registration"] = params["registration"]
    context["contextActivities"]["category"] = [CMI5]
    actor = json.loads(params["actor"])

    def statement(verb: str, result: dict[str, Any] | None = None, moveon: bool = False) -> dict[str, Any]:
        ctx = copy.deepcopy(context)
        if moveon:
            ctx["contextActivities"]["category"].append(MOVEON)
        body = {
            "id": str(uuid.uuid4()),
            "timestamp": _now(),
            "actor": actor,
            "verb": {"id": ADL + verb},
            "object": {"objectType": "Activity", "id": params["activityId"]},
            "context": ctx,
        }
        if result:
            body["result"] = result
        return body

    batch = [
        statement("initialized"),
        statement("completed", {"completion": True, "duration": "PT1M"}, moveon=True),
        statement("terminated", {"duration": "PT2M"}),
    ]
    assert au.post(STATEMENTS, json=batch[:1], headers=headers).status_code == 200
    assert au.post(STATEMENTS, json=batch[1:], headers=headers).status_code == 200
    query = {"registration": params["registration"], "verb": SATISFIED}
    lrs = preview.test_client()
    lrs_store = preview.extensions["lrs_store"]
    from lrs.auth import add_client

    key, secret = add_client(lrs_store, "reader", ["all/read"])
    reader = {**V1, "Authorization": "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()}
    satisfied = lrs.get(STATEMENTS, query_string=query, headers=reader).get_json()["statements"]
    assert [s["object"]["id"] for s in satisfied] == ["https://example.org/c/lms-preview"]
    # satisfied AUs open in Review (AU 2 is NotApplicable: satisfied from the start), as CATAPULT does
    for number in (0, 1):
        relaunch = _open(browser, number)
        state = {**state, "activityId": relaunch["activityId"]}
        got = au.get(STATE, query_string=state, headers=_session(preview, relaunch)).get_json()
        assert got["launchMode"] == "Review"
    forced = _open(browser, 0, launchMode="Normal")
    got = au.get(STATE, query_string={**state, "activityId": forced["activityId"]}, headers=_session(preview, forced))
    assert got.get_json()["launchMode"] == "Normal"
    assert browser.post("/preview/demo-cmi5.zip/au/0", query_string={"launchMode": "Bogus"}).status_code == 400


def test_the_preview_learner_can_only_write_its_own_results(preview: Any) -> None:
    """/preview launches without credentials: the learner it makes may still only write its own AU's results."""
    browser = preview.test_client()
    params = _open(browser, 0)
    headers = _session(preview, params)
    au = preview.test_client()
    state = {**{k: params[k] for k in ("activityId", "registration")}, "agent": params["actor"]}
    data = au.get(STATE, query_string={**state, "stateId": "LMS.LaunchData"}, headers=headers).get_json()
    au.get(PROFILE, query_string={"agent": params["actor"], "profileId": "cmi5LearnerPreferences"}, headers=headers)
    actor = json.loads(params["actor"])

    def statement(verb: str, target: str, *categories: dict[str, str]) -> dict[str, Any]:
        context = copy.deepcopy(data["contextTemplate"])
        context["registration"] = params["registration"]
        if categories:
            context["contextActivities"]["category"] = list(categories)
        return {
            "id": str(uuid.uuid4()),
            "timestamp": _now(),
            "actor": actor,
            "verb": {"id": ADL + verb},
            "object": {"objectType": "Activity", "id": target},
            "context": context,
        }

    assert (
        au.post(STATEMENTS, json=statement("initialized", params["activityId"], CMI5), headers=headers).status_code
        == 200
    )
    other_au = "https://example.org/c/au2/lms-preview"
    assert au.post(STATEMENTS, json=statement("passed", other_au), headers=headers).status_code == 403
    forged = statement("passed", "https://example.org/c/au1/test")
    forged["actor"] = {"objectType": "Group", "account": actor["account"], "member": [VICTIM]}
    refused(au.post(STATEMENTS, json=forged, headers=headers), "8.1.3.0-3")
    elsewhere = statement("passed", "https://example.org/c/au1/test")
    elsewhere["context"]["registration"] = str(uuid.uuid4())
    refused(au.post(STATEMENTS, json=elsewhere, headers=headers), "9.6.1.0-1")
    assert (
        au.post(STATEMENTS, json=statement("answered", "https://example.org/c/au1/test"), headers=headers).status_code
        == 200
    )
