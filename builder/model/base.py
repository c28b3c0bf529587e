"""Shared building blocks: strict models, bilingual text, ids, source notes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

#: Languages a text may carry. The course declares which of these it ships.
LANGUAGE_CODES = ("nl", "fr")
Language = Literal["nl", "fr"]

SECTORS = ("police", "justice", "medical", "psychosocial", "education")
Sector = Literal["police", "justice", "medical", "psychosocial", "education"]

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

NonEmpty = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]


class Localized:
    """Marker on text types that must exist in every course language."""

    def __repr__(self) -> str:
        return "Localized()"


#: Text in every course language: ``{nl: "...", fr: "..."}``. Completeness per
#: language is checked by ``course check``, not here, so that one missing
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
