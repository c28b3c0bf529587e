"""Problems found in the course source, each tied to a file, line and field."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Problem:
    """One thing an author must fix (error) or should look at (warning)."""

    file: str
    line: int
    field: str
    message: str
    severity: Severity = "error"

    def format(self) -> str:
        """Render as ``path:line: field: message`` like a compiler would."""
        where = f"{_display(self.file)}:{self.line}" if self.line else _display(self.file)
        label = "" if self.severity == "error" else "warning: "
        subject = f"{self.field}: " if self.field else ""
        return f"{where}: {label}{subject}{self.message}"

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form for ``course check --json``."""
        return {
            "file": _display(self.file),
            "line": self.line,
            "field": self.field,
            "message": self.message,
            "severity": self.severity,
        }


def _display(path: str) -> str:
    """Show paths relative to the working directory when they are below it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


@dataclass
class ProblemList:
    """Collects problems in the order found; sorted on output."""

    items: list[Problem] = field(default_factory=list)

    def add(self, problem: Problem) -> None:
        """Record one problem."""
        self.items.append(problem)

    def error(self, file: Path | str, line: int, field_: str, message: str) -> None:
        """Record an error."""
        self.add(Problem(str(file), line, field_, message))

    def warning(self, file: Path | str, line: int, field_: str, message: str) -> None:
        """Record a warning."""
        self.add(Problem(str(file), line, field_, message, "warning"))

    @property
    def errors(self) -> list[Problem]:
        """Errors, sorted by file and line."""
        return sorted(p for p in self.items if p.severity == "error")

    @property
    def warnings(self) -> list[Problem]:
        """Warnings, sorted by file and line."""
        return sorted(p for p in self.items if p.severity == "warning")
