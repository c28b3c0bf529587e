"""The builder serves any course: a German/English, two-sector, "deepening" course of its own.

``tests/fixtures/courses/deepening`` declares its languages (de, en), its
sectors (police, psychosocial), its level and its own aims, and cites its own
sources (``tests/fixtures/seeds``). It must check clean, build to every
format and validate; a language or sector it does not declare is refused
with nothing written; and mistakes in the new fields are ``file:line`` errors.
"""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from lxml import etree

from builder.build import BuildError, build_packages
from builder.checker import check_course
from builder.cli import main
from builder.formats import FORMAT_IDS
from builder.i18n import catalogue_dir, check_catalogues, ui_strings
from builder.model.base import language_tag
from builder.validate.package import validate_package
from lrs.xapi.profile import BY_NAME, player_vocabulary
from tests.builder.helpers import line_of, replace_once
from tests.conftest import REPO
from tests.conftest import SEEDS as SEEDS_OF_REAL_COURSE

FIXTURE = REPO / "tests" / "fixtures" / "courses" / "deepening"
SEEDS = REPO / "tests" / "fixtures" / "seeds"
LEVEL_IRI = BY_NAME["level"].iri


@pytest.fixture(scope="module")
def fixture_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Draft media of the fixture course, rendered once for this module."""
    return tmp_path_factory.mktemp("any-course-media")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, fixture_cache: Path) -> Path:
    """Every package of the fixture course, each validated as it is written."""
    out = tmp_path_factory.mktemp("any-course-exports")
    build_packages(
        FIXTURE,
        out,
        cache=fixture_cache,
        seeds=SEEDS,
        validate=lambda path: [p.format() for p in validate_package(path)],
    )
    return out


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A disposable copy of the fixture course to make authoring mistakes in."""
    target = tmp_path / "deepening"
    shutil.copytree(FIXTURE, target)
    return target


def _check(course: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["check", str(course), "--seeds", str(SEEDS), *args])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def _read(archive: Path, name: str) -> str:
    with zipfile.ZipFile(archive) as zf:
        return zf.read(name).decode("utf-8")


def _globals(course_js: str) -> dict[str, Any]:
    found = {}
    for line in course_js.splitlines():
        name, _, value = line.partition("=")
        found[name.removeprefix("window.")] = json.loads(value.rstrip(";"))
    return found


# --- it checks clean and builds ------------------------------------------------------------------


def test_the_fixture_course_checks_clean_in_its_own_languages() -> None:
    report = check_course(FIXTURE, seeds=SEEDS)
    assert [p.format() for p in report.problems.errors] == []
    assert [p.format() for p in report.problems.warnings] == []
    assert report.languages == ["de", "en"]
    assert report.course is not None and report.course.meta.sector_ids == ["police", "psychosocial"]


def test_it_builds_to_every_format_and_each_package_validates(built: Path) -> None:
    names = sorted(p.name for p in built.glob("*.zip"))
    expected = sorted(
        f"risk-deepening-{lang}-{sector}-{fmt}.zip"
        for lang in ("de", "en")
        for sector in ("police", "psychosocial")
        for fmt in FORMAT_IDS
    )
    assert names == expected
    for archive in built.glob("*.zip"):
        assert [p.format() for p in validate_package(archive)] == [], archive.name


def test_a_german_package_speaks_german_and_carries_its_sector_and_level(built: Path) -> None:
    archive = built / "risk-deepening-de-psychosocial-cmi5.zip"
    assert '<html lang="de">' in _read(archive, "index.html")
    assert ui_strings("de")["noscript"] in _read(archive, "index.html")
    found = _globals(_read(archive, "content/course.js"))
    content, strings, profile = found["GSOG_CONTENT"], found["GSOG_STRINGS"], found["GSOG_PROFILE"]
    assert content["course"]["title"] == "Gefährdung einschätzen, Schutz planen"
    assert strings["next"] == "Weiter" and strings["sector_psychosocial"] == "psychosozialer Bereich"
    clip = content["units"]["clip-risk-factors"]
    captions = _read(archive, clip["captions"])
    assert captions.startswith("WEBVTT") and "Manche Umstände erhöhen das Risiko" in captions
    cases = {unit["sector"]: unit for unit in content["units"].values() if unit["kind"] == "case"}
    assert cases["psychosocial"]["main"] and not cases["police"]["main"]
    # the course's level is a build-time value of every statement; the launch cannot change it
    assert profile["build"]["level"] == "deepening"
    assert "level" not in profile["launch"] and profile["extensions"]["level"] == LEVEL_IRI


