"""One writer per package format; each only knows how to write its manifest.

Adding a format means adding a module here with a :class:`PackageWriter`
and registering it in :data:`builder.formats.FORMATS`, the one list of formats.
"""

from __future__ import annotations

from builder.writers.base import PackageWriter

__all__ = ["PackageWriter"]
