"""Units a learner works through: knowledge clips, cases, reflection exercises."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Annotated

from pydantic import Field, field_validator

from builder.model.base import GoalId, Language, LocalizedText, Sector, Slug, Sources, Strict

#: A path inside ``course_src/`` to a recorded file (video or captions).
MediaPath = Annotated[
    str,
    Field(description="path relative to course_src/, e.g. media/clip-x.nl.mp4"),
]


class Slide(Strict):
    """One step of a video script: what is on screen and what is said.

    Draft videos are rendered from these; the narration is also the
    transcript and the caption text.
    """

    title: LocalizedText
    on_screen: LocalizedText | None = None
    narration: LocalizedText
    speaker: LocalizedText | None = None
    sources: list[str] = Field(default_factory=list)


class VideoUnit(Strict):
    """Fields shared by units that carry a video with captions."""

    id: Slug
    title: LocalizedText
    goals: list[GoalId] = Field(min_length=1)
    script: list[Slide] = Field(min_length=1)
    video: dict[Language, MediaPath] = Field(default_factory=dict)
    captions: dict[Language, MediaPath] = Field(default_factory=dict)
    transcript: LocalizedText | None = None

    @field_validator("video", "captions")
    @classmethod
    def _relative_path(cls, value: dict[Language, str]) -> dict[Language, str]:
        for path in value.values():
            pure = PurePosixPath(path)
            if pure.is_absolute() or ".." in pure.parts or "\\" in path:
                raise ValueError(f"'{path}' must be a relative path inside course_src/")
        return value


class KnowledgeClip(VideoUnit):
    """A short explanatory video on one concept (``clips/*.yaml``)."""

    summary: LocalizedText
    sources: Sources


class Case(VideoUnit):
    """A recognisable story from one sector's daily practice (``cases/*.yaml``).

    The package for a sector carries that sector's case as its main case.
    """

    sector: Sector
    summary: LocalizedText
    story: LocalizedText
    questions: list[LocalizedText] = Field(min_length=1)
    discussion_prompts: list[LocalizedText] = Field(min_length=1)
    sources: Sources


class AnswerLimits(Strict):
    """Bounds on the learner's free-text answer, stored by the LMS/LRS."""

    min_length: int = Field(default=0, ge=0)
    max_length: int = Field(default=2000, ge=1, le=4000)


class RatingScale(Strict):
    """A numeric self-rating scale with labelled ends."""

    min: int = Field(default=1, ge=0)
    max: int = Field(default=5, le=10)
    min_label: LocalizedText
    max_label: LocalizedText


class SelfRating(Strict):
    """An optional attitude self-rating attached to a reflection."""

    statement: LocalizedText
    scale: RatingScale


class Reflection(Strict):
    """A reflection exercise: a prompt and the learner's own free-text answer."""

    id: Slug
    title: LocalizedText
    prompt: LocalizedText
    answer: AnswerLimits = AnswerLimits()
    self_rating: SelfRating | None = None
    goals: list[GoalId] = Field(min_length=1)
    sources: list[str] = Field(default_factory=list)
