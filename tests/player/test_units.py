"""What the learner does in each kind of unit, and what the LMS sees of it (through scorm-again)."""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

from playwright.sync_api import expect

from tests.player.helpers import (
    answer_in_state,
    calls,
    content_frame,
    go_to,
    last_values,
    launch_scorm,
    lms_log,
)

# ----- assessment --------------------------------------------------------------


def test_pre_test_is_a_baseline_without_score_or_retry(
    page: Any, server: str, content: dict[str, Any], strings: dict[str, str]
) -> None:
    frame = launch_scorm(page, server, "scorm2004")
    frame.get_by_role("button", name=strings["test_start"]).click()
    answer_in_state(content_frame(page), "pre-test", right=True)
    frame.get_by_role("button", name=strings["test_continue"]).click()
    frame.get_by_role("button", name=strings["submit_answers"]).click()
    frame.get_by_text(strings["pretest_done"]).wait_for()
    assert frame.get_by_role("button", name=strings["test_retry"]).count() == 0
    values = last_values(lms_log(page), "SetValue")
    assert "cmi.score.scaled" not in values and "cmi.success_status" not in values
    assert (
        sum(1 for k in values if re.fullmatch(r"cmi\.interactions\.\d+\.result", k))
        == content["units"]["pre-test"]["draw"]
    )


def test_unanswered_questions_are_listed_and_block_submission(page: Any, server: str, strings: dict[str, str]) -> None:
    frame = launch_scorm(page, server, "scorm2004")
    frame.get_by_role("button", name=strings["test_start"]).click()
    frame.get_by_role("button", name=strings["submit_answers"]).click()
    summary = frame.locator(".gsog-error-summary")
    assert summary.is_visible()
    assert content_frame(page).evaluate("document.activeElement.className") == "gsog-error-summary"
    # every question except the ordering ones (they always hold an order) is listed
    assert summary.get_by_role("link").count() == frame.locator("fieldset.gsog-item:not([data-type=ordering])").count()
    assert not calls(lms_log(page), "SetValue", "cmi.score.scaled")


def test_ordering_is_keyboard_operable_and_announced(
    page: Any, server: str, content: dict[str, Any], strings: dict[str, str]
) -> None:
    frame = launch_scorm(page, server, "scorm12")
    inner = content_frame(page)
    # find an attempt that draws an ordering item: the seed decides, so set one that does
    seed = inner.evaluate("""() => {
        const unit = GSOG_CONTENT.units['pre-test'];
        for (let seed = 1; seed < 1000; seed++) {
            if (GSOG.assessment.draw(unit, seed).some(d => d.item.type === 'ordering')) return seed;
        }
        return null;
    }""")
    assert seed
    inner.evaluate(f"() => {{ const s = GSOG.player.state.slice('pre-test'); s.seed = {seed}; }}")
    inner.evaluate("GSOG.player.goTo('pre-test')")
    frame.get_by_role("button", name=strings["test_continue"]).click()
    item = frame.locator("fieldset[data-type=ordering]").first
    first_text = item.locator(".gsog-step-text").first.inner_text()
    down = item.get_by_role("button", name=strings["move_down"].replace("{text}", first_text), exact=True)
    down.focus()
    page.keyboard.press("Enter")
    assert item.locator(".gsog-step-text").nth(1).inner_text() == first_text
    # focus stayed on the moved step's button, and a screen reader hears where it went
    assert inner.evaluate("document.activeElement.getAttribute('aria-label')") == strings["move_down"].replace(
        "{text}", first_text
    )
    frame.locator("[aria-live=polite]").filter(has_text=f"{first_text} staat nu op plaats 2").wait_for(state="attached")
    up = item.get_by_role("button", name=strings["move_up"].replace("{text}", first_text), exact=True)
    up.press("Enter")
    assert item.locator(".gsog-step-text").first.inner_text() == first_text
    # at the top the up button is disabled, so focus moved to the down button
    assert inner.evaluate("document.activeElement.dataset.move") == "down"


