"""A variant is the course for one language and one sector, ready for a package.

Compiling a variant resolves every localized text to one language, picks the
sector's main case, and lists the media files the package must carry. The
result is plain JSON data: the player reads it, the package writers only copy
it, so the formats cannot drift apart in what they show.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt

from builder.media.narration import transcript
from builder.media.resolve import media_for
from builder.model.assessment import Assessment, Item, Matching, MultipleResponse, Ordering, SingleChoice, TrueFalse
from builder.model.base import pick
from builder.model.catalog import Course
from builder.model.reference import EvaluationForm, Factsheet, Glossary, ReferralList
from builder.model.units import Case, KnowledgeClip, Reflection, VideoUnit
from builder.typography import typeset

#: Version of the content document the player reads; bump on breaking changes.
CONTENT_SCHEMA = 1

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


@functools.lru_cache(maxsize=8192)
def html(text: str) -> str:
    """Author Markdown to HTML; raw HTML in the source is escaped, not passed on.

    Cached: the same texts recur in every sector's variant of a language.
    """
    return str(_markdown.render(text)).strip()


@dataclass(frozen=True, order=True)
class Variant:
    """One package's audience: a language and a sector."""

    lang: str
    sector: str

    @property
    def slug(self) -> str:
        """File-name part, e.g. ``nl-police``."""
        return f"{self.lang}-{self.sector}"


def all_variants(course: Course, languages: list[str] | None = None, sectors: list[str] | None = None) -> list[Variant]:
    """Every language x sector combination of ``course`` asked for, in the course's order.

    The matrix is what course.yaml declares (``languages``, ``sectors``);
    whether a requested language or sector is declared is checked before
    (``course check``, :func:`builder.build.build_packages`), so one not
    declared is simply not in the matrix.
    """
    langs = [lang for lang in course.meta.languages if languages is None or lang in languages]
    chosen = [sector for sector in course.meta.sector_ids if sectors is None or sector in sectors]
    return [Variant(lang, sector) for lang in langs for sector in chosen]


@dataclass(frozen=True)
class PackageFile:
    """A file the package carries: where it goes in the zip and where it comes from."""

    arcname: str
    source: Path


