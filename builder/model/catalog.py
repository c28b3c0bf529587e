"""Which file in ``course_src/`` holds which type, and the assembled course."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel

from builder.model.assessment import Assessment, Item, ItemBankFile
from builder.model.base import Sector
from builder.model.course import CourseFile, LearningGoal, LearningGoalsFile, Module
from builder.model.reference import EvaluationForm, Factsheet, Glossary, ReferralList
from builder.model.sources import SourcesFile
from builder.model.units import Case, KnowledgeClip, Reflection


@dataclass(frozen=True)
class FileKind:
    """One kind of authoring file: where it lives and what it must contain."""

    name: str
    pattern: str  # glob relative to course_src/
    model: type[BaseModel]
    required: bool
    description: str


FILE_KINDS: tuple[FileKind, ...] = (
    FileKind("course", "course.yaml", CourseFile, True, "course metadata and modules"),
    FileKind("learning_goals", "learning_goals.yaml", LearningGoalsFile, True, "learning goals"),
    FileKind("clip", "clips/*.yaml", KnowledgeClip, True, "knowledge clip"),
    FileKind("case", "cases/*.yaml", Case, True, "sector case"),
    FileKind("reflection", "reflections/*.yaml", Reflection, False, "reflection exercise"),
    FileKind("item_bank", "item_bank/*.yaml", ItemBankFile, True, "assessment items"),
    FileKind("assessment", "assessments/*.yaml", Assessment, False, "pre-test or post-test"),
    FileKind("evaluation", "evaluation.yaml", EvaluationForm, False, "participant evaluation"),
    FileKind("factsheet", "factsheets/*.yaml", Factsheet, False, "factsheet"),
    FileKind("glossary", "glossary.yaml", Glossary, False, "glossary"),
    FileKind("referrals", "referrals.yaml", ReferralList, False, "referral list"),
    FileKind("sources", "sources.yaml", SourcesFile, True, "source registry: the documents notes cite"),
)


@dataclass
class Course:
    """The whole course, assembled from every authoring file.

    ``files`` maps each unit id to the file it came from, so later stages can
    point authors at the right place.
    """

    root: Path
    meta: CourseFile
    goals: list[LearningGoal]
    clips: list[KnowledgeClip] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)
    reflections: list[Reflection] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    assessments: list[Assessment] = field(default_factory=list)
    evaluation: EvaluationForm | None = None
    factsheets: list[Factsheet] = field(default_factory=list)
    glossary: Glossary | None = None
    referrals: ReferralList | None = None
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def units(self) -> dict[str, BaseModel]:
        """Every unit a module can list, by id."""
        found: dict[str, BaseModel] = {}
        for group in (self.clips, self.cases, self.reflections, self.assessments, self.factsheets):
            for unit in group:
                found[unit.id] = unit
        for single in (self.evaluation, self.glossary, self.referrals):
            if single is not None:
                found[single.id] = single
        return found

    @property
    def modules(self) -> list[Module]:
        """Modules in course order."""
        return self.meta.modules

    def case_for(self, sector: Sector) -> Case | None:
        """The main case of a sector's package."""
        return next((c for c in self.cases if c.sector == sector), None)
