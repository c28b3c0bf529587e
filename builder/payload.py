"""The files every package carries besides its manifest: player, content, media.

The player's own ``player/bundle.json`` says which scripts make the runtime and
which adapter serves each format; here they are concatenated into one
``player/player.js`` per format, so a package has no build step and no module
loader, and works from any LMS's content server.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from builder.variants import CompiledVariant, PackageFile

PLAYER_DIR = Path(__file__).resolve().parent.parent / "player"
FORMATS = ("scorm12", "scorm2004", "cmi5", "xapi")
LAUNCH_FILE = "index.html"


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


def content_script(compiled: CompiledVariant, fmt: str) -> bytes:
    """``content/course.js``: content, strings and format as globals (works from file:// too)."""
    strings = json.dumps(ui_strings(compiled.variant.lang), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
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
        PackageFile(LAUNCH_FILE, PLAYER_DIR / bundle["index"]),
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
