"""``course validate``: check e-learning package zips (SCORM 1.2, SCORM 2004, cmi5, xAPI) without extracting them.

The checks run in layers, each in its own module, so that a hostile zip never
reaches the XML parser and a malformed manifest never reaches the rule checks:

* :mod:`builder.validate.zipsafe` - the zip itself (zip slip, symlinks, bombs, corruption);
* :mod:`builder.validate.xmlread` - parsing the manifest without network, DTDs or entities;
* :mod:`builder.validate.xsd` - the official XSDs, installed by `npm ci` (or a schemas folder);
* :mod:`builder.validate.semantics` - rules an XSD cannot express (references, files, ranges, IRIs);
* :mod:`builder.validate.package` - format detection and the public entry points.
"""

from __future__ import annotations

from builder.validate.package import PackageReport, check_package, detect_format, validate_package
from builder.validate.problems import PackageProblem

__all__ = ["PackageProblem", "PackageReport", "check_package", "detect_format", "validate_package"]
