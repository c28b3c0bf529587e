"""Walk a validated model alongside its field locations.

Cross-cutting checks (translations, source notes) need every place a kind of
value occurs, with the location pydantic would use, so its line can be found.
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel

from builder.model.base import Localized
from builder.source.yaml_tree import Loc


def localized_values(model: BaseModel, loc: Loc = ()) -> Iterator[tuple[Loc, dict[str, Any]]]:
    """Yield ``(loc, {lang: text})`` for every text that must be translated."""
    for name, info in type(model).model_fields.items():
        yield from _walk(getattr(model, name), info.annotation, tuple(info.metadata), loc + (name,))


def _walk(value: Any, annotation: Any, metadata: tuple[Any, ...], loc: Loc) -> Iterator[tuple[Loc, dict[str, Any]]]:
    if value is None:
        return
    if any(isinstance(m, Localized) for m in metadata):
        yield loc, value
        return
    if get_origin(annotation) is Annotated:
        inner, *extra = get_args(annotation)
        yield from _walk(value, inner, tuple(extra), loc)
        return
    if isinstance(value, BaseModel):
        yield from localized_values(value, loc)
        return
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        for arg in get_args(annotation):
            if arg is not type(None):
                yield from _walk(value, arg, (), loc)
                return
    if isinstance(value, list):
        args = get_args(annotation)
        inner = args[0] if args else Any
        for index, element in enumerate(value):
            yield from _walk(element, inner, (), loc + (index,))


def source_notes(model: BaseModel, loc: Loc = ()) -> Iterator[tuple[Loc, str]]:
    """Yield ``(loc, "framework:12-20")`` for every source note in the model."""
    for name in type(model).model_fields:
        value = getattr(model, name)
        here = loc + (name,)
        if name == "sources" and isinstance(value, list) and all(isinstance(v, str) for v in value):
            # a unit's notes; sources.yaml's own ``sources:`` list holds Source entries, not notes
            for index, note in enumerate(value):
                yield here + (index,), note
        elif isinstance(value, BaseModel):
            yield from source_notes(value, here)
        elif isinstance(value, list):
            for index, element in enumerate(value):
                if isinstance(element, BaseModel):
                    yield from source_notes(element, here + (index,))
