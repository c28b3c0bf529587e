"""The files every package carries besides its manifest: player, content, media.

The player's own ``player/bundle.json`` says which scripts make the runtime and
which adapter serves each format; here they are concatenated into one
``player/player.js`` per format, so a package has no build step and no module
loader, and works from any LMS's content server.

``player/index.html`` is a template (``string.Template``): each package's
launch page gets its own language, its course title and only its own
language's noscript text (``noscript`` of the language's catalogue, see
:mod:`builder.i18n`), so an LMS, a browser tab and a screen reader see
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

from builder.dual_tracking import DualTracking
from builder.i18n import PLAYER_DIR, ui_strings
from builder.model.base import pick
from builder.model.vocabularies import SHOWN
from builder.spec import CONTENT_GLOBAL, CONTENT_SCRIPT, PROFILE_GLOBAL, script_line_prefix
from builder.typography import typeset
from builder.variants import CompiledVariant, PackageFile
from lrs.xapi.profile import EXTENSIONS, player_vocabulary

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
    """The runtime for ``fmt``: core and unit scripts, the adapter it mirrors (SCORM), its own, the boot script."""
    bundle = _bundle()
    mirrored = [bundle["mirror"]["adapter"]] if fmt in mirrored_formats() else []
    names = [*bundle["scripts"], *mirrored, bundle["adapters"][fmt], bundle["boot"]]
    parts = [f"/* {name} */\n" + (PLAYER_DIR / name).read_text(encoding="utf-8").rstrip() + "\n" for name in names]
    return "".join(parts).encode("utf-8")


def mirrored_formats() -> tuple[str, ...]:
    """The formats whose adapter can also send xAPI statements to our LRS (dual tracking, ``bundle.json``)."""
    return tuple(_bundle()["mirror"]["formats"])


def interface_strings(compiled: CompiledVariant) -> dict[str, str]:
    """The player's strings for a package: its language's catalogue, and the names of the course's own terms.

    The player names a sector or region by the string ``sector_<id>`` /
    ``region_<id>``; the catalogues hold the provided vocabularies' names, a
    course's own terms bring theirs (``name:`` in course.yaml). ``noscript``
    is the launch page's, shown only where the player cannot run.
    """
    lang, meta = compiled.variant.lang, compiled.course.meta
    own = {f"{prefix}{t.id}": pick(t.name, lang) for name, prefix in SHOWN.items() for t in meta.own_terms(name)}
    catalogue = {key: text for key, text in ui_strings(lang).items() if key != "noscript"}
    return {**catalogue, **own}


def launch_page(compiled: CompiledVariant) -> bytes:
    """``index.html`` for one variant: its language, course title and noscript text, HTML-escaped."""
    lang = compiled.variant.lang
    template = string.Template((PLAYER_DIR / _bundle()["index"]).read_text(encoding="utf-8"))
    page = template.substitute(
        lang=html.escape(lang),
        title=html.escape(compiled.content["course"]["title"]),
        noscript=html.escape(typeset(ui_strings(lang)["noscript"], lang)),
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
    level = compiled.course.meta.level
    if level is None:  # the launch may say at which level the learner follows the course
        return {**player_vocabulary(), "build": values}
    # a course made for one level says so in every statement, under the same IRI a launch would use
    return {**player_vocabulary(fixed=["level"]), "build": {**values, "level": level}}


def content_script(compiled: CompiledVariant, fmt: str, dual_tracking: DualTracking | None = None) -> bytes:
    """``content/course.js``: content, strings, format and profile vocabulary as globals (works from file:// too).

    The profile is not typeset: IRIs and codes must reach statements byte for byte.
    ``window.GSOG_LRS`` is there only in a SCORM package built for dual tracking.
    """
    lang = compiled.variant.lang
    strings = json.dumps(
        typeset(interface_strings(compiled), lang), ensure_ascii=False, sort_keys=True, separators=(",", ":")
    )
    profile = json.dumps(learner_context(compiled, fmt), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    text = (
        f"window.GSOG_FORMAT={json.dumps(fmt)};\n"
        f"window.GSOG_STRINGS={strings};\n"
        f"{script_line_prefix(CONTENT_GLOBAL)}{compiled.content_json};\n"
        f"{script_line_prefix(PROFILE_GLOBAL)}{profile};\n"
    )
    if dual_tracking is not None and fmt in mirrored_formats():
        config = json.dumps(dual_tracking.player_config(), sort_keys=True, separators=(",", ":"))
        text += f"window.GSOG_LRS={config};\n"
    return text.encode("utf-8")


def payload(compiled: CompiledVariant, fmt: str, dual_tracking: DualTracking | None = None) -> list[PayloadEntry]:
    """Every file of a package except its manifest, sorted by name."""
    bundle = _bundle()
    entries: list[PayloadEntry] = [
        GeneratedFile(LAUNCH_FILE, launch_page(compiled)),
        GeneratedFile("player/player.js", player_script(fmt)),
        GeneratedFile(CONTENT_SCRIPT, content_script(compiled, fmt, dual_tracking)),
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
