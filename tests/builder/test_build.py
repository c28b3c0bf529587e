"""`course build`: the full matrix of valid, reproducible, incremental packages."""

from __future__ import annotations

import hashlib
import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from builder.build import BuildError, build_packages
from builder.cli import main
from builder.validate.package import validate_package
from tests.conftest import COURSE_SRC


def _validator(path: Path) -> list[str]:
    """Validate with the XSDs a user's install finds (npm package, ../shared/schemas when present)."""
    return [p.format() for p in validate_package(path)]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def matrix(media_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("exports")
    result = CliRunner().invoke(main, ["build", "--out", str(out), "--cache", str(media_cache)])
    assert result.exit_code == 0, result.output
    return out


def test_full_matrix_is_40_packages_named_predictably(matrix: Path) -> None:
    names = sorted(p.name for p in matrix.glob("*.zip"))
    assert len(names) == 40
    for lang in ("nl", "fr"):
        for sector in ("police", "justice", "medical", "psychosocial", "education"):
            for fmt in ("scorm12", "scorm2004", "cmi5", "xapi"):
                assert f"gsog-{lang}-{sector}-{fmt}.zip" in names


def test_every_package_passes_course_validate(matrix: Path) -> None:
    zips = sorted(str(p) for p in matrix.glob("*.zip"))
    result = CliRunner().invoke(main, ["validate", *zips])
    assert result.exit_code == 0, result.output


def test_a_sector_package_carries_its_own_case_video_only(matrix: Path) -> None:
    with zipfile.ZipFile(matrix / "gsog-fr-medical-scorm12.zip") as archive:
        names = set(archive.namelist())
        content = archive.read("content/course.js").decode()
    assert {"imsmanifest.xml", "index.html", "player/player.js", "content/course.js"} <= names
    assert "media/case-medical.mp4" in names and "media/case-medical.vtt" in names
    assert not any(n.startswith("media/case-police") for n in names)
    assert "media/clip-consent.mp4" in names
    assert '"lang":"fr"' in content and '"sector":"medical"' in content
    assert 'window.GSOG_FORMAT="scorm12"' in content


def test_manifests_carry_metadata_and_mastery(matrix: Path) -> None:
    with zipfile.ZipFile(matrix / "gsog-nl-police-scorm12.zip") as archive:
        scorm12 = etree.fromstring(archive.read("imsmanifest.xml"))
    ns = {
        "cp": "http://www.imsproject.org/xsd/imscp_rootv1p1p2",
        "adlcp": "http://www.adlnet.org/xsd/adlcp_rootv1p2",
        "md": "http://www.imsglobal.org/xsd/imsmd_rootv1p2p1",
    }
    assert scorm12.findtext(".//adlcp:masteryscore", namespaces=ns) == "75"
    assert (
        scorm12.findtext(".//md:general/md:title/md:langstring", namespaces=ns) == "Gendersensitief omgaan met geweld"
    )
    assert scorm12.findtext(".//md:general/md:language", namespaces=ns) == "nl"
    with zipfile.ZipFile(matrix / "gsog-fr-justice-cmi5.zip") as archive:
        cmi5 = etree.fromstring(archive.read("cmi5.xml"))
        assert "metadata.xml" in archive.namelist()
    c = {"c": "https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"}
    aus = cmi5.findall("c:au", c)
    assert len(aus) == 6
    assert all(au.get("id").startswith("https://") for au in aus)
    rules = {au.findtext("c:url", namespaces=c): au.get("moveOn") for au in aus}
    assert rules["index.html?module=m4-close"] == "CompletedAndPassed"
    assert rules["index.html?module=m5-resources"] == "NotApplicable"
    assert rules["index.html?module=m1-understand"] == "Completed"
    # the pre-test is optional, but a NotApplicable AU is launched in Review mode and records nothing
    assert rules["index.html?module=m0-start"] == "Completed"
    mastery = {au.findtext("c:url", namespaces=c): au.get("masteryScore") for au in aus}
    assert mastery["index.html?module=m0-start"] is None


def test_multi_sco_scorm2004_has_one_sco_per_module(media_cache: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "build",
            "--format",
            "scorm2004",
            "--lang",
            "nl",
            "--sector",
            "education",
            "--multi-sco",
            "--out",
            str(tmp_path),
            "--cache",
            str(media_cache),
        ],
    )
    assert result.exit_code == 0, result.output
    package = tmp_path / "gsog-nl-education-scorm2004.zip"
    with zipfile.ZipFile(package) as archive:
        manifest = etree.fromstring(archive.read("imsmanifest.xml"))
    scos = [
        r for r in manifest.iter("{*}resource") if r.get("{http://www.adlnet.org/xsd/adlcp_v1p3}scormType") == "sco"
    ]
    assert len(scos) == 6
    assert _validator(package) == []


def test_builds_are_byte_identical(media_cache: Path, tmp_path: Path) -> None:
    args = dict(formats=None, languages=["fr"], sectors=["justice"], cache=media_cache, validate=_validator)
    first = build_packages(COURSE_SRC, tmp_path / "a", **args)
    second = build_packages(COURSE_SRC, tmp_path / "b", **args)
    assert len(first.packages) == 4
    for a, b in zip(first.packages, second.packages, strict=True):
        assert a.path.name == b.path.name and _digest(a.path) == _digest(b.path)


