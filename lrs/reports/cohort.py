"""A seeded synthetic cohort with known answers: what proves the reports right, and what loads the benchmark.

Why synthetic: the reports (issue #9) must be exact, and exactness can only
be checked against a truth known independently of the SQL that computes
them. So :func:`generate` draws learners (sector, organisation, region,
language, level, role, period) and what each one did (modules launched and
completed, pre-test and post-test answers per attempt, the evaluation form,
clips watched, where they dropped out), keeps that as plain Python
(:class:`Truth`), and writes the statements a real cmi5 player would have
sent for it. The test suite proves the statements have the player's shape
(tests/player/test_cohort_shape.py) and that every report equals what plain
Python computes over the truth (tests/lrs/test_reports_cohort.py).

What the course is comes from the real course source (``course_src/``,
read with :mod:`builder.model` via the builder's loader): its modules, the
item bank with each item's learning goals and right answer, the two tests,
the evaluation form and the clips. Nothing here is personal data: actors
are pseudonymous LMS accounts (``learner-00042``), with no name.

The same seed gives the same cohort, statement ids included.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import random
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Final

from lrs.xapi import spec
from lrs.xapi.agents import agent_key
from lrs.xapi.profile import iri
from lrs.xapi.validate import VOIDED_VERB as VOIDED

#: The real course's source, next to the ``lrs`` package in the repository.
COURSE_SRC: Final = Path(__file__).resolve().parents[2] / "course_src"
#: Where the generated learners' LMS lives (AU activity ids and accounts are under it).
LMS_HOME: Final = "https://lms.cohort.example.org"
ADL: Final = spec.ADL_VERBS
VIDEO: Final = spec.VIDEO_PROFILE
VIDEO_EXT: Final = spec.VIDEO_EXTENSIONS
CMI5_CATEGORY: Final = {"id": spec.CMI5_CATEGORY}
MOVEON_CATEGORY: Final = {"id": spec.MOVEON_CATEGORY}
CMI5_EXT: Final = spec.CMI5_EXTENSIONS
INTERACTION: Final = spec.INTERACTION_TYPE
ASSESSMENT: Final = spec.ASSESSMENT_TYPE
VIDEO_TYPE: Final = spec.VIDEO_TYPE
#: Regions: Flemish, Walloon and Brussels (ISO 3166-2) and Dutch provinces, with their language(s).
REGIONS: Final[Mapping[str, tuple[str, ...]]] = {
    "BE-VAN": ("nl",),
    "BE-VOV": ("nl",),
    "BE-VWV": ("nl",),
    "BE-VLI": ("nl",),
    "BE-VBR": ("nl",),
    "BE-BRU": ("nl", "fr"),
    "BE-WHT": ("fr",),
    "BE-WLG": ("fr",),
    "BE-WNA": ("fr",),
    "BE-WBR": ("fr",),
    "NL-NH": ("nl",),
    "NL-ZH": ("nl",),
    "NL-NB": ("nl",),
}
ROLES: Final[Mapping[str, tuple[str, ...]]] = {
    "police": ("inspector", "commissioner", "victim-officer"),
    "justice": ("prosecutor", "justice-assistant", "judge"),
    "medical": ("nurse", "gp", "emergency-doctor"),
    "psychosocial": ("social-worker", "psychologist", "counsellor"),
    "education": ("teacher", "student-counsellor", "headteacher"),
}
LEVELS: Final = (("basic", 0.6), ("deepening", 0.3), ("specialised", 0.1))
PERIODS: Final = (2026, 2027)
#: Organisations in the cohort and how many are deliberately tiny (fewer than 5 learners).
ORGANISATIONS: Final = 30
TINY_ORGANISATIONS: Final = 5


# ----- the course, from course_src -------------------------------------------------


@dataclass(frozen=True)
class ItemFacts:
    """One bank item: its goals, xAPI interaction type, right response and possible wrong ones."""

    id: str
    goals: tuple[str, ...]
    interaction_type: str
    correct: str
    wrong: tuple[str, ...]
    definition: Mapping[str, Any]


@dataclass(frozen=True)
class CourseFacts:
    """What the generator needs to know about the course (read from course_src)."""

    id: str
    base_iri: str
    modules: tuple[str, ...]
    module_units: Mapping[str, tuple[str, ...]]
    goals: tuple[str, ...]
    items: Mapping[str, ItemFacts]
    tests: Mapping[str, tuple[str, str, int, float, int | None]]  # role -> (unit id, module, draw, mastery, max)
    test_titles: Mapping[str, str]
    sectors: tuple[str, ...]
    likert: tuple[str, ...]
    likert_points: int
    competences: Mapping[str, str]  # question id -> goal
    competence_points: int
    open_questions: tuple[str, ...]
    evaluation_module: str
    clips: Mapping[str, str]  # clip id -> module
    move_on: Mapping[str, str]

    def item_iri(self, item: str) -> str:
        """The activity id the player gives an item's answers (player/units/assessment.js)."""
        return f"{self.base_iri}items/{item}"

    def test_iri(self, unit: str) -> str:
        """The activity id of a test (the answers' grouping, the per-attempt results' object)."""
        return f"{self.base_iri}assessments/{unit}"

    def au_iri(self, lang: str, sector: str, module: str) -> str:
        """The AU's publisher id in a package's cmi5.xml (the player's grouping)."""
        return f"{self.base_iri}{lang}-{sector}/{module}"

    def evaluation_iri(self, question: str = "") -> str:
        """The evaluation form's activity id, or one question's (player/units/evaluation.js)."""
        return f"{self.base_iri}evaluation" + (f"/{question}" if question else "")

    def video_iri(self, clip: str, lang: str) -> str:
        """A clip's video activity id in one language (player/units/media.js)."""
        return f"{self.base_iri}videos/{clip}/{lang}"


