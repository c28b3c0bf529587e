"""Each kind of authoring mistake yields an error that names file, line and field."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.builder.helpers import line_of, replace_once, run_check


def _only_error(run, path: Path) -> dict:
    errors = run.errors_in(path)
    assert run.exit_code == 1
    assert errors, run.output
    return errors[0]


def test_bad_yaml_names_the_line(course_copy: Path) -> None:
    clip = course_copy / "clips" / "clip-consent.yaml"
    replace_once(clip, "goals: [", "goals: [[")
    error = _only_error(run_check(course_copy), clip)
    assert "invalid YAML" in error["message"]
    assert error["line"] >= line_of(clip, "goals: [[")


def test_duplicate_key_is_an_error(course_copy: Path) -> None:
    clip = course_copy / "clips" / "clip-consent.yaml"
    replace_once(clip, "\ngoals:", "\nid: again\ngoals:")
    error = _only_error(run_check(course_copy), clip)
    assert "duplicate key" in error["message"]
    assert error["line"] == line_of(clip, "id: again")


def test_unknown_field_suggests_the_right_one(course_copy: Path) -> None:
    clip = course_copy / "clips" / "clip-consent.yaml"
    replace_once(clip, "\nsummary:", "\nsumary:")
    run = run_check(course_copy)
    error = next(e for e in run.errors_in(clip) if e["field"] == "sumary")
    assert error["line"] == line_of(clip, "sumary:")
    assert "unknown field 'sumary'" in error["message"] and "did you mean 'summary'" in error["message"]
    assert f"clip-consent.yaml:{error['line']}: sumary: unknown field" in run.output


def test_wrong_sector_lists_the_sectors(course_copy: Path) -> None:
    case = course_copy / "cases" / "case-police.yaml"
    replace_once(case, "sector: police", "sector: politie")
    run = run_check(course_copy)
    error = _only_error(run, case)
    assert error["field"] == "sector"
    assert error["line"] == line_of(case, "sector: politie")
    assert error["message"] == (
        "'politie' is not one of the course's sectors (police, justice, medical, psychosocial, education); "
        "did you mean 'police'?"
    )
    assert f"case-police.yaml:{error['line']}: sector: 'politie' is not one of the course's sectors" in run.output


def _first_item_bank(course_copy: Path) -> Path:
    return sorted((course_copy / "item_bank").glob("*.yaml"))[0]


def test_item_without_learning_goal(course_copy: Path) -> None:
    bank = _first_item_bank(course_copy)
    text = bank.read_text(encoding="utf-8")
    start = text.index("goals:", text.index("- id:"))
    end = text.index("\n", start)
    bank.write_text(text[:start] + "goals: []" + text[end:], encoding="utf-8")
    error = _only_error(run_check(course_copy), bank)
    assert error["field"].startswith("items[0]") and error["field"].endswith("goals")
    assert "at least one learning goal" in error["message"]
    assert error["line"] == line_of(bank, "goals: []")


def test_item_pointing_at_unknown_goal(course_copy: Path) -> None:
    clip = course_copy / "clips" / "clip-consent.yaml"
    replace_once(clip, "LG-K4", "LG-K42")
    error = _only_error(run_check(course_copy), clip)
    assert "learning goal 'LG-K42' is not defined" in error["message"]
    assert error["line"] == line_of(clip, "LG-K42")


def test_missing_translation_fails_that_language_only(course_copy: Path) -> None:
    clip = course_copy / "clips" / "clip-consent.yaml"
    text = clip.read_text(encoding="utf-8")
    assert text.startswith("id: clip-consent\ntitle:\n") or "\ntitle:\n" in text
    lines = text.splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("title:"))
    # drop the French line of the clip's title, whatever form the author used
    if "fr:" in lines[index]:
        lines[index] = "title: {nl: " + lines[index].split("nl:")[1].split(",")[0].strip() + "}"
    else:
        fr_line = next(i for i in range(index + 1, len(lines)) if lines[i].strip().startswith("fr:"))
        del lines[fr_line]
    clip.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run = run_check(course_copy)
    error = _only_error(run, clip)
    assert error["field"] == "title"
    assert error["line"] == index + 1
    assert "French text is missing" in error["message"]
    assert run_check(course_copy, "--lang", "nl").exit_code == 0
    assert run_check(course_copy, "--lang", "fr").exit_code == 1


def test_broken_media_reference(course_copy: Path) -> None:
    clip = course_copy / "clips" / "clip-consent.yaml"
    replace_once(clip, "\ngoals:", "\nvideo:\n  nl: media/clip-consent-take2.nl.mp4\ngoals:")
    error = _only_error(run_check(course_copy), clip)
    assert error["field"] == "video.nl"
    assert "broken media reference" in error["message"]
    assert error["line"] == line_of(clip, "media/clip-consent-take2.nl.mp4")


def test_path_outside_course_is_refused(course_copy: Path) -> None:
    clip = course_copy / "clips" / "clip-consent.yaml"
    replace_once(clip, "\ngoals:", "\ncaptions:\n  nl: ../../etc/passwd.vtt\ngoals:")
    error = _only_error(run_check(course_copy), clip)
    assert "must be a relative path inside course_src" in error["message"]


def test_malformed_webvtt_of_a_recorded_video(course_copy: Path) -> None:
    media = course_copy / "media"
    media.mkdir(exist_ok=True)
    (media / "clip-consent.nl.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42")
    captions = media / "clip-consent.nl.vtt"
    captions.write_text(
        "WEBVTT\n\n1\n00:00:01.000 --> 00:00:04.000\nGoed.\n\n2\n00:00:05,000 --> 00:00:06.000\nFout.\n"
    )
    error = _only_error(run_check(course_copy), captions)
    assert error["line"] == 8
    assert "malformed WebVTT" in error["message"]


def test_recorded_video_without_captions(course_copy: Path) -> None:
    media = course_copy / "media"
    media.mkdir(exist_ok=True)
    (media / "clip-consent.fr.webm").write_bytes(b"\x1a\x45\xdf\xa3")
    clip = course_copy / "clips" / "clip-consent.yaml"
    error = _only_error(run_check(course_copy), clip)
    assert error["field"] == "captions.fr" and "has no captions" in error["message"]


def test_stale_referral_entry_is_reported_with_its_line(course_copy: Path) -> None:
    referrals = course_copy / "referrals.yaml"
    old = (dt.date.today() - dt.timedelta(days=800)).isoformat()
    text = referrals.read_text(encoding="utf-8")
    first = text.index("verified_on:")
    end = text.index("\n", first)
    referrals.write_text(text[:first] + f"verified_on: {old}" + text[end:], encoding="utf-8")
    run = run_check(course_copy)
    assert run.exit_code == 0  # a warning: the course still builds
    assert run.summary["stale_referral_entries"] == 1
    warning = run.warnings_in(referrals)[0]
    assert warning["line"] == line_of(referrals, f"verified_on: {old}")
    assert "stale referral entry" in warning["message"]
    assert run_check(course_copy, "--strict").exit_code == 1


def test_source_note_outside_the_seed(course_copy: Path) -> None:
    clip = course_copy / "clips" / "clip-consent.yaml"
    text = clip.read_text(encoding="utf-8")
    start = text.index('sources: ["') + len('sources: ["')
    end = text.index('"', start)
    clip.write_text(text[:start] + "framework:99999-100000" + text[end:], encoding="utf-8")
    error = _only_error(run_check(course_copy), clip)
    assert "past the end of" in error["message"] and "framework" in error["message"]


def test_single_choice_needs_exactly_one_correct_option(course_copy: Path) -> None:
    banks = sorted((course_copy / "item_bank").glob("*.yaml"))
    bank = next(b for b in banks if "type: single_choice" in b.read_text(encoding="utf-8"))
    text = bank.read_text(encoding="utf-8")
    at = text.index("type: single_choice")
    wrong = text.index("correct: true", at)
    bank.write_text(text[:wrong] + "correct: false" + text[wrong + len("correct: true") :], encoding="utf-8")
    error = _only_error(run_check(course_copy), bank)
    assert "exactly one option" in error["message"]


def test_module_listing_unknown_unit(course_copy: Path) -> None:
    course = course_copy / "course.yaml"
    replace_once(course, "- clip-consent\n", "- clip-consnet\n")
    run = run_check(course_copy)
    error = _only_error(run, course)
    assert "unit 'clip-consnet' does not exist" in error["message"]
    assert error["line"] == line_of(course, "clip-consnet")


def test_missing_sector_case(course_copy: Path) -> None:
    (course_copy / "cases" / "case-education.yaml").unlink()
    run = run_check(course_copy)
    assert run.exit_code == 1
    assert any("no case for sector 'education'" in e["message"] for e in run.summary["errors"])


def test_wrong_type_asks_for_quotes(course_copy: Path) -> None:
    referrals = course_copy / "referrals.yaml"
    text = referrals.read_text(encoding="utf-8")
    start = text.index("- id: ") + len("- id: ")
    end = text.index("\n", start)
    referrals.write_text(text[:start] + "1712" + text[end:], encoding="utf-8")
    error = _only_error(run_check(course_copy), referrals)
    assert error["message"] == "expected text, found a whole number; put the value in quotes"


@pytest.mark.parametrize("name", ["clips/notes.yml"])
def test_yml_extension_is_pointed_out(course_copy: Path, name: str) -> None:
    (course_copy / name).write_text("id: x\n")
    error = _only_error(run_check(course_copy), course_copy / name)
    assert ".yaml, not .yml" in error["message"]


def test_missing_folder_is_a_clean_error(tmp_path: Path) -> None:
    run = run_check(tmp_path / "nowhere")
    assert run.exit_code == 1
    assert run.summary["errors"][0]["message"] == "course folder not found"


def test_undeclared_language_is_one_error_at_the_languages_line(course_copy: Path) -> None:
    course = course_copy / "course.yaml"
    replace_once(course, "languages: [nl, fr]", "languages: [nl]")
    run = run_check(course_copy, "--lang", "fr")
    assert run.exit_code == 1
    assert len(run.summary["errors"]) == 1, run.output
    error = run.summary["errors"][0]
    assert Path(error["file"]).name == "course.yaml" and error["field"] == "languages"
    assert error["line"] == line_of(course, "languages: [nl]")
    assert "'fr' is not one of the course languages (nl)" in error["message"]


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [("version: 1.0.0", 'version: "v1.0"', "version"), ("languages: [nl, fr]", "languages: [nl, xx]", "languages[1]")],
)
def test_invalid_course_yaml_reports_only_its_own_errors(course_copy: Path, old: str, new: str, field: str) -> None:
    course = course_copy / "course.yaml"
    replace_once(course, old, new)
    run = run_check(course_copy)
    assert run.exit_code == 1
    assert [(Path(e["file"]).name, e["field"]) for e in run.summary["errors"]] == [("course.yaml", field)], run.output
    assert run.summary["errors"][0]["line"] == line_of(course, new)
    assert "text is missing" not in run.output
