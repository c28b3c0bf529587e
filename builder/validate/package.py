"""Validate one package zip: detect its format, then run the zip, XSD and semantic checks.

The entry points never raise and never write to disk, whatever the input: a
validator that crashes on a hostile zip, or extracts it to look inside, would
be the weakest link of the pipeline it guards.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from builder.spec import CMI5, IMSCP_12, IMSCP_2004, TINCAN
from builder.validate.content import content_findings
from builder.validate.formats import MANIFEST_NAMES, SCORM_2004_EDITIONS, PackageFormat, qualified, short_name
from builder.validate.problems import Finding, PackageProblem, shown
from builder.validate.semantics import CMI5_WELL_FORMED, semantic_findings
from builder.validate.xmlread import line_of, parse_manifest
from builder.validate.xsd import SchemaUnavailable, has_schema, xsd_findings
from builder.validate.zipsafe import EntryUnreadable, SafeZip, ZipRejected, open_package

MAX_PROBLEMS = 500
"""Most problems reported per package; a zip with thousands of stray files should not flood the terminal."""

CMI5_MANIFEST = "cmi5.xml"
"""The course structure file of a cmi5 package (cmi5 13.2, 14.0: named so, at the zip's root)."""

UNKNOWN = "unknown format"
"""How the summary line names a package whose format could not be told (``null`` in JSON)."""

ROOT_ELEMENTS = {
    PackageFormat.SCORM_12: qualified(IMSCP_12, "manifest"),
    PackageFormat.SCORM_2004: qualified(IMSCP_2004, "manifest"),
    PackageFormat.CMI5: qualified(CMI5, "courseStructure"),
    PackageFormat.TINCAN: qualified(TINCAN, "tincan"),
}
"""The root element that identifies each format inside its manifest file."""


@dataclass(frozen=True)
class PackageReport:
    """What ``course validate`` found in one zip: its format (as far as known) and its problems."""

    package: str
    format: str | None
    problems: tuple[PackageProblem, ...]

    @property
    def valid(self) -> bool:
        """True when no problem was found."""
        return not self.problems

    def summary(self) -> str:
        """One line per package: ``pkg.zip: SCORM 2004 4th edition, valid`` or ``…, 3 problems``."""
        count = len(self.problems)
        verdict = "valid" if self.valid else f"{count} problem{'s' if count != 1 else ''}"
        return f"{self.package}: {self.format or UNKNOWN}, {verdict}"

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form for ``course validate --json``."""
        return {
            "package": self.package,
            "format": self.format,
            "valid": self.valid,
            "problems": [p.as_dict() for p in self.problems],
        }


@dataclass(frozen=True)
class Detected:
    """The manifest that decides a package's format, parsed."""

    name: str
    root: etree._Element
    kind: PackageFormat
    label: str


def validate_package(path: Path, schemas: Path | None = None) -> list[PackageProblem]:
    """Every problem in the package zip at ``path``; empty when it is valid. Never raises."""
    return list(check_package(path, schemas).problems)


def check_package(path: Path, schemas: Path | None = None) -> PackageReport:
    """Validate the zip at ``path`` against the XSDs in ``schemas`` (default: ``default_schemas()``)."""
    try:
        label, findings = _check(path, schemas)
    except Exception as exc:  # noqa: BLE001 - a validator must answer every input with a message
        detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
        label, findings = None, [Finding("", None, f"internal error while validating ({detail}); please report it")]
    return _report(str(path), label, findings)


def detect_format(path: Path) -> str | None:
    """The format the zip at ``path`` announces (e.g. ``"cmi5"``), or ``None`` when it cannot be told safely."""
    try:
        with open_package(path) as package:
            manifest = load_manifest(package)
    except Exception:  # noqa: BLE001 - detection is a question; any failure answers "don't know"
        return None
    return manifest.label if isinstance(manifest, Detected) else None


def _check(path: Path, schemas: Path | None) -> tuple[str | None, list[Finding]]:
    """The format label and findings; a rejected zip stops before any manifest byte is parsed."""
    try:
        with open_package(path) as package:
            manifest = load_manifest(package)
            if isinstance(manifest, Finding):
                return _guess_label(package.names), [manifest]
            findings = schema_findings(manifest, schemas)
            findings += semantic_findings(manifest.kind, manifest.name, manifest.root, package.names)
            findings += content_findings(package)
            return manifest.label, findings
    except ZipRejected as rejected:
        return None, rejected.findings


def load_manifest(package: SafeZip) -> Detected | Finding:
    """Find, read (size-capped), parse and classify the package's manifest."""
    name = manifest_name(package.names)
    if name is None:
        return no_manifest(package.names)
    try:
        data = package.read(name)
    except EntryUnreadable as exc:
        return Finding(name, None, str(exc))
    root = parse_manifest(name, data)
    if isinstance(root, Finding):
        return cmi5_syntax(root) if name == CMI5_MANIFEST else root
    return classify(name, root)


def cmi5_syntax(finding: Finding) -> Finding:
    """A syntax error in cmi5.xml, naming the cmi5 requirement it breaks (as every cmi5 rule does)."""
    return Finding(finding.file, finding.line, f"{finding.message} ({CMI5_WELL_FORMED})")


def manifest_name(names: frozenset[str]) -> str | None:
    """The first manifest file found at the zip's root, in the order of ``MANIFEST_NAMES``."""
    return next((name for name in MANIFEST_NAMES if name in names), None)


def no_manifest(names: frozenset[str]) -> Finding:
    """Explain a missing manifest, pointing at one zipped inside a folder or with other capitals."""
    wanted = ", ".join(MANIFEST_NAMES)
    near = sorted(n for n in names if n.rpartition("/")[2].casefold() in MANIFEST_NAMES)
    if not near:
        return Finding("", None, f"no {wanted} at the root of the zip: not a SCORM, cmi5 or xAPI package")
    hint = "zip the folder's contents, not the folder" if "/" in near[0] else "names are case-sensitive"
    return Finding("", None, f"no {wanted} at the root of the zip; found {shown(near[0])!r} ({hint})")


def classify(name: str, root: etree._Element) -> Detected | Finding:
    """Tell the format from the manifest's name and root element (SCORM 1.2 and 2004 differ by namespace)."""
    kinds = MANIFEST_NAMES[name]
    for kind in kinds:
        if root.tag == ROOT_ELEMENTS[kind]:
            return Detected(name, root, kind, label(kind, root))
    expected = " or ".join(
        f"<{short_name(ROOT_ELEMENTS[k])}> in {k.value} namespace {ROOT_ELEMENTS[k][1:].partition('}')[0]}"
        for k in kinds
    )
    return Finding(name, line_of(root), f"root element is <{shown(short_name(str(root.tag)))}>; expected {expected}")


def label(kind: PackageFormat, root: etree._Element) -> str:
    """The format as shown to users; SCORM 2004 names its edition from ``<schemaversion>``."""
    if kind is not PackageFormat.SCORM_2004:
        return kind.value
    version = root.findtext(f"{{{IMSCP_2004}}}metadata/{{{IMSCP_2004}}}schemaversion") or ""
    return SCORM_2004_EDITIONS.get(version.strip(), kind.value)


def _guess_label(names: frozenset[str]) -> str | None:
    """The format a zip seems to be when its manifest could not be read, from the manifest's name."""
    name = manifest_name(names)
    if name is None:
        return None
    return "SCORM" if name == "imsmanifest.xml" else MANIFEST_NAMES[name][0].value


def schema_findings(manifest: Detected, schemas: Path | None) -> list[Finding]:
    """XSD errors of the manifest, or one finding saying why the XSDs could not be loaded."""
    if not has_schema(manifest.kind):
        return []
    try:
        return xsd_findings(manifest.root, manifest.name, manifest.kind, schemas)
    except SchemaUnavailable as exc:
        return [Finding("", None, str(exc))]


def _report(package: str, label: str | None, findings: list[Finding]) -> PackageReport:
    """Attach the package name, order findings by file and line, and cap their number."""
    ordered = sorted(findings, key=lambda f: (f.file, f.line or 0))
    if len(ordered) > MAX_PROBLEMS:
        hidden = len(ordered) - MAX_PROBLEMS
        ordered = [*ordered[:MAX_PROBLEMS], Finding("", None, f"{hidden} more problems not shown")]
    problems = tuple(PackageProblem(package, f.file, f.line, f.message) for f in ordered)
    return PackageReport(package, label, problems)
