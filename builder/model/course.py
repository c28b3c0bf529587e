"""The course file: metadata, modules, and the learning goals file."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, HttpUrl

from builder.model.base import (
    GoalId,
    Language,
    LocalizedList,
    LocalizedText,
    Slug,
    Sources,
    Strict,
)

GoalType = Literal["knowledge", "skill", "attitude"]

#: The four aims of measure 48 of Belgium's national action plan 2021-2025.
Aim = Literal["detect", "prevent_secondary_victimisation", "needs_and_rights", "support_and_refer"]
AIMS: tuple[Aim, ...] = (
    "detect",
    "prevent_secondary_victimisation",
    "needs_and_rights",
    "support_and_refer",
)
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
    languages: list[Language] = Field(min_length=1)
    base_iri: HttpUrl
    title: LocalizedText
    description: LocalizedText
    keywords: LocalizedList
    rights: LocalizedText
    authors: list[str] = Field(default_factory=list)
    referral_max_age_days: int = Field(default=365, ge=1, le=3650)
    modules: list[Module] = Field(min_length=1)


class LearningGoal(Strict):
    """One numbered learning goal, typed knowledge / skill / attitude."""

    id: GoalId
    type: GoalType
    aims: list[Aim] = Field(min_length=1)
    text: LocalizedText
    sources: Sources


class LearningGoalsFile(Strict):
    """``learning_goals.yaml``."""

    goals: list[LearningGoal] = Field(min_length=1)
