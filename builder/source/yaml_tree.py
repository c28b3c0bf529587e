"""YAML documents that remember where every key and list item stands.

We compose files with libyaml (PyYAML's C composer: fast enough to re-check
the whole course on every build) and build two things from its node tree: the
plain Python data that pydantic validates, and a parallel tree of line
numbers, so any problem found later can be traced to its line.

Plain scalars are resolved by the YAML 1.2 core schema, not PyYAML's YAML 1.1
rules, so ``no``, ``on`` or ``y`` in a text stay text (the "Norway problem").
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

#: Largest authoring file accepted; a course file is a few hundred KiB at most.
MAX_FILE_BYTES = 2 * 1024 * 1024
#: Values built from one file, counting alias expansions (stops "billion laughs").
MAX_NODES = 200_000
MAX_DEPTH = 64

Loc = tuple[str | int, ...]

_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"^[-+]?[0-9]+$|^0o[0-7]+$|^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_SPECIAL_FLOAT = {".inf": math.inf, "+.inf": math.inf, "-.inf": -math.inf, ".nan": math.nan}


class YamlFileError(Exception):
    """A file that cannot be read as YAML, with the line where it breaks."""

    def __init__(self, message: str, line: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass
class Position:
    """Line of a node and, for mappings and sequences, of each child."""

    line: int
    children: dict[str | int, Position] = field(default_factory=dict)


@dataclass(frozen=True)
class YamlDocument:
    """One parsed file: plain data and the line of every element in it."""

    path: Path
    data: Any
    positions: Position

    def line_of(self, loc: Loc) -> int:
        """1-based line of the deepest element of ``loc`` present in the file.

        Elements that are not in the document (a missing field, or the tag
        pydantic inserts for a discriminated union) stop the walk or are
        skipped, so the line points at the nearest thing that does exist.
        """
        node, data = self.positions, self.data
        line = node.line
        for part in loc:
            child = node.children.get(part)
            if child is None:
                if isinstance(data, dict) and isinstance(part, str) and data.get("type") == part:
                    continue  # discriminator tag inserted by pydantic
                break
            node, line = child, child.line
            data = (
                data.get(part)
                if isinstance(data, dict)
                else data[part]
                if isinstance(data, list) and isinstance(part, int)
                else None
            )
        return line


def _scalar(node: yaml.ScalarNode) -> Any:
    value = node.value
    if node.style:
        return value  # quoted or block scalars are always text ('' or None means plain)
    if _NULL.match(value):
        return None
    if value in _BOOL:
        return _BOOL[value]
    if _INT.match(value):
        return int(value, 0) if value[:2] in ("0o", "0x") else int(value)
    if value in _SPECIAL_FLOAT:
        return _SPECIAL_FLOAT[value]
    if _FLOAT.match(value):
        return float(value)
    return value


class _Builder:
    """Turns a composed node tree into data + positions, with limits."""

    def __init__(self) -> None:
        self.count = 0

    def build(self, node: yaml.Node, depth: int = 0) -> tuple[Any, Position]:
        self.count += 1
        if self.count > MAX_NODES:
            raise YamlFileError(f"more than {MAX_NODES} values (aliases expanding?)", node.start_mark.line + 1)
        if depth > MAX_DEPTH:
            raise YamlFileError(f"nesting deeper than {MAX_DEPTH} levels", node.start_mark.line + 1)
        position = Position(node.start_mark.line + 1)
        if isinstance(node, yaml.ScalarNode):
            return _scalar(node), position
        if isinstance(node, yaml.SequenceNode):
            items: list[Any] = []
            for index, child in enumerate(node.value):
                value, position.children[index] = self.build(child, depth + 1)
                items.append(value)
            return items, position
        mapping: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise YamlFileError(
                    "merge keys ('<<') are not supported; write the fields out", key_node.start_mark.line + 1
                )
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlFileError("a key must be a plain name, not a list or mapping", key_node.start_mark.line + 1)
            key = _scalar(key_node)
            key = key if isinstance(key, str) else str(key)
            if key in mapping:
                first = position.children[key].line
                raise YamlFileError(f"duplicate key '{key}' (first at line {first})", key_node.start_mark.line + 1)
            mapping[key], child = self.build(value_node, depth + 1)
            child.line = key_node.start_mark.line + 1  # point at the key, where authors look
            position.children[key] = child
        return mapping, position


def _read(path: Path) -> str:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise YamlFileError(f"cannot read file: {exc.strerror}") from None
    if size > MAX_FILE_BYTES:
        raise YamlFileError(f"file is {size} bytes; the limit is {MAX_FILE_BYTES} bytes")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise YamlFileError(f"not UTF-8 text (byte {exc.start}); save the file as UTF-8") from None
    except OSError as exc:
        raise YamlFileError(f"cannot read file: {exc.strerror}") from None


def load_yaml(path: Path) -> YamlDocument:
    """Parse ``path``; raise :class:`YamlFileError` naming the line on failure."""
    text = _read(path)
    try:
        nodes = list(yaml.compose_all(text, Loader=yaml.CSafeLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 0
        what = " ".join(s for s in (exc.context, exc.problem) if s)
        raise YamlFileError(f"invalid YAML: {what}", line) from None
    except yaml.YAMLError as exc:
        raise YamlFileError(f"invalid YAML: {exc}") from None
    except RecursionError:
        raise YamlFileError(f"invalid YAML: nesting deeper than {MAX_DEPTH} levels") from None
    if len(nodes) > 1:
        raise YamlFileError(
            "holds more than one YAML document ('---'); keep one per file", nodes[1].start_mark.line + 1
        )
    if not nodes or nodes[0] is None:
        raise YamlFileError("file is empty", 1)
    if not isinstance(nodes[0], yaml.MappingNode):
        raise YamlFileError("expected fields ('name: value' lines) at the top level", nodes[0].start_mark.line + 1)
    try:
        data, positions = _Builder().build(nodes[0])
    except RecursionError:
        raise YamlFileError(f"invalid YAML: nesting deeper than {MAX_DEPTH} levels") from None
    return YamlDocument(path=path, data=data, positions=positions)