def _text(value: Any, lang: str = "nl") -> str:
    if isinstance(value, Mapping):
        return str(value.get(lang) or next(iter(value.values())))
    root = getattr(value, "root", None)
    if isinstance(root, Mapping):
        return _text(root, lang)
    return str(value)


def _component(component_id: str, text: Any) -> dict[str, Any]:
    return {"id": component_id, "description": {"nl": _text(text)}}


def _item_facts(item: Any) -> ItemFacts:
    kind = item.type
    stem = _text(item.stem)
    definition: dict[str, Any] = {"type": INTERACTION, "name": {"nl": stem[:250]}, "description": {"nl": stem}}
    if kind in ("single_choice", "multiple_response"):
        right = [o.id for o in item.options if o.correct]
        correct = "[,]".join(right)
        wrong = tuple(o.id for o in item.options if not o.correct)
        definition.update(interactionType="choice", choices=[_component(o.id, o.text) for o in item.options])
        itype = "choice"
    elif kind == "true_false":
        correct = "true" if item.answer else "false"
        wrong = ("false" if item.answer else "true",)
        itype = "true-false"
        definition.update(interactionType=itype)
    elif kind == "matching":
        ids = [p.id for p in item.pairs]
        prompts = {p.id: (p.prompt, p.match) for p in item.pairs}
        correct = "[,]".join(f"{i}[.]{i}" for i in ids)
        wrong = tuple(
            "[,]".join(f"{a}[.]{b}" for a, b in zip(ids, ids[k:] + ids[:k], strict=True)) for k in range(1, len(ids))
        )
        itype = "matching"
        definition.update(
            interactionType=itype,
            source=[_component(i, prompts[i][0]) for i in ids],
            target=[_component(i, prompts[i][1]) for i in ids],
        )
    else:  # ordering
        ids = [s.id for s in item.steps]
        texts = {s.id: s.text for s in item.steps}
        correct = "[,]".join(ids)
        wrong = tuple("[,]".join(ids[k:] + ids[:k]) for k in range(1, len(ids)))
        itype = "sequencing"
        definition.update(interactionType=itype, choices=[_component(i, texts[i]) for i in ids])
    definition["correctResponsesPattern"] = [correct]
    return ItemFacts(item.id, tuple(item.goals), itype, correct, wrong, definition)


