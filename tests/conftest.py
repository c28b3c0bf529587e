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
