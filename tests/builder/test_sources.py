"""Source notes cite ``sources.yaml``: unknown ids and impossible lines are errors, ages feed the review."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from click.testing import CliRunner

from builder.cli import main
from builder.model.sources import parse_note
from tests.builder.helpers import line_of, replace_once, run_check
from tests.conftest import COURSE_SRC, SEEDS

FIXED_DAY = "2026-12-05"


def _line_error(run_errors: list[dict[str, object]], path: Path, line: int) -> dict[str, object]:
    assert [(e["file"], e["line"]) for e in run_errors] == [(e["file"], line) for e in run_errors], run_errors
    assert len(run_errors) == 1, run_errors
    return run_errors[0]


def test_unknown_source_id_is_an_error_at_the_note(course_copy: Path) -> None:
    clip = course_copy / "clips" / "clip-consent.yaml"
    replace_once(clip, '"framework:563-564"', '"framwork:563-564"')
    run = run_check(course_copy)
    assert run.exit_code == 1
    error = _line_error(run.errors_in(clip), clip, line_of(clip, '"framwork:563-564"'))
    assert error["message"] == "unknown source 'framwork'; did you mean 'framework'?"
    assert f"{clip.name}:{error['line']}: " in run.output
    assert len(run.summary["errors"]) == 1  # no follow-on errors


def test_line_range_past_the_end_of_the_source_file_is_an_error_at_the_note(course_copy: Path) -> None:
    length = len((SEEDS / "000_f743abe1fed1514d.txt").read_bytes().splitlines())
    clip = course_copy / "clips" / "clip-consent.yaml"
    replace_once(clip, '"framework:563-564"', f'"framework:{length}-{length + 1}"')
    run = run_check(course_copy)
    assert run.exit_code == 1
    error = _line_error(run.errors_in(clip), clip, line_of(clip, f'"framework:{length}-{length + 1}"'))
    assert "past the end of '000_f743abe1fed1514d.txt'" in str(error["message"])
    assert f"({length} lines)" in str(error["message"])


def test_last_line_of_the_source_file_is_fine(course_copy: Path) -> None:
    length = len((SEEDS / "000_f743abe1fed1514d.txt").read_bytes().splitlines())
    clip = course_copy / "clips" / "clip-consent.yaml"
    replace_once(clip, '"framework:563-564"', f'"framework:{length - 1}-{length}"')
    assert run_check(course_copy).exit_code == 0


def test_unavailable_source_file_is_a_warning_and_the_check_passes(course_copy: Path, tmp_path: Path) -> None:
    partial = tmp_path / "seeds"
    partial.mkdir()
    shutil.copy(SEEDS / "000_f743abe1fed1514d.txt", partial)
    result = CliRunner().invoke(main, ["check", str(course_copy), "--json", "--seeds", str(partial)])
    assert result.exit_code == 0, result.output
    (summary,) = json.loads(result.stdout)["courses"]
    registry = course_copy / "sources.yaml"
    warned = {w["line"]: w["message"] for w in summary["warnings"] if Path(w["file"]).resolve() == registry.resolve()}
    missing = "001_c07a08929bce098c.txt"
    assert line_of(registry, f"file: {missing}") in warned
    assert "were not verified" in warned[line_of(registry, f"file: {missing}")]
    assert not any("000_f743abe1fed1514d.txt" in m for m in warned.values())  # present, so verified


def test_no_seed_folder_warns_once_and_still_catches_unknown_ids(course_copy: Path, tmp_path: Path) -> None:
    clip = course_copy / "clips" / "clip-consent.yaml"
    replace_once(clip, '"framework:563-564"', '"framework:99990-99999"')
    runner = CliRunner()
    args = ["check", str(course_copy), "--json", "--seeds", str(tmp_path / "none")]
    result = runner.invoke(main, args)
    assert result.exit_code == 0  # the range cannot be verified: a warning, not an error
    assert [w["message"] for w in json.loads(result.stdout)["courses"][0]["warnings"]] == [
        f"seed folder not found ({tmp_path / 'none'}); line ranges of source notes were not verified "
        "(give the sources folder with --seeds or $GSOG_SEEDS)"
    ]
    replace_once(clip, '"framework:99990-99999"', '"nowhere:1-2"')
    assert runner.invoke(main, args).exit_code == 1


def test_a_source_needs_somewhere_to_read_it_and_a_real_date(course_copy: Path) -> None:
    registry = course_copy / "sources.yaml"
    replace_once(registry, "    file: 004_9c5edd02d813902f.txt\n", "")
    replace_once(registry, 'date: "2025"', "date: 2025-02-30")
    run = run_check(course_copy)
    messages = {e["line"]: e["message"] for e in run.errors_in(registry)}
    assert "needs a 'url:' or a 'file:'" in messages[line_of(registry, "- id: brussels-work")]
    assert "is not a date" in messages[line_of(registry, "date: 2025-02-30")]


def _small_course(tmp_path: Path) -> Path:
    """The real course with its notes cut down to two sources, dated precisely and by year."""
    root = tmp_path / "course_src"
    shutil.copytree(COURSE_SRC, root, ignore=shutil.ignore_patterns(".schema"))
    registry = root / "sources.yaml"
    replace_once(registry, 'date: "2022"', "date: 2016-12-05")
    for path in root.rglob("*.yaml"):
        if path.name != "sources.yaml":
            text = re.sub(r'"[a-z-]+:[0-9-]+"', '"framework:p3"', path.read_text(encoding="utf-8"))
            path.write_text(text, encoding="utf-8")
    clip = root / "clips" / "clip-consent.yaml"
    block = '  - "framework:p3"\n'
    replace_once(clip, block, block + '  - "nl-expertise-plan:12-14"\n  - "framework:1-2"\n')
    return root


def test_sources_json_lists_each_unit_with_ages_at_the_given_day(tmp_path: Path) -> None:
    root = _small_course(tmp_path)
    result = CliRunner().invoke(main, ["sources", str(root), "--json", "--seeds", str(SEEDS), "--today", FIXED_DAY])
    assert result.exit_code == 0, result.output
    listing = json.loads(result.stdout)
    assert listing["today"] == FIXED_DAY
    consent = next(u for u in listing["units"] if u["unit"] == "clip-consent")
    assert consent == {
        "course": "gsog",
        "unit": "clip-consent",
        "file": "clips/clip-consent.yaml",
        "sources": [
            {
                "id": "framework",
                "title": "Opleidingskader gendersensitief omgaan met geweld voor professionals",
                "publisher": "Instituut voor de gelijkheid van vrouwen en mannen (IGVM); onderzoek door UCLL en ULiège",
                "date": "2016-12-05",
                "age_days": 3652,  # ten years, two of them leap years
                "notes": ["p3", "1-2"],
            },
            {
                "id": "nl-expertise-plan",
                "title": "Plan van aanpak deskundigheidsbevordering gendergerelateerd geweld "
                "in de zorg- en strafsector",
                "publisher": "Regioplan, in opdracht van de ministeries van VWS en JenV (Nederland)",
                "date": "2026-05-29",
                "age_days": 190,
                "notes": ["12-14"],
            },
        ],
    }
    # every other file cites only the framework: one queue, oldest first, the two-source unit among them
    ages = [max(s["age_days"] for s in u["sources"]) for u in listing["units"]]
    assert ages == sorted(ages, reverse=True)
    assert {u["file"] for u in listing["units"]} >= {"learning_goals.yaml", "clips/clip-consent.yaml"}
    learning_goals = next(u for u in listing["units"] if u["file"] == "learning_goals.yaml")
    assert learning_goals["unit"] is None


def test_a_year_only_date_counts_from_the_first_day_of_that_year() -> None:
    result = CliRunner().invoke(
        main, ["sources", str(COURSE_SRC), "--json", "--seeds", str(SEEDS), "--today", "2026-01-01"]
    )
    assert result.exit_code == 0, result.output
    ages = {s["id"]: s["age_days"] for u in json.loads(result.stdout)["units"] for s in u["sources"]}
    assert ages["flemish-plan"] == 365  # date "2025"
    assert ages["nap-interim"] == 792  # date "2023-11": counted from 2023-11-01
    assert ages["nl-expertise-plan"] == -148  # dated after the review day: shown, not hidden


def test_sources_text_output_and_its_errors(course_copy: Path) -> None:
    clip = course_copy / "clips" / "clip-consent.yaml"
    replace_once(clip, '"framework:563-564"', '"nowhere:563-564"')
    result = CliRunner().invoke(main, ["sources", str(course_copy), "--seeds", str(SEEDS), "--today", FIXED_DAY])
    assert result.exit_code == 1
    assert f"{clip.name}:{line_of(clip, 'nowhere:563-564')}: " in result.stderr
    assert "clip-consent (clips/clip-consent.yaml)" in result.stdout
    assert result.stdout.strip().endswith(f"(ages at {FIXED_DAY})")


def test_every_note_of_the_real_course_resolves_to_its_source_and_lines() -> None:
    run = run_check(COURSE_SRC)
    assert run.exit_code == 0 and run.summary["errors"] == [] and run.summary["warnings"] == [], run.output
    registry = {
        line.split("id: ")[1] for line in (COURSE_SRC / "sources.yaml").read_text().splitlines() if "- id: " in line
    }
    notes = re.findall(
        r'"([a-z0-9-]+:p?[0-9]+(?:-[0-9]+)?)"',
        "".join(p.read_text(encoding="utf-8") for p in COURSE_SRC.rglob("*.yaml")),
    )
    assert len(notes) >= 900  # the migration kept every one of the 900 notes
    assert {parse_note(n).source for n in notes} == registry