@pytest.mark.parametrize(
    ("fmt", "manifest", "ns"),
    [
        ("scorm12", "imsmanifest.xml", "http://www.imsglobal.org/xsd/imsmd_rootv1p2p1"),
        ("scorm2004", "imsmanifest.xml", "http://ltsc.ieee.org/xsd/LOM"),
        ("cmi5", "metadata.xml", "http://ltsc.ieee.org/xsd/LOM"),
        ("xapi", "metadata.xml", "http://ltsc.ieee.org/xsd/LOM"),
    ],
)
def test_the_level_is_a_lom_classification_in_every_format(built: Path, fmt: str, manifest: str, ns: str) -> None:
    root = etree.fromstring(_read(built / f"risk-deepening-en-police-{fmt}.zip", manifest).encode("utf-8"))
    (classification,) = root.iter(f"{{{ns}}}classification")
    text = [t.strip() for t in classification.itertext() if t.strip()]
    assert "educational level" in text and LEVEL_IRI in text and "deepening" in text


def test_a_course_without_a_level_leaves_it_to_the_launch(copy: Path, fixture_cache: Path, tmp_path: Path) -> None:
    replace_once(copy / "course.yaml", "level: deepening\n", "")
    out = tmp_path / "out"
    build_packages(copy, out, ["cmi5"], ["en"], ["police"], fixture_cache, seeds=SEEDS)
    (archive,) = out.glob("*.zip")
    profile = _globals(_read(archive, "content/course.js"))["GSOG_PROFILE"]
    assert "level" not in profile["build"] and profile["launch"]["level"]["enum"] == [
        "basic",
        "deepening",
        "specialised",
    ]
    assert "classification" not in _read(archive, "metadata.xml")


def test_only_a_launch_field_the_profile_allows_can_be_fixed_at_build_time() -> None:
    assert "level" not in player_vocabulary(fixed=["level"])["launch"]
    with pytest.raises(ValueError, match="only level"):
        player_vocabulary(fixed=["organisation"])


# --- undeclared languages and sectors ------------------------------------------------------------


