"""SCORM 1.2: IMS Content Packaging 1.1.2 with ADL CP 1.2 extensions.

One SCO carries the whole course (Moodle and Totara track SCORM 1.2 fully
but show multi-SCO packages with their own, often confusing, navigation).
"""

from __future__ import annotations

from lxml import etree

from builder.payload import LAUNCH_FILE
from builder.spec import ADLCP_12 as ADLCP
from builder.spec import IMSCP_12 as CP
from builder.spec import IMSMD_12 as IMSMD_NS
from builder.spec import SCORM_12_VERSION, XSI
from builder.variants import CompiledVariant
from builder.writers.base import WriterOptions, identifier, package_name, post_test, serialise
from builder.writers.lom import imsmd_lom

SCHEMA_LOCATION = f"{CP} imscp_rootv1p1p2.xsd {IMSMD_NS} imsmd_rootv1p2p1.xsd {ADLCP} adlcp_rootv1p2.xsd"


class Scorm12Writer:
    """Writes ``imsmanifest.xml`` for SCORM 1.2."""

    format = "scorm12"
    label = "SCORM 1.2"

    def manifest_files(self, compiled: CompiledVariant, payload: list[str], options: WriterOptions) -> dict[str, bytes]:
        """The manifest, listing every payload file in the one SCO."""
        title = compiled.content["course"]["title"]
        root = etree.Element(
            f"{{{CP}}}manifest",
            nsmap={None: CP, "adlcp": ADLCP, "imsmd": IMSMD_NS, "xsi": XSI},  # type: ignore[dict-item]
            identifier=identifier(package_name(compiled, self.format)),
            version=compiled.course.meta.version,
        )
        root.set(f"{{{XSI}}}schemaLocation", SCHEMA_LOCATION)
        metadata = etree.SubElement(root, f"{{{CP}}}metadata")
        etree.SubElement(metadata, f"{{{CP}}}schema").text = "ADL SCORM"
        etree.SubElement(metadata, f"{{{CP}}}schemaversion").text = SCORM_12_VERSION
        metadata.append(imsmd_lom(compiled))
        organizations = etree.SubElement(root, f"{{{CP}}}organizations", default="org-1")
        organization = etree.SubElement(organizations, f"{{{CP}}}organization", identifier="org-1")
        etree.SubElement(organization, f"{{{CP}}}title").text = title
        item = etree.SubElement(
            organization, f"{{{CP}}}item", identifier="item-1", identifierref="res-sco", isvisible="true"
        )
        etree.SubElement(item, f"{{{CP}}}title").text = title
        test = post_test(compiled)
        if test is not None:
            etree.SubElement(item, f"{{{ADLCP}}}masteryscore").text = str(round(test["mastery_score"] * 100))
        resources = etree.SubElement(root, f"{{{CP}}}resources")
        resource = etree.SubElement(
            resources, f"{{{CP}}}resource", identifier="res-sco", type="webcontent", href=LAUNCH_FILE
        )
        resource.set(f"{{{ADLCP}}}scormtype", "sco")
        for name in payload:
            etree.SubElement(resource, f"{{{CP}}}file", href=name)
        return {"imsmanifest.xml": serialise(root)}
