"""cmi5: ``cmi5.xml`` course structure, one AU per module.

Every id is an absolute IRI under the course's ``base_iri``. A module that
holds the post-test moves on when completed and passed at the post-test's
mastery score. A module that holds the pre-test moves on when completed,
although the pre-test is not required: a NotApplicable AU is satisfied from
the start, so an LMS may launch it in Review mode (as CATAPULT and our LRS's
preview do), where the AU must not record results and the learner's pre-test
answers would be lost. Only a module of optional reference material (no
required unit, no assessment) is NotApplicable, so it never blocks course
satisfaction.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from builder.payload import LAUNCH_FILE
from builder.spec import CMI5 as NS
from builder.variants import CompiledVariant
from builder.writers.base import WriterOptions, course_iri, goal_iri, module_iri, post_test, serialise
from builder.writers.lom import ieee_lom


def _text(parent: Any, tag: str, text: str, lang: str) -> None:
    holder = etree.SubElement(parent, f"{{{NS}}}{tag}")
    string = etree.SubElement(holder, f"{{{NS}}}langstring", lang=lang)
    string.text = text


def move_on(module: dict[str, Any], units: dict[str, Any], post_test_id: str | None) -> str:
    """cmi5 moveOn criterion of a module's AU (the rules are in the module docstring)."""
    if post_test_id is not None and post_test_id in module["units"]:
        return "CompletedAndPassed"
    if any(units[u]["required"] or units[u]["kind"] == "assessment" for u in module["units"]):
        return "Completed"
    return "NotApplicable"


class Cmi5Writer:
    """Writes ``cmi5.xml`` and ``metadata.xml`` (IEEE LOM)."""

    format = "cmi5"
    label = "cmi5"

    def manifest_files(self, compiled: CompiledVariant, payload: list[str], options: WriterOptions) -> dict[str, bytes]:
        """The course structure with one AU per module and one objective per learning goal."""
        content = compiled.content
        lang = compiled.variant.lang
        root = etree.Element(f"{{{NS}}}courseStructure", nsmap={None: NS})  # type: ignore[dict-item]
        course = etree.SubElement(root, f"{{{NS}}}course", id=course_iri(compiled))
        _text(course, "title", content["course"]["title"], lang)
        _text(course, "description", content["course"]["description"], lang)
        objectives = etree.SubElement(root, f"{{{NS}}}objectives")
        for goal in content["goals"]:
            objective = etree.SubElement(objectives, f"{{{NS}}}objective", id=goal_iri(compiled, goal["id"]))
            _text(objective, "title", goal["id"], lang)
            _text(objective, "description", goal["text"], lang)
        test = post_test(compiled)
        units = content["units"]
        for module in content["modules"]:
            rule = move_on(module, units, test["id"] if test else None)
            au = etree.SubElement(
                root, f"{{{NS}}}au", id=module_iri(compiled, module["id"]), moveOn=rule, launchMethod="AnyWindow"
            )
            if rule == "CompletedAndPassed" and test is not None:
                au.set("masteryScore", f"{test['mastery_score']:g}")
            _text(au, "title", module["title"], lang)
            _text(au, "description", module["title"], lang)
            goals = sorted({g for u in module["units"] for g in units[u].get("goals", [])})
            if goals:
                refs = etree.SubElement(au, f"{{{NS}}}objectives")
                for goal_id in goals:
                    etree.SubElement(refs, f"{{{NS}}}objective", idref=goal_iri(compiled, goal_id))
            etree.SubElement(au, f"{{{NS}}}url").text = f"{LAUNCH_FILE}?module={module['id']}"
        return {"cmi5.xml": serialise(root), "metadata.xml": serialise(ieee_lom(compiled))}
