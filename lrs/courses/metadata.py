"""What the catalogue and the LMS need from a cmi5 package, read from a zip that passed validation.

The course structure (``cmi5.xml``) is the source every cmi5 package has:
course id, titles and descriptions per language, objectives (the learning
goals) and the AUs with their moveOn, masteryScore and launch URL. As cmi5
13.0 requires of an LMS, leading and trailing whitespace is removed from
every value on import.

cmi5.xml has no sector, level or version. Our own packages state them
twice, and nothing is guessed when a foreign package states neither:

* ``content/course.js``, written by the builder (``builder/payload.py``):
  ``window.GSOG_PROFILE.build`` holds the learner-context values every
  statement carries (course, course-version, sector, language, level), and
  ``window.GSOG_CONTENT.course`` the course's id, version, language and
  sector (older packages have only this one);
* ``metadata.xml`` (IEEE LOM, ``builder/writers/lom.py``): the version
  (``lifeCycle/version``), the level (a ``classification`` under the
  profile's level IRI) and a ``typicalLearningTime``, when the package
  declares one (the estimated duration, ISO 8601).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from lxml import etree

from builder.spec import CMI5, CONTENT_GLOBAL, CONTENT_SCRIPT, LOM, PROFILE_GLOBAL, script_line_prefix
from builder.validate.xmlread import parse_manifest
from builder.validate.zipsafe import EntryUnreadable, SafeZip
from lrs.xapi.profile import BY_NAME

COURSE_STRUCTURE: Final = "cmi5.xml"
LOM_FILE: Final = "metadata.xml"
#: course.js holds the whole course content (a few MB); a larger one is not ours and is ignored.
MAX_CONTENT_SCRIPT_BYTES: Final = 32 * 1024 * 1024
#: cmi5 13.1.4: an AU without moveOn is NotApplicable, without launchMethod AnyWindow.
DEFAULT_MOVE_ON: Final = "NotApplicable"
DEFAULT_LAUNCH_METHOD: Final = "AnyWindow"
#: The taxonomy source under which our LOM states the training level.
LEVEL_TAXONOMY: Final = BY_NAME["level"].iri

LangMap = dict[str, str]
"""Text per language tag, e.g. ``{"fr": "Aborder la violence …"}``."""


@dataclass(frozen=True)
class Goal:
    """A learning goal: a cmi5 ``<objective>`` with its titles and descriptions per language."""

    id: str
    title: LangMap
    description: LangMap

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"id": self.id, "title": self.title, "description": self.description}


@dataclass(frozen=True)
class AuInfo:
    """One assignable unit (a module of our courses) as the LMS launches it."""

    au_id: str
    title: LangMap
    description: LangMap
    move_on: str
    mastery_score: float | None
    launch_method: str
    url: str
    objectives: tuple[str, ...]


@dataclass(frozen=True)
class PackageInfo:
    """Everything stored about a package besides its files."""

    course_iri: str
    version: str
    course_key: str
    languages: tuple[str, ...]
    sector: str | None
    level: str | None
    title: LangMap
    description: LangMap
    duration: str | None
    goals: tuple[Goal, ...]
    aus: tuple[AuInfo, ...]


def _q(local: str, namespace: str = CMI5) -> str:
    return f"{{{namespace}}}{local}"


def _text(value: str | None) -> str:
    """cmi5 13.0: leading and trailing whitespace removed on import."""
    return (value or "").strip()


def langstrings(parent: etree._Element | None, local: str) -> LangMap:
    """The ``<langstring lang>`` texts of ``parent``'s ``<local>`` child, by language (first one wins)."""
    found: LangMap = {}
    element = parent.find(_q(local)) if parent is not None else None
    if element is None:
        return found
    for string in element.iter(_q("langstring")):
        found.setdefault(_text(string.get("lang")) or "und", _text("".join(str(t) for t in string.itertext())))
    return found


def _script_global(script: str, name: str) -> dict[str, Any] | None:
    """The JSON object assigned to ``window.<name>`` in a builder-written script, or None."""
    marker = script_line_prefix(name)
    start = script.find(marker)
    if start < 0:
        return None
    try:
        value, _ = json.JSONDecoder().raw_decode(script, start + len(marker))
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _string(mapping: Mapping[str, Any] | None, key: str) -> str | None:
    value = mapping.get(key) if mapping is not None else None
    return value.strip() if isinstance(value, str) and value.strip() else None


