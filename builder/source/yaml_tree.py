"""YAML documents that remember where every key and list item stands.

ruamel.yaml's round-trip loader keeps line/column data on each mapping and
sequence; we keep that tree next to a plain-Python copy so that any problem
found later (by pydantic or by a cross-file check) can be traced to a line.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

#: Largest authoring file accepted; a course file is a few hundred KiB at most.
MAX_FILE_BYTES = 2 * 1024 * 1024

Loc = tuple[str | int, ...]


class YamlFileError(Exception):
    """A file that cannot be read as YAML, with the line where it breaks."""

    def __init__(self, message: str, line: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass(frozen=True)
class YamlDocument:
    """One parsed file: the position-carrying tree and a plain copy of it."""

    path: Path
    tree: Any
    data: Any

    def line_of(self, loc: Loc) -> int:
        """1-based line of the deepest element of ``loc`` present in the file.

        Elements that are not in the document (a missing field, or the tag
        pydantic inserts for a discriminated union) stop the walk or are
        skipped, so the line points at the nearest thing that does exist.
        """
        node = self.tree
        line = _node_line(node)
        for part in loc:
            if isinstance(node, CommentedMap):
                if part in node:
                    line = node.lc.key(part)[0] + 1
                    node = node[part]
                    continue
                if isinstance(part, str) and node.get("type") == part:
                    continue  # discriminator tag inserted by pydantic
                break
            if isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
                line = node.lc.item(part)[0] + 1
                node = node[part]
                continue
            break
        return line


def _node_line(node: Any) -> int:
    lc = getattr(node, "lc", None)
    return (lc.line + 1) if lc is not None and lc.line is not None else 1


def load_yaml(path: Path) -> YamlDocument:
    """Parse ``path``; raise :class:`YamlFileError` naming the line on failure."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise YamlFileError(f"cannot read file: {exc.strerror}") from None
    if size > MAX_FILE_BYTES:
        raise YamlFileError(f"file is {size} bytes; the limit is {MAX_FILE_BYTES} bytes")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise YamlFileError(f"not UTF-8 text (byte {exc.start}); save the file as UTF-8") from None
    except OSError as exc:
        raise YamlFileError(f"cannot read file: {exc.strerror}") from None
    yaml = YAML(typ="rt")
    try:
        docs = list(yaml.load_all(text))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 0
        what = " ".join(s for s in (exc.context, exc.problem) if s)
        raise YamlFileError(f"invalid YAML: {what}", line) from None
    except YAMLError as exc:
        raise YamlFileError(f"invalid YAML: {exc}") from None
    except RecursionError:
        raise YamlFileError("invalid YAML: nesting is too deep") from None
    if len(docs) > 1:
        raise YamlFileError("holds more than one YAML document ('---'); keep one per file")
    if not docs or docs[0] is None:
        raise YamlFileError("file is empty", 1)
    tree = docs[0]
    if not isinstance(tree, CommentedMap):
        raise YamlFileError("expected fields ('name: value' lines) at the top level", 1)
    try:
        data = to_plain(tree)
    except RecursionError:
        raise YamlFileError("invalid YAML: nesting is too deep") from None
    except _AliasLoop:
        raise YamlFileError("invalid YAML: an alias refers to itself") from None
    return YamlDocument(path=path, tree=tree, data=data)


class _AliasLoop(Exception):
    pass


def to_plain(node: Any, _seen: frozenset[int] = frozenset()) -> Any:
    """Copy a ruamel tree into plain dicts, lists, str, int, float, bool, date.

    Plain values keep pydantic's error messages about types readable, and the
    ``_seen`` guard turns a self-referencing alias into an error, not a hang.
    """
    if isinstance(node, (dict, list)):
        if id(node) in _seen:
            raise _AliasLoop
        seen = _seen | {id(node)}
        if isinstance(node, dict):
            return {_key(k): to_plain(v, seen) for k, v in node.items()}
        return [to_plain(v, seen) for v in node]
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, str):
        return str(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, dt.datetime):
        return node
    if isinstance(node, dt.date):
        return dt.date(node.year, node.month, node.day)
    return str(node)


def _key(key: Any) -> Any:
    if isinstance(key, (str, int, float, bool)) or key is None:
        return key if not isinstance(key, str) else str(key)
    return str(key)
