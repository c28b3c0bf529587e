"""One writer per package format; each only knows how to write its manifest.

Adding a format means adding a module here with a :class:`PackageWriter`
and registering it in :data:`WRITERS`.
"""

from __future__ import annotations

from builder.writers.base import PackageWriter
from builder.writers.cmi5 import Cmi5Writer
from builder.writers.scorm12 import Scorm12Writer
from builder.writers.scorm2004 import Scorm2004Writer
from builder.writers.xapi import XapiWriter

WRITERS: dict[str, PackageWriter] = {
    w.format: w for w in (Scorm12Writer(), Scorm2004Writer(), Cmi5Writer(), XapiWriter())
}

__all__ = ["WRITERS", "PackageWriter"]
