"""Shared fixtures: the real course source and a disposable copy of it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
COURSE_SRC = REPO / "course_src"
SEEDS = REPO.parent / "shared" / "seeds"


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
