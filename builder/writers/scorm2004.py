"""SCORM 2004 4th edition: IMS CP 1.1.4 with ADL CP, sequencing and navigation.

Sequencing is kept simple (choice and flow, content sets completion and
objectives) so LMSs that ignore sequencing behave the same as those that run
it. One SCO by default; ``multi_sco`` gives one SCO per module sharing one
asset resource.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from builder.payload import LAUNCH_FILE
from builder.spec import ADLCP_2004 as ADLCP
from builder.spec import ADLNAV_2004 as ADLNAV
from builder.spec import ADLSEQ_2004 as ADLSEQ
from builder.spec import IMSCP_2004 as CP
from builder.spec import IMSSS, XSI
from builder.variants import CompiledVariant
from builder.writers.base import WriterOptions, identifier, package_name, post_test, serialise
from builder.writers.lom import ieee_lom

SCHEMA_LOCATION = " ".join(
    [
        f"{CP} imscp_v1p1.xsd",
        f"{ADLCP} adlcp_v1p3.xsd",
        f"{ADLSEQ} adlseq_v1p3.xsd",
        f"{ADLNAV} adlnav_v1p3.xsd",
        f"{IMSSS} imsss_v1p0.xsd",
    ]
)


def _sub(parent: Any, ns: str, tag: str, text: str | None = None, **attrib: str) -> Any:
    node = etree.SubElement(parent, f"{{{ns}}}{tag}", attrib)
    if text is not None:
        node.text = text
    return node


class Scorm2004Writer:
    """Writes ``imsmanifest.xml`` for SCORM 2004 4th edition."""

    format = "scorm2004"
    label = "SCORM 2004 4th edition"

    def _sequencing(self, parent: Any, compiled: CompiledVariant, with_mastery: bool) -> None:
        seq = _sub(parent, IMSSS, "sequencing")
        objectives = _sub(seq, IMSSS, "objectives")
        test = post_test(compiled) if with_mastery else None
        primary = _sub(
            objectives,
            IMSSS,
            "primaryObjective",
            objectiveID="course-mastery",
            satisfiedByMeasure="true" if test else "false",
        )
        if test is not None:
            _sub(primary, IMSSS, "minNormalizedMeasure", f"{test['mastery_score']:g}")
        for goal in compiled.content["goals"]:
            _sub(objectives, IMSSS, "objective", objectiveID=goal["id"])
        _sub(seq, IMSSS, "deliveryControls", completionSetByContent="true", objectiveSetByContent="true")

    def _item_extensions(self, item: Any, compiled: CompiledVariant, with_mastery: bool) -> None:
        # ADL order: completionThreshold, sequencing, presentation
        _sub(item, ADLCP, "completionThreshold", completedByMeasure="true", minProgressMeasure="1.0")
        self._sequencing(item, compiled, with_mastery)
        presentation = _sub(item, ADLNAV, "presentation")
        interface = _sub(presentation, ADLNAV, "navigationInterface")
        for control in ("continue", "previous"):  # the player has its own navigation
            _sub(interface, ADLNAV, "hideLMSUI", control)

    def manifest_files(self, compiled: CompiledVariant, payload: list[str], options: WriterOptions) -> dict[str, bytes]:
        """The manifest: one SCO, or one SCO per module with a shared asset resource."""
        title = compiled.content["course"]["title"]
        root = etree.Element(
            f"{{{CP}}}manifest",
            nsmap={None: CP, "adlcp": ADLCP, "adlseq": ADLSEQ, "adlnav": ADLNAV, "imsss": IMSSS, "xsi": XSI},  # type: ignore[dict-item]
            identifier=identifier(package_name(compiled, self.format)),
            version=compiled.course.meta.version,
        )
        root.set(f"{{{XSI}}}schemaLocation", SCHEMA_LOCATION)
        metadata = _sub(root, CP, "metadata")
        _sub(metadata, CP, "schema", "ADL SCORM")
        _sub(metadata, CP, "schemaversion", "2004 4th Edition")
        metadata.append(ieee_lom(compiled))
        organizations = _sub(root, CP, "organizations", default="org-1")
        organization = _sub(organizations, CP, "organization", identifier="org-1")
        organization.set(f"{{{ADLSEQ}}}objectivesGlobalToSystem", "false")
        _sub(organization, CP, "title", title)
        resources = _sub(root, CP, "resources")
        if options.multi_sco:
            test = post_test(compiled)
            for module in compiled.content["modules"]:
                item_id = identifier("item", module["id"])
                item = _sub(
                    organization,
                    CP,
                    "item",
                    identifier=item_id,
                    identifierref=identifier("res", module["id"]),
                    parameters=f"?module={module['id']}",
                )
                _sub(item, CP, "title", module["title"])
                has_test = test is not None and test["id"] in module["units"]
                self._item_extensions(item, compiled, has_test)
                sco = _sub(
                    resources,
                    CP,
                    "resource",
                    identifier=identifier("res", module["id"]),
                    type="webcontent",
                    href=LAUNCH_FILE,
                )
                sco.set(f"{{{ADLCP}}}scormType", "sco")
                _sub(sco, CP, "file", href=LAUNCH_FILE)
                _sub(sco, CP, "dependency", identifierref="res-assets")
            assets = _sub(resources, CP, "resource", identifier="res-assets", type="webcontent")
            assets.set(f"{{{ADLCP}}}scormType", "asset")
            for name in payload:
                _sub(assets, CP, "file", href=name)
        else:
            item = _sub(organization, CP, "item", identifier="item-1", identifierref="res-sco")
            _sub(item, CP, "title", title)
            self._item_extensions(item, compiled, True)
            sco = _sub(resources, CP, "resource", identifier="res-sco", type="webcontent", href=LAUNCH_FILE)
            sco.set(f"{{{ADLCP}}}scormType", "sco")
            for name in payload:
                _sub(sco, CP, "file", href=name)
        control = _sub(organization, IMSSS, "sequencing")
        _sub(control, IMSSS, "controlMode", choice="true", flow="true")
        return {"imsmanifest.xml": serialise(root)}
