"""The course catalogue: the current version of every imported course, its variants grouped.

One course (our ``gsog``) is built as one cmi5 package per language and
sector; each package has its own cmi5 course id. The catalogue groups the
packages sharing a course key (the builder's course id, or the cmi5 course
id of a foreign package) into one entry that lists every language and
sector it exists in, and the variants a learner may take.

A learner's language and sector select the variants by default: a variant
matches a language when it is in that language (``fr`` also matches
``fr-BE`` and the other way round), and a sector when it is that sector's
package or a package made for no sector. An entry is listed when some
variant matches; its modules, duration and learning goals are those of the
first matching variant, the one a learner would take. Nothing here is about
learners: the catalogue is public.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine

from lrs.courses.metadata import Goal, LangMap
from lrs.courses.store import ImportedCourse, list_courses
from lrs.store.interface import Store
from lrs.store.sql import engine_of


@dataclass(frozen=True)
class Module:
    """One AU as the catalogue shows it."""

    id: str
    title: LangMap
    description: LangMap
    move_on: str
    mastery_score: float | None
    goals: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "moveOn": self.move_on,
            "masteryScore": self.mastery_score,
            "goals": list(self.goals),
        }


@dataclass(frozen=True)
class Variant:
    """One package of a course: a language and (for our courses) a sector."""

    package_id: int
    course_iri: str
    version: str
    languages: tuple[str, ...]
    sector: str | None
    level: str | None
    title: LangMap
    description: LangMap
    duration: str | None
    modules: tuple[Module, ...]
    goals: tuple[Goal, ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "packageId": self.package_id,
            "course": self.course_iri,
            "version": self.version,
            "languages": list(self.languages),
            "sector": self.sector,
            "level": self.level,
            "title": self.title,
            "description": self.description,
            "duration": self.duration,
            "modules": [m.as_dict() for m in self.modules],
            "goals": [g.as_dict() for g in self.goals],
        }


@dataclass(frozen=True)
class CatalogueEntry:
    """A course with the variants that match the filter, and every language and sector it exists in."""

    course: str
    title: LangMap
    description: LangMap
    languages: tuple[str, ...]
    sectors: tuple[str, ...]
    duration: str | None
    modules: tuple[Module, ...]
    goals: tuple[Goal, ...]
    variants: tuple[Variant, ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (``GET /courses/catalogue``)."""
        return {
            "course": self.course,
            "title": self.title,
            "description": self.description,
            "languages": list(self.languages),
            "sectors": list(self.sectors),
            "duration": self.duration,
            "modules": [m.as_dict() for m in self.modules],
            "goals": [g.as_dict() for g in self.goals],
            "variants": [v.as_dict() for v in self.variants],
        }


def _primary(tag: str) -> str:
    return tag.split("-", 1)[0].casefold()


def speaks(languages: Iterable[str], language: str) -> bool:
    """True when a variant in ``languages`` serves a learner asking for ``language`` (primary subtags match)."""
    return any(_primary(tag) == _primary(language) for tag in languages)


def _variant(package: ImportedCourse) -> Variant:
    modules = tuple(
        Module(au.au_id, au.title, au.description, au.move_on, au.mastery_score, au.objectives) for au in package.aus
    )
    return Variant(
        package_id=package.id,
        course_iri=package.course_iri,
        version=package.version,
        languages=package.languages,
        sector=package.sector,
        level=package.level,
        title=package.title,
        description=package.description,
        duration=package.duration,
        modules=modules,
        goals=package.goals,
    )


def _matches(variant: Variant, language: str | None, sector: str | None) -> bool:
    if language is not None and not speaks(variant.languages, language):
        return False
    return sector is None or variant.sector in (None, sector)


def _merged(texts: Iterable[LangMap]) -> LangMap:
    """Texts of all variants by language (the first variant giving a language wins)."""
    merged: LangMap = {}
    for text in texts:
        for lang, value in text.items():
            merged.setdefault(lang, value)
    return merged


def catalogue(target: Store | Engine, language: str | None = None, sector: str | None = None) -> list[CatalogueEntry]:
    """The catalogue, filtered to variants in ``language`` and for ``sector`` when given; sorted by course key."""
    groups: dict[str, list[Variant]] = {}
    for package in list_courses(engine_of(target), current_only=True):
        groups.setdefault(package.course_key, []).append(_variant(package))
    entries = []
    for key in sorted(groups):
        every = sorted(groups[key], key=lambda v: (v.languages, v.sector or "", v.package_id))
        chosen = tuple(v for v in every if _matches(v, language, sector))
        if not chosen:
            continue
        first = chosen[0]
        entries.append(
            CatalogueEntry(
                course=key,
                title=_merged(v.title for v in chosen),
                description=_merged(v.description for v in chosen),
                languages=tuple(sorted({tag for v in every for tag in v.languages})),
                sectors=tuple(sorted({v.sector for v in every if v.sector})),
                duration=first.duration,
                modules=first.modules,
                goals=first.goals,
                variants=chosen,
            )
        )
    return entries
