"""``course check``: load the whole source, run every check, summarise."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from builder.model.base import language_tag
from builder.model.catalog import Course
from builder.model.course import CourseFile
from builder.model.units import VideoUnit
from builder.source import checks
from builder.source.loader import SourceFile, assemble, load_files
from builder.source.problems import ProblemList


def _as_tag(lang: str) -> str:
    """A language asked for on the command line, in the case the course's tags are written in."""
    try:
        return language_tag(lang)
    except ValueError:
        return lang  # not a tag at all: reported below as not a course language


def default_seeds(root: Path) -> Path:
    """Seed documents: ``../shared/seeds`` beside the repository.

    ``course --seeds`` (or ``$GSOG_SEEDS``, read by the CLI) chooses another folder.
    """
    return root.resolve().parent.parent / "shared" / "seeds"


@dataclass
class CheckReport:
    """Everything ``course check`` found, and the course when it assembled."""

    root: Path
    languages: list[str]
    problems: ProblemList
    course: Course | None
    files: list[SourceFile] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when there is no error (warnings allowed)."""
        return not self.problems.errors

    def media_ready(self) -> list[VideoUnit]:
        """Clips and cases whose own file has no error: their media can be rendered now.

        An error elsewhere (a missing sector case, a bad item) must not hold
        back the drafts an author is waiting to see.
        """
        if self.course is None:
            return []
        broken = {Path(p.file).resolve() for p in self.problems.errors}
        return [
            unit
            for unit in [*self.course.clips, *self.course.cases]
            if self.course.files.get(unit.id, self.root).resolve() not in broken
        ]

    def summary(self) -> dict[str, Any]:
        """The machine-readable summary printed by ``course check --json``."""
        c = self.course
        return {
            "ok": self.ok,
            "root": str(self.root),
            "errors": [p.as_dict() for p in self.problems.errors],
            "warnings": [p.as_dict() for p in self.problems.warnings],
            "languages": self.languages,
            "learning_goals": len(c.goals) if c else 0,
            "learning_goals_by_type": {
                t: sum(1 for g in c.goals if g.type == t) for t in ("knowledge", "skill", "attitude")
            }
            if c
            else {},
            "modules": len(c.modules) if c else 0,
            "knowledge_clips": len(c.clips) if c else 0,
            "cases": [{"id": case.id, "sector": case.sector} for case in c.cases] if c else [],
            "reflections": len(c.reflections) if c else 0,
            "assessment_items": len(c.items) if c else 0,
            "assessment_item_types": _count(item.type for item in c.items) if c else {},
            "assessments": [
                {"id": a.id, "role": a.role, "draw": a.draw, "mastery_score": a.mastery_score} for a in c.assessments
            ]
            if c
            else [],
            "evaluation_questions": _evaluation_questions(c),
            "factsheets": [f.version for f in c.factsheets] if c else [],
            "glossary_terms": len(c.glossary.terms) if c and c.glossary else 0,
            "referral_entries": len(c.referrals.entries) if c and c.referrals else 0,
            "stale_referral_entries": len(self.stale),
        }


def _count(values: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return out


def _evaluation_questions(c: Course | None) -> int:
    if c is None or c.evaluation is None:
        return 0
    e = c.evaluation
    return len(e.likert_items) + len(e.competence_items) + len(e.open_questions)


def check_course(
    root: Path,
    languages: list[str] | None = None,
    seeds: Path | None = None,
    today: dt.date | None = None,
) -> CheckReport:
    """Check ``root`` for the given languages (default: all the course declares).

    An invalid course.yaml, or a language it does not declare, ends the check
    with that one finding: the other checks depend on what course.yaml says.
    """
    problems = ProblemList()
    files = load_files(root, problems)
    course_file = next((f for f in files if isinstance(f.model, CourseFile)), None)
    if course_file is None:
        # course.yaml is missing or invalid: its own errors are the report. Every later check reads
        # its languages or modules, and guessing them buried one mistake under ~150 invented ones.
        return CheckReport(root=root, languages=list(languages or []), problems=problems, course=None, files=files)
    declared = [str(lang) for lang in cast(CourseFile, course_file.model).languages]
    languages = [_as_tag(lang) for lang in languages] if languages else None
    undeclared = [lang for lang in languages or [] if lang not in declared]
    if undeclared:
        problems.error(
            course_file.path,
            course_file.line_of(("languages",)),
            "languages",
            f"{', '.join(repr(lang) for lang in undeclared)} is not one of the course languages "
            f"({', '.join(declared)}); add it here to translate the course, or choose one of these",
        )
        return CheckReport(root=root, languages=list(languages or []), problems=problems, course=None, files=files)
    course = assemble(root, files)
    langs = list(languages or declared)
    report = CheckReport(root=root, languages=langs, problems=problems, course=course, files=files)
    meta = cast(CourseFile, course_file.model)
    checks.check_translations(files, langs, problems, declared)
    checks.check_interface(course_file, langs, problems)
    checks.check_ids(files, problems)
    checks.check_vocabularies(files, meta, problems)
    checks.check_goals(files, meta, problems)
    checks.check_items(files, problems)
    checks.check_sources(files, seeds if seeds is not None else default_seeds(root), problems)
    if course is not None:
        checks.check_references(course, files, problems)
        checks.check_cases(course, files, problems)
        checks.check_assessments(course, problems)
        checks.check_media(course, files, langs, problems)
        report.stale = checks.stale_referrals(course, files, today or dt.date.today(), problems)
    return report
