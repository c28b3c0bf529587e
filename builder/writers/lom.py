"""Learning Object Metadata: IEEE LOM (SCORM 2004, cmi5, xAPI) and IMS MD 1.2 (SCORM 1.2).

Every package says what it is (title, description, language, keywords,
version, rights) in the metadata vocabulary its format expects, so LMS
catalogues show the same facts whatever the format.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from builder.model.base import pick
from builder.spec import IMSMD_12 as IMSMD_NS
from builder.spec import LOM as LOM_NS
from builder.spec import XML as XML_NS
from builder.typography import typeset
from builder.variants import CompiledVariant
from builder.writers.base import course_iri
from lrs.xapi.profile import BY_NAME


def _facts(compiled: CompiledVariant) -> dict[str, Any]:
    meta = compiled.course.meta
    lang = compiled.variant.lang
    facts: dict[str, Any] = {
        "lang": lang,
        "title": compiled.content["course"]["title"],
        "description": compiled.content["course"]["description"],
        "keywords": list(meta.keywords.get(lang, [])),
        "version": meta.version,
        "rights": pick(meta.rights, lang),
        "iri": course_iri(compiled),
    }
    typeset_facts = typeset(facts, lang)
    typeset_facts["level"] = meta.level  # a code, byte for byte
    return typeset_facts


#: Where a course's training level sits in LOM: a classification whose purpose is LOMv1.0's
#: "educational level", its taxon the level's code under the xAPI profile's ``level``
#: extension IRI. LOM's educational/context has no such values (only school, higher
#: education, training, other), and a keyword would be a free word in one language.
LEVEL_TAXONOMY = BY_NAME["level"].iri


def _level(d: _Dialect, lom: Any, level: str | None) -> None:
    """The training level as ``classification`` (LOM's last element), when the course declares one."""
    if level is None:
        return
    classification = d.sub(lom, "classification")
    d.vocabulary(classification, "purpose", "educational level")
    path = d.sub(classification, d.taxon_path)
    d.langstring(path, "source", LEVEL_TAXONOMY, "x-none")
    taxon = d.sub(path, "taxon")
    d.sub(taxon, "id", level)
    d.langstring(taxon, "entry", level, "x-none")


class _Dialect:
    """Writes elements of one LOM binding.

    IEEE LOM and IMS MD 1.2 differ in namespace, in the name of the
    language-string element and its language attribute, and in whether
    vocabulary values are plain or language strings.
    """

    def __init__(self, ns: str, string_tag: str, lang_attr: str, vocabulary_strings: bool, taxon_path: str) -> None:
        self.ns, self.string_tag, self.lang_attr = ns, string_tag, lang_attr
        self.vocabulary_strings, self.taxon_path = vocabulary_strings, taxon_path

    def sub(self, parent: Any, tag: str, text: str | None = None) -> Any:
        node = etree.SubElement(parent, f"{{{self.ns}}}{tag}")
        if text is not None:
            node.text = text
        return node

    def langstring(self, parent: Any, tag: str, text: str, lang: str) -> Any:
        holder = self.sub(parent, tag)
        self.sub(holder, self.string_tag, text).set(self.lang_attr, lang)
        return holder

    def vocabulary(self, parent: Any, tag: str, value: str) -> None:
        holder = self.sub(parent, tag)
        for name, text in (("source", "LOMv1.0"), ("value", value)):
            if self.vocabulary_strings:
                self.langstring(holder, name, text, "x-none")
            else:
                self.sub(holder, name, text)


_IEEE = _Dialect(LOM_NS, "string", "language", vocabulary_strings=False, taxon_path="taxonPath")
_IMSMD = _Dialect(IMSMD_NS, "langstring", f"{{{XML_NS}}}lang", vocabulary_strings=True, taxon_path="taxonpath")


def ieee_lom(compiled: CompiledVariant) -> Any:
    """An IEEE LOM ``<lom>`` element."""
    f, d = _facts(compiled), _IEEE
    lom = etree.Element(f"{{{LOM_NS}}}lom", nsmap={None: LOM_NS})  # type: ignore[dict-item]
    general = d.sub(lom, "general")
    ident = d.sub(general, "identifier")
    d.sub(ident, "catalog", "URI")
    d.sub(ident, "entry", f["iri"])
    d.langstring(general, "title", f["title"], f["lang"])
    d.sub(general, "language", f["lang"])
    d.langstring(general, "description", f["description"], f["lang"])
    for word in f["keywords"]:
        d.langstring(general, "keyword", word, f["lang"])
    d.langstring(d.sub(lom, "lifeCycle"), "version", f["version"], "x-none")
    d.sub(d.sub(lom, "metaMetadata"), "metadataSchema", "LOMv1.0")
    educational = d.sub(lom, "educational")
    d.vocabulary(educational, "intendedEndUserRole", "learner")
    d.sub(educational, "language", f["lang"])
    rights = d.sub(lom, "rights")
    d.vocabulary(rights, "cost", "no")
    d.vocabulary(rights, "copyrightAndOtherRestrictions", "yes")
    d.langstring(rights, "description", f["rights"], f["lang"])
    _level(d, lom, f["level"])
    return lom


def imsmd_lom(compiled: CompiledVariant) -> Any:
    """An IMS Metadata 1.2.1 ``<imsmd:lom>`` element for SCORM 1.2 manifests."""
    f, d = _facts(compiled), _IMSMD
    lom = etree.Element(f"{{{IMSMD_NS}}}lom", nsmap={"imsmd": IMSMD_NS})
    general = d.sub(lom, "general")
    d.langstring(general, "title", f["title"], f["lang"])
    catalog = d.sub(general, "catalogentry")
    d.sub(catalog, "catalog", "URI")
    d.langstring(catalog, "entry", f["iri"], "x-none")
    d.sub(general, "language", f["lang"])
    d.langstring(general, "description", f["description"], f["lang"])
    for word in f["keywords"]:
        d.langstring(general, "keyword", word, f["lang"])
    d.langstring(d.sub(lom, "lifecycle"), "version", f["version"], "x-none")
    d.sub(d.sub(lom, "metametadata"), "metadatascheme", "LOMv1.0")
    rights = d.sub(lom, "rights")
    d.vocabulary(rights, "cost", "no")
    d.vocabulary(rights, "copyrightandotherrestrictions", "yes")
    d.langstring(rights, "description", f["rights"], f["lang"])
    _level(d, lom, f["level"])
    return lom
