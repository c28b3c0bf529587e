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
import html
import json
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from builder.typography import typeset
from builder.variants import CompiledVariant, PackageFile

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


def content_script(compiled: CompiledVariant, fmt: str) -> bytes:
    """``content/course.js``: content, strings and format as globals (works from file:// too)."""
    lang = compiled.variant.lang
    strings = json.dumps(typeset(ui_strings(lang), lang), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    text = (
        f"window.GSOG_FORMAT={json.dumps(fmt)};\n"
        f"window.GSOG_STRINGS={strings};\n"
        f"window.GSOG_CONTENT={compiled.content_json};\n"
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
