"""The files every package carries besides its manifest: player, content, media.

The player's own ``player/bundle.json`` says which scripts make the runtime and
which adapter serves each format; here they are concatenated into one
``player/player.js`` per format, so a package has no build step and no module
loader, and works from any LMS's content server.

``player/index.html`` is a template (``string.Template``): each package's
launch page gets its own language, its course title and only its own
language's noscript text, so an LMS, a browser tab and a screen reader see
the package's language before any script runs.
"""

from __future__ import annotations

import functools
import hashlib
import html
import json
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from builder.typography import typeset
from builder.variants import CompiledVariant, PackageFile
from lrs.xapi.profile import EXTENSIONS, player_vocabulary

PLAYER_DIR = Path(__file__).resolve().parent.parent / "player"
LAUNCH_FILE = "index.html"

#: The launch page's text for browsers without JavaScript (the player's strings need the player).
NOSCRIPT = {
    "nl": "Deze cursus heeft JavaScript nodig. Schakel JavaScript in en open de cursus opnieuw.",
    "fr": "Ce cours nécessite JavaScript. Activez JavaScript et rouvrez le cours.",
}


@dataclass(frozen=True)
class GeneratedFile:
    """A file whose bytes are made by the build, not copied."""

    arcname: str
    data: bytes


PayloadEntry = GeneratedFile | PackageFile


def _bundle() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PLAYER_DIR / "bundle.json").read_text(encoding="utf-8"))
    return data


@functools.lru_cache(maxsize=8)
def player_script(fmt: str) -> bytes:
    """The runtime for ``fmt``: core and unit scripts, the format's adapter, the boot script."""
    bundle = _bundle()
    names = [*bundle["scripts"], bundle["adapters"][fmt], bundle["boot"]]
    parts = [f"/* {name} */\n" + (PLAYER_DIR / name).read_text(encoding="utf-8").rstrip() + "\n" for name in names]
    return "".join(parts).encode("utf-8")


def ui_strings(lang: str) -> dict[str, str]:
    """The player's interface texts in ``lang``."""
    bundle = _bundle()
    path = PLAYER_DIR / bundle["i18n"] / f"{lang}.json"
    strings: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return strings


def launch_page(compiled: CompiledVariant) -> bytes:
    """``index.html`` for one variant: its language, course title and noscript text, HTML-escaped."""
    lang = compiled.variant.lang
    template = string.Template((PLAYER_DIR / _bundle()["index"]).read_text(encoding="utf-8"))
    page = template.substitute(
        lang=html.escape(lang),
        title=html.escape(compiled.content["course"]["title"]),
        noscript=html.escape(typeset(NOSCRIPT[lang], lang)),
    )
    return page.encode("utf-8")


def package_version(compiled: CompiledVariant, fmt: str) -> str:
    """Which build of a package: ``<course version>+<12 hex digits of SHA-256 of player and content>``.

    Reproducible (same sources, same value), and different whenever what the
    learner sees or what the player does differs, which the course version
    alone does not promise.
    """
    digest = hashlib.sha256(player_script(fmt) + b"\0" + compiled.content_json.encode("utf-8")).hexdigest()
    return f"{compiled.content['course']['version']}+{digest[:12]}"


def learner_context(compiled: CompiledVariant, fmt: str) -> dict[str, Any]:
    """Our xAPI profile's vocabulary for the player, with the learner context known at build time.

    The IRIs come from :mod:`lrs.xapi.profile` (defined there once, served as
    the profile); the player adds ``build`` to every statement and takes the
    ``launch`` fields from the launch.
    """
    course = compiled.content["course"]
    values = {
        "sector": compiled.variant.sector,
        "language": compiled.variant.lang,
        "course": course["id"],
        "course-version": course["version"],
        "package-format": fmt,
        "package-version": package_version(compiled, fmt),
    }
    build = [e.name for e in EXTENSIONS if e.source == "build"]
    if sorted(values) != sorted(build):  # a new build-time extension needs its value here
        raise RuntimeError(f"learner context: the profile's build-time extensions are {build}, not {sorted(values)}")
    return {**player_vocabulary(), "build": values}


def content_script(compiled: CompiledVariant, fmt: str) -> bytes:
    """``content/course.js``: content, strings, format and profile vocabulary as globals (works from file:// too).

    The profile is not typeset: IRIs and codes must reach statements byte for byte.
    """
    lang = compiled.variant.lang
    strings = json.dumps(typeset(ui_strings(lang), lang), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    profile = json.dumps(learner_context(compiled, fmt), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    text = (
        f"window.GSOG_FORMAT={json.dumps(fmt)};\n"
        f"window.GSOG_STRINGS={strings};\n"
        f"window.GSOG_CONTENT={compiled.content_json};\n"
        f"window.GSOG_PROFILE={profile};\n"
    )
    return text.encode("utf-8")


def payload(compiled: CompiledVariant, fmt: str) -> list[PayloadEntry]:
    """Every file of a package except its manifest, sorted by name."""
    bundle = _bundle()
    entries: list[PayloadEntry] = [
        GeneratedFile(LAUNCH_FILE, launch_page(compiled)),
        GeneratedFile("player/player.js", player_script(fmt)),
        GeneratedFile("content/course.js", content_script(compiled, fmt)),
        *(PackageFile(f"player/{Path(css).name}", PLAYER_DIR / css) for css in bundle["styles"]),
        *compiled.media,
    ]
    return sorted(entries, key=lambda e: e.arcname)


def write_directory(compiled: CompiledVariant, fmt: str, target: Path) -> None:
    """Lay a package's payload out as plain files (for previews and player development)."""
    for entry in payload(compiled, fmt):
        out = target / entry.arcname
        out.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(entry, GeneratedFile):
            out.write_bytes(entry.data)
        else:
            out.write_bytes(entry.source.read_bytes())
