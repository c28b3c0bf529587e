"""The player's files keep the contract with the builder and its own rules (no browser needed)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from builder.formats import FORMATS
from builder.i18n import catalogue_dir, template_ids, ui_strings
from builder.model.vocabularies import FRAMEWORK_SECTORS, REGIONS
from builder.payload import PLAYER_DIR, player_script

BUNDLE = json.loads((PLAYER_DIR / "bundle.json").read_text(encoding="utf-8"))
SCRIPTS = [*BUNDLE["scripts"], *BUNDLE["adapters"].values(), BUNDLE["boot"]]
#: The only absolute IRIs the runtime may contain: xAPI and cmi5 vocabulary (identifiers, never fetched).
VOCABULARY = ("http://adlnet.gov/expapi/", "https://w3id.org/xapi/")


def _js(name: str) -> str:
    return (PLAYER_DIR / name).read_text(encoding="utf-8")


def test_bundle_names_existing_files_and_every_format() -> None:
    assert set(BUNDLE["adapters"]) == set(FORMATS)
    for name in [BUNDLE["index"], *BUNDLE["styles"], *SCRIPTS]:
        assert (PLAYER_DIR / name).is_file(), name
    assert BUNDLE["scripts"][0] == "core/util.js" and "core/navigation.js" in BUNDLE["scripts"]


@pytest.mark.parametrize("name", SCRIPTS)
def test_every_script_is_a_strict_iife_without_newer_syntax(name: str) -> None:
    code = _js(name)
    body = re.sub(r"^\s*/\*.*?\*/\s*", "", code, flags=re.S)
    assert body.startswith('(function (window) {\n  "use strict";'), name
    assert body.rstrip().endswith("})(window);"), name
    # ES2019 is the target: no optional chaining or nullish coalescing, no modules
    assert not re.search(r"\?\.[A-Za-z_$\[(]|\?\?", code), name
    assert not re.search(r"^\s*(import|export)\s", code, flags=re.M), name


def test_markup_only_enters_through_set_html() -> None:
    """Plain-text content goes in with textContent; only util.js turns the compiled HTML fields into markup."""
    for name in SCRIPTS:
        code = _js(name)
        count = len(re.findall(r"\b(innerHTML|outerHTML|insertAdjacentHTML|document\.write)\b", code))
        assert count == (2 if name == "core/util.js" else 0), name


def test_no_external_resources() -> None:
    index = (PLAYER_DIR / BUNDLE["index"]).read_text(encoding="utf-8")
    css = "".join((PLAYER_DIR / s).read_text(encoding="utf-8") for s in BUNDLE["styles"])
    assert re.findall(r"(?:src|href)=\"([^\"]+)\"", index) == [
        "data:,",
        "player/player.css",
        "content/course.js",
        "player/player.js",
    ]
    assert not re.search(r"https?://|@import|url\(|@font-face", css)
    for name in SCRIPTS:
        for iri in re.findall(r"https?://[^\"'\s)]+", _js(name)):
            assert iri.startswith(VOCABULARY), (name, iri)


def test_every_catalogue_has_every_string_the_player_uses() -> None:
    template = set(template_ids())
    used = set()
    for name in SCRIPTS:
        used |= set(re.findall(r"\bt\(\"([a-z0-9_]*[a-z0-9])\"", _js(name)))
    used |= {f"sector_{s}" for s in FRAMEWORK_SECTORS} | {f"region_{r}" for r in REGIONS}
    used |= {"competence_before", "competence_after", "noscript"}  # built names; the launch page's text
    assert used - template == set(), "strings missing from messages.pot"
    assert template - used == set(), "strings nobody uses"
    catalogues = {path.stem: ui_strings(path.stem) for path in sorted(catalogue_dir().glob("*.po"))}
    assert {"nl", "fr", "de", "en"} <= set(catalogues)
    for lang, strings in catalogues.items():
        assert set(strings) == template, lang
        assert all(v.strip() for v in strings.values()), lang
        # the placeholders match between the languages
        for key in template:
            assert set(re.findall(r"\{\w+\}", strings[key])) == set(re.findall(r"\{\w+\}", catalogues["en"][key])), (
                lang,
                key,
            )


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_the_concatenated_player_parses(fmt: str, tmp_path: Path) -> None:
    script = tmp_path / "player.js"
    script.write_bytes(player_script(fmt))
    result = subprocess.run(["node", "--check", str(script)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
