"""Vocabularies a course declares: its sectors, the aims its goals serve, regions, referral sectors.

Each has a provided default, the lists of the training framework this
repository was built for, so ``course.yaml`` names only what differs. An
entry is an id of the provided list (``police``), whose name in each
language is in the player's interface catalogues (``sector_police``), or
an id with its own names (``{id: community-work, name: {de: ..., en: ...}}``).
"""

from __future__ import annotations

from typing import Annotated, Final, Literal

from pydantic import Field, StringConstraints

from builder.model.base import LocalizedText, Strict

#: The five sectors of the IEWM training framework.
FRAMEWORK_SECTORS: Final = ("police", "justice", "medical", "psychosocial", "education")
#: The four aims of measure 48 of Belgium's national action plan 2021-2025.
MEASURE_48_AIMS: Final = ("detect", "prevent_secondary_victimisation", "needs_and_rights", "support_and_refer")
#: Regions a referral entry serves: Belgium's three regions, all of Belgium, the Netherlands.
REGIONS: Final = ("flanders", "brussels", "wallonia", "belgium", "netherlands")

VocabularyName = Literal["sectors", "aims", "regions", "referral_sectors"]

#: Each vocabulary's provided default.
PROVIDED: Final[dict[VocabularyName, tuple[str, ...]]] = {
    "sectors": FRAMEWORK_SECTORS,
    "aims": MEASURE_48_AIMS,
    "regions": REGIONS,
    "referral_sectors": FRAMEWORK_SECTORS,
}

#: Vocabularies whose names learners see, and the interface-string prefix of a name
#: (``sector_police``): the player shows ``t("sector_" + id)``.
SHOWN: Final[dict[VocabularyName, str]] = {"sectors": "sector_", "regions": "region_", "referral_sectors": "sector_"}


#: A vocabulary id: lowercase letters, digits, '-' and '_' (the measure-48 aims use '_').
TermId = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$"),
    Field(description="lowercase letters, digits, '-' and '_', e.g. 'police' or 'support_and_refer'"),
]


class Term(Strict):
    """A vocabulary entry of the course's own, with its name in every course language."""

    id: TermId
    name: LocalizedText


#: A vocabulary as course.yaml writes it: provided ids and the course's own terms.
Vocabulary = list[TermId | Term]


def term_id(entry: str | Term) -> str:
    """The id of a vocabulary entry, whichever way it is written."""
    return entry if isinstance(entry, str) else entry.id
