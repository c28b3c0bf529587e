"""The ``course`` command line: shared options and their variables, ``--json``, the internal-error guard."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import builder.checker
from builder.cli import INTERNAL_ERROR, main
from builder.formats import FORMATS
from tests.conftest import COURSE_SRC, SEEDS

#: Each shared option, its variable, and the commands that take it.
SHARED = {
    "--seeds": ("GSOG_SEEDS", ["check", "sources", "media", "build"]),
    "--cache": ("GSOG_MEDIA_CACHE", ["media", "build"]),
    "--schemas": ("GSOG_SCHEMAS", ["build", "validate"]),
}


@pytest.mark.parametrize(("option", "command"), [(o, c) for o, (_, cs) in SHARED.items() for c in cs])
def test_shared_options_name_their_variable_in_help(option: str, command: str) -> None:
    result = CliRunner().invoke(main, [command, "--help"])
    help_text = " ".join(result.output.split())  # click wraps long help lines
    assert result.exit_code == 0
    assert option in help_text and f"env var: {SHARED[option][0]}" in help_text


@pytest.mark.parametrize("command", ["check", "media", "build"])
def test_every_course_command_takes_the_course_folder_as_argument_or_variable(command: str, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    by_argument = CliRunner().invoke(main, [command, str(missing)])
    by_variable = CliRunner().invoke(main, [command], env={"GSOG_COURSE_SRC": str(missing)})
    for result in (by_argument, by_variable):
        assert result.exit_code == 1, result.output
        assert f"{missing}: course folder not found" in result.output


def test_seeds_variable_reaches_the_check(course_copy: Path) -> None:
    warning = "seed folder not found"
    without = CliRunner().invoke(main, ["check", str(course_copy)])
    with_variable = CliRunner().invoke(main, ["check", str(course_copy)], env={"GSOG_SEEDS": str(SEEDS)})
    assert without.exit_code == 0 and warning in without.output
    assert with_variable.exit_code == 0 and warning not in with_variable.output


def test_build_passes_seeds_on_to_its_check(course_copy: Path, tmp_path: Path) -> None:
    # a note past the end of its seed document is an error only when the seeds are read
    clip = course_copy / "clips" / "clip-consent.yaml"
    text = clip.read_text(encoding="utf-8")
    clip.write_text(text.replace('"framework:563-564"', '"framework:9990-9999"'), encoding="utf-8")
    assert CliRunner().invoke(main, ["check", str(course_copy)]).exit_code == 0  # no seeds: a warning only
    result = CliRunner().invoke(
        main, ["build", str(course_copy), "--out", str(tmp_path / "out"), "--seeds", str(SEEDS)]
    )
    assert result.exit_code == 1 and "clip-consent.yaml" in result.output and "9999" in result.output
    assert not (tmp_path / "out").exists()


def test_json_on_check_and_schema_parses() -> None:
    check = CliRunner().invoke(main, ["check", str(COURSE_SRC), "--json", "--seeds", str(SEEDS)])
    assert check.exit_code == 0 and json.loads(check.stdout)["ok"] is True
    schema = CliRunner().invoke(main, ["schema", "clip"])
    assert schema.exit_code == 0 and json.loads(schema.stdout)["type"] == "object"


def test_json_on_media_build_and_validate_parses(media_cache: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    media = runner.invoke(main, ["media", str(COURSE_SRC), "--lang", "nl", "--cache", str(media_cache), "--json"])
    assert media.exit_code == 0, media.output
    rendered = json.loads(media.stdout)
    assert rendered["videos"] == len(rendered["outcomes"]) > 0 and rendered["rendered"] == 0

    args = ["build", str(COURSE_SRC), "--format", "xapi", "--lang", "nl", "--sector", "police"]
    build = runner.invoke(main, [*args, "--out", str(tmp_path), "--cache", str(media_cache), "--json"])
    assert build.exit_code == 0, build.output
    built = json.loads(build.stdout)
    assert [(p["format"], p["lang"], p["sector"], p["rebuilt"]) for p in built["packages"]] == [
        ("xapi", "nl", "police", True)
    ]

    zip_path = tmp_path / built["packages"][0]["package"]
    validate = runner.invoke(main, ["validate", str(zip_path), "--json"])
    assert validate.exit_code == 0, validate.output
    assert json.loads(validate.stdout)[0]["valid"] is True


def test_build_format_choices_are_the_registry(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["build", "--format", "nope", "--out", str(tmp_path)])
    assert result.exit_code == 2
    for fmt in FORMATS:
        assert fmt in result.output


def test_internal_error_is_one_line_with_a_hint_and_its_own_exit_code(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(builder.checker, "check_course", broken)
    result = CliRunner().invoke(main, ["check", str(COURSE_SRC)])
    assert result.exit_code == INTERNAL_ERROR
    assert result.stderr.strip().splitlines() == [
        "course check: internal error (RuntimeError: boom); please report it "
        "(run 'course --debug check ...' for the traceback)"
    ]
    assert "Traceback" not in result.output

    debug = CliRunner().invoke(main, ["--debug", "check", str(COURSE_SRC)])
    assert isinstance(debug.exception, RuntimeError)


def test_a_user_error_is_not_an_internal_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["validate", str(tmp_path / "missing.zip")])
    assert result.exit_code == 1
    assert "internal error" not in result.output


def test_build_still_takes_the_old_src_option_with_a_notice(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    result = CliRunner().invoke(main, ["build", "--src", str(missing), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "--src is deprecated" in result.stderr and f"{missing}: course folder not found" in result.stderr
