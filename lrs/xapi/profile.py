"""Our xAPI Profile: the learner-context extensions every statement of our packages carries.

Evaluators report per sector, organisation, region, language, role and
training level, and per course and package version (issue #9). Those facts
travel as context extensions under our own IRIs, defined here once:

* the builder puts the IRIs and the values it knows (sector, language,
  course, course version, package format and version) into each package's
  ``content/course.js`` (:mod:`builder.payload`), and the player adds them
  to every statement it sends;
* the launch gives organisation, region, role and level: a cmi5 LMS in
  ``LMS.LaunchData``'s contextTemplate (our own launches endpoint takes them
  as ``learnerContext``, checked by :func:`launch_context_problem`), a
  TinCan launch link as URL parameters of the same names; a course that
  declares its level has the build set it instead (:data:`BUILD_OR_LAUNCH`);
* the LRS serves :func:`profile_document` (xAPI Profiles 1.0, JSON-LD) at
  :data:`PROFILE_PATH`, so the IRIs are documented where they are defined.

A value is never guessed: absent means absent, and reports count the
statement as "unknown". Values are codes of groups, never personal data
(no names, e-mail addresses or learner ids); the patterns allow no spaces,
so a name does not fit by accident.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

#: Where our vocabulary lives: the publisher's domain (the course's base IRI is under it too).
PUBLISHER: Final = "https://gsog.example.org"
#: The profile's IRI (all versions); the LRS serves the document at this path.
PROFILE_ID: Final = f"{PUBLISHER}/profiles/gsog"
PROFILE_PATH: Final = "/profiles/gsog"
#: The current version of the profile: concepts are ``inScheme`` of it.
PROFILE_VERSION: Final = f"{PROFILE_ID}/v1"
PROFILE_VERSION_DATE: Final = "2026-12-05T00:00:00Z"
#: Our extension IRIs: ``<publisher>/xapi/extensions/<name>`` (the scheme the player's
#: ``attempt`` extension has used from the start).
EXTENSION_BASE: Final = f"{PUBLISHER}/xapi/extensions/"
#: The JSON-LD context and the specification version xAPI Profiles 1.0 asks for.
PROFILES_CONTEXT: Final = "https://w3id.org/xapi/profiles/context"
PROFILES_CONFORMS_TO: Final = "https://w3id.org/xapi/profiles#1.0"
MEDIA_TYPE: Final = "application/ld+json"

#: A code: letters, digits and ``. _ : -``, 1 to 64 characters (no spaces: not a name).
CODE: Final = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"
#: The training levels the Dutch expertise plan registers.
LEVELS: Final = ("basic", "deepening", "specialised")

Source = Literal["build", "launch", "player"]


@dataclass(frozen=True)
class ContextExtension:
    """One extension of our profile: its name, who knows its value, what it means."""

    name: str
    #: ``build``: the builder knows it; ``launch``: the LMS or launch link gives it;
    #: ``player``: the player computes it (not learner context)
    source: Source
    label: Mapping[str, str]
    definition: Mapping[str, str]
    #: JSON Schema of the value (the player and the launches endpoint check launch values with it)
    schema: Mapping[str, Any] = field(default_factory=lambda: {"type": "string", "pattern": CODE})

    @property
    def iri(self) -> str:
        """The extension key in ``context.extensions``."""
        return EXTENSION_BASE + self.name


_NOT_PERSONAL = " It is a code of a group, never personal data (no name, e-mail address or learner id)."
_NIET_PERSOONLIJK = " Het is de code van een groep, nooit een persoonsgegeven (geen naam, e-mailadres of learner-id)."

EXTENSIONS: Final[tuple[ContextExtension, ...]] = (
    ContextExtension(
        "sector",
        "build",
        {"en": "sector", "nl": "sector", "fr": "secteur"},
        {
            "en": "The professional sector the package was made for (police, justice, medical, psychosocial, "
            "education), set when the package is built." + _NOT_PERSONAL,
            "nl": "De beroepssector waarvoor het pakket gemaakt is, vastgelegd bij het bouwen." + _NIET_PERSOONLIJK,
        },
    ),
    ContextExtension(
        "language",
        "build",
        {"en": "language", "nl": "taal", "fr": "langue"},
        {
            "en": "The language of the package (a BCP 47 tag such as nl or fr), set when the package is built.",
            "nl": "De taal van het pakket (BCP 47, bv. nl of fr), vastgelegd bij het bouwen.",
        },
        {"type": "string", "pattern": r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$"},
    ),
    ContextExtension(
        "course",
        "build",
        {"en": "course", "nl": "cursus", "fr": "cours"},
        {
            "en": "The course's id (course.yaml), set when the package is built.",
            "nl": "De id van de cursus (course.yaml), vastgelegd bij het bouwen.",
        },
    ),
    ContextExtension(
        "course-version",
        "build",
        {"en": "course version", "nl": "cursusversie", "fr": "version du cours"},
        {
            "en": "The course's version as its authors declare it (semantic versioning), set when built.",
            "nl": "De versie van de cursus zoals de auteurs ze opgeven (semantic versioning).",
        },
        {"type": "string", "pattern": r"^[0-9]+\.[0-9]+\.[0-9]+$"},
    ),
    ContextExtension(
        "package-format",
        "build",
        {"en": "package format", "nl": "pakketformaat", "fr": "format du paquet"},
        {
            "en": "The package's format (cmi5, xapi, scorm12, scorm2004), set when the package is built.",
            "nl": "Het formaat van het pakket (cmi5, xapi, scorm12, scorm2004).",
        },
    ),
    ContextExtension(
        "package-version",
        "build",
        {"en": "package version", "nl": "pakketversie", "fr": "version du paquet"},
        {
            "en": "Which build of the package: the course version, '+', and the first 12 hex digits of the "
            "SHA-256 of the package's player and content. Two packages with the same value show the learner "
            "the same thing.",
            "nl": "Welke build van het pakket: de cursusversie, '+', en 12 hexcijfers van de SHA-256 van "
            "speler en inhoud. Gelijke waarde = de cursist zag hetzelfde.",
        },
        {"type": "string", "pattern": r"^[0-9]+\.[0-9]+\.[0-9]+\+[0-9a-f]{12}$"},
    ),
    ContextExtension(
        "organisation",
        "launch",
        {"en": "organisation", "nl": "organisatie", "fr": "organisation"},
        {
            "en": "The id of the learner's organisation (facility, police zone, school) as the LMS or portal "
            "registers it, given by the launch." + _NOT_PERSONAL,
            "nl": "De id van de organisatie van de cursist (voorziening, politiezone, school), meegegeven bij "
            "de lancering." + _NIET_PERSOONLIJK,
        },
    ),
    ContextExtension(
        "region",
        "launch",
        {"en": "region", "nl": "regio", "fr": "région"},
        {
            "en": "The code of the region the learner works in (e.g. ISO 3166-2 BE-VLG, BE-WAL, BE-BRU or a "
            "province), given by the launch." + _NOT_PERSONAL,
            "nl": "De code van de regio waar de cursist werkt (bv. BE-VLG), meegegeven bij de lancering."
            + _NIET_PERSOONLIJK,
        },
    ),
    ContextExtension(
        "role",
        "launch",
        {"en": "role", "nl": "functie", "fr": "fonction"},
        {
            "en": "The code of the learner's role or function (e.g. inspector, nurse, teacher), given by the "
            "launch." + _NOT_PERSONAL,
            "nl": "De code van de functie van de cursist (bv. inspecteur, verpleegkundige), meegegeven bij de "
            "lancering." + _NIET_PERSOONLIJK,
        },
    ),
    ContextExtension(
        "level",
        "launch",
        {"en": "training level", "nl": "opleidingsniveau", "fr": "niveau de formation"},
        {
            "en": "The training level the learner follows the course at: basic, deepening or specialised; "
            "set by the build when the course declares its level, otherwise given by the launch." + _NOT_PERSONAL,
            "nl": "Het niveau waarop de cursist de opleiding volgt: basic (basis), deepening (verdieping) of "
            "specialised (specialisatie); door de build gezet als de cursus zijn niveau vastlegt, anders "
            "meegegeven bij de lancering." + _NIET_PERSOONLIJK,
        },
        {"type": "string", "enum": list(LEVELS)},
    ),
    ContextExtension(
        "attempt",
        "player",
        {"en": "attempt", "nl": "poging", "fr": "tentative"},
        {
            "en": "Which attempt of a test (1, 2, ...) an answer or a test result belongs to.",
            "nl": "Bij welke poging van een toets (1, 2, ...) een antwoord of toetsresultaat hoort.",
        },
        {"type": "integer", "minimum": 1},
    ),
    ContextExtension(
        "learning-goals",
        "player",
        {"en": "learning goals", "nl": "leerdoelen", "fr": "objectifs d'apprentissage"},
        {
            "en": "The ids of the learning goals (learning_goals.yaml) a test item tests, on the answer to that "
            "item: goal mastery and knowledge gain per goal are computed from them.",
            "nl": "De id's van de leerdoelen (learning_goals.yaml) die een toetsvraag toetst, bij het antwoord op "
            "die vraag: beheersing en kennisgroei per leerdoel worden ermee berekend.",
        },
        {"type": "array", "items": {"type": "string", "pattern": CODE}, "minItems": 1, "uniqueItems": True},
    ),
    ContextExtension(
        "test-role",
        "player",
        {"en": "test role", "nl": "toetsrol", "fr": "rôle du test"},
        {
            "en": "Whether an answer or a test result belongs to the pre-test (pre: prior knowledge, before the "
            "course) or the post-test (post: after it); knowledge gain pairs the two per learner.",
            "nl": "Of een antwoord of toetsresultaat bij de voortoets (pre: voorkennis, vóór de opleiding) of de "
            "eindtoets (post: erna) hoort; kennisgroei koppelt beide per cursist.",
        },
        {"type": "string", "enum": ["pre", "post"]},
    ),
)

BY_NAME: Final[Mapping[str, ContextExtension]] = {e.name: e for e in EXTENSIONS}
#: The learner context the launch gives, by the name the launch uses.
LAUNCH_FIELDS: Final[tuple[ContextExtension, ...]] = tuple(e for e in EXTENSIONS if e.source == "launch")
#: Longest launch value accepted (a code, never free text).
MAX_LAUNCH_VALUE: Final = 64


def iri(name: str) -> str:
    """The IRI of our extension ``name`` (KeyError for a name the profile does not define)."""
    return BY_NAME[name].iri


def _matches(schema: Mapping[str, Any], value: str) -> bool:
    if "enum" in schema:
        return value in schema["enum"]
    return re.fullmatch(schema["pattern"], value) is not None


def launch_value_problem(name: str, value: Any) -> str | None:
    """Why ``value`` is not a valid launch value of field ``name`` (None when it is)."""
    field_ = BY_NAME.get(name)
    if field_ is None or field_.source != "launch":
        return f"unknown key (known: {', '.join(f.name for f in LAUNCH_FIELDS)})"
    if not isinstance(value, str):
        return "must be a string"
    if not value or len(value) > MAX_LAUNCH_VALUE:
        return f"must be 1 to {MAX_LAUNCH_VALUE} characters"
    if not _matches(field_.schema, value):
        if "enum" in field_.schema:
            return f"must be one of {', '.join(field_.schema['enum'])}"
        return "must be a code: letters, digits and . _ : - (no spaces; never a person's name)"
    return None


def launch_context_problem(value: Any, where: str = "learnerContext") -> str | None:
    """What is wrong with a launch's learner context object, naming the field (None when valid)."""
    if not isinstance(value, Mapping):
        return f"{where}: must be an object with {', '.join(f.name for f in LAUNCH_FIELDS)}"
    for key, item in value.items():
        problem = launch_value_problem(str(key), item)
        if problem is not None:
            return f"{where}.{key}: {problem}"
    return None