@dataclass(frozen=True)
class BuildValues:
    """What our builder states about a package beyond cmi5.xml (all None for a foreign package)."""

    course: str | None = None
    version: str | None = None
    language: str | None = None
    sector: str | None = None
    level: str | None = None
    duration: str | None = None


def build_values(package: SafeZip) -> BuildValues:
    """The course id, version, language, sector, level and duration our builder wrote into course.js."""
    if CONTENT_SCRIPT not in package.names:
        return BuildValues()
    try:
        script = package.read(CONTENT_SCRIPT, MAX_CONTENT_SCRIPT_BYTES).decode("utf-8")
    except (EntryUnreadable, UnicodeDecodeError):
        return BuildValues()
    profile = _script_global(script, PROFILE_GLOBAL)
    build = profile.get("build") if profile is not None else None
    build = build if isinstance(build, dict) else None
    content = _script_global(script, CONTENT_GLOBAL)
    course = content.get("course") if content is not None else None
    course = course if isinstance(course, dict) else None
    return BuildValues(
        course=_string(build, "course") or _string(course, "id"),
        version=_string(build, "course-version") or _string(course, "version"),
        language=_string(build, "language") or _string(course, "lang"),
        sector=_string(build, "sector") or _string(course, "sector"),
        level=_string(build, "level") or _string(course, "level"),
        duration=_string(course, "duration"),
    )


def lom_values(package: SafeZip) -> BuildValues:
    """Version, level and typical learning time from ``metadata.xml`` (IEEE LOM), when the package has one."""
    if LOM_FILE not in package.names:
        return BuildValues()
    try:
        root = parse_manifest(LOM_FILE, package.read(LOM_FILE))
    except EntryUnreadable:
        return BuildValues()
    if not isinstance(root, etree._Element):
        return BuildValues()
    version = root.findtext(f"{_q('lifeCycle', LOM)}/{_q('version', LOM)}/{_q('string', LOM)}")
    duration = root.findtext(f"{_q('educational', LOM)}/{_q('typicalLearningTime', LOM)}/{_q('duration', LOM)}")
    level = None
    for path in root.iter(_q("taxonPath", LOM)):
        if _text(path.findtext(f"{_q('source', LOM)}/{_q('string', LOM)}")) == LEVEL_TAXONOMY:
            level = _text(path.findtext(f"{_q('taxon', LOM)}/{_q('id', LOM)}")) or None
    return BuildValues(version=_text(version) or None, level=level, duration=_text(duration) or None)


def _mastery(value: str | None) -> float | None:
    """The AU's masteryScore (already checked to lie in 0..1 by the validator)."""
    return float(_text(value)) if value is not None else None


def read_package_info(package: SafeZip) -> PackageInfo:
    """Read a package the validator accepted; its cmi5.xml is known to be well-formed and rule-abiding."""
    root = parse_manifest(COURSE_STRUCTURE, package.read(COURSE_STRUCTURE))
    if not isinstance(root, etree._Element):  # pragma: no cover - validation refused such a package
        raise ValueError(f"{COURSE_STRUCTURE} cannot be parsed: {root.message}")
    course = root.find(_q("course"))
    course_iri = _text(course.get("id") if course is not None else None)
    build, lom = build_values(package), lom_values(package)
    title = langstrings(course, "title")
    goals = tuple(
        Goal(_text(o.get("id")), langstrings(o, "title"), langstrings(o, "description"))
        for objectives in root.findall(_q("objectives"))
        for o in objectives.findall(_q("objective"))
    )
    aus = tuple(
        AuInfo(
            au_id=_text(au.get("id")),
            title=langstrings(au, "title"),
            description=langstrings(au, "description"),
            move_on=_text(au.get("moveOn")) or DEFAULT_MOVE_ON,
            mastery_score=_mastery(au.get("masteryScore")),
            launch_method=_text(au.get("launchMethod")) or DEFAULT_LAUNCH_METHOD,
            url=_text(au.findtext(_q("url"))),
            objectives=tuple(_text(ref.get("idref")) for ref in au.iter(_q("objective")) if ref.get("idref")),
        )
        for au in root.iter(_q("au"))
    )
    languages = (build.language,) if build.language else tuple(sorted(title))
    return PackageInfo(
        course_iri=course_iri,
        version=build.version or lom.version or "",
        course_key=build.course or course_iri,
        languages=languages,
        sector=build.sector,
        level=build.level or lom.level,
        title=title,
        description=langstrings(course, "description"),
        duration=build.duration or lom.duration,
        goals=goals,
        aus=aus,
    )
