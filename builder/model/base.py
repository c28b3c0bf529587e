"""Shared building blocks: strict models, multilingual text, ids, source notes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any

from babel import localedata
from babel.core import parse_locale
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, GetJsonSchemaHandler, StringConstraints
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

#: RFC 5646 (BCP 47) tag syntax for what a course can ship: language, optional
#: script, region and variants (``nl``, ``fr-BE``, ``sr-Latn-RS``, ``de-CH-1996``).
#: Extensions and private use are left out: nothing downstream (catalogues,
#: speech, ``lang=`` attributes) would read them.
BCP47_PATTERN = (
    r"^[A-Za-z]{2,3}(-[A-Za-z]{4})?(-(?:[A-Za-z]{2}|[0-9]{3}))?(-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*$"
)


def language_tag(value: str) -> str:
    """``value`` as a BCP 47 tag in its conventional case (``DE-be`` -> ``de-BE``).

    The syntax is checked here and the language subtag against Babel's CLDR
    data, so a misspelt code (``ger``, ``xx``) is an error at the line that
    says it, and the same language is never spelt two ways in file names.
    """
    wrong = f"'{value}' is not a BCP 47 language tag such as 'nl', 'de' or 'fr-BE'"
    if not re.fullmatch(BCP47_PATTERN, value):
        raise ValueError(wrong)
    try:
        lang, territory, script, variant = parse_locale(value, sep="-")[:4]
    except ValueError:  # two variants: valid BCP 47, but no locale (catalogue, voice) can hold them
        raise ValueError(f"'{value}': use at most one variant subtag, e.g. 'de-CH-1996'") from None
    if not localedata.exists(lang):
        raise ValueError(f"'{value}': '{lang}' is not a known language code (ISO 639), e.g. 'nl', 'fr', 'de', 'en'")
    parts = [lang.lower(), *(p for p in (script and script.title(), territory and territory.upper()) if p)]
    if variant:
        parts += variant.lower().split("_")
    return "-".join(parts)


#: A language a text may carry: any BCP 47 tag; the course declares which it ships.
Language = Annotated[
    str,
    StringConstraints(pattern=BCP47_PATTERN),
    AfterValidator(language_tag),
    Field(description="BCP 47 language tag, e.g. 'nl', 'fr', 'de', 'en' or 'fr-BE'"),
]

#: A lowercase slug used as id of units, items, options, terms and entries.
Slug = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$"),
    Field(description="lowercase letters, digits and '-', e.g. 'clip-cycle-of-violence'"),
]

#: Learning-goal id: LG-K1 (knowledge), LG-S1 (skill), LG-A1 (attitude).
GoalId = Annotated[
    str,
    StringConstraints(pattern=r"^LG-[KSA][0-9]{1,2}$"),
    Field(description="learning-goal id such as LG-K1, LG-S2 or LG-A1"),
]

#: A note pointing at where a factual claim comes from: ``framework:467-473`` is
#: lines 467 to 473 of the source ``framework`` of ``sources.yaml``;
#: ``framework:p12`` is its page 12 (see ``builder.model.sources``).
NOTE_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}:p?[0-9]+(-[0-9]+)?$"
SourceRef = Annotated[
    str,
    StringConstraints(pattern=NOTE_PATTERN),
    Field(description="source id from sources.yaml and lines or pages, e.g. 'framework:467-473' or 'framework:p12'"),
]

#: A sector id: one of the sectors course.yaml declares (checked by ``course check``).
Sector = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$"),
    Field(description="a sector the course declares in course.yaml, e.g. 'police'"),
]

NonEmpty = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]


class Localized:
    """Marker on text types that must exist in every course language."""

    def __repr__(self) -> str:
        return "Localized()"

    def __get_pydantic_json_schema__(self, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        """Keys must be language tags: editors flag ``Nederlands:`` as they flag ``titel:``."""
        schema = handler(core_schema)
        schema["additionalProperties"] = False
        return schema


#: Text in every course language: ``{nl: "...", fr: "..."}``. Which languages a
#: text needs is the course's choice (``languages:`` of course.yaml), so
#: completeness per language is checked by ``course check``, not here: one missing
#: translation is reported for that language instead of failing the whole file.
LocalizedText = Annotated[dict[Language, NonEmpty], Localized()]
LocalizedList = Annotated[dict[Language, list[NonEmpty]], Localized()]

Sources = Annotated[
    list[SourceRef],
    Field(min_length=1, description="where the facts come from: source-id:lines or source-id:pPAGES"),
]


class Strict(BaseModel):
    """Base for every authoring type: unknown fields are errors, values frozen.

    Forbidding extra fields is what turns a typo ("titel:") into an error
    that names the field instead of silently dropping the text.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def pick(value: Mapping[Any, str] | None, lang: str, default: str = "") -> str:
    """The text of ``value`` in ``lang`` (``default`` when absent).

    Localized dicts are keyed by the ``Language`` literal; this accepts the
    plain ``str`` language codes that flow in from the command line.
    """
    if value is None:
        return default
    return str(value.get(lang, default))