@dataclass
class CompiledVariant:
    """Everything a package writer needs for one variant."""

    variant: Variant
    course: Course
    content: dict[str, Any]
    media: list[PackageFile] = field(default_factory=list)

    @functools.cached_property
    def content_json(self) -> str:
        """The content document, serialised deterministically."""
        return json.dumps(self.content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _goal_ids(unit: Any) -> list[str]:
    return list(getattr(unit, "goals", []))


def _video(course: Course, unit: VideoUnit, lang: str, cache: Path, media: list[PackageFile]) -> dict[str, Any]:
    """A video unit's media, side by side in ``media/``: the video, its poster and its captions.

    Draft captions come typeset from the renderer (French typography has to
    be applied before their lines are wrapped); recorded captions are the
    authors' files and are packaged as they are.
    """
    found = media_for(course, unit, lang, cache)
    video_name = f"media/{unit.id}{found.video.suffix}"
    poster_name = f"media/{unit.id}{found.poster.suffix}"
    captions_name = f"media/{unit.id}.vtt"
    media.append(PackageFile(video_name, found.video))
    media.append(PackageFile(poster_name, found.poster))
    media.append(PackageFile(captions_name, found.captions))
    return {
        "video": video_name,
        "video_type": "video/webm" if found.video.suffix == ".webm" else "video/mp4",
        "poster": poster_name,
        "captions": captions_name,
        "transcript": html(transcript(unit, lang)),
        "recorded": found.recorded,
    }


def _clip(clip: KnowledgeClip, lang: str) -> dict[str, Any]:
    return {"kind": "clip", "summary": pick(clip.summary, lang)}


def _case(case: Case, lang: str, main: bool) -> dict[str, Any]:
    return {
        "kind": "case",
        "sector": case.sector,
        "main": main,
        "summary": pick(case.summary, lang),
        "story": html(pick(case.story, lang)),
        "questions": [pick(q, lang) for q in case.questions],
        "prompts": [pick(p, lang) for p in case.discussion_prompts],
    }


def _reflection(reflection: Reflection, lang: str) -> dict[str, Any]:
    rating = reflection.self_rating
    return {
        "kind": "reflection",
        "prompt": html(pick(reflection.prompt, lang)),
        "answer": {"min": reflection.answer.min_length, "max": reflection.answer.max_length},
        "self_rating": None
        if rating is None
        else {
            "statement": pick(rating.statement, lang),
            "min": rating.scale.min,
            "max": rating.scale.max,
            "min_label": pick(rating.scale.min_label, lang),
            "max_label": pick(rating.scale.max_label, lang),
        },
    }


def item_content(item: Item, lang: str) -> dict[str, Any]:
    """One assessment item in one language, with its answer key."""
    base: dict[str, Any] = {"id": item.id, "type": item.type, "stem": html(pick(item.stem, lang)), "goals": item.goals}
    if isinstance(item, (SingleChoice, MultipleResponse)):
        base["options"] = [
            {"id": o.id, "text": pick(o.text, lang), "correct": o.correct, "feedback": pick(o.feedback, lang)}
            for o in item.options
        ]
    elif isinstance(item, TrueFalse):
        base["answer"] = item.answer
    elif isinstance(item, Matching):
        base["pairs"] = [{"id": p.id, "prompt": pick(p.prompt, lang), "match": pick(p.match, lang)} for p in item.pairs]
    elif isinstance(item, Ordering):
        base["steps"] = [{"id": s.id, "text": pick(s.text, lang)} for s in item.steps]
    if isinstance(item, (TrueFalse, Matching, Ordering)):
        base["feedback"] = {
            "correct": pick(item.feedback.correct, lang),
            "incorrect": pick(item.feedback.incorrect, lang),
        }
    return base


def _unit(course: Course, unit: Any, variant: Variant, cache: Path, media: list[PackageFile]) -> dict[str, Any]:
    lang = variant.lang
    common = {"id": unit.id, "title": pick(unit.title, lang), "goals": _goal_ids(unit)}
    if isinstance(unit, KnowledgeClip):
        return {**common, **_clip(unit, lang), **_video(course, unit, lang, cache, media), "required": True}
    if isinstance(unit, Case):
        main = unit.sector == variant.sector
        extra = _video(course, unit, lang, cache, media) if main else {"video": None}
        return {**common, **_case(unit, lang, main), **extra, "required": main}
    if isinstance(unit, Reflection):
        return {**common, **_reflection(unit, lang), "required": True}
    if isinstance(unit, Assessment):
        return {
            **common,
            "kind": "assessment",
            "role": unit.role,
            "intro": html(pick(unit.intro, lang)),
            "draw": unit.draw,
            "mastery_score": unit.mastery_score,
            "max_attempts": unit.max_attempts,
            "items": [item_content(i, lang) for i in course.items],
            "required": unit.role == "post",
        }
    if isinstance(unit, EvaluationForm):
        return {
            **common,
            "kind": "evaluation",
            "intro": html(pick(unit.intro, lang)),
            "likert_scale": [pick(label, lang) for label in unit.likert_scale],
            "likert_items": [{"id": q.id, "text": pick(q.text, lang)} for q in unit.likert_items],
            "competence_scale": [pick(label, lang) for label in unit.competence_scale],
            "competence_items": [
                {"id": q.id, "text": pick(q.text, lang), "goal": q.goal} for q in unit.competence_items
            ],
            "open_questions": [{"id": q.id, "text": pick(q.text, lang)} for q in unit.open_questions],
            "required": False,
        }
    if isinstance(unit, Factsheet):
        return {
            **common,
            "kind": "factsheet",
            "version": unit.version,
            "sections": [{"heading": pick(s.heading, lang), "body": html(pick(s.body, lang))} for s in unit.sections],
            "required": False,
        }
    if isinstance(unit, Glossary):
        return {
            **common,
            "kind": "glossary",
            "terms": sorted(
                (
                    {
                        "id": t.id,
                        "term": pick(t.term, lang),
                        "definition": pick(t.definition, lang),
                        "see_also": t.see_also,
                    }
                    for t in unit.terms
                ),
                key=lambda t: t["term"].casefold(),
            ),
            "required": False,
        }
    if isinstance(unit, ReferralList):
        entries = [
            {
                "id": e.id,
                "name": pick(e.name, lang),
                "description": pick(e.description, lang),
                "regions": e.regions,
                "sectors": e.sectors,
                "languages": e.languages,
                "phone": e.phone,
                "web": str(e.web) if e.web else None,
                "verified_on": e.verified_on.isoformat(),
                "for_sector": variant.sector in e.sectors,
            }
            for e in unit.entries
        ]
        return {**common, "kind": "referrals", "entries": entries, "required": False}
    raise TypeError(f"unit {unit.id}: no content for {type(unit).__name__}")


def compile_variant(course: Course, variant: Variant, cache: Path) -> CompiledVariant:
    """Resolve the course for one language and sector."""
    lang = variant.lang
    media: list[PackageFile] = []
    units = course.units
    meta = course.meta
    content: dict[str, Any] = {
        "schema": CONTENT_SCHEMA,
        "course": {
            "id": meta.id,
            "iri": str(meta.base_iri),
            "version": meta.version,
            "lang": lang,
            "sector": variant.sector,
            "title": pick(meta.title, lang),
            "description": pick(meta.description, lang),
        },
        "goals": [{"id": g.id, "type": g.type, "text": pick(g.text, lang)} for g in course.goals],
        "modules": [{"id": m.id, "title": pick(m.title, lang), "units": list(m.units)} for m in meta.modules],
        "units": {},
    }
    for module in content["modules"]:
        # units stay in the author's order: the sector's own case is marked ``main``, not moved
        for unit_id in module["units"]:
            content["units"][unit_id] = _unit(course, units[unit_id], variant, cache, media)
    # typography last, over the whole document, so no text field (now or added later) is missed
    return CompiledVariant(variant, course, typeset(content, lang), sorted(media, key=lambda f: f.arcname))
