"""What each package carries besides its manifest: launch page, French typography, video posters."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from typing import Any, cast

import pytest

from builder.build import build_packages
from builder.i18n import catalogue_dir, ui_strings
from builder.payload import launch_page
from builder.typography import NARROW_NBSP, typeset
from builder.variants import CompiledVariant, Variant
from tests.conftest import COURSE_SRC

#: An ordinary (or wide no-break) space before French double punctuation or inside guillemets, outside tags.
LOOSE = re.compile(r"[ \u00a0][?!:;»]|«[ \u00a0]")
#: A caption line that starts with punctuation French sets after a space.
LINE_STARTS_WITH_PUNCTUATION = re.compile(r"^(?:<v [^>]*>)?[?!:;»]", re.M)


@pytest.fixture(scope="module")
def packages(media_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("packages")
    build_packages(COURSE_SRC, out, ["cmi5", "scorm12"], ["nl", "fr"], ["justice"], media_cache)
    return out


def _read(package: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(package) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _content(files: dict[str, bytes]) -> tuple[dict[str, Any], dict[str, str]]:
    script = files["content/course.js"].decode()
    strings = re.search(r"^window\.GSOG_STRINGS=(.*);$", script, re.M)
    content = re.search(r"^window\.GSOG_CONTENT=(.*);$", script, re.M)
    assert strings and content
    return json.loads(content.group(1)), json.loads(strings.group(1))


def _texts(files: dict[str, bytes]) -> dict[str, str]:
    """Every text file a learner or an LMS reads, tags stripped."""
    names = [n for n in files if n.endswith((".js", ".vtt", ".xml", ".html")) and not n.startswith("player/")]
    return {n: re.sub(r"<[^<>]*>", "", files[n].decode()) for n in names}


# --- launch page -------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["nl", "fr"])
def test_launch_page_has_the_variant_title_language_and_noscript(packages: Path, lang: str) -> None:
    files = _read(packages / f"gsog-{lang}-justice-cmi5.zip")
    page = files["index.html"].decode()
    content, _ = _content(files)
    assert f'<html lang="{lang}">' in page
    assert f"<title>{content['course']['title']}</title>" in page
    noscript = re.search(r"<noscript>(.*)</noscript>", page, re.S)
    assert noscript is not None
    other = next(code for code in ("nl", "fr") if code != lang)
    assert typeset(ui_strings(lang)["noscript"], lang) in noscript.group(1)
    assert ui_strings(other)["noscript"] not in page and "$" not in page


def test_launch_page_escapes_the_title() -> None:
    compiled = CompiledVariant(Variant("nl", "police"), cast(Any, None), {"course": {"title": 'A <b> & "c"'}})
    page = launch_page(compiled).decode()
    assert "<title>A &lt;b&gt; &amp; &quot;c&quot;</title>" in page


def test_every_catalogue_has_a_noscript_text() -> None:
    for path in sorted(catalogue_dir().glob("*.po")):
        assert ui_strings(path.stem)["noscript"].strip(), path


# --- French typography -------------------------------------------------------------------------


def test_the_source_keeps_ordinary_spaces() -> None:
    # the build typesets; the authors' YAML is never rewritten
    assert "genre : repérer" in (COURSE_SRC / "course.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt", ["cmi5", "scorm12"])
def test_french_packages_have_no_breakable_space_before_punctuation(packages: Path, fmt: str) -> None:
    files = _read(packages / f"gsog-fr-justice-{fmt}.zip")
    texts = _texts(files)
    for name, text in texts.items():
        assert not LOOSE.search(text), (name, LOOSE.search(text))
    content, strings = _content(files)
    assert content["course"]["description"].count(f"genre{NARROW_NBSP}: repérer") == 1
    assert any(NARROW_NBSP in s for s in strings.values())  # the interface strings too
    assert any(NARROW_NBSP in t for n, t in texts.items() if n.endswith(".vtt"))  # draft captions
    for name in (n for n in files if n.endswith(".vtt")):
        assert not LINE_STARTS_WITH_PUNCTUATION.search(files[name].decode()), name
    assert any(NARROW_NBSP in t for n, t in texts.items() if n.endswith(".xml"))  # manifest / LOM


def test_dutch_packages_are_not_typeset(packages: Path) -> None:
    files = _read(packages / "gsog-nl-justice-cmi5.zip")
    assert not any(NARROW_NBSP in text for text in _texts(files).values())


# --- video posters -----------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["nl", "fr"])
def test_every_packaged_video_has_a_jpeg_poster_beside_it(packages: Path, lang: str) -> None:
    files = _read(packages / f"gsog-{lang}-justice-scorm12.zip")
    content, _ = _content(files)
    videos = {uid: u for uid, u in content["units"].items() if u.get("video")}
    assert "case-justice" in videos and len(videos) > 1
    for uid, unit in videos.items():
        assert unit["poster"] == f"media/{uid}.jpg"
        assert Path(unit["poster"]).parent == Path(unit["video"]).parent
        poster = files[unit["poster"]]
        assert poster[:3] == b"\xff\xd8\xff" and 1000 < len(poster) < 200_000, uid
    assert not any("poster" in u for u in content["units"].values() if not u.get("video"))
    assert {n for n in files if n.endswith(".jpg")} == {u["poster"] for u in videos.values()}