def launch_extensions(value: Mapping[str, str]) -> dict[str, str]:
    """Context extensions (IRI -> value) of a valid learner context object."""
    return {iri(key): text for key, text in value.items()}


#: Launch fields a course may fix at build time instead (same IRI, one source per package).
BUILD_OR_LAUNCH: Final = ("level",)


def player_vocabulary(fixed: Collection[str] = ()) -> dict[str, Any]:
    """What a package's player needs: every extension IRI by name, and how to check a launch value.

    The builder writes this into ``content/course.js``; the player reads the
    IRIs from there, never from its own copy. ``fixed`` names launch fields of
    :data:`BUILD_OR_LAUNCH` whose value the package carries (a course that
    declares its level): they are not taken from the launch, so an LMS cannot
    contradict the course.
    """
    unknown = [name for name in fixed if name not in BUILD_OR_LAUNCH]
    if unknown:
        raise ValueError(f"only {', '.join(BUILD_OR_LAUNCH)} can be fixed at build time, not {', '.join(unknown)}")
    return {
        "profile": PROFILE_VERSION,
        "extensions": {e.name: e.iri for e in EXTENSIONS},
        "launch": {e.name: dict(e.schema) for e in LAUNCH_FIELDS if e.name not in fixed},
        "maxLaunchValue": MAX_LAUNCH_VALUE,
    }


