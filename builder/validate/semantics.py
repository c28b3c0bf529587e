"""Rules an XSD cannot express: references resolve, files exist, numbers are in range, ids are IRIs.

An LMS accepts an XSD-valid manifest and then fails at launch when an item
points at a resource that is not there, a file is missing from the zip, or a
mastery score of 150 makes an activity impossible to pass. These rules catch
that at build time. Each finding names the manifest and the line of the
element at fault; findings about files left out of the manifest name the file.
"""

from __future__ import annotations

import functools
import posixpath
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from urllib.parse import unquote, urlsplit

from lxml import etree

from builder.spec import (
    ADLCP_12,
    ADLCP_2004,
    CMI5,
    IMSCP_12,
    IMSCP_2004,
    IMSSS,
    SCORM_12_VERSION,
    TINCAN,
    XML,
)
from builder.validate.formats import SCORM_2004_EDITIONS, PackageFormat, qualified
from builder.validate.problems import Finding, shown
from builder.validate.xmlread import line_of

SCHEMA_FOLDERS = ("", "common/", "extend/", "unique/", "vocab/")
"""Folders where a SCORM zip may carry .xsd/.dtd files without listing them: the
root, and the sub-folders of the ADL SCORM 2004 schema set (LOM)."""

CMI5_MOVE_ON = ("NotApplicable", "Passed", "Completed", "CompletedAndPassed", "CompletedOrPassed")
"""Values of the cmi5 ``moveOn`` attribute (cmi5 spec, section 13.1.4)."""

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_DRIVE = re.compile(r"^[A-Za-z]:[/\\]")


@dataclass(frozen=True)
class Manifest:
    """A parsed manifest with what the rules need: its name in the zip and the zip's file names."""

    root: etree._Element
    file: str
    names: frozenset[str]

    def at(self, element: etree._Element, message: str) -> Finding:
        """A finding at ``element``'s line in this manifest."""
        return Finding(self.file, line_of(element), message)

    @functools.cached_property
    def folded(self) -> dict[str, str]:
        """Case-folded entry name -> entry name, built once for the case-mismatch hints."""
        return {name.casefold(): name for name in sorted(self.names)}

    def all(self, namespace: str, name: str) -> list[etree._Element]:
        """Every element ``{namespace}name`` in the manifest, in document order."""
        return list(self.root.iter(qualified(namespace, name)))


Rule = Callable[[Manifest], Iterable[Finding]]


# --- shared helpers -------------------------------------------------------------------------------------------


def is_absolute_iri(value: str) -> bool:
    """True for an IRI with a scheme and no whitespace, as xAPI and cmi5 require for ids."""
    return bool(_SCHEME.match(value)) and len(value) > value.index(":") + 1 and not any(c.isspace() for c in value)


