"""Turn pydantic's validation errors into messages an author can act on."""

from __future__ import annotations

import difflib
import re
from typing import Any

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from builder.model.base import BCP47_PATTERN
from builder.source.yaml_tree import Loc

#: What each id/format pattern means, in words.
PATTERN_HINTS = {
    r"^[a-z0-9][a-z0-9-]{0,62}$": "lowercase letters, digits and '-' (at most 63), e.g. 'clip-consent'",
    r"^LG-[KSA][0-9]{1,2}$": "a learning-goal id such as LG-K1, LG-S2 or LG-A1",
    r"^[a-z0-9][a-z0-9-]{0,62}:p?[0-9]+(-[0-9]+)?$": "a source note 'source-id:lines' or 'source-id:pPAGE' "
    "such as 'framework:467-473' or 'framework:p12'",
    r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$": "a date YYYY-MM-DD, or YYYY-MM or YYYY when the day is not known",
    r"^[0-9]+\.[0-9]+\.[0-9]+$": "a version such as 1.0.0",
    BCP47_PATTERN: "a BCP 47 language tag such as 'nl', 'de', 'en' or 'fr-BE'",
    r"^\+?[0-9][0-9 ]{2,19}$": "a phone number of digits and spaces, e.g. '0800 30 030' or '+32 2 000 00 00'",
}

_TYPE_NAMES = {
    str: "text",
    int: "a whole number",
    float: "a number",
    bool: "true/false",
    list: "a list",
    dict: "a set of fields",
    type(None): "nothing",
}


def field_path(loc: Loc) -> str:
    """``('items', 3, 'single_choice', 'stem', 'fr')`` -> ``items[3].stem.fr``.

    The discriminator tag pydantic inserts is dropped: it is not something the
    author wrote.
    """
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("[key]",):
            continue
        else:
            out += f".{part}" if out else str(part)
    return out


def strip_tags(loc: Loc, data: Any) -> Loc:
    """Remove discriminator tags from ``loc`` by walking the raw data."""
    kept: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, dict):
            if part in node:
                kept.append(part)
                node = node[part]
                continue
            if isinstance(part, str) and node.get("type") == part:
                continue
            kept.append(part)
            node = None
            continue
        if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            kept.append(part)
            node = node[part]
            continue
        kept.append(part)
        node = None
    return tuple(kept)


def _words(expected: str) -> str:
    """``"'a', 'b' or 'c'"`` -> ``"a, b, c"``."""
    return ", ".join(re.findall(r"'([^']*)'", expected)) or expected


def _type_name(value: Any) -> str:
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def _allowed_fields(model: type[BaseModel], loc: Loc, data: Any) -> list[str]:
    """Names of the fields allowed where an unknown field ``loc[-1]`` was found."""
    target = _model_at(model, loc[:-1], data)
    return list(target.model_fields) if target is not None else []


def _model_at(model: type[BaseModel], loc: Loc, data: Any) -> type[BaseModel] | None:
    current: Any = model
    node = data
    for part in loc:
        if isinstance(node, dict) and part not in node and node.get("type") == part:
            continue
        current = _unwrap(current, node)
        if isinstance(part, int):
            node = node[part] if isinstance(node, list) and part < len(node) else None
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        info = current.model_fields.get(str(part))
        if info is None:
            return None
        current = info.annotation
        node = node.get(part) if isinstance(node, dict) else None
    current = _unwrap(current, node)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation: Any, node: Any) -> Any:
    """Step through list[...], Optional[...], Annotated and tagged unions."""
    for _ in range(6):
        args = getattr(annotation, "__args__", None)
        metadata = getattr(annotation, "__metadata__", None)
        if metadata is not None:
            annotation = annotation.__origin__
            continue
        if not args:
            return annotation
        models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
        if getattr(annotation, "__origin__", None) is list:
            annotation = args[0]
            continue
        if len(models) == 1:
            return models[0]
        if models and isinstance(node, dict):
            for m in models:
                tag = m.model_fields.get("type")
                if tag is not None and node.get("type") in getattr(tag.annotation, "__args__", ()):
                    return m
        inner = [a for a in args if a is not type(None)]
        if len(inner) == 1:
            annotation = inner[0]
            continue
        return annotation
    return annotation


def describe(error: ErrorDetails, model: type[BaseModel], data: Any) -> tuple[Loc, str]:
    """Return the author-facing location and message for one pydantic error."""
    loc = strip_tags(tuple(error["loc"]), data)
    kind = error["type"]
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    value = error.get("input")
    if kind == "missing":
        return loc, f"required field is missing; add '{loc[-1]}:'" if loc else "required field is missing"
    if kind == "extra_forbidden":
        name = str(loc[-1])
        allowed = _allowed_fields(model, loc, data)
        close = difflib.get_close_matches(name, allowed, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        listing = f"; allowed here: {', '.join(allowed)}" if allowed else ""
        return loc, f"unknown field '{name}'{hint}{listing}"
    if kind == "literal_error":
        return loc, f"'{value}' is not one of {_words(str(ctx.get('expected', '')))}"
    if kind == "union_tag_invalid":
        return loc + ("type",), (f"'{ctx.get('tag')}' is not one of {_words(str(ctx.get('expected_tags', '')))}")
    if kind == "union_tag_not_found":
        return loc, "field 'type' is required to tell which kind of item this is"
    if kind == "string_pattern_mismatch":
        hint = PATTERN_HINTS.get(str(ctx.get("pattern")), f"the pattern {ctx.get('pattern')}")
        return loc, f"'{value}' is not valid here: expected {hint}"
    if kind in (
        "string_type",
        "int_type",
        "float_type",
        "bool_type",
        "list_type",
        "dict_type",
        "model_type",
        "model_attributes_type",
        "date_type",
        "int_parsing",
        "float_parsing",
        "bool_parsing",
        "date_from_datetime_parsing",
        "date_parsing",
        "int_from_float",
    ):
        wanted = {
            "string_type": "text",
            "int_type": "a whole number",
            "int_parsing": "a whole number",
            "int_from_float": "a whole number",
            "float_type": "a number",
            "float_parsing": "a number",
            "bool_type": "true or false",
            "bool_parsing": "true or false",
            "list_type": "a list",
            "dict_type": "a set of fields",
            "model_type": "a set of fields",
            "model_attributes_type": "a set of fields",
            "date_type": "a date (YYYY-MM-DD)",
            "date_parsing": "a date (YYYY-MM-DD)",
            "date_from_datetime_parsing": "a date (YYYY-MM-DD)",
        }[kind]
        hint = "; put the value in quotes" if kind == "string_type" and value is not None else ""
        return loc, f"expected {wanted}, found {_type_name(value)}{hint}"
    if kind == "too_short":
        least = ctx.get("min_length", 1)
        if loc and loc[-1] == "goals":
            return loc, "at least one learning goal is required (e.g. [LG-K1])"
        # a text, or one language's list of a LocalizedList (``keywords: {de: []}``)
        if isinstance(value, str) or loc and isinstance(loc[-1], str) and re.fullmatch(BCP47_PATTERN, loc[-1]):
            return loc, "must not be empty"
        return loc, f"needs at least {least} entr{'y' if least == 1 else 'ies'}"
    if kind == "too_long":
        return loc, f"has more than the allowed {ctx.get('max_length')} entries"
    if kind == "string_too_short":
        return loc, "must not be empty"
    if kind == "value_error":
        return loc, str(ctx.get("error", error["msg"]))
    return loc, error["msg"]
