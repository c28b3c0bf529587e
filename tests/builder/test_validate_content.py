"""``course validate`` reads the player's content document: blank course, module or unit titles are refused.

The manifests of a package may be flawless while the headings a learner
reads come from ``content/course.js``; these tests take a real built
package, blank one of its titles the way a broken build or a hand edit
would, and expect a problem that names the file in the zip and the title.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from builder.build import build_packages
from builder.cli import main
from builder.validate import check_package
from tests.conftest import COURSE_SRC, SEEDS

SCRIPT = "content/course.js"
PREFIX = "window.GSOG_CONTENT="


@pytest.fixture(scope="module")
def real_package(media_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real course's Dutch police cmi5 package, as ``course build`` writes it."""
    out = tmp_path_factory.mktemp("exports")
    report = build_packages(COURSE_SRC, out, ["cmi5"], ["nl"], ["police"], media_cache, seeds=SEEDS)
    (package,) = [p.path for p in report.packages]
    return package


def _rewrite(source: Path, target: Path, edit: Callable[[str], str]) -> tuple[Path, int]:
    """Copy the zip with its content script edited; return it and the content line's number."""
    with zipfile.ZipFile(source) as archive, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in archive.infolist():
            data = archive.read(info)
            if info.filename == SCRIPT:
                data = edit(data.decode("utf-8")).encode("utf-8")
            out.writestr(info, data)
    script = edit(zipfile.ZipFile(source).read(SCRIPT).decode("utf-8"))
    line = next((n for n, x in enumerate(script.splitlines(), start=1) if x.startswith(PREFIX)), 0)
    return target, line


def _edit_content(change: Callable[[dict[str, Any]], None]) -> Callable[[str], str]:
    def edit(script: str) -> str:
        lines = script.splitlines()
        for i, line in enumerate(lines):
            if line.startswith(PREFIX):
                document = json.loads(line[len(PREFIX) :].removesuffix(";"))
                change(document)
                lines[i] = PREFIX + json.dumps(document, ensure_ascii=False) + ";"
        return "\n".join(lines) + "\n"

    return edit


def _messages(path: Path) -> list[str]:
    return [p.format() for p in check_package(path).problems]


def test_the_real_package_has_no_content_problem(real_package: Path) -> None:
    assert _messages(real_package) == []


def test_an_empty_course_title_is_refused_naming_the_file_in_the_zip(real_package: Path, tmp_path: Path) -> None:
    def blank(document: dict[str, Any]) -> None:
        document["course"]["title"] = ""

    path, line = _rewrite(real_package, tmp_path / "blank.zip", _edit_content(blank))
    assert _messages(path) == [f"{path}!{SCRIPT}:{line}: course.title is empty; every title needs its text"]
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 1 and f"!{SCRIPT}:{line}: course.title is empty" in result.output


def test_blank_module_and_unit_titles_are_each_named(real_package: Path, tmp_path: Path) -> None:
    blanked: list[str] = []

    def blank(document: dict[str, Any]) -> None:
        document["modules"][1]["title"] = "  "
        blanked.append(document["modules"][1]["id"])
        document["units"]["clip-consent"]["title"] = ""
        del document["units"]["case-police"]["title"]

    path, line = _rewrite(real_package, tmp_path / "blank.zip", _edit_content(blank))
    where = f"{path}!{SCRIPT}:{line}: "
    assert sorted(_messages(path)) == sorted(
        [
            f"{where}modules[1] ('{blanked[0]}').title is empty; every title needs its text",
            f"{where}units['clip-consent'].title is empty; every title needs its text",
            f"{where}units['case-police'].title is empty; every title needs its text",
        ]
    )


def test_an_unreadable_content_document_is_a_problem_not_a_crash(real_package: Path, tmp_path: Path) -> None:
    def truncate(script: str) -> str:
        return "\n".join(x[:200] if x.startswith(PREFIX) else x for x in script.splitlines())

    path, line = _rewrite(real_package, tmp_path / "cut.zip", truncate)
    (message,) = _messages(path)
    assert message.startswith(f"{path}!{SCRIPT}:{line}: the content document is not valid JSON (")


def test_another_tools_script_of_the_same_name_is_left_alone(real_package: Path, tmp_path: Path) -> None:
    path, line = _rewrite(real_package, tmp_path / "other.zip", lambda _: "var course = {title: ''};\n")
    assert line == 0 and _messages(path) == []