def decimal(text: str | None) -> Decimal | None:
    """The finite decimal number in ``text``, or ``None`` (``Decimal`` alone would accept ``NaN``)."""
    try:
        value = Decimal((text or "").strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


@dataclass(frozen=True)
class Target:
    """Where an href points: a path inside the zip, somewhere outside it (``external``), or nowhere valid."""

    path: str = ""
    external: bool = False
    error: str = ""


def target(href: str, base: str = "") -> Target:
    """Resolve ``href`` (relative to the folder ``base``) to a zip entry name, dropping query and fragment."""
    if urlsplit(base).scheme:
        return Target(external=True)
    if _DRIVE.match(href) or "\\" in href:
        return Target(error=f"href {shown(href)!r} is a Windows path; use relative paths with '/'")
    parts = urlsplit(href)
    if parts.scheme or parts.netloc:
        return Target(external=True)
    path = unquote(parts.path)
    if not path:
        return Target(error="href is empty")
    if path.startswith("/"):
        return Target(error=f"href {shown(href)!r} is absolute; it must be relative to the package root")
    joined = posixpath.normpath(posixpath.join(base, path))
    if joined == ".." or joined.startswith("../"):
        return Target(error=f"href {shown(href)!r} points outside the package")
    return Target(path=joined)


def missing(path: str, folded: dict[str, str]) -> str:
    """Why ``path`` is not in the zip, hinting at a case mismatch (web servers are case-sensitive)."""
    near = folded.get(path.casefold())
    hint = f" (the zip has {shown(near)!r}; names are case-sensitive)" if near else ""
    return f"{shown(path)!r} is not in the zip{hint}"


def file_findings(m: Manifest, element: etree._Element, href: str, what: str, base: str = "") -> list[Finding]:
    """A finding when ``href`` on ``element`` names no file in the zip; external URLs pass."""
    where = target(href, base)
    if where.error:
        return [m.at(element, f"{what}: {where.error}")]
    if where.external or where.path in m.names:
        return []
    return [m.at(element, f"{what}: {missing(where.path, m.folded)}")]


# --- IMS content packaging (SCORM 1.2 and 2004) ---------------------------------------------------------------


@dataclass(frozen=True)
class Dialect:
    """What differs between SCORM 1.2 and SCORM 2004 manifests, as far as the shared rules care."""

    cp: str
    adlcp: str
    scorm_type: str
    versions: tuple[str, ...]
    leaves_launch: bool
    """SCORM 2004 only: leaf items must reference a resource, and only leaf items may."""


SCORM_12 = Dialect(IMSCP_12, ADLCP_12, "scormtype", (SCORM_12_VERSION,), leaves_launch=False)
SCORM_2004 = Dialect(IMSCP_2004, ADLCP_2004, "scormType", tuple(SCORM_2004_EDITIONS), leaves_launch=True)
MANIFEST_FILE = "imsmanifest.xml"


def identifiers(m: Manifest, d: Dialect, local: str) -> dict[str, etree._Element]:
    """``identifier`` -> first element among ``<local>`` elements of the IMS CP namespace."""
    found: dict[str, etree._Element] = {}
    for element in m.all(d.cp, local):
        found.setdefault(element.get("identifier") or "", element)
    found.pop("", None)
    return found


def unique_identifiers(m: Manifest, d: Dialect) -> Iterator[Finding]:
    """Identifiers of manifest, organizations, items and resources are unique: references must be unambiguous."""
    first: dict[str, etree._Element] = {}
    for element in m.root.iter():
        ident = element.get("identifier") if in_namespace(element, d.cp) else None
        if not ident:
            continue
        if ident in first:
            yield m.at(element, f"identifier {shown(ident)!r} is used twice (first on line {line_of(first[ident])})")
        else:
            first[ident] = element


def in_namespace(element: etree._Element, namespace: str) -> bool:
    """True for an element (not a comment or processing instruction) in ``namespace``."""
    return isinstance(element.tag, str) and element.tag.startswith(f"{{{namespace}}}")


def schema_version(m: Manifest, d: Dialect) -> Iterator[Finding]:
    """``<metadata><schemaversion>`` says which SCORM the LMS must run; it must match the namespace."""
    version = m.root.find(f"{{{d.cp}}}metadata/{{{d.cp}}}schemaversion")
    expected = " or ".join(repr(v) for v in d.versions)
    if version is None:
        yield m.at(m.root, f"<metadata><schemaversion> is missing; this manifest's namespace expects {expected}")
        return
    text = (version.text or "").strip()
    if text not in d.versions:
        yield m.at(
            version,
            f"schemaversion {shown(text)!r} does not match the manifest's namespace {d.cp} (expected {expected})",
        )


def default_organization(m: Manifest, d: Dialect) -> Iterator[Finding]:
    """``<organizations default>`` names an organization, not some other identifier."""
    organizations = identifiers(m, d, "organization")
    for element in m.all(d.cp, "organizations"):
        default = element.get("default")
        if default and default not in organizations:
            yield m.at(element, f"default organization {shown(default)!r} matches no <organization identifier>")


def item_references(m: Manifest, d: Dialect) -> Iterator[Finding]:
    """Each item's ``identifierref`` names a resource that can be launched."""
    resources = identifiers(m, d, "resource")
    for item in m.all(d.cp, "item"):
        ref = item.get("identifierref")
        name = shown(item.get("identifier") or "?")
        has_children = item.find(f"{{{d.cp}}}item") is not None
        if ref is None:
            if d.leaves_launch and not has_children:
                yield m.at(item, f"item {name!r} has neither child items nor an identifierref: nothing to launch")
            continue
        if d.leaves_launch and has_children:
            yield m.at(item, f"item {name!r} has child items and an identifierref; SCORM 2004 allows it on leaves only")
        resource = resources.get(ref)
        if resource is None:
            yield m.at(item, f"item {name!r}: identifierref {shown(ref)!r} matches no <resource identifier>")
        elif not resource.get("href"):
            yield m.at(item, f"item {name!r} refers to resource {shown(ref)!r}, which has no href to launch")


def dependency_references(m: Manifest, d: Dialect) -> Iterator[Finding]:
    """Each ``<dependency identifierref>`` names a resource."""
    resources = identifiers(m, d, "resource")
    for dependency in m.all(d.cp, "dependency"):
        ref = dependency.get("identifierref") or ""
        if ref not in resources:
            yield m.at(dependency, f"dependency identifierref {shown(ref)!r} matches no <resource identifier>")


def xml_base(element: etree._Element) -> str:
    """The folder ``xml:base`` attributes on ``element`` and its ancestors put hrefs in ("" for the root)."""
    base = ""
    for node in [*reversed(list(element.iterancestors())), element]:
        value = node.get(qualified(XML, "base"))
        if value:
            base = value if urlsplit(value).scheme else posixpath.join(base, value.rstrip("/") + "/")
    return base


def resource_files(m: Manifest, d: Dialect) -> Iterator[Finding]:
    """Every resource href, ``<file href>`` and metadata ``adlcp:location`` names a file in the zip.

    URLs with a scheme point outside the package and are not checked.
    """
    for resource in m.all(d.cp, "resource"):
        base = xml_base(resource)
        href = resource.get("href")
        if href is not None:
            yield from file_findings(m, resource, href, f"resource {shown(resource.get('identifier') or '?')!r}", base)
        for file in resource.iter(qualified(d.cp, "file")):
            yield from file_findings(m, file, file.get("href") or "", "file", base)
    for location in m.all(d.adlcp, "location"):
        yield from file_findings(m, location, (location.text or "").strip(), "adlcp:location")


def listed_files(m: Manifest, d: Dialect) -> set[str]:
    """Zip entry names the manifest lists: ``<file href>`` and metadata files named by ``adlcp:location``."""
    hrefs = [
        (file.get("href") or "", xml_base(resource))
        for resource in m.all(d.cp, "resource")
        for file in resource.iter(qualified(d.cp, "file"))
    ]
    hrefs += [((location.text or "").strip(), "") for location in m.all(d.adlcp, "location")]
    return {where.path for where in (target(href, base) for href, base in hrefs) if where.path}


def is_schema_file(name: str) -> bool:
    """Schema files (.xsd, .dtd) a package may ship beside its manifest without listing them."""
    folder, _, leaf = name.rpartition("/")
    return leaf.lower().endswith((".xsd", ".dtd")) and (f"{folder}/" if folder else "") in SCHEMA_FOLDERS


def unreferenced_files(m: Manifest, d: Dialect) -> Iterator[Finding]:
    """Every file in the zip is listed by some ``<file>``: an LMS may drop or refuse unlisted files."""
    listed = listed_files(m, d)
    for name in sorted(m.names - listed):
        if name != MANIFEST_FILE and not is_schema_file(name):
            yield Finding(shown(name), None, f"file is in the zip but {MANIFEST_FILE} lists it nowhere (<file href>)")


def scorm_types(m: Manifest, d: Dialect) -> Iterator[Finding]:
    """Launchable resources say whether they are a SCO or an asset: the LMS starts the runtime API only for SCOs."""
    attribute = qualified(d.adlcp, d.scorm_type)
    for resource in m.all(d.cp, "resource"):
        if resource.get("href") is not None and resource.get(attribute) is None:
            name = shown(resource.get("identifier") or "?")
            yield m.at(resource, f"resource {name!r} has an href but no adlcp:{d.scorm_type} ('sco' or 'asset')")


def in_range(m: Manifest, element: etree._Element, what: str, text: str | None, low: int, high: int) -> list[Finding]:
    """A finding unless ``text`` is a number within ``low..high``."""
    value = decimal(text)
    if value is not None and low <= value <= high:
        return []
    return [m.at(element, f"{what} {shown((text or '').strip())!r} is not a number from {low} to {high}")]


def mastery_scores(m: Manifest) -> Iterator[Finding]:
    """SCORM 1.2 ``adlcp:masteryscore`` is a score from 0 to 100; above 100 no learner can pass."""
    for element in m.all(ADLCP_12, "masteryscore"):
        yield from in_range(m, element, "adlcp:masteryscore", element.text, 0, 100)


def measures(m: Manifest) -> Iterator[Finding]:
    """SCORM 2004 thresholds: normalized measures lie in -1..1, progress measures and weights in 0..1."""
    for element in m.all(IMSSS, "minNormalizedMeasure"):
        yield from in_range(m, element, "imsss:minNormalizedMeasure", element.text, -1, 1)
    for element in m.all(ADLCP_2004, "completionThreshold"):
        for attribute in ("minProgressMeasure", "progressWeight"):
            if element.get(attribute) is not None:
                yield from in_range(m, element, f"completionThreshold {attribute}", element.get(attribute), 0, 1)


def ims_rules(d: Dialect) -> list[Rule]:
    """The rules for one SCORM dialect, bound to it."""
    shared: list[Callable[[Manifest, Dialect], Iterable[Finding]]] = [
        schema_version,
        unique_identifiers,
        default_organization,
        item_references,
        dependency_references,
        resource_files,
        unreferenced_files,
        scorm_types,
    ]
    bound: list[Rule] = [bind(rule, d) for rule in shared]
    return [*bound, mastery_scores if d is SCORM_12 else measures]


def bind(rule: Callable[[Manifest, Dialect], Iterable[Finding]], d: Dialect) -> Rule:
    """Bind ``d`` as the second argument of ``rule``, leaving the manifest to fill in."""
    return lambda m: rule(m, d)


# --- cmi5 --------------------------------------------------------------------------------------------------------

CMI5_ID_ELEMENTS = ("course", "block", "au", "objective")

CMI5_SECTIONS = {"course": "13.1.1", "block": "13.1.2", "objective": "13.1.3", "au": "13.1.4"}
"""The section of the cmi5 specification that defines each element of the course structure.

Messages about cmi5.xml end with the requirement they enforce, e.g. ``(cmi5
13.1.4: every au id MUST be unique within the course structure)``, so an
author, and an LMS refusing the package on import (``lrs course import``),
can look the rule up.
"""

CMI5_RELATIVE_MEDIA = "cmi5 14.0: media in a zip package MUST be referenced by relative URLs to files in the zip"
"""Why an AU url naming no file of the zip is refused."""

CMI5_WELL_FORMED = "cmi5 13.2: the course structure MUST conform to CourseStructure.xsd"
"""Why a cmi5.xml that is not well-formed XML is refused."""


def cmi5_rule(local: str, text: str) -> str:
    """`` (cmi5 <section>: <text>)``, the requirement a finding about ``<local>`` names."""
    return f" (cmi5 {CMI5_SECTIONS[local]}: {text})"


def cmi5_ids(m: Manifest) -> Iterator[Finding]:
    """Course, block, AU and objective ids are absolute IRIs and unique: they become xAPI activity ids."""
    first: dict[str, etree._Element] = {}
    for local in CMI5_ID_ELEMENTS:
        for element in m.all(CMI5, local):
            ident = element.get("id")
            if ident is None:
                continue
            if not is_absolute_iri(ident):
                rule = cmi5_rule(local, f"the {local} id MUST be a fully qualified IRI")
                yield m.at(
                    element, f"{local} id {shown(ident)!r} is not an absolute IRI (e.g. https://example.org/…){rule}"
                )
            if ident in first:
                first_line = line_of(first[ident])
                rule = cmi5_rule(local, f"every {local} id MUST be unique within the course structure")
                yield m.at(element, f"{local} id {shown(ident)!r} is used twice (first on line {first_line}){rule}")
            first.setdefault(ident, element)


def cmi5_objective_refs(m: Manifest) -> Iterator[Finding]:
    """Objectives referenced by blocks and AUs (``idref``) are declared in the course's ``<objectives>``."""
    declared = {e.get("id") for e in m.all(CMI5, "objective") if e.get("id")}
    for element in m.all(CMI5, "objective"):
        ref = element.get("idref")
        if ref is not None and ref not in declared:
            rule = cmi5_rule("objective", "an objective reference MUST name a declared objective")
            yield m.at(element, f"objective idref {shown(ref)!r} matches no declared <objective id>{rule}")


def cmi5_aus(m: Manifest) -> Iterator[Finding]:
    """Each AU has a mastery score within 0..1, a known moveOn, and a url naming a file in the zip."""
    for au in m.all(CMI5, "au"):
        score = au.get("masteryScore")
        if score is not None:
            for finding in in_range(m, au, "masteryScore", score, 0, 1):
                yield with_rule(finding, cmi5_rule("au", "masteryScore MUST be a decimal from 0 to 1"))
        move_on = au.get("moveOn")
        if move_on is not None and move_on not in CMI5_MOVE_ON:
            rule = cmi5_rule("au", "moveOn MUST be one of the five values it defines")
            yield m.at(au, f"moveOn {shown(move_on)!r} is not one of {', '.join(CMI5_MOVE_ON)}{rule}")
        url = au.find(qualified(CMI5, "url"))
        if url is not None:
            for finding in file_findings(m, url, (url.text or "").strip(), "au url"):
                yield with_rule(finding, f" ({CMI5_RELATIVE_MEDIA})")


def with_rule(finding: Finding, rule: str) -> Finding:
    """``finding`` with the requirement it enforces appended to its message."""
    return Finding(finding.file, finding.line, finding.message + rule)


def cmi5_required(m: Manifest) -> Iterator[Finding]:
    """The course has an id and at least one AU, and every AU an id and a url: what an LMS launches from.

    The XSD says so too, but it is only at hand with the full schema set
    (``../shared/schemas``); without it these are the checks that keep an
    LMS from importing a course it cannot launch.
    """
    course = m.root.find(qualified(CMI5, "course"))
    if course is None or not (course.get("id") or "").strip():
        where = m.root if course is None else course
        yield m.at(where, "the course has no id" + cmi5_rule("course", "a course MUST have an id, an IRI"))
    aus = m.all(CMI5, "au")
    if not aus:
        yield m.at(m.root, "the course has no <au>" + cmi5_rule("au", "a course structure MUST hold at least one AU"))
    for au in aus:
        if not (au.get("id") or "").strip():
            yield m.at(au, "au has no id" + cmi5_rule("au", "every AU MUST have an id, an IRI"))
        if not (au.findtext(qualified(CMI5, "url")) or "").strip():
            yield m.at(au, "au has no <url>" + cmi5_rule("au", "every AU MUST have a url to launch"))


CMI5_RULES: list[Rule] = [cmi5_required, cmi5_ids, cmi5_objective_refs, cmi5_aus]


# --- tincan.xml ------------------------------------------------------------------------------------------------


def tincan_structure(m: Manifest) -> Iterator[Finding]:
    """tincan.xml has no official XSD: check ``tincan/activities/activity`` with ids and one launch."""
    activities = m.root.find(qualified(TINCAN, "activities"))
    if activities is None:
        yield m.at(m.root, "tincan.xml has no <activities> element")
        return
    listed = activities.findall(qualified(TINCAN, "activity"))
    if not listed:
        yield m.at(activities, "<activities> lists no <activity>")
    elif not any(a.find(qualified(TINCAN, "launch")) is not None for a in listed):
        yield m.at(activities, "no <activity> has a <launch> element: the LMS has nothing to start")


def tincan_activities(m: Manifest) -> Iterator[Finding]:
    """Activity ids are unique absolute IRIs (they are xAPI activity ids); launch files exist."""
    first: dict[str, etree._Element] = {}
    for activity in m.all(TINCAN, "activity"):
        ident = activity.get("id")
        if not ident:
            yield m.at(activity, "activity has no id attribute")
            continue
        if not is_absolute_iri(ident):
            yield m.at(activity, f"activity id {shown(ident)!r} is not an absolute IRI (e.g. https://example.org/…)")
        if ident in first:
            yield m.at(activity, f"activity id {shown(ident)!r} is used twice (first on line {line_of(first[ident])})")
        first.setdefault(ident, activity)
        for launch in activity.findall(qualified(TINCAN, "launch")):
            yield from file_findings(m, launch, (launch.text or "").strip(), "launch")


TINCAN_RULES: list[Rule] = [tincan_structure, tincan_activities]

# --- every format ------------------------------------------------------------------------------------------------

TITLE_ELEMENTS = ("title", "name")
"""Local names of the elements that title something: IMS/LOM/cmi5 ``<title>``, TinCan ``<name>``."""


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def empty_titles(m: Manifest) -> Iterator[Finding]:
    """Titles have text: the schemas accept ``<string language="fr"></string>``, but an LMS then lists a blank course.

    A title made of language strings (LOM ``<string>``, cmi5 ``<langstring>``)
    is checked string by string, so the finding names the empty language.
    """
    for element in m.root.iter():
        if _local(element) not in TITLE_ELEMENTS:
            continue
        strings = [child for child in element if isinstance(child.tag, str)]
        for text_element in strings or [element]:
            if "".join(str(text) for text in text_element.itertext()).strip():
                continue
            lang = text_element.get("language") or text_element.get("lang") or text_element.get(qualified(XML, "lang"))
            which = f" ({shown(lang)})" if lang else ""
            yield m.at(text_element, f"<{_local(element)}>{which} is empty; every title needs its text")


RULES: dict[PackageFormat, list[Rule]] = {
    PackageFormat.SCORM_12: [*ims_rules(SCORM_12), empty_titles],
    PackageFormat.SCORM_2004: [*ims_rules(SCORM_2004), empty_titles],
    PackageFormat.CMI5: [*CMI5_RULES, empty_titles],
    PackageFormat.TINCAN: [*TINCAN_RULES, empty_titles],
}


def semantic_findings(kind: PackageFormat, file: str, root: etree._Element, names: frozenset[str]) -> list[Finding]:
    """Run every rule of ``kind`` on the manifest ``file`` (parsed as ``root``) of a zip holding ``names``."""
    manifest = Manifest(root, file, names)
    return [finding for rule in RULES[kind] for finding in rule(manifest)]
