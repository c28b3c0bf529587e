"""Every unit of the course, in Dutch and French: no sideways scrolling on a 360 px phone, no WCAG 2.1
A/AA violations axe-core can find (at 360 and 1200 px), and disabled controls that stay readable.

The whole course is opened without an LMS (the scorm2004 package falls back to this browser's
storage), so every unit is reachable; each is shown through the player's own navigation.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.player.conftest import LANGUAGES, package_url
from tests.player.helpers import answer_in_state, course_order

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
NARROW, WIDE = 360, 1200

#: Elements sticking out of the viewport (by more than half a pixel), and whether the page scrolls sideways.
_OVERFLOW = """() => {
    const root = document.scrollingElement;
    const width = root.clientWidth;
    const describe = (e) => {
        const r = e.getBoundingClientRect();
        const names = typeof e.className === 'string' ? e.className.trim() : '';
        const cls = names ? '.' + names.split(/\\s+/).join('.') : '';
        return `${e.tagName.toLowerCase()}${cls} [${Math.round(r.left)}..${Math.round(r.right)}]`
            + ` "${(e.textContent || '').trim().slice(0, 40)}"`;
    };
    const wide = [];
    for (const e of document.body.querySelectorAll('*')) {
        const r = e.getBoundingClientRect();
        if (r.width === 0 || r.height === 0) continue;            // not rendered
        if (r.width <= 1 && r.height <= 1) continue;             // visually hidden (.sr-only)
        if (r.right > width + 0.5 || r.left < -0.5 || r.width > width + 0.5) wide.push(describe(e));
    }
    return {scrollWidth: root.scrollWidth, clientWidth: width, wide: wide.slice(0, 8)};
}"""

#: WCAG contrast of an element's text against what is behind it (backgrounds blended up the tree),
#: and the opacity it is drawn with (a faded control's text is fainter than its colours say).
_CONTRAST = """(e) => {
    const parse = (c) => {
        const m = c.match(/[\\d.]+/g).map(Number);
        return {r: m[0], g: m[1], b: m[2], a: m.length > 3 ? m[3] : 1};
    };
    const over = (top, below) => ({r: top.r * top.a + below.r * (1 - top.a), g: top.g * top.a + below.g * (1 - top.a),
                                   b: top.b * top.a + below.b * (1 - top.a), a: 1});
    const layers = [];
    let opacity = 1;
    for (let n = e; n && n.nodeType === 1; n = n.parentElement) {
        const style = getComputedStyle(n);
        opacity *= Number(style.opacity);
        layers.push(parse(style.backgroundColor));
    }
    let background = {r: 255, g: 255, b: 255, a: 1};
    for (const layer of layers.reverse()) background = over(layer, background);
    const text = parse(getComputedStyle(e).color);
    const drawn = over({...text, a: text.a * opacity}, background);
    const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
                         return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
    const [hi, lo] = [lum(drawn), lum(background)].sort((a, b) => b - a);
    const style = getComputedStyle(e);
    return {ratio: (hi + 0.05) / (lo + 0.05), opacity,
            look: [style.color, style.backgroundColor, style.borderStyle, style.borderColor, style.cursor].join(' | ')};
}"""


def _violations(page: Any) -> list[str]:
    # only the violations cross over to Python: the full result (every passed check) is large
    found: list[str] = page.evaluate(
        """tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})
            .then(r => r.violations.map(v => `${v.id}: ${v.help} (${v.nodes.length}x, e.g. ${v.nodes[0].target})`))""",
        AXE_TAGS,
    )
    return found


def _overflow(page: Any) -> list[str]:
    """What makes the page wider than the viewport (empty when nothing does)."""
    found = page.evaluate(_OVERFLOW)
    problems = list(found["wide"])
    if found["scrollWidth"] > found["clientWidth"]:
        problems.insert(0, f"page scrolls sideways: {found['scrollWidth']} > {found['clientWidth']} px")
    return problems


def _open_course(page: Any, server: str, lang: str, width: int, content: dict[str, Any]) -> None:
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(package_url(server, "scorm2004", lang))
    page.locator("h1", has_text=content["units"][course_order(content)[0]]["title"]).wait_for()


def _show(page: Any, content: dict[str, Any], unit_id: str) -> None:
    page.evaluate(f"GSOG.player.goTo({json.dumps(unit_id)})")
    page.locator("h1", has_text=content["units"][unit_id]["title"]).wait_for()


def _every_view(page: Any, content: dict[str, Any], strings: dict[str, str], width: int) -> Any:
    """Show every unit in course order, then the post-test's questions and its result, and (narrow)
    the open menu; yield the name of each view once it is on screen."""
    for unit_id in course_order(content):
        _show(page, content, unit_id)
        yield unit_id
    _show(page, content, "post-test")
    page.get_by_role("button", name=strings["test_start"]).click()
    page.locator("fieldset.gsog-item").first.wait_for()
    yield "post-test (questions)"
    answer_in_state(page, "post-test", right=False)
    page.get_by_role("button", name=strings["test_continue"]).click()
    page.get_by_role("button", name=strings["submit_answers"]).click()
    page.locator(".gsog-score").wait_for()
    yield "post-test (result)"
    if width <= 768:
        page.get_by_role("button", name=strings["menu"]).click()
        page.locator("nav#gsog-menu").wait_for(state="visible")
        yield "menu (open)"
        page.get_by_role("button", name=strings["menu"]).click()
    page.get_by_role("button", name=strings["exit"]).click()
    page.locator("h1", has_text=strings["exit_title"]).wait_for()
    yield "exit page"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_nothing_scrolls_sideways_at_360_px(
    page: Any,
    server: str,
    contents: dict[str, dict[str, Any]],
    all_strings: dict[str, dict[str, str]],
    lang: str,
) -> None:
    content, strings = contents[lang], all_strings[lang]
    _open_course(page, server, lang, NARROW, content)
    found = {view: _overflow(page) for view in _every_view(page, content, strings, NARROW)}
    assert len(found) >= len(course_order(content)) + 4
    assert {view: problems for view, problems in found.items() if problems} == {}


@pytest.mark.parametrize("width", [NARROW, WIDE])
@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_wcag_violations_on_any_unit(
    page: Any,
    server: str,
    site: Path,
    contents: dict[str, dict[str, Any]],
    all_strings: dict[str, dict[str, str]],
    lang: str,
    width: int,
) -> None:
    axe = site / "vendor" / "axe-core" / "axe.min.js"
    if not axe.is_file():
        pytest.fail("axe-core is not installed: run npm ci (nox -s tests does)")
    content, strings = contents[lang], all_strings[lang]
    _open_course(page, server, lang, width, content)
    page.add_script_tag(path=str(axe))
    found = {view: _violations(page) for view in _every_view(page, content, strings, width)}
    assert len(found) >= len(course_order(content)) + 3
    assert {view: violations for view, violations in found.items() if violations} == {}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_disabled_controls_stay_readable_and_look_disabled(
    page: Any,
    server: str,
    contents: dict[str, dict[str, Any]],
    all_strings: dict[str, dict[str, str]],
    lang: str,
) -> None:
    """axe-core skips disabled controls; their text must still reach 4.5:1 (WCAG 1.4.3 asks it of
    all text a learner has to read), and they must not look like the enabled ones."""
    content, strings = contents[lang], all_strings[lang]
    _open_course(page, server, lang, NARROW, content)
    exit_button = page.get_by_role("button", name=strings["exit"])
    enabled = exit_button.evaluate(_CONTRAST)
    exit_button.click()
    page.locator("h1", has_text=strings["exit_title"]).wait_for()
    assert exit_button.is_disabled()
    hovered = exit_button.evaluate(_CONTRAST)  # the pointer is still on it
    page.mouse.move(1, 700)
    disabled = exit_button.evaluate(_CONTRAST)
    for state in (hovered, disabled):
        assert state["opacity"] == 1, "disabled text is not faded with opacity"
        assert state["ratio"] >= 4.5, state
    assert disabled["look"] != enabled["look"], "the disabled exit button looks like the enabled one"
    # every other disabled control the player shows (none may be on this page; then nothing to check)
    for other in page.locator("button:disabled").all():
        result = other.evaluate(_CONTRAST)
        assert result["ratio"] >= 4.5 and result["opacity"] == 1, (other.text_content(), result)


def test_referral_web_addresses_are_shown_short_and_link_to_the_whole_address(
    page: Any, server: str, content: dict[str, Any]
) -> None:
    _open_course(page, server, "nl", NARROW, content)
    _show(page, content, "referrals")
    links = page.locator(".gsog-referral a[href^='http']").evaluate_all(
        "els => els.map(a => [a.getAttribute('href'), a.textContent])"
    )
    webs = [e["web"] for e in content["units"]["referrals"]["entries"] if e.get("web")]
    assert sorted(href for href, _ in links) == sorted(webs)
    for href, text in links:
        bare = href.split("://", 1)[1].removeprefix("www.").rstrip("/")
        assert len(text) <= 40, text
        assert bare == text or (text.endswith("\u2026") and bare.startswith(text[:-1])), (href, text)
    assert any(text.endswith("\u2026") for _, text in links), "the longest address is shortened"
