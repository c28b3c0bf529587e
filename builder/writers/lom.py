"""Learning Object Metadata: IEEE LOM (SCORM 2004, cmi5, xAPI) and IMS MD 1.2 (SCORM 1.2).

Every package says what it is (title, description, language, keywords,
version, rights) in the metadata vocabulary its format expects, so LMS
catalogues show the same facts whatever the format.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from builder.model.base import pick
from builder.variants import CompiledVariant
from builder.writers.base import XML_NS, course_iri

LOM_NS = "http://ltsc.ieee.org/xsd/LOM"
IMSMD_NS = "http://www.imsglobal.org/xsd/imsmd_rootv1p2p1"


def _facts(compiled: CompiledVariant) -> dict[str, Any]:
    meta = compiled.course.meta
    lang = compiled.variant.lang
    return {
        "lang": lang,
        "title": pick(meta.title, lang),
        "description": pick(meta.description, lang),
        "keywords": list(meta.keywords.get(lang, [])),  # type: ignore[call-overload]
        "version": meta.version,
        "rights": pick(meta.rights, lang),
        "iri": course_iri(compiled),
    }


def ieee_lom(compiled: CompiledVariant) -> Any:
    """An IEEE LOM ``<lom>`` element."""
    f = _facts(compiled)

    def sub(parent: Any, tag: str, text: str | None = None) -> Any:
        node = etree.SubElement(parent, f"{{{LOM_NS}}}{tag}")
        if text is not None:
            node.text = text
        return node

    def langstring(parent: Any, tag: str, text: str, lang: str) -> Any:
        holder = sub(parent, tag)
        string = sub(holder, "string", text)
        string.set("language", lang)
        return holder

    def vocabulary(parent: Any, tag: str, value: str) -> None:
        holder = sub(parent, tag)
        sub(holder, "source", "LOMv1.0")
        sub(holder, "value", value)

    lom = etree.Element(f"{{{LOM_NS}}}lom", nsmap={None: LOM_NS})  # type: ignore[dict-item]
    general = sub(lom, "general")
    ident = sub(general, "identifier")
    sub(ident, "catalog", "URI")
    sub(ident, "entry", f["iri"])
    langstring(general, "title", f["title"], f["lang"])
    sub(general, "language", f["lang"])
    langstring(general, "description", f["description"], f["lang"])
    for word in f["keywords"]:
        langstring(general, "keyword", word, f["lang"])
    lifecycle = sub(lom, "lifeCycle")
    langstring(lifecycle, "version", f["version"], "x-none")
    meta = sub(lom, "metaMetadata")
    sub(meta, "metadataSchema", "LOMv1.0")
    educational = sub(lom, "educational")
    vocabulary(educational, "intendedEndUserRole", "learner")
    sub(educational, "language", f["lang"])
    rights = sub(lom, "rights")
    vocabulary(rights, "cost", "no")
    vocabulary(rights, "copyrightAndOtherRestrictions", "yes")
    langstring(rights, "description", f["rights"], f["lang"])
    return lom


def imsmd_lom(compiled: CompiledVariant) -> Any:
    """An IMS Metadata 1.2.1 ``<imsmd:lom>`` element for SCORM 1.2 manifests."""
    f = _facts(compiled)

    def sub(parent: Any, tag: str, text: str | None = None) -> Any:
        node = etree.SubElement(parent, f"{{{IMSMD_NS}}}{tag}")
        if text is not None:
            node.text = text
        return node

    def langstring(parent: Any, tag: str, text: str, lang: str) -> Any:
        holder = sub(parent, tag)
        string = sub(holder, "langstring", text)
        string.set(f"{{{XML_NS}}}lang", lang)
        return holder

    def vocabulary(parent: Any, tag: str, value: str) -> None:
        holder = sub(parent, tag)
        langstring(holder, "source", "LOMv1.0", "x-none")
        langstring(holder, "value", value, "x-none")

    lom = etree.Element(f"{{{IMSMD_NS}}}lom", nsmap={"imsmd": IMSMD_NS})
    general = sub(lom, "general")
    langstring(general, "title", f["title"], f["lang"])
    catalog = sub(general, "catalogentry")
    sub(catalog, "catalog", "URI")
    entry = sub(catalog, "entry")
    string = sub(entry, "langstring", f["iri"])
    string.set(f"{{{XML_NS}}}lang", "x-none")
    sub(general, "language", f["lang"])
    langstring(general, "description", f["description"], f["lang"])
    for word in f["keywords"]:
        langstring(general, "keyword", word, f["lang"])
    lifecycle = sub(lom, "lifecycle")
    langstring(lifecycle, "version", f["version"], "x-none")
    meta = sub(lom, "metametadata")
    sub(meta, "metadatascheme", "LOMv1.0")
    rights = sub(lom, "rights")
    vocabulary(rights, "cost", "no")
    vocabulary(rights, "copyrightandotherrestrictions", "yes")
    langstring(rights, "description", f["rights"], f["lang"])
    return lom
