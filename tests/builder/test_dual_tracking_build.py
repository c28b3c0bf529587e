"""``course build --lrs URL --lrs-key KEY --organisation ID``: the LRS configuration goes into SCORM packages only.

The player side (statements, pseudonyms, the LMS unaffected) is tested in
tests/player/test_dual_tracking.py; here the command line: what it refuses,
that it never prints the secret, and where the configuration ends up.
"""

from __future__ import annotations

import base64
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from builder.cli import main
from lrs.xapi.dual_tracking import pseudonym_home, pseudonym_key

SECRET = "s3cr3t-" + "x" * 40
KEY = "f00dfeedcafe"
ORG = "academy-north"
ENDPOINT = "https://lrs.example.org/xapi/"


def _lrs_config(package: Path) -> dict[str, Any] | None:
    """``window.GSOG_LRS`` of a package's content/course.js (None when absent)."""
    with zipfile.ZipFile(package) as zf:
        text = zf.read("content/course.js").decode("utf-8")
    lines = [x for x in text.splitlines() if x.startswith("window.GSOG_LRS=")]
    if not lines:
        return None
    config: dict[str, Any] = json.loads(lines[0][len("window.GSOG_LRS=") :].rstrip(";"))
    return config


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--lrs", ENDPOINT, "--organisation", ORG], {}, "--lrs-key: missing"),
        (["--lrs", ENDPOINT, "--lrs-key", f"{KEY}:{SECRET}"], {}, "--organisation: missing"),
        (["--lrs-key", f"{KEY}:{SECRET}", "--organisation", ORG], {}, "--lrs: missing"),
        (
            ["--lrs", "http://lrs.example.org/xapi/", "--organisation", ORG],
            {"GSOG_LRS_KEY": f"{KEY}:{SECRET}"},
            "https",
        ),
        (
            ["--lrs", "lrs.example.org", "--organisation", ORG],
            {"GSOG_LRS_KEY": f"{KEY}:{SECRET}"},
            "not an http(s) URL",
        ),
        (["--lrs", ENDPOINT, "--organisation", "Academy North"], {"GSOG_LRS_KEY": f"{KEY}:{SECRET}"}, "not a code"),
        (["--lrs", ENDPOINT, "--organisation", ORG], {"GSOG_LRS_KEY": SECRET}, "KEY:SECRET"),
        (["--lrs", ENDPOINT, "--organisation", ORG], {"GSOG_LRS_KEY": f"{KEY}:short"}, "shorter than 32"),
        (
            ["--format", "cmi5", "--lrs", ENDPOINT, "--organisation", ORG],
            {"GSOG_LRS_KEY": f"{KEY}:{SECRET}"},
            "dual tracking is for scorm12 and scorm2004",
        ),
    ],
    ids=[
        "no-key",
        "no-organisation",
        "no-lrs",
        "plain-http",
        "not-a-url",
        "bad-organisation",
        "no-colon",
        "weak",
        "cmi5",
    ],
)
def test_wrong_options_are_refused_before_anything_is_built(
    tmp_path: Path, args: list[str], env: dict[str, str], message: str
) -> None:
    result = CliRunner().invoke(main, ["build", "--out", str(tmp_path / "out"), *args], env=env)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert SECRET not in result.output
    assert not (tmp_path / "out").exists()


def test_scorm_packages_carry_the_lrs_config_and_others_do_not(tmp_path: Path, media_cache: Path) -> None:
    out = tmp_path / "out"
    common = ["build", "--lang", "nl", "--sector", "police", "--cache", str(media_cache), "--out", str(out)]
    result = CliRunner().invoke(
        main,
        [*common, "--lrs", "https://lrs.example.org/xapi", "--organisation", ORG],
        env={"GSOG_LRS_KEY": f"{KEY}:{SECRET}"},
    )
    assert result.exit_code == 0, result.output
    assert SECRET not in result.output
    for fmt in ("scorm12", "scorm2004"):
        config = _lrs_config(out / f"gsog-nl-police-{fmt}.zip")
        assert config == {
            "endpoint": ENDPOINT,
            "auth": "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode(),
            "organisation": ORG,
            "homePage": pseudonym_home(ORG),
            "pseudonymKey": pseudonym_key(SECRET, ORG),
        }, fmt
    for fmt in ("cmi5", "xapi"):
        assert _lrs_config(out / f"gsog-nl-police-{fmt}.zip") is None, fmt

    # built again without the options: the same packages have no LRS configuration at all
    plain = CliRunner().invoke(main, [*common, "--format", "scorm12"], env={"GSOG_LRS_KEY": ""})
    assert plain.exit_code == 0, plain.output
    assert _lrs_config(out / "gsog-nl-police-scorm12.zip") is None
    with zipfile.ZipFile(out / "gsog-nl-police-scorm12.zip") as zf:
        assert b"GSOG_LRS" not in zf.read("content/course.js")