def profile_document() -> dict[str, Any]:
    """The xAPI Profile (1.0, JSON-LD) that documents our extensions."""
    concepts = []
    for ext in EXTENSIONS:
        concepts.append(
            {
                "id": ext.iri,
                "type": "ContextExtension",
                "inScheme": PROFILE_VERSION,
                "prefLabel": dict(ext.label),
                "definition": dict(ext.definition),
                "inlineSchema": json.dumps(ext.schema, sort_keys=True),
            }
        )
    return {
        "@context": PROFILES_CONTEXT,
        "id": PROFILE_ID,
        "type": "Profile",
        "conformsTo": PROFILES_CONFORMS_TO,
        "prefLabel": {"en": "GSOG learner context", "nl": "GSOG-leercontext", "fr": "Contexte d'apprentissage GSOG"},
        "definition": {
            "en": "Context extensions of the training 'Gendersensitief omgaan met geweld': who followed it, "
            "in which sector, organisation, region, language, role and level, with which package. Values are "
            "codes of groups, never personal data. A statement without a value is counted as 'unknown'; "
            "values are never guessed.",
            "nl": "Contextextensies van de opleiding 'Gendersensitief omgaan met geweld': sector, organisatie, "
            "regio, taal, functie, niveau en pakket. Waarden zijn codes van groepen, nooit persoonsgegevens; "
            "ontbreekt een waarde, dan telt de uitspraak als 'onbekend'.",
        },
        "author": {"type": "Organization", "name": "GSOG", "url": PUBLISHER},
        "versions": [{"id": PROFILE_VERSION, "generatedAtTime": PROFILE_VERSION_DATE}],
        "concepts": concepts,
    }
