"""What every package writer shares: the writer interface and XML helpers.

lxml takes ``None`` as the key of the default namespace in ``nsmap``; its
type stubs do not, hence the ``type: ignore[dict-item]`` on those lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from lxml import etree

from builder.dual_tracking import DualTracking
from builder.variants import CompiledVariant


class PackageWriter(Protocol):
    """Writes the manifest (and any extra metadata files) of one format."""

    format: str
    label: str

    def manifest_files(self, compiled: CompiledVariant, payload: list[str], options: WriterOptions) -> dict[str, bytes]:
        """Manifest and metadata files by name, given the payload file names."""
        ...


@dataclass(frozen=True)
class WriterOptions:
    """Choices a build can make per format (defaults suit most LMSs)."""

    multi_sco: bool = False
    #: ``--lrs/--lrs-key/--organisation``: SCORM packages also report to our LRS (None: they do not)
    dual_tracking: DualTracking | None = None


def element(tag: str, attrib: dict[str, str] | None = None, text: str | None = None, *children: Any) -> Any:
    """Build an lxml element in one expression: tag, attributes, text, children."""
    node = etree.Element(tag, {k: v for k, v in (attrib or {}).items()})
    if text is not None:
        node.text = text
    for child in children:
        if child is not None:
            node.append(child)
    return node


def serialise(root: Any) -> bytes:
    """Pretty, deterministic UTF-8 XML with a declaration."""
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return data


def identifier(*parts: str) -> str:
    """An XML ID (xs:ID): letters, digits, '-', '_', '.', not starting with a digit."""
    raw = "-".join(parts)
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in raw)
    return safe if safe[:1].isalpha() else f"id-{safe}"


def package_name(compiled: CompiledVariant, fmt: str) -> str:
    """The zip's base name, e.g. ``gsog-nl-police-scorm2004``."""
    return f"{compiled.course.meta.id}-{compiled.variant.slug}-{fmt}"


def course_iri(compiled: CompiledVariant) -> str:
    """Activity id of the course in this language and sector."""
    return f"{compiled.content['course']['iri'].rstrip('/')}/{compiled.variant.slug}"


def module_iri(compiled: CompiledVariant, module_id: str) -> str:
    """Activity id of one module (an AU in cmi5)."""
    return f"{course_iri(compiled)}/{module_id}"


def goal_iri(compiled: CompiledVariant, goal_id: str) -> str:
    """Objective id of a learning goal: shared by all variants, so reports can join them."""
    return f"{compiled.content['course']['iri'].rstrip('/')}/goals/{goal_id}"


def post_test(compiled: CompiledVariant) -> dict[str, Any] | None:
    """The post-test unit, whose mastery score is the package's."""
    return next(
        (u for u in compiled.content["units"].values() if u["kind"] == "assessment" and u["role"] == "post"),
        None,
    )


def module_of(compiled: CompiledVariant, unit_id: str) -> str | None:
    """Id of the module that lists ``unit_id``."""
    return next((m["id"] for m in compiled.content["modules"] if unit_id in m["units"]), None)
