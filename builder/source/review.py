"""Which units rest on which sources, and how old those are: ``course sources``.

The yearly content review starts from this list: a unit whose oldest source
is years old is the first to re-read. Oldest first, so the list reads as a
work queue.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from builder.model.sources import SourcesFile, parse_note
from builder.source.loader import SourceFile
from builder.source.walk import source_notes


@dataclass(frozen=True)
class CitedSource:
    """One source as one unit cites it."""

    id: str
    title: str
    publisher: str
    date: str
    age_days: int
    notes: list[str]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "id": self.id,
            "title": self.title,
            "publisher": self.publisher,
            "date": self.date,
            "age_days": self.age_days,
            "notes": self.notes,
        }


@dataclass(frozen=True)
class UnitSources:
    """The sources one authoring file rests on, oldest first.

    ``unit`` is the unit id; files without one (learning goals, item banks)
    are named by ``file`` alone.
    """

    unit: str | None
    file: str
    sources: list[CitedSource]

    @property
    def oldest_days(self) -> int:
        """Age of the oldest source, the unit's place in the review queue."""
        return max((s.age_days for s in self.sources), default=0)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"unit": self.unit, "file": self.file, "sources": [s.as_dict() for s in self.sources]}


def review_sources(root: Path, files: list[SourceFile], today: dt.date) -> list[UnitSources]:
    """Per authoring file, the sources its notes cite with their age at ``today``.

    Notes naming an unknown source are left out: ``course check`` reports them.
    """
    registry = next((f.model for f in files if isinstance(f.model, SourcesFile)), None)
    if registry is None:
        return []
    by_id = {source.id: source for source in registry.sources}
    out: list[UnitSources] = []
    for f in files:
        cited: dict[str, list[str]] = {}
        for _, note in source_notes(f.model):
            parsed = parse_note(note)
            if parsed.source in by_id:
                spans = cited.setdefault(parsed.source, [])
                if parsed.span not in spans:
                    spans.append(parsed.span)
        if not cited:
            continue
        sources = [
            CitedSource(
                id=s.id,
                title=s.title,
                publisher=s.publisher,
                date=s.date,
                age_days=(today - s.published()).days,
                notes=cited[s.id],
            )
            for s in (by_id[source_id] for source_id in cited)
        ]
        sources.sort(key=lambda s: (-s.age_days, s.id))
        unit_id = getattr(f.model, "id", None)
        out.append(
            UnitSources(
                unit=unit_id if isinstance(unit_id, str) else None,
                file=f.path.relative_to(root).as_posix(),
                sources=sources,
            )
        )
    out.sort(key=lambda u: (-u.oldest_days, u.file))
    return out
