"""axe-core finds no WCAG 2.1 A/AA violations in any kind of unit, on a wide and a narrow screen."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
#: One unit of each kind (and the test while it is being taken) on a wide screen; the narrow
#: layout changes the shell and the test's controls, so those are checked there.
UNITS = {
    1200: [
        "pre-test",
        "clip-consent",
        "case-police",
        "case-justice",
        "reflection-own-images",
        "evaluation",
        "factsheet-short",
        "glossary",
        "referrals",
    ],
    375: ["pre-test", "reflection-own-images"],
}


def _violations(page: Any) -> list[str]:
    # only the violations cross over to Python: the full result (every passed check) is large
    found: list[str] = page.evaluate(
        """tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})
            .then(r => r.violations.map(v => `${v.id}: ${v.help} (${v.nodes.length}x, e.g. ${v.nodes[0].target})`))""",
        AXE_TAGS,
    )
    return found


@pytest.mark.parametrize("width", sorted(UNITS))
def test_no_wcag_violations(page: Any, server: str, site: Path, strings: dict[str, str], width: int) -> None:
    axe = site / "vendor" / "axe-core" / "axe.min.js"
    if not axe.is_file():
        pytest.fail("axe-core is not installed: run npm ci (nox -s tests does)")
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{server}/packages/scorm2004/index.html")
    page.locator("h1").wait_for()
    page.add_script_tag(path=str(axe))
    found = {}
    for unit in UNITS[width]:
        page.evaluate(f"GSOG.player.goTo({json.dumps(unit)})")
        found[unit] = _violations(page)
    page.evaluate("GSOG.player.goTo('post-test')")
    page.get_by_role("button", name=strings["test_start"]).click()
    found["post-test (questions)"] = _violations(page)
    assert {k: v for k, v in found.items() if v} == {}
