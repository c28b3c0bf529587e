"""The one registry of package formats: everything that lists formats reads it.

The ``course build --format`` choices, the build's format matrix and each
format's manifest writer come from :data:`FORMATS`. The player's own list
(``player/bundle.json`` ``adapters``) is data the build reads, so it stays
in the player; ``tests/builder/test_registries.py`` checks that both name
the same formats.

Adding a format: write its :class:`~builder.writers.base.PackageWriter` in
``builder/writers/``, add a :class:`PackageFormatSpec` below, add the
player adapter ``player/adapters/<id>.js`` and its line in
``player/bundle.json``.
"""

from __future__ import annotations

from dataclasses import dataclass

from builder.validate.formats import MANIFEST_NAMES, PackageFormat
from builder.writers.base import PackageWriter
from builder.writers.cmi5 import Cmi5Writer
from builder.writers.scorm12 import Scorm12Writer
from builder.writers.scorm2004 import Scorm2004Writer
from builder.writers.xapi import XapiWriter


@dataclass(frozen=True)
class PackageFormatSpec:
    """One format ``course build`` writes.

    ``writer.format`` is the id (CLI choice, file-name suffix, player adapter
    key); ``validates_as`` is the family ``course validate`` must detect in
    the zip, and ``manifest`` the file at the zip's root that announces it.
    """

    writer: PackageWriter
    validates_as: PackageFormat
    manifest: str

    @property
    def id(self) -> str:
        """The format's id, e.g. ``scorm2004``."""
        return self.writer.format

    @property
    def label(self) -> str:
        """The format's name for people, e.g. ``SCORM 2004 4th edition``."""
        return self.writer.label

    def __post_init__(self) -> None:
        # a format whose manifest the validator would not look for could never validate
        if self.validates_as not in MANIFEST_NAMES.get(self.manifest, ()):
            raise ValueError(f"format {self.id}: course validate reads no {self.validates_as} from {self.manifest}")


FORMATS: dict[str, PackageFormatSpec] = {
    spec.id: spec
    for spec in (
        PackageFormatSpec(Scorm12Writer(), PackageFormat.SCORM_12, "imsmanifest.xml"),
        PackageFormatSpec(Scorm2004Writer(), PackageFormat.SCORM_2004, "imsmanifest.xml"),
        PackageFormatSpec(Cmi5Writer(), PackageFormat.CMI5, "cmi5.xml"),
        PackageFormatSpec(XapiWriter(), PackageFormat.TINCAN, "tincan.xml"),
    )
}
"""Every format, by id, in build order."""

FORMAT_IDS: tuple[str, ...] = tuple(FORMATS)
"""The ids alone, e.g. for CLI choices."""
