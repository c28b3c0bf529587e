"""Shared fixtures: the real course source and a disposable copy of it."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
COURSE_SRC = REPO / "course_src"
SHARED_SEEDS = REPO.parent / "shared" / "seeds"
"""The real seed documents; only beside a checkout that has ``../shared`` (CI, developers)."""

_NOTE = re.compile(r"\b([a-z0-9][a-z0-9-]*):([0-9]+)(?:-([0-9]+))?\b")


def stand_in_seeds(course: Path, folder: Path) -> Path:
    """Source files with exactly as many lines as ``course``'s line notes cite, one per cited source.

    A clone without ``../shared`` has no seed documents, yet the checker's
    line-range rule must still be proved: these blank files, named as the
    ``file:`` of each source in ``sources.yaml``, make every real note valid
    and a note one line further an error, as the real seeds do.
    """
    registry = yaml.safe_load((course / "sources.yaml").read_text(encoding="utf-8"))
    files = {s["id"]: s["file"] for s in registry["sources"] if s.get("file")}
    ends: dict[str, int] = {}
    for source in course.rglob("*.yaml"):
        for source_id, start, end in _NOTE.findall(source.read_text(encoding="utf-8")):
            if source_id in files:
                ends[source_id] = max(ends.get(source_id, 0), int(end or start))
    folder.mkdir(parents=True, exist_ok=True)
    for source_id, lines in ends.items():
        (folder / files[source_id]).write_text("\n" * lines, encoding="utf-8")
    return folder


SEEDS = SHARED_SEEDS if SHARED_SEEDS.is_dir() else stand_in_seeds(COURSE_SRC, REPO / ".cache" / "test-seeds")
"""Seeds for tests: the real ones when present, else stand-ins (``.cache/`` is git-ignored)."""


@pytest.fixture
def course_copy(tmp_path: Path) -> Path:
    """A copy of the real course that a test may break at will."""
    target = tmp_path / "course_src"
    shutil.copytree(COURSE_SRC, target, ignore=shutil.ignore_patterns(".schema"))
    return target


@pytest.fixture(scope="session")
def media_cache() -> Path:
    """The draft-video cache with every clip and case rendered (cached across runs)."""
    from builder.checker import check_course
    from builder.media.resolve import default_cache, render_missing

    report = check_course(COURSE_SRC)
    assert report.course is not None, [p.format() for p in report.problems.errors]
    cache = default_cache(COURSE_SRC)
    render_missing(report.course, list(report.course.meta.languages), cache)
    return cache