@cache
def course_facts(root: Path = COURSE_SRC) -> CourseFacts:
    """The course as the generator needs it, read from ``root`` with the builder's own loader."""
    from builder.source.loader import assemble, load_files
    from builder.source.problems import ProblemList

    problems = ProblemList()
    course = assemble(root, load_files(root, problems))
    if course is None or course.evaluation is None:
        raise ValueError(f"{root}: the course does not load; run `course check {root}`")
    module_of = {unit: m.id for m in course.modules for unit in m.units}
    tests: dict[str, tuple[str, str, int, float, int | None]] = {
        a.role: (a.id, module_of[a.id], a.draw, a.mastery_score, a.max_attempts)
        for a in course.assessments
        if a.id in module_of
    }
    evaluation = course.evaluation
    move_on = {}
    for m in course.modules:
        if any(tests[r][1] == m.id for r in ("post",) if r in tests):
            move_on[m.id] = "CompletedAndPassed"
        elif m.units and all(u in {f.id for f in course.factsheets} or u in ("glossary", "referrals") for u in m.units):
            move_on[m.id] = "NotApplicable"
        else:
            move_on[m.id] = "Completed"
    return CourseFacts(
        id=course.meta.id,
        base_iri=str(course.meta.base_iri),
        modules=tuple(m.id for m in course.modules),
        module_units={m.id: tuple(m.units) for m in course.modules},
        goals=tuple(g.id for g in course.goals),
        items={i.id: _item_facts(i) for i in course.items},
        tests=tests,
        test_titles={a.id: _text(a.title) for a in course.assessments},
        sectors=tuple(sorted({str(c.sector) for c in course.cases})),
        likert=tuple(q.id for q in evaluation.likert_items),
        likert_points=len(evaluation.likert_scale),
        competences={q.id: q.goal for q in evaluation.competence_items},
        competence_points=len(evaluation.competence_scale),
        open_questions=tuple(q.id for q in evaluation.open_questions),
        evaluation_module=module_of[evaluation.id],
        clips={c.id: module_of[c.id] for c in course.clips if c.id in module_of},
        move_on=move_on,
    )


# ----- the truth ----------------------------------------------------------------------


@dataclass
class Attempt:
    """One submitted test attempt: item -> (response, right)."""

    number: int
    answers: dict[str, tuple[str, bool]]

    @property
    def correct(self) -> int:
        """How many items of the attempt were right."""
        return sum(1 for _, right in self.answers.values() if right)


@dataclass
class Learner:
    """One learner and everything they did: the truth the reports are checked against."""

    number: int
    actor: dict[str, Any]
    key: str
    sector: str
    language: str
    organisation: str | None
    region: str | None
    level: str | None
    role: str | None
    period: int
    start: dt.date
    package_version: str
    course_version: str
    registration: str
    #: module -> (launched day, completed day or None)
    modules: dict[str, tuple[dt.date, dt.date | None]] = field(default_factory=dict)
    #: test role -> attempts in order (pre: at most one)
    attempts: dict[str, list[Attempt]] = field(default_factory=dict)
    passed_day: dt.date | None = None
    failed_day: dt.date | None = None
    evaluation_day: dt.date | None = None
    likert: dict[str, int] = field(default_factory=dict)
    competence: dict[str, tuple[int, int]] = field(default_factory=dict)
    open_answers: dict[str, str] = field(default_factory=dict)
    #: clip -> share watched (0..1, 3 decimals, as the player reports progress)
    video: dict[str, float] = field(default_factory=dict)
    #: what voided statements said (reports must ignore them): ("completed", module) / ("passed", module)
    voided: list[tuple[str, str]] = field(default_factory=list)

    def context(self) -> dict[str, str | None]:
        """The filter dimensions of this learner (None: unknown, never guessed)."""
        return {
            "sector": self.sector,
            "organisation": self.organisation,
            "region": self.region,
            "language": self.language,
            "level": self.level,
            "package_version": self.package_version,
        }


@dataclass
class Truth:
    """The cohort: learners, and the statements that say what they did (voiding statements last)."""

    course: CourseFacts
    learners: list[Learner]
    statements: list[dict[str, Any]]

    def by_key(self) -> dict[str, Learner]:
        """The learners by agent key (the key ``Store.erase_agent`` takes)."""
        return {learner.key: learner for learner in self.learners}


