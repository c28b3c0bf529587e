"""Load every authoring file of ``course_src/`` into the course model.

Each file is parsed and validated on its own, so one broken file yields its
own errors and the rest of the course is still checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from builder.model.catalog import FILE_KINDS, Course, FileKind
from builder.model.course import CourseFile, LearningGoalsFile
from builder.source.messages import describe, field_path
from builder.source.problems import ProblemList
from builder.source.yaml_tree import Loc, YamlDocument, YamlFileError, load_yaml

#: Folders of course_src/ that hold no authoring YAML.
NON_SOURCE_DIRS = {"media", ".schema"}
#: Upper bound on authoring files, so a wrong directory fails fast.
MAX_FILES = 2000


@dataclass(frozen=True)
class SourceFile:
    """One authoring file: its kind, its positions and its validated model."""

    kind: FileKind
    doc: YamlDocument
    model: BaseModel

    @property
    def path(self) -> Path:
        """The file on disk."""
        return self.doc.path

    def line_of(self, loc: Loc) -> int:
        """Line of ``loc`` inside this file."""
        return self.doc.line_of(loc)


def discover(root: Path, problems: ProblemList) -> list[tuple[FileKind, Path]]:
    """Find the authoring files below ``root`` and say which kind each is."""
    found: list[tuple[FileKind, Path]] = []
    claimed: set[Path] = set()
    for kind in FILE_KINDS:
        matches = sorted(p for p in root.glob(kind.pattern) if p.is_file())
        if kind.required and not matches:
            problems.error(root / kind.pattern, 0, "", f"missing: add {kind.description} ({kind.pattern})")
        for path in matches:
            found.append((kind, path))
            claimed.add(path)
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if path in claimed or not path.is_file() or rel.parts[0] in NON_SOURCE_DIRS:
            continue
        if path.suffix == ".yml":
            problems.error(path, 0, "", "use the extension .yaml, not .yml, so the file is picked up")
        elif path.suffix == ".yaml":
            places = ", ".join(k.pattern for k in FILE_KINDS)
            problems.warning(path, 0, "", f"not a known authoring file and ignored; files go in: {places}")
    if len(found) > MAX_FILES:
        problems.error(root, 0, "", f"{len(found)} authoring files; the limit is {MAX_FILES}")
        return []
    return found


def validate(kind: FileKind, doc: YamlDocument, problems: ProblemList) -> BaseModel | None:
    """Validate one parsed file against its model, reporting each error by line."""
    try:
        return kind.model.model_validate(doc.data)
    except ValidationError as exc:
        seen: set[tuple[int, str]] = set()
        for error in exc.errors(include_url=False):
            loc, message = describe(error, kind.model, doc.data)
            line = doc.line_of(loc)
            if (line, message) in seen:
                continue
            seen.add((line, message))
            problems.error(doc.path, line, field_path(loc), message)
        return None


def load_files(root: Path, problems: ProblemList) -> list[SourceFile]:
    """Parse and validate every authoring file below ``root``."""
    if not root.is_dir():
        problems.error(root, 0, "", "course folder not found")
        return []
    loaded: list[SourceFile] = []
    for kind, path in discover(root, problems):
        try:
            doc = load_yaml(path)
        except YamlFileError as exc:
            problems.error(path, exc.line, "", exc.message)
            continue
        model = validate(kind, doc, problems)
        if model is not None:
            loaded.append(SourceFile(kind, doc, model))
    return loaded


def assemble(root: Path, files: list[SourceFile]) -> Course | None:
    """Put validated files together; ``None`` when course.yaml or goals failed."""
    by_kind: dict[str, list[Any]] = {}
    for f in files:
        by_kind.setdefault(f.kind.name, []).append(f.model)
    meta = by_kind.get("course", [None])[0]
    goals_file = by_kind.get("learning_goals", [None])[0]
    if not isinstance(meta, CourseFile) or not isinstance(goals_file, LearningGoalsFile):
        return None
    course = Course(
        root=root,
        meta=meta,
        goals=list(goals_file.goals),
        clips=by_kind.get("clip", []),
        cases=by_kind.get("case", []),
        reflections=by_kind.get("reflection", []),
        items=[item for bank in by_kind.get("item_bank", []) for item in bank.items],
        assessments=by_kind.get("assessment", []),
        evaluation=(by_kind.get("evaluation") or [None])[0],
        factsheets=by_kind.get("factsheet", []),
        glossary=(by_kind.get("glossary") or [None])[0],
        referrals=(by_kind.get("referrals") or [None])[0],
    )
    for f in files:
        unit_id = getattr(f.model, "id", None)
        if isinstance(unit_id, str):
            course.files[unit_id] = f.path
    return course
