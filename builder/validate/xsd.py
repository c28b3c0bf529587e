r"""Validate manifests against the official XSDs kept in the shared schemas folder.

The XSDs are data owned by ADL, IMS, IEEE and AICC; they are read from
``../shared/schemas`` (or ``--schemas``, or ``$GSOG_SCHEMAS``) and never copied
into the project. Each format gets a small in-memory *driver* schema that
``xs:import`` s every namespace its manifests may use, so one compiled
:class:`lxml.etree.XMLSchema` validates a whole manifest, extensions included.

libxml2 cannot load some of these files as published (see the folder's
NOTICE.md). Instead of editing them, :class:`LocalSchemaResolver` serves every
schema document itself, patching the known quirks in memory, and refuses
anything outside the folder - so validation never touches the network.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, cast
from urllib.parse import unquote, urlsplit

from lxml import etree

import builder
from builder.validate.formats import (
    ADLCP_12,
    ADLCP_2004,
    ADLNAV_2004,
    ADLSEQ_2004,
    CMI5,
    IMSCP_12,
    IMSCP_2004,
    IMSMD_12,
    IMSSS,
    LOM,
    PackageFormat,
    short_name,
)
from builder.validate.problems import Finding
from builder.validate.xmlread import safe_parser

SCHEMAS_ENV = "GSOG_SCHEMAS"
"""Environment variable naming the schemas folder when ``--schemas`` is not given."""

MAX_XSD_ERRORS = 100
"""Most XSD errors reported per manifest: a wrong namespace makes every element an error."""


@dataclass(frozen=True)
class SchemaSet:
    """The XSDs one format needs: a folder below the schemas root and ``(namespace, file)`` pairs to import."""

    folder: str
    imports: tuple[tuple[str, str], ...]


SCHEMA_SETS = {
    PackageFormat.SCORM_12: SchemaSet(
        "scorm12",
        (
            (IMSCP_12, "imscp_rootv1p1p2.xsd"),
            (ADLCP_12, "adlcp_rootv1p2.xsd"),
            (IMSMD_12, "imsmd_rootv1p2p1.xsd"),
        ),
    ),
    PackageFormat.SCORM_2004: SchemaSet(
        "scorm2004-4ed",
        (
            (IMSCP_2004, "imscp_v1p1.xsd"),
            (ADLCP_2004, "adlcp_v1p3.xsd"),
            (ADLSEQ_2004, "adlseq_v1p3.xsd"),
            (ADLNAV_2004, "adlnav_v1p3.xsd"),
            (IMSSS, "imsss_v1p0.xsd"),
            (LOM, "lom.xsd"),
        ),
    ),
    PackageFormat.CMI5: SchemaSet("cmi5", ((CMI5, "CourseStructure.xsd"),)),
}
"""Schemas per format. tincan.xml has no official XSD; :mod:`builder.validate.semantics` checks its shape."""

REMOTE_ALIASES = {"http://www.w3.org/2001/xml.xsd": "scorm2004-4ed/xml.xsd"}
"""Remote schema locations the published XSDs import, served from the local copy instead (no network)."""


def _drop_default_xml_namespace(data: bytes) -> bytes:
    """SCORM 1.2 ``ims_xml.xsd`` binds the xml namespace as default namespace, which libxml2 refuses."""
    return data.replace(b'xmlns="http://www.w3.org/XML/1998/namespace"', b"", 1)


def _any_to_other(data: bytes) -> bytes:
    """SCORM 1.2 ``imsmd_rootv1p2p1.xsd``: ``##any`` makes content models non-deterministic for libxml2.

    ``##other`` accepts the same documents (elements of the metadata namespace
    itself are all declared explicitly), and libxml2 can compile it.
    """
    return data.replace(b'namespace="##any"', b'namespace="##other"')


PATCHES: dict[str, Callable[[bytes], bytes]] = {
    "scorm12/ims_xml.xsd": _drop_default_xml_namespace,
    "scorm12/imsmd_rootv1p2p1.xsd": _any_to_other,
}
"""In-memory fixes, by path below the schemas root, for the libxml2 quirks listed in NOTICE.md."""


class SchemaUnavailable(Exception):
    """The schemas folder or one of its XSDs is missing or cannot be compiled."""


def default_schemas() -> Path:
    """``$GSOG_SCHEMAS``, else ``shared/schemas`` beside the repository (``../shared/schemas``)."""
    env = os.environ.get(SCHEMAS_ENV)
    if env:
        return Path(env)
    return Path(builder.__file__).resolve().parents[2] / "shared" / "schemas"


class LocalSchemaResolver(etree.Resolver):
    """Serve schema documents from the schemas folder only, with the known quirks patched.

    Every URL libxml2 asks for lands here; one that maps to no file inside the
    folder is refused (and remembered, for the error message) rather than left
    to libxml2, which might fetch it.
    """

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = root.resolve()
        self.refused: list[str] = []

    def resolve(self, system_url: str, public_id: str, context: Any = None) -> Any:
        """Answer one request for a schema document with local bytes, or refuse it."""
        local = self.local_path(system_url)
        if local is None:
            self.refused.append(system_url)
            return self.resolve_string(b"<refused/>", context, base_url=system_url)
        data = local.read_bytes()
        patch = PATCHES.get(local.relative_to(self.root).as_posix())
        return self.resolve_string(patch(data) if patch else data, context, base_url=str(local))

    def local_path(self, url: str) -> Path | None:
        """The file inside the schemas folder that ``url`` stands for, or ``None``."""
        if url in REMOTE_ALIASES:
            candidate = self.root / REMOTE_ALIASES[url]
        else:
            parts = urlsplit(url)
            if parts.scheme not in ("", "file"):
                return None
            candidate = Path(unquote(parts.path) if parts.scheme == "file" else url)
        try:
            resolved = candidate.resolve()
        except (OSError, RuntimeError):
            return None
        return resolved if resolved.is_file() and resolved.is_relative_to(self.root) else None


def driver_schema(schema_set: SchemaSet) -> bytes:
    """An XSD with no components of its own that imports every namespace of ``schema_set``."""
    imports = "".join(f'<xs:import namespace="{ns}" schemaLocation="{loc}"/>' for ns, loc in schema_set.imports)
    return f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">{imports}</xs:schema>'.encode()


@functools.lru_cache(maxsize=16)
def _compiled(kind: PackageFormat, root: Path) -> etree.XMLSchema:
    """Compile the schema set of ``kind`` once per schemas folder: compiling SCORM 2004 takes ~0.1 s."""
    schema_set = SCHEMA_SETS[kind]
    folder = root / schema_set.folder
    if not folder.is_dir():
        raise SchemaUnavailable(
            f"XSD folder {folder} not found; pass --schemas DIR or set {SCHEMAS_ENV} "
            "(the folder holding scorm12/, scorm2004-4ed/ and cmi5/)"
        )
    resolver = LocalSchemaResolver(root)
    parser = safe_parser()
    parser.resolvers.add(resolver)
    driver = etree.fromstring(driver_schema(schema_set), parser, base_url=str(folder / "driver.xsd"))
    try:
        return etree.XMLSchema(driver)
    except etree.XMLSchemaParseError as exc:
        refused = f"; not found in the schemas folder: {', '.join(resolver.refused)}" if resolver.refused else ""
        raise SchemaUnavailable(f"cannot load the {kind} XSDs from {folder}: {exc}{refused}") from exc


def compiled_schema(kind: PackageFormat, schemas: Path | None = None) -> etree.XMLSchema:
    """The compiled schema for ``kind``; raises :class:`SchemaUnavailable` with a message for the user."""
    root = (schemas or default_schemas()).resolve()
    return _compiled(kind, root)


def has_schema(kind: PackageFormat) -> bool:
    """True when an official XSD exists for ``kind`` (all but tincan.xml)."""
    return kind in SCHEMA_SETS


def xsd_findings(
    manifest: etree._Element, file: str, kind: PackageFormat, schemas: Path | None = None
) -> list[Finding]:
    """Every XSD error in ``manifest``, each with ``file`` and the line lxml reports."""
    schema = compiled_schema(kind, schemas)
    if schema.validate(manifest):
        return []
    errors = log_entries(schema.error_log)
    findings = [Finding(file, e.line if e.line > 0 else None, tidy(e.message)) for e in errors[:MAX_XSD_ERRORS]]
    if len(errors) > MAX_XSD_ERRORS:
        findings.append(Finding(file, None, f"{len(errors) - MAX_XSD_ERRORS} more XSD errors not shown"))
    return findings


class LogEntry(Protocol):
    """The two fields of an lxml error-log entry used here (lxml-stubs leaves the log untyped)."""

    line: int
    message: str


def log_entries(log: object) -> list[LogEntry]:
    """The entries of an lxml error log, typed."""
    return list(cast(Iterable[LogEntry], log))


_CLARK = re.compile(r"\{[^{}]*\}[\w.-]+")


def tidy(message: str) -> str:
    """Shorten libxml2's ``{namespace}name`` to ``prefix:name`` so messages fit on a line."""
    return _CLARK.sub(lambda m: short_name(m.group(0)), message)
