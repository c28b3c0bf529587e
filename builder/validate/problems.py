"""Problems found in a package, each tied to the zip, the entry inside it and a line."""

from __future__ import annotations

from dataclasses import dataclass

MAX_SHOWN_NAME = 200
"""Entry names are cut to this many characters in messages: a hostile zip may hold 64 KiB names."""


@dataclass(frozen=True)
class Finding:
    """One problem inside a package, before the package's name is attached.

    The checking modules only know entry names; :mod:`builder.validate.package`
    turns findings into :class:`PackageProblem` so no module has to thread the
    zip's path through every rule.
    """

    file: str
    line: int | None
    message: str


@dataclass(frozen=True)
class PackageProblem:
    """One thing wrong with a package: which zip, which entry (``""`` for the zip itself), which line."""

    package: str
    file: str
    line: int | None
    message: str

    def format(self) -> str:
        """Render as ``pkg.zip!imsmanifest.xml:12: message``, like a compiler would."""
        where = self.package
        if self.file:
            where += f"!{self.file}"
        if self.line:
            where += f":{self.line}"
        return f"{where}: {self.message}"

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form for ``course validate --json`` (the package is given once per report)."""
        return {"file": self.file, "line": self.line, "message": self.message}


def shown(name: str) -> str:
    """Make an untrusted name safe to print: escape control characters, cut very long names.

    Zip entry names and manifest values come from whoever built the package;
    printed raw they could move the cursor or forge extra output lines.
    """
    safe = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in name)
    if len(safe) > MAX_SHOWN_NAME:
        safe = safe[:MAX_SHOWN_NAME] + "…"
    return safe
