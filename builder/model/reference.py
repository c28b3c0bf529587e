"""Reference material: factsheets, glossary, referral list, evaluation form."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, HttpUrl

from builder.model.base import LocalizedText, Slug, Sources, Strict
from builder.model.vocabularies import TermId


class FactsheetSection(Strict):
    """One heading and its body (Markdown)."""

    heading: LocalizedText
    body: LocalizedText
    sources: Sources


class Factsheet(Strict):
    """A factsheet in its short (visual) or in-depth version."""

    id: Slug
    version: Literal["short", "in_depth"]
    title: LocalizedText
    sections: list[FactsheetSection] = Field(min_length=1)


class GlossaryTerm(Strict):
    """A term of the woordenlijst / lexique with its definition."""

    id: Slug
    term: LocalizedText
    definition: LocalizedText
    see_also: list[Slug] = Field(default_factory=list)
    sources: Sources


class Glossary(Strict):
    """``glossary.yaml``."""

    id: Slug
    title: LocalizedText
    terms: list[GlossaryTerm] = Field(min_length=1)


class ReferralEntry(Strict):
    """An organisation professionals can refer to, with when it was checked."""

    id: Slug
    name: LocalizedText
    description: LocalizedText
    regions: list[TermId] = Field(min_length=1, description="ids of course.yaml's 'regions'")
    sectors: list[TermId] = Field(min_length=1, description="ids of course.yaml's 'referral_sectors'")
    languages: list[str] = Field(min_length=1)
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9][0-9 ]{2,19}$")
    web: HttpUrl | None = None
    verified_on: dt.date
    sources: Sources


class ReferralList(Strict):
    """``referrals.yaml``."""

    id: Slug
    title: LocalizedText
    entries: list[ReferralEntry] = Field(min_length=1)


class Question(Strict):
    """One question of the evaluation form."""

    id: Slug
    text: LocalizedText


class CompetenceQuestion(Question):
    """A competence the participant rates before and after the course."""

    goal: str = Field(pattern=r"^LG-[KSA][0-9]{1,2}$")


class EvaluationForm(Strict):
    """``evaluation.yaml``: the participant evaluation form of the evaluation cycle."""

    id: Slug
    title: LocalizedText
    intro: LocalizedText
    likert_scale: list[LocalizedText] = Field(min_length=3, max_length=7)
    likert_items: list[Question] = Field(min_length=1)
    competence_scale: list[LocalizedText] = Field(min_length=3, max_length=7)
    competence_items: list[CompetenceQuestion] = Field(min_length=1)
    open_questions: list[Question] = Field(min_length=1)
