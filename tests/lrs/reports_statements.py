"""Statements shaped like our player's (cmi5 adapter), for the report tests, stored through the real store.

Each helper writes what ``player/adapters/cmi5.js``, ``core/lrs.js``,
``units/assessment.js``, ``units/evaluation.js`` and ``core/video.js`` send:
the AU as object of cmi5 statements, the AU as context parent of answers,
test results and video statements, the test as grouping of its answers,
learner context extensions under our profile's IRIs.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lrs.store.sql import SqlStore
from lrs.xapi.profile import iri
from lrs.xapi.statements import prepare
from lrs.xapi.versions import V1

BASE = "https://gsog.example.org/courses/gsog/"
M1 = BASE + "nl-police/m1"
M2 = BASE + "nl-police/m2"
PRE = BASE + "assessments/pre"
POST = BASE + "assessments/post"
EVALUATION = BASE + "evaluation"
CLIP = BASE + "videos/consent/nl"
VERB = "http://adlnet.gov/expapi/verbs/"
VIDEO = "https://w3id.org/xapi/video"
CMI5_CATEGORY = "https://w3id.org/xapi/cmi5/context/categories/cmi5"
AUTHORITY = {"objectType": "Agent", "account": {"homePage": "https://lrs.example.org", "name": "tests"}}
DAY = dt.date(2026, 3, 2)


def item(name: str) -> str:
    """The IRI of test item ``name``."""
    return BASE + "items/" + name


@dataclass
class Learner:
    """One pseudonymous learner and the statements they send (kept in order)."""

    name: str
    sector: str | None = "police"
    organisation: str | None = "org-a"
    region: str | None = "vlaanderen"
    language: str | None = "nl"
    level: str | None = "basic"
    package_version: str | None = "1.0.0"
    day: dt.date = DAY
    statements: list[dict[str, Any]] = field(default_factory=list)
    clock: int = 0

    @property
    def actor(self) -> dict[str, Any]:
        """An account agent: a pseudonymous id, never a name or e-mail address."""
        return {"objectType": "Agent", "account": {"homePage": "https://lms.example.org", "name": self.name}}

    @property
    def key(self) -> str:
        """The store's agent key of :attr:`actor`."""
        return f"account:https://lms.example.org|{self.name}"

    def _context(
        self,
        parent: str | None,
        grouping: Iterable[str] = (),
        extensions: Mapping[str, Any] | None = None,
        category: str | None = None,
    ) -> dict[str, Any]:
        ext: dict[str, Any] = {iri("course"): "gsog"}
        for name, value in (
            ("sector", self.sector),
            ("organisation", self.organisation),
            ("region", self.region),
            ("language", self.language),
            ("level", self.level),
            ("package-version", self.package_version),
        ):
            if value is not None:
                ext[iri(name)] = value
        ext.update(extensions or {})
        acts: dict[str, Any] = {}
        if parent:
            acts["parent"] = [{"objectType": "Activity", "id": parent}]
        if grouping:
            acts["grouping"] = [{"objectType": "Activity", "id": g} for g in grouping]
        if category:
            acts["category"] = [{"objectType": "Activity", "id": category}]
        ctx: dict[str, Any] = {"registration": str(uuid.uuid5(uuid.NAMESPACE_URL, self.name)), "extensions": ext}
        if acts:
            ctx["contextActivities"] = acts
        return ctx

    def say(
        self,
        verb: str,
        obj: dict[str, Any],
        context: dict[str, Any],
        *,
        day: dt.date | None = None,
        result: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Append a statement; its timestamp is ``day`` (default: the learner's day) plus a running second."""
        self.clock += 1
        when = dt.datetime.combine(day or self.day, dt.time(9), tzinfo=dt.UTC) + dt.timedelta(seconds=self.clock)
        statement: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "actor": self.actor,
            "verb": {"id": verb if verb.startswith("http") else VERB + verb, "display": {"en-US": verb}},
            "object": {"objectType": "Activity", **obj},
            "context": context,
            "timestamp": when.isoformat().replace("+00:00", "Z"),
        }
        if result is not None:
            statement["result"] = result
        self.statements.append(statement)
        return statement

    def au(
        self, verb: str, module: str = M1, *, day: dt.date | None = None, instructor: bool = False, **result: Any
    ) -> dict[str, Any]:
        """A cmi5-defined statement on the AU (launched, initialized, completed, passed, failed, terminated)."""
        context = self._context(None, category=CMI5_CATEGORY)
        if instructor:
            context["instructor"] = {
                "objectType": "Agent",
                "account": {"homePage": "https://lms.example.org", "name": "trainer-1"},
            }
        return self.say(verb, {"id": module}, context, day=day, result=result or None)

    def answer(
        self,
        test: str,
        role: str | None,
        name: str,
        *,
        right: bool,
        response: str,
        goals: Iterable[str] = (),
        attempt: int = 1,
        module: str = M1,
        day: dt.date | None = None,
    ) -> dict[str, Any]:
        """An answer to a choice item of a test (options a-d, a is right), as the assessment unit sends it."""
        ext: dict[str, Any] = {iri("attempt"): attempt}
        if role is not None:
            ext[iri("test-role")] = role
        goals = list(goals)
        if goals:
            ext[iri("learning-goals")] = goals
        definition = {
            "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
            "name": {"nl": name},
            "interactionType": "choice",
            "correctResponsesPattern": ["a"],
            "choices": [{"id": c, "description": {"nl": c}} for c in "abcd"],
        }
        return self.say(
            "answered",
            {"id": item(name), "definition": definition},
            self._context(module, [test], ext),
            day=day,
            result={"response": response, "success": right},
        )

    def test_result(self, test: str, role: str, *, passed: bool, attempt: int = 1, module: str = M1) -> dict[str, Any]:
        """The per-attempt passed/failed on the test activity (not the module)."""
        definition = {"type": "http://adlnet.gov/expapi/activities/assessment", "name": {"nl": "toets"}}
        ext = {iri("attempt"): attempt, iri("test-role"): role}
        return self.say(
            "passed" if passed else "failed",
            {"id": test, "definition": definition},
            self._context(module, (), ext),
            result={"success": passed},
        )

    def likert(self, question: str, value: int, *, when: str | None = None, module: str = M2) -> dict[str, Any]:
        """An evaluation-form likert answer (``when``: before/after for competence questions)."""
        definition = {"type": "http://adlnet.gov/expapi/activities/cmi.interaction", "interactionType": "likert"}
        target = f"{EVALUATION}/{question}" + (f"/{when}" if when else "")
        return self.say(
            "answered",
            {"id": target, "definition": definition},
            self._context(module, [EVALUATION]),
            result={"response": str(value)},
        )

    def open_answer(self, question: str, text: str, *, module: str = M2) -> dict[str, Any]:
        """An open evaluation answer: the reports must never read it."""
        definition = {"type": "http://adlnet.gov/expapi/activities/cmi.interaction", "interactionType": "long-fill-in"}
        return self.say(
            "answered",
            {"id": f"{EVALUATION}/{question}", "definition": definition},
            self._context(module, [EVALUATION]),
            result={"response": text},
        )

    def video(
        self, played: list[tuple[float, float]], *, length: float = 100.0, clip: str = CLIP, module: str = M1
    ) -> dict[str, Any]:
        """A video-profile ``paused`` with progress and played segments so far."""
        covered = sum(b - a for a, b in played)
        ext = {VIDEO + "/extensions/length": length, VIDEO + "/extensions/session-id": str(uuid.uuid4())}
        result = {
            "extensions": {
                VIDEO + "/extensions/progress": round(min(covered / length, 1.0), 3),
                VIDEO + "/extensions/played-segments": "[,]".join(f"{a}[.]{b}" for a, b in played),
                VIDEO + "/extensions/time": played[-1][1],
            }
        }
        definition = {"type": VIDEO + "/activity-type/video", "name": {"nl": "clip"}}
        return self.say(
            VIDEO + "/verbs/paused",
            {"id": clip, "definition": definition},
            self._context(module, (), ext, category=VIDEO),
            result=result,
        )


def voiding(statement: Mapping[str, Any]) -> dict[str, Any]:
    """A voiding statement for ``statement``, sent by an administrator (not the learner)."""
    return {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "account": {"homePage": "https://lrs.example.org", "name": "admin"}},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided", "display": {"en-US": "voided"}},
        "object": {"objectType": "StatementRef", "id": statement["id"]},
    }


def store_all(store: SqlStore, statements: Iterable[Mapping[str, Any]], batch: int = 50) -> None:
    """Send statements through the real store in batches, as the xAPI layer prepares them."""
    now = dt.datetime.now(dt.UTC)
    prepared = [prepare(s, api=V1, authority=AUTHORITY, stored=now) for s in statements]
    for start in range(0, len(prepared), batch):
        store.insert_statements(prepared[start : start + batch], [])
