"""xAPI (TinCan) package: ``tincan.xml`` naming the launch page and activity ids.

LMSs that launch TinCan packages (and our LRS's launcher) read the course
activity with its launch file; module activities are declared so reports can
name them.
"""

from __future__ import annotations

from lxml import etree

from builder.payload import LAUNCH_FILE
from builder.spec import COURSE_ACTIVITY as COURSE_TYPE
from builder.spec import MODULE_ACTIVITY as MODULE_TYPE
from builder.spec import TINCAN as NS
from builder.variants import CompiledVariant
from builder.writers.base import WriterOptions, course_iri, module_iri, serialise
from builder.writers.lom import ieee_lom


class XapiWriter:
    """Writes ``tincan.xml`` and ``metadata.xml`` (IEEE LOM)."""

    format = "xapi"
    label = "xAPI (TinCan)"

    def manifest_files(self, compiled: CompiledVariant, payload: list[str], options: WriterOptions) -> dict[str, bytes]:
        """The activity list: the course (launchable) and its modules."""
        content = compiled.content
        lang = compiled.variant.lang
        root = etree.Element(f"{{{NS}}}tincan", nsmap={None: NS})  # type: ignore[dict-item]
        activities = etree.SubElement(root, f"{{{NS}}}activities")
        course = etree.SubElement(activities, f"{{{NS}}}activity", id=course_iri(compiled), type=COURSE_TYPE)
        etree.SubElement(course, f"{{{NS}}}name", lang=lang).text = content["course"]["title"]
        etree.SubElement(course, f"{{{NS}}}description", lang=lang).text = content["course"]["description"]
        etree.SubElement(course, f"{{{NS}}}launch", lang=lang).text = LAUNCH_FILE
        for module in content["modules"]:
            activity = etree.SubElement(
                activities, f"{{{NS}}}activity", id=module_iri(compiled, module["id"]), type=MODULE_TYPE
            )
            etree.SubElement(activity, f"{{{NS}}}name", lang=lang).text = module["title"]
            etree.SubElement(activity, f"{{{NS}}}description", lang=lang).text = module["title"]
        return {"tincan.xml": serialise(root), "metadata.xml": serialise(ieee_lom(compiled))}
