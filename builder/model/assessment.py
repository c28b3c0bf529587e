"""Assessment item bank and the tests drawn from it."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from builder.model.base import GoalId, LocalizedText, Slug, Sources, Strict


class Feedback(Strict):
    """Feedback shown after an answer, for items without per-option feedback."""

    correct: LocalizedText
    incorrect: LocalizedText


class Option(Strict):
    """One answer option of a choice item, with its own feedback."""

    id: Slug
    text: LocalizedText
    correct: bool = False
    feedback: LocalizedText


class _Item(Strict):
    id: Slug
    stem: LocalizedText
    goals: list[GoalId] = Field(min_length=1)
    sources: Sources


class SingleChoice(_Item):
    """Exactly one option is correct."""

    type: Literal["single_choice"]
    options: list[Option] = Field(min_length=2, max_length=8)


class MultipleResponse(_Item):
    """One or more options are correct; all must be chosen."""

    type: Literal["multiple_response"]
    options: list[Option] = Field(min_length=2, max_length=8)


class TrueFalse(_Item):
    """A statement that is true or false."""

    type: Literal["true_false"]
    answer: bool
    feedback: Feedback


class Pair(Strict):
    """A prompt and the answer it matches."""

    id: Slug
    prompt: LocalizedText
    match: LocalizedText


class Matching(_Item):
    """Match each prompt to its answer."""

    type: Literal["matching"]
    pairs: list[Pair] = Field(min_length=2, max_length=8)
    feedback: Feedback


class Step(Strict):
    """One step of an ordering item."""

    id: Slug
    text: LocalizedText


class Ordering(_Item):
    """Put the steps in the right order (as authored)."""

    type: Literal["ordering"]
    steps: list[Step] = Field(min_length=2, max_length=8)
    feedback: Feedback


Item = Annotated[
    SingleChoice | MultipleResponse | TrueFalse | Matching | Ordering,
    Field(discriminator="type"),
]
ITEM_TYPES = ("single_choice", "multiple_response", "true_false", "matching", "ordering")


class ItemBankFile(Strict):
    """``item_bank/*.yaml``: a group of items, usually one topic."""

    items: list[Item] = Field(min_length=1)


class Assessment(Strict):
    """A test that draws ``draw`` items at random from the whole bank per attempt.

    The pre-test and the post-test draw from the same bank, so the gain
    between them measures what the course taught.
    """

    id: Slug
    role: Literal["pre", "post"]
    title: LocalizedText
    intro: LocalizedText
    draw: int = Field(ge=1, le=100)
    mastery_score: float = Field(ge=0, le=1)
    max_attempts: int | None = Field(default=None, ge=1)