# ----- drawing the cohort ------------------------------------------------------------------


def _weighted(rng: random.Random, pairs: Sequence[tuple[str, float]]) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


@dataclass(frozen=True)
class _Org:
    code: str
    sector: str
    region: str
    size: int


def _organisations(rng: random.Random, course: CourseFacts, learners: int) -> list[_Org]:
    """~30 organisations over the sectors; TINY_ORGANISATIONS of them with 1 to 4 learners."""
    count = max(ORGANISATIONS, learners // 17)
    tiny = [1, 2, 3, 4, 4][:TINY_ORGANISATIONS]
    rest = learners - sum(tiny)
    big = count - len(tiny)
    sizes = [rest // big + (1 if i < rest % big else 0) for i in range(big)] + tiny
    orgs = []
    for n, size in enumerate(sizes):
        sector = course.sectors[n % len(course.sectors)]
        region = list(REGIONS)[(n * 7) % len(REGIONS)]
        orgs.append(_Org(f"{sector[:3]}-{n:03d}", sector, region, size))
    rng.shuffle(orgs)
    return orgs


def _package_version(course_version: str, lang: str, sector: str) -> str:
    digest = hashlib.sha256(f"{course_version}|{lang}|{sector}".encode()).hexdigest()[:12]
    return f"{course_version}+{digest}"


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def _answer(rng: random.Random, item: ItemFacts, p_right: float) -> tuple[str, bool]:
    if rng.random() < p_right:
        return item.correct, True
    return rng.choice(item.wrong), False


def _draw(rng: random.Random, course: CourseFacts, draw: int) -> list[ItemFacts]:
    return rng.sample(sorted(course.items.values(), key=lambda i: i.id), min(draw, len(course.items)))


def _learner(rng: random.Random, course: CourseFacts, number: int, org: _Org) -> Learner:
    period = PERIODS[0] if rng.random() < 0.55 else PERIODS[1]
    languages = REGIONS[org.region]
    lang = languages[number % len(languages)]
    course_version = "1.0.0" if period == PERIODS[0] else "1.1.0"
    actor = {"objectType": "Agent", "account": {"homePage": LMS_HOME, "name": f"learner-{number:06d}"}}
    unknown = rng.random() < 0.03  # an LMS that gives no learner context: "unknown" in every report
    start = dt.date(period, 1, 5) + dt.timedelta(days=rng.randrange(0, 300))
    return Learner(
        number=number,
        actor=actor,
        key=agent_key(actor),
        sector=org.sector,
        language=lang,
        organisation=None if unknown else org.code,
        region=None if unknown else org.region,
        level=None if unknown else _weighted(rng, LEVELS),
        role=None if unknown else rng.choice(ROLES.get(org.sector, ("professional",))),
        period=period,
        start=start,
        package_version=_package_version(course_version, lang, org.sector),
        course_version=course_version,
        registration=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
    )


def _live(rng: random.Random, course: CourseFacts, learner: Learner) -> None:
    """What the learner did, drawn: modules in order with dropouts, tests, evaluation, clips."""
    ability = rng.gauss(0, 1)
    day = learner.start
    pre_role, post_role = course.tests.get("pre"), course.tests.get("post")
    optional = [m for m in course.modules if course.move_on[m] == "NotApplicable"]
    for module in course.modules:
        if module in optional:
            if learner.modules and rng.random() < 0.3:  # the optional shelf: opened, read through or not
                learner.modules[module] = (day, day if rng.random() < 0.5 else None)
            continue
        if learner.modules and rng.random() < 0.08:  # dropped out before this module
            break
        launched = day
        done: dt.date | None = day
        if pre_role is not None and module == pre_role[1]:
            if rng.random() < 0.95:
                items = _draw(rng, course, pre_role[2])
                p = _sigmoid(ability - 0.3)
                learner.attempts["pre"] = [Attempt(1, {i.id: _answer(rng, i, p) for i in items})]
            else:
                done = None
        elif post_role is not None and module == post_role[1]:
            done = None
            attempts: list[Attempt] = []
            limit = post_role[4] or 3
            for n in range(1, limit + 1):
                if n > 1 and rng.random() < 0.25:
                    break  # gave up before the next attempt
                items = _draw(rng, course, post_role[2])
                p = _sigmoid(ability + 1.4 + 0.3 * (n - 1))
                attempts.append(Attempt(n, {i.id: _answer(rng, i, p) for i in items}))
                if attempts[-1].correct / len(items) >= post_role[3] - 1e-9:
                    learner.passed_day = day
                    break
            if attempts:
                learner.attempts["post"] = attempts
                if learner.passed_day is None and len(attempts) == limit:
                    learner.failed_day = day
            if attempts and rng.random() < 0.8:
                learner.evaluation_day = day
                for q in course.likert:
                    if rng.random() < 0.95:
                        learner.likert[q] = min(course.likert_points, max(1, round(rng.gauss(4, 0.9))))
                for q in course.competences:
                    before = min(course.competence_points, max(1, round(rng.gauss(2.4, 0.8))))
                    after = min(course.competence_points, max(before, before + round(rng.gauss(1.1, 0.7))))
                    learner.competence[q] = (before, after)
                if rng.random() < 0.3:
                    learner.open_answers[course.open_questions[0]] = f"Vrije tekst {learner.number} (nooit getoond)."
            if learner.passed_day is not None and learner.evaluation_day is not None:
                done = day
        else:
            if rng.random() < 0.1:
                done = None  # launched, not finished
            for clip, clip_module in course.clips.items():
                if clip_module == module and rng.random() < 0.7:
                    share = rng.choice([rng.uniform(0.02, 0.6), rng.uniform(0.6, 0.89), 1.0])
                    learner.video[clip] = 1.0 if share == 1.0 else round(share, 3)
        learner.modules[module] = (launched, done)
        if done is None:
            break
        day = day + dt.timedelta(days=rng.randrange(0, 4))


# ----- statements, as the player sends them ----------------------------------------------


class _Writer:
    """Writes one learner's statements in the player's shapes (player/adapters/cmi5.js, core/lrs.js)."""

    def __init__(self, rng: random.Random, course: CourseFacts, learner: Learner) -> None:
        self.rng = rng
        self.course = course
        self.learner = learner
        self.out: list[dict[str, Any]] = []
        self.clock = 0

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def au(self, module: str) -> str:
        return f"{LMS_HOME}/courses/{self.learner.language}-{self.learner.sector}/aus/{module}"

    def timestamp(self, day: dt.date) -> str:
        self.clock += 1
        moment = dt.datetime.combine(day, dt.time(9, 0), tzinfo=dt.UTC) + dt.timedelta(seconds=self.clock)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def launch_context(self) -> dict[str, Any]:
        ext: dict[str, Any] = {}
        for name in ("organisation", "region", "role", "level"):
            value = getattr(self.learner, name)
            if value is not None:
                ext[iri(name)] = value
        return ext

    def learner_context(self) -> dict[str, Any]:
        lrn = self.learner
        ext: dict[str, Any] = {
            iri("course"): self.course.id,
            iri("course-version"): lrn.course_version,
            iri("language"): lrn.language,
            iri("package-format"): "cmi5",
            iri("package-version"): lrn.package_version,
            iri("sector"): lrn.sector,
        }
        ext.update(self.launch_context())
        return ext

    def statement(
        self,
        verb: str,
        obj: dict[str, Any],
        day: dt.date,
        context: dict[str, Any],
        result: dict[str, Any] | None = None,
        verb_iri: str | None = None,
    ) -> dict[str, Any]:
        s: dict[str, Any] = {
            "id": self.uuid(),
            "actor": self.learner.actor,
            "verb": {"id": verb_iri or ADL + verb, "display": {"en-US": verb}},
            "object": obj,
            "timestamp": self.timestamp(day),
            "context": context,
        }
        if result is not None:
            s["result"] = result
        self.out.append(s)
        return s

    def session(self, module: str, session: str, *, extensions: Mapping[str, Any] | None = None) -> dict[str, Any]:
        ext = self.learner_context()
        ext[CMI5_EXT + "sessionid"] = session
        ext.update(extensions or {})
        return {
            "extensions": ext,
            "contextActivities": {
                "grouping": [{"objectType": "Activity", "id": self.module_iri(module)}],
                "category": [dict(CMI5_CATEGORY)],
            },
            "registration": self.learner.registration,
            "language": self.learner.language,
        }

    def module_iri(self, module: str) -> str:
        return self.course.au_iri(self.learner.language, self.learner.sector, module)

    def inside(
        self, module: str, session: str, *grouping: str, extensions: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """The context of a statement about something inside the AU (answers, test results, videos)."""
        ext = self.learner_context()
        ext[CMI5_EXT + "sessionid"] = session
        ext.update(extensions or {})
        return {
            "extensions": ext,
            "contextActivities": {
                "grouping": [{"objectType": "Activity", "id": i} for i in (self.module_iri(module), *grouping)],
                "parent": [{"objectType": "Activity", "id": self.au(module)}],
            },
            "registration": self.learner.registration,
            "language": self.learner.language,
        }

    def au_statement(
        self,
        verb: str,
        module: str,
        session: str,
        day: dt.date,
        *,
        result: dict[str, Any] | None = None,
        moveon: bool = False,
        extensions: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        ctx = self.session(module, session, extensions=extensions)
        if moveon:
            ctx["contextActivities"]["category"].append(dict(MOVEON_CATEGORY))
        return self.statement(verb, {"objectType": "Activity", "id": self.au(module)}, day, ctx, result)

    def launched(self, module: str, session: str, day: dt.date) -> None:
        ext = self.launch_context()
        ext.update(
            {
                CMI5_EXT + "sessionid": session,
                CMI5_EXT + "launchmode": "Normal",
                CMI5_EXT + "moveon": self.course.move_on[module],
                CMI5_EXT + "launchurl": f"https://packages.cohort.example.org/{self.learner.language}-"
                f"{self.learner.sector}/index.html?module={module}",
            }
        )
        post = self.course.tests.get("post")
        if post is not None and post[1] == module:
            ext[CMI5_EXT + "masteryscore"] = post[3]
        ctx = {
            "extensions": ext,
            "contextActivities": {
                "grouping": [{"objectType": "Activity", "id": self.module_iri(module)}],
                "category": [dict(CMI5_CATEGORY)],
            },
            "registration": self.learner.registration,
        }
        self.statement("launched", {"objectType": "Activity", "id": self.au(module)}, day, ctx)

    def answers(self, module: str, session: str, day: dt.date, role: str, attempt: Attempt) -> None:
        unit = self.course.tests[role][0]
        for item_id, (response, right) in attempt.answers.items():
            item = self.course.items[item_id]
            obj = {"objectType": "Activity", "id": self.course.item_iri(item_id), "definition": dict(item.definition)}
            ext = {iri("attempt"): attempt.number, iri("test-role"): role, iri("learning-goals"): list(item.goals)}
            ctx = self.inside(module, session, self.course.test_iri(unit), extensions=ext)
            self.statement("answered", obj, day, ctx, {"response": response, "success": right})

    def score(self, role: str, attempt: Attempt) -> dict[str, Any]:
        raw = round(100 * attempt.correct / len(attempt.answers))
        return {"scaled": round(raw / 100, 4), "raw": raw, "min": 0, "max": 100}

    def test_result(self, module: str, session: str, day: dt.date, role: str, attempt: Attempt, passed: bool) -> None:
        unit = self.course.tests[role][0]
        obj = {
            "objectType": "Activity",
            "id": self.course.test_iri(unit),
            "definition": {"type": ASSESSMENT, "name": {self.learner.language: self.course.test_titles[unit]}},
        }
        ctx = self.inside(module, session, extensions={iri("attempt"): attempt.number, iri("test-role"): role})
        self.statement(
            "passed" if passed else "failed", obj, day, ctx, {"success": passed, "score": self.score(role, attempt)}
        )

    def evaluation(self, module: str, session: str, day: dt.date) -> None:
        lrn, course = self.learner, self.course

        def likert(question: str, value: int, points: int) -> None:
            obj = {
                "objectType": "Activity",
                "id": course.evaluation_iri(question),
                "definition": {
                    "type": INTERACTION,
                    "interactionType": "likert",
                    "name": {lrn.language: question},
                    "description": {lrn.language: question},
                    "scale": [{"id": str(p), "description": {lrn.language: str(p)}} for p in range(1, points + 1)],
                },
            }
            ctx = self.inside(module, session, course.evaluation_iri())
            self.statement("answered", obj, day, ctx, {"response": str(value)})

        for q, value in lrn.likert.items():
            likert(q, value, course.likert_points)
        for q, (before, after) in lrn.competence.items():
            likert(f"{q}/before", before, course.competence_points)
            likert(f"{q}/after", after, course.competence_points)
        for q, text in lrn.open_answers.items():
            obj = {
                "objectType": "Activity",
                "id": course.evaluation_iri(q),
                "definition": {
                    "type": INTERACTION,
                    "interactionType": "long-fill-in",
                    "name": {lrn.language: q},
                    "description": {lrn.language: q},
                },
            }
            self.statement(
                "answered", obj, day, self.inside(module, session, course.evaluation_iri()), {"response": text}
            )

    def video(self, module: str, session: str, day: dt.date, clip: str, share: float) -> None:
        length = 60.0 + 7.5 * (sum(map(ord, clip)) % 16)
        until = round(share * length, 3)
        obj = {
            "objectType": "Activity",
            "id": self.course.video_iri(clip, self.learner.language),
            "definition": {"type": VIDEO_TYPE, "name": {self.learner.language: clip}},
        }
        video_session = self.uuid()
        common = {
            VIDEO_EXT + "session-id": video_session,
            VIDEO_EXT + "length": length,
            VIDEO_EXT + "completion-threshold": 0.9,
            VIDEO_EXT + "cc-subtitle-enabled": True,
            VIDEO_EXT + "cc-subtitle-lang": self.learner.language,
        }

        def ctx(extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
            c = self.inside(module, session, extensions={**common, **(extra or {})})
            c["contextActivities"]["category"] = [
                {
                    "objectType": "Activity",
                    "id": VIDEO,
                    "definition": {"type": "http://adlnet.gov/expapi/activities/profile"},
                }
            ]
            return c

        def result(time: float, progress: float, segments: str) -> dict[str, Any]:
            ext = {VIDEO_EXT + "time": time, VIDEO_EXT + "progress": progress, VIDEO_EXT + "played-segments": segments}
            return {"extensions": ext}

        segments = f"0[.]{until:g}"
        first = self.statement("initialized", obj, day, ctx({VIDEO_EXT + "speed": "1x", VIDEO_EXT + "volume": 0}), None)
        first["id"] = video_session
        self.statement("played", obj, day, ctx(), result(0, 0, ""), VIDEO + "/verbs/played")
        self.statement("paused", obj, day, ctx(), result(until, share, segments), VIDEO + "/verbs/paused")
        if share >= 0.9:
            done = result(until, share, segments)
            done.update(completion=True, duration=f"PT{until:g}S")
            self.statement("completed", obj, day, ctx(), done)
        self.statement("terminated", obj, day, ctx(), result(until, share, segments))


def _statements(rng: random.Random, course: CourseFacts, learner: Learner) -> list[dict[str, Any]]:
    w = _Writer(rng, course, learner)
    pre, post = course.tests.get("pre"), course.tests.get("post")
    for module, (day, done) in learner.modules.items():
        session = w.uuid()
        w.launched(module, session, day)
        w.au_statement("initialized", module, session, day)
        if pre is not None and module == pre[1] and "pre" in learner.attempts:
            w.answers(module, session, day, "pre", learner.attempts["pre"][0])
        if post is not None and module == post[1]:
            for attempt in learner.attempts.get("post", []):
                w.answers(module, session, day, "post", attempt)
                passed = attempt.correct / len(attempt.answers) >= post[3] - 1e-9
                w.test_result(module, session, day, "post", attempt, passed)
            judged = learner.attempts.get("post", [])
            mastery = {CMI5_EXT + "masteryscore": post[3]}
            if learner.passed_day is not None:
                result = {"success": True, "score": w.score("post", judged[-1]), "duration": "PT20M"}
                w.au_statement("passed", module, session, day, result=result, moveon=True, extensions=mastery)
            elif learner.failed_day is not None:
                result = {"success": False, "score": w.score("post", judged[-1]), "duration": "PT20M"}
                w.au_statement("failed", module, session, day, result=result, moveon=True, extensions=mastery)
            if learner.evaluation_day is not None:
                w.evaluation(module, session, day)
        for clip, share in learner.video.items():
            if course.clips[clip] == module:
                w.video(module, session, day, clip, share)
        if done is not None:
            w.au_statement(
                "completed", module, session, day, result={"completion": True, "duration": "PT12M"}, moveon=True
            )
        w.au_statement("terminated", module, session, day, result={"duration": "PT15M"})
    return w.out


def _void(rng: random.Random, course: CourseFacts, learner: Learner, admin: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A wrong statement the LMS sent for this learner, and the statement voiding it (the truth ignores both).

    A "completed" for a module the learner did not complete, or a "passed" for a learner who did not pass.
    """
    w = _Writer(rng, course, learner)
    unfinished = [m for m, (_, done) in learner.modules.items() if done is None]
    post = course.tests.get("post")
    if post is not None and post[1] in learner.modules and learner.passed_day is None:
        module, verb = post[1], "passed"
        day = learner.modules[module][0]
        result = {"success": True, "score": {"scaled": 1, "raw": 100, "min": 0, "max": 100}, "duration": "PT1M"}
        mastery = {CMI5_EXT + "masteryscore": post[3]}
        wrong = w.au_statement("passed", module, w.uuid(), day, result=result, moveon=True, extensions=mastery)
    elif unfinished:
        module, verb = unfinished[0], "completed"
        wrong = w.au_statement(
            "completed",
            module,
            w.uuid(),
            learner.modules[module][0],
            result={"completion": True, "duration": "PT1M"},
            moveon=True,
        )
    else:
        return []
    learner.voided.append((verb, module))
    voiding = {
        "id": w.uuid(),
        "actor": dict(admin),
        "verb": {"id": VOIDED, "display": {"en-US": "voided"}},
        "object": {"objectType": "StatementRef", "id": wrong["id"]},
        "timestamp": w.timestamp(learner.modules[module][0]),
    }
    return [wrong, voiding]


def stream(
    learners: int = 500, *, seed: int = 2026, root: Path = COURSE_SRC, voided: int = 12
) -> Iterator[tuple[Learner | None, list[dict[str, Any]]]]:
    """The cohort learner by learner: ``(learner, their statements)``, then ``(None, wrong + voiding statements)``.

    For cohorts too big to hold in memory (the benchmark's million statements); :func:`generate`
    collects the same stream.
    """
    course = course_facts(root)
    rng = random.Random(seed)
    orgs = _organisations(rng, course, learners)
    people: list[Learner] = []
    number = 0
    for org in orgs:
        for _ in range(org.size):
            number += 1
            people.append(_learner(rng, course, number, org))
    for learner in people:
        _live(rng, course, learner)
        yield learner, _statements(rng, course, learner)
    admin = {"objectType": "Agent", "account": {"homePage": LMS_HOME, "name": "lms-admin"}}
    wrong: list[dict[str, Any]] = []
    voids: list[dict[str, Any]] = []
    for learner in rng.sample(people, min(voided * 3, len(people))):
        if len(voids) >= voided:
            break
        pair = _void(rng, course, learner, admin)
        if pair:
            wrong.append(pair[0])
            voids.append(pair[1])
    yield None, wrong + voids


def generate(learners: int = 500, *, seed: int = 2026, root: Path = COURSE_SRC, voided: int = 12) -> Truth:
    """A cohort of ``learners`` with known answers, and its statements (the voiding ones at the end)."""
    people: list[Learner] = []
    statements: list[dict[str, Any]] = []
    for learner, found in stream(learners, seed=seed, root=root, voided=voided):
        if learner is not None:
            people.append(learner)
        statements.extend(found)
    return Truth(course_facts(root), people, statements)


def batches(statements: Sequence[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    """The statements in POST-sized batches, in order."""
    for start in range(0, len(statements), size):
        yield list(statements[start : start + size])
