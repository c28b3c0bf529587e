"""A learner taking one of our cmi5 AUs to its end in the browser, whatever LMS launched it.

The portal test (tests/player/test_portal_browser.py) launches the AUs of a
real built package from our LRS's learner portal; the package preview and
the player tests' harness (tests/player/our_lrs.py) launch them too. Once
the AU is on screen, the learner's part is the same everywhere, so it lives
here: :func:`finish_au` does what the launched module requires (tests,
clips, reflections), the post-test answered right so it passes, and
:func:`leave_au` exits so the AU sends ``terminated`` and goes back to the
LMS's returnURL.

What the learner does comes from the package itself, never from a copy in
the test: the content document (``window.GSOG_CONTENT`` of the package's
content script, which the builder writes from the course model; it holds
the items' right answers) and the interface texts the package carries
(``window.GSOG_STRINGS``). :class:`BuiltPackage` reads both from the zip.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from builder.spec import CMI5, CONTENT_GLOBAL, CONTENT_SCRIPT, script_line_prefix
from tests.player.helpers import go_to, take_test

#: The content script's global holding the player's interface texts (builder/payload.py writes it).
STRINGS_GLOBAL = "GSOG_STRINGS"
#: Text a reflection is saved with (the course asks no minimum, but a learner writes something).
REFLECTION = "Écouter, nommer, orienter. Luisteren, benoemen, doorverwijzen."
#: How long an AU may take to send everything and go back to the LMS after "exit".
EXIT_TIMEOUT_MS = 20_000


@dataclass(frozen=True)
class PackageAu:
    """One AU of the package's cmi5.xml."""

    id: str
    #: the player's module id (the AU url's ``module`` parameter)
    module: str
    move_on: str
    mastery_score: float | None


@dataclass(frozen=True)
class BuiltPackage:
    """What a learner needs to know of a built cmi5 package: its content, texts and AUs."""

    path: Path
    #: window.GSOG_CONTENT: modules, units, items with their right answers
    content: dict[str, Any]
    #: window.GSOG_STRINGS: the player's interface texts in the package's language
    strings: dict[str, str]
    aus: tuple[PackageAu, ...]

    @classmethod
    def read(cls, path: Path) -> BuiltPackage:
        """Read a cmi5 zip as ``course build`` writes it."""
        with zipfile.ZipFile(path) as archive:
            script = archive.read(CONTENT_SCRIPT).decode("utf-8")
            structure = ET.fromstring(archive.read("cmi5.xml"))
        aus = []
        for au in structure.iter(f"{{{CMI5}}}au"):
            url = au.findtext(f"{{{CMI5}}}url") or ""
            module = re.search(r"[?&]module=([^&]+)", url)
            assert module, f"{path.name}: AU {au.get('id')} has no module in its url {url!r}"
            mastery = au.get("masteryScore")
            aus.append(
                PackageAu(
                    id=au.get("id", ""),
                    module=module.group(1),
                    move_on=au.get("moveOn", "NotApplicable"),
                    mastery_score=float(mastery) if mastery is not None else None,
                )
            )
        return cls(path, _global(script, CONTENT_GLOBAL), _global(script, STRINGS_GLOBAL), tuple(aus))

    @property
    def course_title(self) -> str:
        return str(self.content["course"]["title"])

    def module(self, module_id: str) -> dict[str, Any]:
        """The content document's module (id, title, units)."""
        found: dict[str, Any] = next(m for m in self.content["modules"] if m["id"] == module_id)
        return found

    def au(self, module_id: str) -> PackageAu:
        return next(a for a in self.aus if a.module == module_id)

    def to_satisfy(self) -> list[str]:
        """Module ids of the AUs the course's moveOn needs (all but NotApplicable), in course order."""
        return [a.module for a in self.aus if a.move_on != "NotApplicable"]

    def work(self, module_id: str) -> list[str]:
        """Unit ids the module's completion needs, in order (the player's rule: the required
        units, or every unit of a module that has none, like the pre-test's)."""
        units = [u for u in self.module(module_id)["units"] if u in self.content["units"]]
        required = [u for u in units if self.content["units"][u]["required"]]
        return required or units


def _global(script: str, name: str) -> dict[str, Any]:
    """The JSON a content script assigns to ``window.<name>`` on a line of its own."""
    prefix = script_line_prefix(name)
    line = next((x for x in script.splitlines() if x.startswith(prefix)), None)
    assert line is not None, f"the content script has no {prefix} line"
    value: dict[str, Any] = json.loads(line[len(prefix) :].rstrip().removesuffix(";"))
    return value


def _completed(page: Any, unit_id: str) -> Any:
    """The unit's menu entry once the player marks it completed (the menu may be folded: attached, not visible)."""
    return page.locator(f"nav#gsog-menu a[data-unit='{unit_id}'].is-completed")


def finish_au(page: Any, package: BuiltPackage, module_id: str) -> None:
    """Do, in the AU on ``page``, every unit the module still needs, as a learner would.

    Works from wherever the AU opened (a resumed session skips what is done);
    returns once the player marks each of those units completed (and a
    post-test passed). See :func:`do_unit` for how each kind is done.
    """
    page.locator("nav#gsog-menu").wait_for(state="attached")
    for unit_id in package.work(module_id):
        if not _completed(page, unit_id).count():
            do_unit(page, package, unit_id)


def do_unit(page: Any, package: BuiltPackage, unit_id: str) -> None:
    """Open one unit from the AU's menu and do what completes it; wait until the player says so.

    A test is taken with the right answers (``take_test``: through the
    page's controls, the answers from the content document), a clip or case
    is completed by opening its transcript, a reflection by saving an answer
    (the page then says it is saved: sent to the LRS), anything else by
    opening it. On a narrow screen the menu is unfolded first, as a learner on a phone does.
    """
    content, strings = package.content, package.strings
    unit = content["units"][unit_id]
    if not page.locator(f"nav#gsog-menu a[data-unit='{unit_id}']").is_visible():
        page.get_by_role("button", name=strings["menu"], exact=True).click()  # a phone: the menu is folded
    go_to(page, content, unit_id)
    kind = unit["kind"]
    if kind == "assessment":
        start = f"^({re.escape(strings['test_start'])}|{re.escape(strings['test_continue'])})$"
        page.get_by_role("button", name=re.compile(start)).click()
        take_test(page, content, unit_id, strings)
        outcome = strings["pretest_done"] if unit.get("role") == "pre" else strings["test_passed"]
        page.get_by_text(outcome).wait_for()
    elif kind in ("clip", "case"):
        page.get_by_role("button", name=strings["show_transcript"]).click()
    elif kind == "reflection":
        shortest = int(unit.get("answer", {}).get("min", 0))
        page.get_by_label(strings["your_answer"]).fill(REFLECTION * (1 + shortest // len(REFLECTION)))
        page.get_by_role("button", name=strings["save_answer"]).click()
        page.get_by_text(strings["answer_saved"], exact=True).wait_for()
    _completed(page, unit_id).wait_for(state="attached")


def leave_au(page: Any, package: BuiltPackage, return_url: str | re.Pattern[str]) -> None:
    """Exit the AU: the player sends what is left and ``terminated``, then goes to the LMS's
    returnURL; waits until the page is there (``return_url``: a Playwright URL glob or regex)."""
    page.get_by_role("button", name=package.strings["exit"]).click()
    page.wait_for_url(return_url, timeout=EXIT_TIMEOUT_MS)