def test_unchanged_packages_are_not_rebuilt_and_a_caption_change_rebuilds_only_its_packages(
    media_cache: Path, course_copy: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    args = dict(languages=None, sectors=["police", "justice"], cache=media_cache, validate=_validator)
    assert len(build_packages(course_copy, out, **args).rebuilt) == 16
    assert build_packages(course_copy, out, **args).rebuilt == []

    # a recorded nl version of one clip, with its captions: only the nl packages carry it
    draft = next(media_cache.rglob("*.mp4"))
    media = course_copy / "media"
    media.mkdir(exist_ok=True)
    shutil.copy(draft, media / "clip-consent.nl.mp4")
    captions = media / "clip-consent.nl.vtt"
    captions.write_text("WEBVTT\n\n00:00.000 --> 00:02.000\nToestemming.\n")
    rebuilt = build_packages(course_copy, out, **args).rebuilt
    assert sorted({(p.lang, p.sector) for p in rebuilt}) == [("nl", "justice"), ("nl", "police")]
    assert len(rebuilt) == 8

    captions.write_text("WEBVTT\n\n00:00.000 --> 00:02.500\nToestemming, opnieuw.\n")
    assert len(build_packages(course_copy, out, **args).rebuilt) == 8

    # the police case's captions live only in the police packages of that language
    shutil.copy(draft, media / "case-police.fr.mp4")
    (media / "case-police.fr.vtt").write_text("WEBVTT\n\n00:00.000 --> 00:01.000\nBonjour.\n")
    rebuilt = build_packages(course_copy, out, **args).rebuilt
    assert {(p.lang, p.sector) for p in rebuilt} == {("fr", "police")} and len(rebuilt) == 4


def test_build_refuses_a_course_with_errors(course_copy: Path, tmp_path: Path) -> None:
    (course_copy / "cases" / "case-police.yaml").write_text("id: case-police\nsector: politie\n")
    with pytest.raises(BuildError, match="case-police.yaml"):
        build_packages(course_copy, tmp_path / "out")
    result = CliRunner().invoke(main, ["build", "--src", str(course_copy), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1 and "course check" in result.output
    assert not list((tmp_path / "out").glob("*.zip"))


def test_first_invalid_package_stops_the_build_and_is_removed(media_cache: Path, tmp_path: Path) -> None:
    def refuse(path: Path) -> list[str]:
        return [f"{path.name}: refused by test"]

    with pytest.raises(BuildError, match="refused by test"):
        build_packages(COURSE_SRC, tmp_path, ["scorm2004"], ["nl"], None, media_cache, validate=refuse)
    assert list(tmp_path.glob("*.zip")) == []


def test_building_an_undeclared_language_names_it_and_writes_nothing(course_copy: Path, tmp_path: Path) -> None:
    course = course_copy / "course.yaml"
    text = course.read_text(encoding="utf-8")
    course.write_text(text.replace("languages: [nl, fr]", "languages: [nl]", 1), encoding="utf-8")
    line = text.splitlines().index("languages: [nl, fr]") + 1
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", str(course_copy), "--lang", "fr", "--out", str(out)])
    assert result.exit_code == 1
    assert f"course.yaml:{line}: languages: 'fr' is not one of the course languages (nl)" in result.output
    assert not out.exists()


def test_building_a_sector_without_a_case_names_it_and_writes_nothing(media_cache: Path, tmp_path: Path) -> None:
    expected = "sector 'prison' is not one of the course's sectors .police, justice, medical, psychosocial, education."
    with pytest.raises(BuildError, match=expected):
        build_packages(COURSE_SRC, tmp_path / "out", sectors=["police", "prison"], cache=media_cache)
    assert not (tmp_path / "out").exists()


def test_build_prints_the_checks_warnings(media_cache: Path, course_copy: Path, tmp_path: Path) -> None:
    referrals = course_copy / "referrals.yaml"
    text = referrals.read_text(encoding="utf-8")
    referrals.write_text(text.replace("verified_on: 2026-11-23", "verified_on: 2019-01-01", 1), encoding="utf-8")
    args = ["build", str(course_copy), "--out", str(tmp_path), "--cache", str(media_cache)]
    result = CliRunner().invoke(main, [*args, "--format", "xapi", "--lang", "nl", "--sector", "police"])
    assert result.exit_code == 0, result.output
    assert "warning: " in result.output and "referrals.yaml:" in result.output
    assert "stale referral entry" in result.output


def test_modules_keep_the_authors_unit_order_in_every_sector(media_cache: Path) -> None:
    from builder.checker import check_course
    from builder.variants import Variant, compile_variant

    course = check_course(COURSE_SRC).course
    assert course is not None
    authored = {m.id: list(m.units) for m in course.meta.modules}
    for sector in ("police", "medical", "education"):
        content = compile_variant(course, Variant("nl", sector), media_cache).content  # type: ignore[arg-type]
        assert {m["id"]: m["units"] for m in content["modules"]} == authored
        mains = [uid for uid, unit in content["units"].items() if unit.get("main")]
        assert mains == [f"case-{sector}"]
