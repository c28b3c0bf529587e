"""The course file: metadata, modules, and the learning goals file."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, HttpUrl

from builder.model.base import (
    GoalId,
    Language,
    LocalizedList,
    LocalizedText,
    Slug,
    Sources,
    Strict,
)
from builder.model.vocabularies import PROVIDED, Term, TermId, Vocabulary, VocabularyName, term_id
from lrs.xapi.profile import LEVELS

GoalType = Literal["knowledge", "skill", "attitude"]


def _level(value: str) -> str:
    if value not in LEVELS:
        raise ValueError(f"'{value}' is not a training level; use one of {', '.join(LEVELS)}")
    return value


#: The training level (Dutch expertise plan), defined once with the xAPI profile that reports it.
Level = Annotated[str, AfterValidator(_level), Field(json_schema_extra={"enum": list(LEVELS)})]

GOAL_PREFIX: dict[GoalType, str] = {"knowledge": "K", "skill": "S", "attitude": "A"}


class Module(Strict):
    """An ordered group of units; becomes one AU (cmi5) or SCO (multi-SCO)."""

    id: Slug
    title: LocalizedText
    description: LocalizedText | None = None
    units: list[Slug] = Field(min_length=1)


class CourseFile(Strict):
    """``course.yaml``: what every package of the course says about itself."""

    id: Slug
    version: str = Field(pattern=r"^[0-9]+\.[0-9]+\.[0-9]+$")
    languages: list[Language] = Field(min_length=1, description="BCP 47 tags of the languages the course ships")
    base_iri: HttpUrl
    title: LocalizedText
    description: LocalizedText
    keywords: LocalizedList
    rights: LocalizedText
    authors: list[str] = Field(default_factory=list)
    referral_max_age_days: int = Field(default=365, ge=1, le=3650)
    modules: list[Module] = Field(min_length=1)
    level: Level | None = Field(default=None, description="training level: basic, deepening or specialised")
    sectors: Vocabulary | None = Field(
        default=None, description="the sectors packages are built for (default: the framework's five)"
    )
    aims: Vocabulary | None = Field(
        default=None, description="the aims learning goals serve (default: the four of measure 48)"
    )
    regions: Vocabulary | None = Field(default=None, description="regions referral entries serve")
    referral_sectors: Vocabulary | None = Field(
        default=None, description="sectors referral entries work with (default: the framework's five)"
    )

    def vocabulary(self, name: VocabularyName) -> list[str]:
        """The ids of one vocabulary: the course's own list, or the provided default."""
        declared: Vocabulary | None = getattr(self, name)
        return list(PROVIDED[name]) if declared is None else [term_id(entry) for entry in declared]

    def own_terms(self, name: VocabularyName) -> list[Term]:
        """The entries of one vocabulary that carry their own names."""
        declared: Vocabulary | None = getattr(self, name)
        return [entry for entry in declared or [] if isinstance(entry, Term)]

    @property
    def sector_ids(self) -> list[str]:
        """The sectors packages are built for, in the course's order."""
        return self.vocabulary("sectors")


class LearningGoal(Strict):
    """One numbered learning goal, typed knowledge / skill / attitude."""

    id: GoalId
    type: GoalType
    aims: list[TermId] = Field(min_length=1, description="aims of course.yaml's 'aims' (default: measure 48's four)")
    text: LocalizedText
    sources: Sources


class LearningGoalsFile(Strict):
    """``learning_goals.yaml``."""

    goals: list[LearningGoal] = Field(min_length=1)