def test_building_french_fails_naming_the_languages_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["build", str(FIXTURE), "--lang", "fr", "--seeds", str(SEEDS), "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    line = line_of(FIXTURE / "course.yaml", "languages:")
    assert f"course.yaml:{line}: languages: 'fr' is not one of the course languages (de, en)" in result.output
    assert not out.exists()


def test_building_a_sector_the_course_does_not_declare_fails_and_writes_nothing(
    fixture_cache: Path, tmp_path: Path
) -> None:
    with pytest.raises(
        BuildError, match=r"sector 'justice' is not one of the course's sectors \(police, psychosocial\)"
    ):
        build_packages(FIXTURE, tmp_path / "out", sectors=["justice"], cache=fixture_cache, seeds=SEEDS)
    assert not (tmp_path / "out").exists()


def test_a_language_asked_for_in_another_case_is_the_declared_one() -> None:
    report = check_course(FIXTURE, ["DE"], seeds=SEEDS)
    assert report.ok and report.languages == ["de"]


# --- authoring mistakes in the new fields are file:line errors -----------------------------------


def test_an_unknown_language_code_is_an_error_at_its_line(copy: Path) -> None:
    replace_once(copy / "course.yaml", "languages: [de, en]", "languages: [de, en, xx]")
    code, output = _check(copy)
    assert code == 1
    line = line_of(copy / "course.yaml", "languages:")
    assert f"course.yaml:{line}: languages[2]: 'xx': 'xx' is not a known language code" in output
    # the invalid course.yaml is reported alone, with no invented "text missing" errors
    assert "text is missing" not in output


def test_a_language_listed_twice_in_another_case_is_an_error(copy: Path) -> None:
    replace_once(copy / "course.yaml", "languages: [de, en]", "languages: [de, en, DE]")
    code, output = _check(copy)
    line = line_of(copy / "course.yaml", "languages:")
    assert code == 1 and f"course.yaml:{line}: languages[2]: 'de' is listed twice" in output


def test_a_malformed_language_tag_in_a_text_is_an_error_at_its_line(copy: Path) -> None:
    clip = copy / "clips" / "clip-risk-factors.yaml"
    replace_once(clip, "  en: Recognising risk factors", "  english: Recognising risk factors")
    code, output = _check(copy)
    assert code == 1
    line = line_of(clip, "english:")
    assert f"clip-risk-factors.yaml:{line}: title.english:" in output and "BCP 47 language tag" in output


def test_a_declared_language_without_texts_or_interface_strings_is_reported(copy: Path) -> None:
    replace_once(copy / "course.yaml", "languages: [de, en]", "languages: [de, en, sw]")
    code, output = _check(copy)
    assert code == 1
    line = line_of(copy / "course.yaml", "languages:")
    assert f"course.yaml:{line}: languages[2]: the player has no interface strings in Swahili" in output
    title = line_of(copy / "course.yaml", "title:")
    assert f"course.yaml:{title}: title: Swahili text is missing; add 'sw:' with the translation" in output


def test_a_text_in_an_undeclared_language_is_a_warning(copy: Path) -> None:
    clip = copy / "clips" / "clip-risk-factors.yaml"
    replace_once(
        clip, "  en: Recognising risk factors", "  en: Recognising risk factors\n  nl: Risicofactoren herkennen"
    )
    code, output = _check(copy)
    assert code == 0
    line = line_of(clip, "nl: Risicofactoren")
    assert (
        f"clip-risk-factors.yaml:{line}: warning: title.nl: 'nl' is not one of the course languages (de, en)" in output
    )


def test_a_sector_without_a_case_is_an_error_where_it_is_declared(copy: Path) -> None:
    replace_once(copy / "course.yaml", "sectors: [police, psychosocial]", "sectors: [police, psychosocial, justice]")
    code, output = _check(copy)
    assert code == 1
    line = line_of(copy / "course.yaml", "sectors:")
    assert f"course.yaml:{line}: sectors[2]: no case for sector 'justice'" in output


def test_a_case_for_a_sector_the_course_does_not_declare_is_an_error(copy: Path) -> None:
    replace_once(copy / "course.yaml", "sectors: [police, psychosocial]", "sectors: [police]")
    code, output = _check(copy)
    assert code == 1
    line = line_of(copy / "cases" / "case-psychosocial.yaml", "sector:")
    assert (
        f"case-psychosocial.yaml:{line}: sector: 'psychosocial' is not one of the course's sectors (police)" in output
    )


def test_a_sector_of_the_course_s_own_needs_a_name_and_the_player_shows_it(
    copy: Path, fixture_cache: Path, tmp_path: Path
) -> None:
    course_yaml = copy / "course.yaml"
    replace_once(course_yaml, "sectors: [police, psychosocial]", "sectors: [police, youth-care]")
    replace_once(copy / "cases" / "case-psychosocial.yaml", "sector: psychosocial", "sector: youth-care")
    code, output = _check(copy)
    line = line_of(course_yaml, "sectors:")
    assert code == 1
    assert f"course.yaml:{line}: sectors[1]: 'youth-care' is not one of the provided sectors" in output
    replace_once(
        course_yaml,
        "sectors: [police, youth-care]",
        "sectors:\n  - police\n  - id: youth-care\n    name: {de: Jugendhilfe}",
    )
    code, output = _check(copy)
    assert code == 1
    name = line_of(course_yaml, "name: {de: Jugendhilfe}")
    assert f"course.yaml:{name}: sectors[1].name: English text is missing; add 'en:' with the translation" in output
    replace_once(course_yaml, "name: {de: Jugendhilfe}", "name: {de: Jugendhilfe, en: youth care}")
    code, output = _check(copy)
    assert code == 0, output
    out = tmp_path / "out"
    build_packages(copy, out, ["xapi"], ["de"], ["youth-care"], fixture_cache, seeds=SEEDS)
    strings = _globals(_read(out / "risk-deepening-de-youth-care-xapi.zip", "content/course.js"))["GSOG_STRINGS"]
    assert strings["sector_youth-care"] == "Jugendhilfe" and strings["sector_police"] == "Polizei"


def test_an_aim_the_course_does_not_declare_is_an_error_at_its_line(copy: Path) -> None:
    goals = copy / "learning_goals.yaml"
    replace_once(goals, "aims: [plan_safety]", "aims: [plan_safty]")
    code, output = _check(copy)
    assert code == 1
    line = line_of(goals, "plan_safty")
    assert f"learning_goals.yaml:{line}: goals[1].aims[0]: 'plan_safty' is not one of the course's aims" in output
    assert "did you mean 'plan_safety'?" in output


def test_an_unknown_source_id_is_an_error_at_its_line(copy: Path) -> None:
    clip = copy / "clips" / "clip-safety-planning.yaml"
    replace_once(clip, '["risk-notes:20-23"]', '["risk-note:20-23"]')
    code, output = _check(copy)
    assert code == 1
    line = line_of(clip, "risk-note:20-23")
    assert f"clip-safety-planning.yaml:{line}: script[0].sources[0]: unknown source 'risk-note'" in output


def test_a_line_range_past_the_end_of_a_source_file_is_an_error_at_its_line(copy: Path) -> None:
    case = copy / "cases" / "case-police.yaml"
    replace_once(case, '["practice-notes:8"]', '["practice-notes:8-16"]')
    code, output = _check(copy)
    assert code == 1
    line = line_of(case, "practice-notes:8-16")
    assert (
        f"case-police.yaml:{line}: script[1].sources[0]: lines 8-16 are past the end of 'deepening-practice.txt' "
        "of source 'practice-notes' (15 lines)" in output
    )


# --- interface catalogues ------------------------------------------------------------------------


def test_a_catalogue_that_lacks_a_string_is_named_with_the_msgid(tmp_path: Path) -> None:
    folder = tmp_path / "i18n"
    shutil.copytree(catalogue_dir(), folder)
    german = folder / "de.po"
    text = german.read_text(encoding="utf-8")
    german.write_text(re.sub(r'msgid "next"\nmsgstr "Weiter"\n', "", text), encoding="utf-8")
    english = folder / "en.po"
    english.write_text(english.read_text(encoding="utf-8").replace('msgstr "Previous"', 'msgstr ""'), encoding="utf-8")
    found, problems = check_catalogues(["de", "en", "de-AT", "xx"], folder)
    assert found == {"de": str(german), "en": str(english), "de-AT": str(german), "xx": ""}
    described = {(p.path.name, p.line > 0, p.msgid, p.message) for p in problems}
    assert ("de.po", False, "next", "msgid 'next' of messages.pot is missing; add it") in described
    assert ("en.po", True, "previous", "msgid 'previous' is not translated") in described
    assert len(problems) == 3  # de.po twice (de and de-AT use it), en.po once


def test_the_shipped_catalogues_are_complete() -> None:
    found, problems = check_catalogues(["nl", "fr", "de", "en"])
    assert all(found.values()) and problems == []


def test_language_tags_are_checked_and_written_in_their_conventional_case() -> None:
    assert language_tag("DE-be") == "de-BE" and language_tag("sr-latn-rs") == "sr-Latn-RS"
    assert language_tag("de-CH-1996") == "de-CH-1996"
    for wrong in ("german", "xx", "de_DE", "", "e"):
        with pytest.raises(ValueError):
            language_tag(wrong)


# --- vocabularies the real course relies on are defaults a course can replace -------------------


def test_referral_regions_and_sectors_come_from_the_course_s_vocabularies(course_copy: Path) -> None:
    course_yaml = course_copy / "course.yaml"
    replace_once(
        course_yaml,
        "referral_max_age_days: 365\n",
        "referral_max_age_days: 365\nregions:\n  - flanders\n  - brussels\n  - id: eupen\n"
        "    name: {nl: Eupen, fr: Eupen}\nreferral_sectors: [police, justice, medical, psychosocial]\n",
    )
    report = check_course(course_copy, seeds=SEEDS_OF_REAL_COURSE)
    errors = [p.format() for p in report.problems.errors]
    referrals = course_copy / "referrals.yaml"
    line = line_of(referrals, "regions: [belgium, flanders, brussels, wallonia, netherlands]")
    assert any(
        e.startswith(
            f"{referrals}:{line}: entries[0].regions[0]: 'belgium' is not one of the course's regions "
            "(flanders, brussels, eupen)"
        )
        for e in errors
    ), errors
    assert any("'education' is not one of the course's referral_sectors" in e for e in errors), errors
    assert all("referrals.yaml" in e for e in errors), errors
