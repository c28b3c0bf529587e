"""Helpers for builder tests: run ``course`` in-process and find lines."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from builder.cli import main
from tests.conftest import SEEDS


@dataclass
class CheckRun:
    exit_code: int
    output: str
    summary: dict[str, Any]

    def errors_in(self, path: Path) -> list[dict[str, Any]]:
        return [e for e in self.summary["errors"] if Path(e["file"]).resolve() == path.resolve()]

    def warnings_in(self, path: Path) -> list[dict[str, Any]]:
        return [w for w in self.summary["warnings"] if Path(w["file"]).resolve() == path.resolve()]


def run_check(directory: Path, *args: str) -> CheckRun:
    """``course check DIR --json ARGS`` in-process (text output also captured)."""
    runner = CliRunner()
    as_json = runner.invoke(main, ["check", str(directory), "--json", "--seeds", str(SEEDS), *args])
    text = runner.invoke(main, ["check", str(directory), "--seeds", str(SEEDS), *args])
    assert "Traceback" not in as_json.output + text.output
    assert as_json.exception is None or isinstance(as_json.exception, SystemExit), as_json.exception
    assert as_json.exit_code == text.exit_code
    (summary,) = json.loads(as_json.stdout)["courses"]  # one course folder: one summary
    return CheckRun(as_json.exit_code, text.output, summary)


def line_of(path: Path, needle: str, occurrence: int = 1) -> int:
    """1-based line of the n-th line containing ``needle``."""
    seen = 0
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(f"{needle!r} not in {path}")


def replace_once(path: Path, old: str, new: str) -> None:
    """Edit a source file the way an author would, failing if ``old`` is absent."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
