"""The one registry of unit kinds: what a module may list, and who shows it.

A unit kind is a model class (what the author writes), a ``kind`` string in
the compiled content (what :mod:`builder.variants` emits) and a player
component (``player/units/<kind>.js``, which calls
``GSOG.units.register(kind, ...)``). The Python side reads
:data:`UNIT_KINDS`; the player's script list stays in ``player/bundle.json``,
and ``tests/builder/test_registries.py`` checks that the two agree and that
each script registers its kind.

Adding a kind: its model (and file pattern in :mod:`builder.model.catalog`),
its content in :func:`builder.variants.compile_variant`, an entry below, and
its script in ``player/units/`` listed in ``player/bundle.json``.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from builder.model.assessment import Assessment
from builder.model.reference import EvaluationForm, Factsheet, Glossary, ReferralList
from builder.model.units import Case, KnowledgeClip, Reflection


@dataclass(frozen=True)
class UnitKind:
    """One kind of unit: its name in content and JS, its model, its player script."""

    name: str
    model: type[BaseModel]

    @property
    def player_script(self) -> str:
        """The player component, relative to ``player/`` (as ``bundle.json`` lists it)."""
        return f"units/{self.name}.js"


UNIT_KINDS: dict[str, UnitKind] = {
    kind.name: kind
    for kind in (
        UnitKind("clip", KnowledgeClip),
        UnitKind("case", Case),
        UnitKind("reflection", Reflection),
        UnitKind("assessment", Assessment),
        UnitKind("evaluation", EvaluationForm),
        UnitKind("factsheet", Factsheet),
        UnitKind("glossary", Glossary),
        UnitKind("referrals", ReferralList),
    )
}
"""Every unit kind a module may list, by name."""


def kind_of(unit: BaseModel) -> UnitKind:
    """The kind of a unit model instance (``TypeError`` for a model that is not a unit)."""
    for kind in UNIT_KINDS.values():
        if isinstance(unit, kind.model):
            return kind
    raise TypeError(f"{type(unit).__name__} is not a registered unit kind")