# ----- reflection ---------------------------------------------------------------


def test_reflections_stay_private_and_fit_scorm12_suspend_data(
    page: Any, server: str, content: dict[str, Any], strings: dict[str, str]
) -> None:
    reflections = [uid for uid, u in content["units"].items() if u["kind"] == "reflection"]
    assert len(reflections) >= 4
    frame = launch_scorm(page, server, "scorm12")
    texts = {}
    for n, uid in enumerate(reflections):
        unit = content["units"][uid]
        go_to(frame, content, uid)
        texts[uid] = (f"Antwoord {n}: mijn eigen gedachten. " * 200)[: unit["answer"]["max"]]
        frame.get_by_label(strings["your_answer"]).fill(texts[uid])
        if unit["self_rating"]:
            frame.get_by_role("radio", name=re.compile(rf"^{unit['self_rating']['max']} – ")).check()
        frame.get_by_role("button", name=strings["save_answer"]).click()
    # four long answers do not fit in 4096 characters: the learner is told
    frame.get_by_text(strings["answer_saved_truncated"]).wait_for()
    assert frame.locator(f"nav#gsog-menu a[data-unit='{reflections[0]}']").get_attribute("class") == "is-completed"
    page.evaluate("document.getElementById('sco').remove()")

    log = lms_log(page)
    suspends = calls(log, "LMSSetValue", "cmi.suspend_data")
    assert suspends and all(e["result"] == "true" and len(e["args"][1]) <= 4096 for e in suspends)
    assert max(len(e["args"][1]) for e in suspends) > 3500, "the limit is used, not wasted"
    interactions = [e for e in calls(log, "LMSSetValue") if e["args"][0].startswith("cmi.interactions.")]
    assert interactions == [], "reflection answers are never sent as interactions"
    assert not any(
        "mijn eigen gedachten" in e["args"][1] for e in calls(log, "LMSSetValue") if e["args"][0] != "cmi.suspend_data"
    )

    # the next session gives every answer back, as much of it as the LMS could keep
    frame = launch_scorm(page, server, "scorm12", previous=last_values(log, "LMSSetValue"))
    for uid in reflections:
        go_to(frame, content, uid)
        restored = frame.get_by_label(strings["your_answer"]).input_value()
        assert len(restored) > 300 and texts[uid].startswith(restored)
        if content["units"][uid]["self_rating"]:
            assert frame.get_by_role("radio", checked=True).count() == 1


# ----- clips, cases, navigation --------------------------------------------------


def test_clip_has_captions_and_a_transcript_that_completes_it(
    page: Any, server: str, content: dict[str, Any], strings: dict[str, str]
) -> None:
    frame = launch_scorm(page, server, "scorm2004")
    go_to(frame, content, "clip-consent")
    unit = content["units"]["clip-consent"]
    track = frame.locator("video track")
    assert (track.get_attribute("kind"), track.get_attribute("srclang"), track.get_attribute("src")) == (
        "captions",
        "nl",
        unit["captions"],
    )
    assert track.get_attribute("default") is not None
    assert frame.locator("video source").get_attribute("src") == unit["video"]
    toggle = frame.get_by_role("button", name=strings["show_transcript"])
    assert toggle.get_attribute("aria-expanded") == "false"
    link = frame.locator("nav#gsog-menu a[data-unit='clip-consent']")
    assert link.get_attribute("class") != "is-completed"
    toggle.click()
    assert frame.get_by_role("button", name=strings["hide_transcript"]).get_attribute("aria-expanded") == "true"
    assert frame.get_by_role("heading", name=strings["transcript"]).is_visible()
    assert link.get_attribute("class") == "is-completed"
    assert link.inner_text().endswith(f"({strings['status_completed']})")
    # the LMS heard progress: one of the required units is done
    measures = calls(lms_log(page), "SetValue", "cmi.progress_measure")
    assert float(measures[-1]["args"][1]) > 0


