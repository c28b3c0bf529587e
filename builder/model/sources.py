"""``sources.yaml``: the documents a course rests on, and the notes that cite them.

A note such as ``framework:467-473`` (lines) or ``nap-interim:p12`` (a page)
names a source by id, so the yearly content review can ask which units rest
on which sources and how old they are (``course sources``). The date of a
source may be as precise as it is known: ``2026-05-29``, ``2023-11`` or ``2022``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Annotated, Any

from pydantic import Field, HttpUrl, field_validator, model_validator

from builder.model.base import NOTE_PATTERN, NonEmpty, Slug, Strict

_NOTE = re.compile(NOTE_PATTERN)
_DATE = r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$"


@dataclass(frozen=True)
class Note:
    """One parsed source note: which source, and which lines or pages of it."""

    source: str
    pages: bool
    first: int
    last: int

    @property
    def span(self) -> str:
        """The cited part as written after the colon: ``467-473`` or ``p12``."""
        prefix = "p" if self.pages else ""
        return f"{prefix}{self.first}" if self.first == self.last else f"{prefix}{self.first}-{self.last}"


def parse_note(note: str) -> Note:
    """Split a note that matched :data:`NOTE_PATTERN`; raises ``ValueError`` otherwise."""
    if not _NOTE.match(note):
        raise ValueError(f"not a source note: {note!r}")
    source, _, span = note.partition(":")
    pages = span.startswith("p")
    first, _, last = span.removeprefix("p").partition("-")
    return Note(source, pages, int(first), int(last or first))


class Source(Strict):
    """One document the course cites: what it is, whose, how old, where to read it."""

    id: Slug
    title: NonEmpty
    publisher: NonEmpty
    date: Annotated[
        str,
        Field(
            pattern=_DATE,
            description="publication date as precise as known: YYYY-MM-DD, YYYY-MM or YYYY",
        ),
    ]
    url: HttpUrl | None = None
    file: (
        Annotated[
            str,
            Field(
                min_length=1,
                description="the document as text, relative to the sources folder (--seeds); "
                "line notes are verified against it",
            ),
        ]
        | None
    ) = None
    licence: NonEmpty

    @field_validator("date", mode="before")
    @classmethod
    def _date_as_written(cls, value: Any) -> Any:
        # YAML reads 2026-05-29 as a date and 2022 as a number; both are what the author meant
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return value

    @field_validator("date")
    @classmethod
    def _real_date(cls, value: str) -> str:
        parts = [int(p) for p in value.split("-")] + [1, 1]
        try:
            dt.date(parts[0], parts[1], parts[2])
        except ValueError as exc:
            raise ValueError(f"'{value}' is not a date: {exc}") from None
        return value

    @field_validator("file")
    @classmethod
    def _file_inside_folder(cls, value: str | None) -> str | None:
        if value is not None:
            path = PurePosixPath(value)
            if path.is_absolute() or ".." in path.parts or "\\" in value:
                raise ValueError(f"'{value}' must be a path inside the sources folder, with '/' and no '..'")
        return value

    @model_validator(mode="after")
    def _somewhere_to_read(self) -> Source:
        if self.url is None and self.file is None:
            raise ValueError(f"source '{self.id}' needs a 'url:' or a 'file:' so a reviewer can read it")
        return self

    def published(self) -> dt.date:
        """The first day the date can mean: a review counts a source as old as it may be."""
        parts = [int(p) for p in self.date.split("-")]
        return dt.date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)


class SourcesFile(Strict):
    """``sources.yaml``: every source a note may cite."""

    sources: list[Source] = Field(min_length=1)
