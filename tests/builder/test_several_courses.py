"""Several courses in one course folder: every command works on all of them, ``--course`` picks some.

The folder is ``<tmp>/course_src/`` with the real course in ``gsog/`` and a
second course in ``gsog-deepening/``: a copy with its own id, Dutch title
and base IRI, as an organisation with a basic and a deepening course would
keep them.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from builder.cli import main
from tests.builder.helpers import line_of, replace_once
from tests.conftest import COURSE_SRC, SEEDS

SECOND = "gsog-deepening"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _add_course(src: Path, folder: str, course_id: str, title: str) -> Path:
    """Copy the real course into ``src/folder`` as course ``course_id`` with Dutch title ``title``."""
    root = src / folder
    shutil.copytree(COURSE_SRC, root, ignore=shutil.ignore_patterns(".schema"))
    course = root / "course.yaml"
    replace_once(course, "id: gsog\n", f"id: {course_id}\n")
    replace_once(course, "nl: Gendersensitief omgaan met geweld\n", f"nl: {title}\n")
    replace_once(
        course, "base_iri: https://gsog.example.org/course/", f"base_iri: https://gsog.example.org/{course_id}/"
    )
    return root


@pytest.fixture
def several(tmp_path: Path) -> Path:
    """``course_src/`` holding the real course and a second one."""
    src = tmp_path / "course_src"
    src.mkdir()
    _add_course(src, "gsog", "gsog", "Gendersensitief omgaan met geweld")
    _add_course(src, SECOND, SECOND, "Verdieping gendersensitief omgaan met geweld")
    return src


def _run(*args: str, env: dict[str, str] | None = None) -> Result:
    result = CliRunner().invoke(main, list(args), env=env)
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def test_check_covers_every_course_and_names_it(several: Path) -> None:
    result = _run("check", str(several), "--json", "--seeds", str(SEEDS))
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert [c["course"] for c in report["courses"]] == ["gsog", SECOND]
    assert [c["root"] for c in report["courses"]] == [str(several / "gsog"), str(several / SECOND)]
    text = _run("check", str(several), "--seeds", str(SEEDS))
    summaries = [line for line in text.stdout.splitlines() if "errors," in line]
    assert [line.split(":")[0] for line in summaries] == ["gsog", SECOND]


def test_course_option_and_its_variable_select_courses(several: Path) -> None:
    one = _run("check", str(several), "--course", SECOND, "--json", "--seeds", str(SEEDS))
    assert one.exit_code == 0, one.output
    assert [c["course"] for c in json.loads(one.stdout)["courses"]] == [SECOND]
    by_env = _run(
        "check", "--json", "--seeds", str(SEEDS), env={"GSOG_COURSE_SRC": str(several), "GSOG_COURSE": "gsog"}
    )
    assert by_env.exit_code == 0, by_env.output
    assert [c["course"] for c in json.loads(by_env.stdout)["courses"]] == ["gsog"]


def test_unknown_course_is_a_usage_error_naming_the_courses(several: Path) -> None:
    result = _run("check", str(several), "--course", "gsgo")
    assert result.exit_code == 2
    assert "'gsgo' not in" in result.output and f"its courses are gsog, {SECOND}" in result.output


def test_folder_not_named_after_its_course_is_an_error_at_the_id_line(several: Path) -> None:
    (several / SECOND).rename(several / "deepening")
    course_file = several / "deepening" / "course.yaml"
    result = _run("check", str(several), "--json", "--seeds", str(SEEDS))
    assert result.exit_code == 1
    line = line_of(course_file, f"id: {SECOND}")
    assert f"{course_file}:{line}: id: the folder is named 'deepening' but the course id is '{SECOND}'" in result.stderr
    # the well-named course is still checked, and only it; the layout error is in the JSON too
    report = json.loads(result.stdout)
    assert report["ok"] is False and [c["course"] for c in report["courses"]] == ["gsog"]
    assert [(e["file"], e["line"], e["field"]) for e in report["errors"]] == [(str(course_file), line, "id")]


def test_duplicate_course_id_is_an_error_at_the_second_id_line(several: Path) -> None:
    twin = _add_course(several, "gsog-twin", "gsog", "Tweeling")
    result = _run("check", str(several), "--seeds", str(SEEDS))
    assert result.exit_code == 1
    line = line_of(twin / "course.yaml", "id: gsog")
    where = f"{twin / 'course.yaml'}:{line}: id: "
    assert f"{where}'gsog' is already the id of {several / 'gsog' / 'course.yaml'}" in result.stderr
    assert f"{where}the folder is named 'gsog-twin' but the course id is 'gsog'" in result.stderr


def test_a_course_beside_courses_in_subfolders_is_refused(several: Path) -> None:
    shutil.copy(several / "gsog" / "course.yaml", several / "course.yaml")
    result = _run("check", str(several))
    assert result.exit_code == 1
    assert f"{several / 'course.yaml'}: this folder holds a course and also courses in subfolders" in result.stderr


def test_one_course_folder_keeps_working_with_any_folder_name(course_copy: Path) -> None:
    renamed = course_copy.rename(course_copy.parent / "my-course")
    result = _run("check", str(renamed), "--json", "--seeds", str(SEEDS))
    assert result.exit_code == 0, result.output
    assert [c["course"] for c in json.loads(result.stdout)["courses"]] == ["gsog"]


def test_sources_lists_the_units_of_every_course(several: Path) -> None:
    args = ["sources", str(several), "--json", "--seeds", str(SEEDS), "--today", "2026-12-05"]
    every = _run(*args)
    assert every.exit_code == 0, every.output
    units = json.loads(every.stdout)["units"]
    per_course = {c: [u["file"] for u in units if u["course"] == c] for c in ("gsog", SECOND)}
    assert per_course["gsog"] == per_course[SECOND] and "learning_goals.yaml" in per_course["gsog"]
    one = _run(*args, "--course", SECOND)
    assert {u["course"] for u in json.loads(one.stdout)["units"]} == {SECOND}
    text = _run("sources", str(several), "--seeds", str(SEEDS))
    assert text.exit_code == 0
    assert f"{SECOND}: clip-consent (clips/clip-consent.yaml)" in text.stdout


def _build(src: Path, out: Path, cache: Path, *extra: str) -> Result:
    args = ["build", str(src), "--format", "cmi5", "--lang", "nl", "--sector", "police"]
    return _run(*args, "--out", str(out), "--cache", str(cache), "--seeds", str(SEEDS), "--json", *extra)


def _course_title(package: Path) -> str:
    with zipfile.ZipFile(package) as archive:
        script = archive.read("content/course.js").decode("utf-8")
    line = next(x for x in script.splitlines() if x.startswith("window.GSOG_CONTENT="))
    return str(json.loads(line.removeprefix("window.GSOG_CONTENT=").removesuffix(";"))["course"]["title"])


def test_build_writes_every_courses_packages_side_by_side(several: Path, media_cache: Path, tmp_path: Path) -> None:
    out = tmp_path / "exports"
    first = _build(several, out, media_cache)
    assert first.exit_code == 0, first.output
    built = json.loads(first.stdout)["packages"]
    assert [(p["course"], p["package"], p["rebuilt"]) for p in built] == [
        ("gsog", "gsog-nl-police-cmi5.zip", True),
        (SECOND, f"{SECOND}-nl-police-cmi5.zip", True),
    ]
    assert _course_title(out / "gsog-nl-police-cmi5.zip") == "Gendersensitief omgaan met geweld"
    assert _course_title(out / f"{SECOND}-nl-police-cmi5.zip") == "Verdieping gendersensitief omgaan met geweld"

    # the incremental build keeps the courses apart: editing one course rebuilds only its package
    replace_once(several / SECOND / "course.yaml", "Verdieping gendersensitief", "Verdieping gendersensitief werken en")
    again = _build(several, out, media_cache)
    assert again.exit_code == 0, again.output
    assert [(p["course"], p["rebuilt"]) for p in json.loads(again.stdout)["packages"]] == [
        ("gsog", False),
        (SECOND, True),
    ]
    assert (
        _course_title(out / f"{SECOND}-nl-police-cmi5.zip") == "Verdieping gendersensitief werken en omgaan met geweld"
    )


def test_build_with_course_option_builds_that_course_only(several: Path, media_cache: Path, tmp_path: Path) -> None:
    out = tmp_path / "exports"
    result = _build(several, out, media_cache, "--course", SECOND)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.glob("*.zip")) == [f"{SECOND}-nl-police-cmi5.zip"]


def test_a_course_with_errors_fails_the_build_and_the_other_is_still_built(
    several: Path, media_cache: Path, tmp_path: Path
) -> None:
    (several / "gsog" / "cases" / "case-police.yaml").unlink()
    out = tmp_path / "exports"
    result = _build(several, out, media_cache)
    assert result.exit_code == 1
    assert "gsog: the course has errors" in result.stderr
    assert sorted(p.name for p in out.glob("*.zip")) == [f"{SECOND}-nl-police-cmi5.zip"]
    assert [p["course"] for p in json.loads(result.stdout)["packages"]] == [SECOND]


def test_preview_lists_every_course_with_its_title_and_packages(
    several: Path, media_cache: Path, tmp_path: Path
) -> None:
    from lxml import html as lxml_html

    from lrs.app import create_app
    from lrs.config import LrsConfig

    out = tmp_path / "exports"
    assert _build(several, out, media_cache).exit_code == 0
    # the file name is only a label: a renamed zip still shows under the course it was built from
    (out / f"{SECOND}-nl-police-cmi5.zip").rename(out / "renamed-cmi5.zip")
    app = create_app(LrsConfig(database_url=f"sqlite:///{tmp_path / 'lrs.sqlite3'}", preview_dir=str(out)))
    page = app.test_client().get("/preview/")
    assert page.status_code == 200
    sections = {
        str(s.get("id")): (s.findtext("h2"), [h.findtext(".") for h in s.findall("h3")])
        for s in lxml_html.fromstring(page.data).iter("section")
    }
    assert sections == {
        "course-gsog": ("Gendersensitief omgaan met geweld", ["gsog-nl-police-cmi5.zip"]),
        f"course-{SECOND}": ("Verdieping gendersensitief omgaan met geweld", ["renamed-cmi5.zip"]),
    }


def test_a_course_reusing_another_courses_base_iri_is_an_error_at_that_line(several: Path) -> None:
    course_file = several / SECOND / "course.yaml"
    replace_once(
        course_file, f"base_iri: https://gsog.example.org/{SECOND}/", "base_iri: https://gsog.example.org/gsog"
    )
    # the other course's is https://gsog.example.org/gsog/: the same base, whatever the final slash
    result = _run("check", str(several), "--json", "--seeds", str(SEEDS))
    assert result.exit_code == 1
    line = line_of(course_file, "base_iri:")
    assert (
        f"{course_file}:{line}: base_iri: 'https://gsog.example.org/gsog' is already the base_iri of "
        f"{several / 'gsog' / 'course.yaml'}" in result.stderr
    )
    assert [c["course"] for c in json.loads(result.stdout)["courses"]] == ["gsog"]


def test_a_package_name_two_courses_would_share_is_never_overwritten(
    several: Path, media_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # ids and BCP 47 languages with hyphens can spell one name twice ("a" + "nl-be" and "a-nl" + "be"); stand that
    # in by giving every package one name
    monkeypatch.setattr("builder.build.package_name", lambda compiled, fmt: f"shared-{fmt}")
    out = tmp_path / "exports"
    result = _build(several, out, media_cache)
    assert result.exit_code == 1
    assert f"{SECOND}: {out / 'shared-cmi5.zip'} was built from course 'gsog', not '{SECOND}'" in result.stderr
    assert [p["course"] for p in json.loads(result.stdout)["packages"]] == ["gsog"]
    assert _course_title(out / "shared-cmi5.zip") == "Gendersensitief omgaan met geweld"


def test_an_independent_course_checks_beside_the_real_one_each_in_its_own_languages(tmp_path: Path) -> None:
    """The German/English fixture course and the real course in one folder, with one sources folder for both."""
    src = tmp_path / "course_src"
    shutil.copytree(COURSE_SRC, src / "gsog", ignore=shutil.ignore_patterns(".schema"))
    shutil.copytree(FIXTURES / "courses" / "deepening", src / "risk-deepening")
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    shutil.copytree(FIXTURES / "seeds", seeds, dirs_exist_ok=True)
    result = _run("check", str(src), "--json", "--strict", "--seeds", str(seeds))
    assert result.exit_code == 0, result.output
    courses = json.loads(result.stdout)["courses"]
    assert [(c["course"], c["languages"]) for c in courses] == [
        ("gsog", ["nl", "fr"]),
        ("risk-deepening", ["de", "en"]),
    ]
    one = _run("check", str(src), "--course", "risk-deepening", "--lang", "de", "--json", "--seeds", str(seeds))
    assert one.exit_code == 0, one.output
    assert [(c["course"], c["languages"]) for c in json.loads(one.stdout)["courses"]] == [("risk-deepening", ["de"])]


def test_a_subfolder_without_course_yaml_is_named_as_ignored(several: Path) -> None:
    (several / "drafts").mkdir()
    (several / "drafts" / "clip-idea.yaml").write_text("id: clip-idea\n", encoding="utf-8")
    result = _run("check", str(several), "--seeds", str(SEEDS))
    assert result.exit_code == 0, result.output
    assert f"{several / 'drafts'}: warning: no course.yaml in this folder: it is not a course and is ignored" in (
        result.stderr
    )