def test_main_case_has_video_and_other_sectors_are_optional_extras(
    page: Any, server: str, content: dict[str, Any], strings: dict[str, str]
) -> None:
    frame = launch_scorm(page, server, "scorm12", "?module=m3-practice")
    assert frame.locator("h1").inner_text() == content["units"]["case-police"]["title"]
    assert frame.locator("video").count() == 1
    assert frame.get_by_text(strings["optional_extra_case"]).count() == 0
    go_to(frame, content, "case-justice")
    assert frame.locator("video").count() == 0
    assert frame.get_by_text(strings["optional_extra_case"]).is_visible()
    questions = frame.locator(".gsog-questions li").all_text_contents()
    assert questions == content["units"]["case-justice"]["questions"]
    # plain-text fields are text, never markup
    assert frame.locator(".gsog-questions li *").count() == 0


def test_keyboard_navigation_moves_focus_to_the_unit_heading(
    page: Any, server: str, content: dict[str, Any], strings: dict[str, str]
) -> None:
    frame = launch_scorm(page, server, "scorm2004")
    inner = content_frame(page)
    frame.get_by_role("button", name=strings["next"]).focus()
    page.keyboard.press("Enter")
    second = content["units"]["clip-gbv-and-gender"]["title"]
    assert inner.evaluate("[document.activeElement.tagName, document.activeElement.textContent]") == ["H1", second]
    frame.locator("nav#gsog-menu a[data-unit='glossary']").focus()
    page.keyboard.press("Enter")
    assert inner.evaluate("document.activeElement.textContent") == content["units"]["glossary"]["title"]
    assert frame.locator("nav#gsog-menu a[aria-current=page]").get_attribute("data-unit") == "glossary"
    # landmarks: banner, navigation (menu and pager), main
    for role in ("banner", "main"):
        assert frame.get_by_role(role).count() == 1
    assert frame.get_by_role("navigation").count() == 2


def test_narrow_screen_menu_opens_and_closes_with_the_keyboard(page: Any, server: str, strings: dict[str, str]) -> None:
    page.set_viewport_size({"width": 380, "height": 800})
    frame = launch_scorm(page, server, "scorm12")
    menu = frame.locator("nav#gsog-menu")
    toggle = frame.get_by_role("button", name=strings["menu"])
    assert not menu.is_visible()
    toggle.press("Enter")
    assert menu.is_visible() and toggle.get_attribute("aria-expanded") == "true"
    page.keyboard.press("Escape")
    assert not menu.is_visible() and toggle.get_attribute("aria-expanded") == "false"
    assert content_frame(page).evaluate("document.activeElement.className") == "gsog-menu-toggle"


# ----- reference units -------------------------------------------------------------


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c)).casefold()


def test_glossary_search_ignores_case_and_accents(page: Any, server: str, content: dict[str, Any]) -> None:
    frame = launch_scorm(page, server, "scorm12", "?module=m5-resources")
    go_to(frame, content, "glossary")
    terms = content["units"]["glossary"]["terms"]
    visible = frame.locator(".gsog-term:visible")
    expect(visible).to_have_count(len(terms))
    target = terms[0]["term"]
    # upper case, and an accent the term does not have: both must not matter
    query = target.upper().replace("E", "É", 1).replace("A", "À", 1)
    frame.get_by_role("searchbox").fill(query)
    words = _fold(query).split()
    expected = [t["term"] for t in terms if all(w in _fold(t["term"] + " " + t["definition"]) for w in words)]
    assert target in expected and len(expected) < len(terms)
    expect(visible).to_have_count(len(expected))
    assert frame.locator(".gsog-term:visible dt").all_text_contents() == expected
    expect(frame.get_by_role("status").filter(has_text=f"{len(expected)} van {len(terms)} termen")).to_have_count(1)


def test_referrals_list_the_sector_first_with_safe_links(page: Any, server: str, content: dict[str, Any]) -> None:
    frame = launch_scorm(page, server, "scorm12", "?module=m5-resources")
    go_to(frame, content, "referrals")
    entries = content["units"]["referrals"]["entries"]
    own = [e["name"] for e in entries if e["for_sector"]]
    others = [e["name"] for e in entries if not e["for_sector"]]
    assert own and others
    assert frame.locator(".gsog-referral h3").all_text_contents() == own + others
    assert frame.locator("main h2").all_text_contents() == ["Voor jouw sector: politie", "Andere organisaties"]
    hrefs = frame.locator(".gsog-referral a").evaluate_all("els => els.map(a => a.getAttribute('href'))")
    assert hrefs and all(h.startswith(("tel:", "https://", "http://")) for h in hrefs)


def test_evaluation_answers_are_reported_as_likert_interactions(
    page: Any, server: str, content: dict[str, Any], strings: dict[str, str]
) -> None:
    unit = content["units"]["evaluation"]
    frame = launch_scorm(page, server, "scorm2004", "?module=m4-close")
    go_to(frame, content, "evaluation")
    first = frame.get_by_role("group", name=unit["likert_items"][0]["text"], exact=True)
    first.get_by_role("radio", name=unit["likert_scale"][3], exact=True).check()
    competence = frame.get_by_role("group", name=unit["competence_items"][0]["text"], exact=True)
    competence.get_by_role("group", name=strings["competence_before"]).get_by_role(
        "radio", name=unit["competence_scale"][1], exact=True
    ).check()
    competence.get_by_role("group", name=strings["competence_after"]).get_by_role(
        "radio", name=unit["competence_scale"][3], exact=True
    ).check()
    frame.get_by_label(unit["open_questions"][0]["text"]).fill("Meer casussen uit de praktijk, graag.")
    frame.get_by_role("button", name=strings["submit"]).click()
    frame.get_by_text(strings["evaluation_thanks"]).wait_for()

    log = lms_log(page)
    assert [e for e in calls(log, "SetValue") if e["result"] != "true"] == []
    values = last_values(log, "SetValue")
    by_id = {v: k.rsplit(".", 1)[0] for k, v in values.items() if re.fullmatch(r"cmi\.interactions\.\d+\.id", k)}
    likert = by_id[f"evaluation-{unit['likert_items'][0]['id']}"]
    assert (values[likert + ".type"], values[likert + ".learner_response"]) == ("likert", "4")
    before = by_id[f"evaluation-{unit['competence_items'][0]['id']}-before"]
    assert values[before + ".learner_response"] == "2"
    assert values[before + ".objectives.0.id"] == unit["competence_items"][0]["goal"]
    open_answer = by_id[f"evaluation-{unit['open_questions'][0]['id']}"]
    assert (values[open_answer + ".type"], values[open_answer + ".learner_response"]) == (
        "long-fill-in",
        "Meer casussen uit de praktijk, graag.",
    )
    assert len(by_id) == 4, "unanswered questions are not reported"


def test_suspend_data_is_compact(page: Any, server: str, content: dict[str, Any]) -> None:
    """A learner who visited every unit still costs a few dozen characters, not kilobytes."""
    frame = launch_scorm(page, server, "scorm12")
    inner = content_frame(page)
    every_unit = [u for m in content["modules"] for u in m["units"]]
    inner.evaluate("ids => ids.forEach(id => GSOG.player.goTo(id))", every_unit)
    frame.locator("h1", has_text=content["units"]["referrals"]["title"]).wait_for()
    data = calls(lms_log(page), "LMSSetValue", "cmi.suspend_data")[-1]["args"][1]
    assert len(data) < 80, data
    assert json.loads(data)["c"] == len(content["units"]) - 1
