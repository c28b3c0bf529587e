"""The player's interface strings: one gettext catalogue per language, read with Babel.

``player/i18n/messages.pot`` lists every string the player shows (msgid = the
key the player looks up, ``t("next")``); ``player/i18n/<tag>.po`` translates
them into one language. Translators work in the format their tools know
(Poedit, Weblate, ``pybabel update``); the build compiles the catalogue of a
package's language into the plain ``{key: text}`` object the player reads
(``window.GSOG_STRINGS`` in ``content/course.js``), so the runtime needs no
gettext.

A course may ship any language that has a catalogue: ``de-BE`` uses
``de-BE.po`` when there is one, ``de.po`` otherwise. ``course check``
(:func:`check_catalogues`) refuses a declared language without a catalogue
and a catalogue that lacks a string, naming the file and the msgid.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import PoFileError, read_po

PLAYER_DIR = Path(__file__).resolve().parent.parent / "player"
TEMPLATE_NAME = "messages.pot"


def catalogue_dir() -> Path:
    """Where the catalogues are: ``i18n`` of ``player/bundle.json``."""
    bundle = json.loads((PLAYER_DIR / "bundle.json").read_text(encoding="utf-8"))
    return PLAYER_DIR / str(bundle["i18n"])


class CatalogueError(Exception):
    """A language has no catalogue, or a catalogue cannot be read."""


@dataclass(frozen=True)
class Entry:
    """One message of a catalogue: its text (empty when untranslated) and where it is written."""

    text: str
    line: int
    fuzzy: bool


def catalogue_path(lang: str, folder: Path | None = None) -> Path | None:
    """The catalogue for ``lang``: its own (``de-BE.po``), else its language's (``de.po``)."""
    where = folder or catalogue_dir()
    for tag in dict.fromkeys((lang, lang.split("-")[0])):
        path = where / f"{tag}.po"
        if path.is_file():
            return path
    return None


def _read(path: Path) -> Catalog:
    try:
        with path.open("rb") as handle:
            return read_po(handle, abort_invalid=True)
    except (OSError, UnicodeDecodeError, PoFileError) as exc:
        raise CatalogueError(f"{path}: not a readable gettext catalogue: {exc}") from exc


def entries(path: Path) -> dict[str, Entry]:
    """Every message of a ``.po``/``.pot`` file by msgid, with its line."""
    catalogue = _read(path)
    found: dict[str, Entry] = {}
    for message in catalogue:
        if not message.id or not isinstance(message.id, str):
            continue  # the header, or a plural form (the player has none)
        text = message.string if isinstance(message.string, str) else ""
        found[message.id] = Entry(text, message.lineno or 0, message.fuzzy)
    return found


def template_ids(folder: Path | None = None) -> list[str]:
    """The msgids of ``messages.pot``: every string the player may show."""
    return list(entries((folder or catalogue_dir()) / TEMPLATE_NAME))


@functools.lru_cache(maxsize=16)
def ui_strings(lang: str) -> dict[str, str]:
    """The player's interface texts in ``lang``, compiled from its catalogue.

    Untranslated and fuzzy entries are left out, as gettext does at run time;
    ``course check`` has refused them before a build gets here.
    """
    path = catalogue_path(lang)
    if path is None:
        raise CatalogueError(f"no interface catalogue for '{lang}' in {catalogue_dir()}")
    return {key: entry.text for key, entry in sorted(entries(path).items()) if entry.text and not entry.fuzzy}


@dataclass(frozen=True)
class CatalogueProblem:
    """One finding of :func:`check_catalogues`: where, which msgid, what is wrong."""

    path: Path
    line: int
    msgid: str
    message: str


def check_catalogues(languages: list[str], folder: Path | None = None) -> tuple[dict[str, str], list[CatalogueProblem]]:
    """Each language's catalogue (or ``""`` when it has none), and every string it lacks.

    A msgid of the template that a catalogue does not have, has empty, or
    marks fuzzy (a guess awaiting review) is a problem: the player would show
    the bare key to learners.
    """
    where = folder or catalogue_dir()
    template = where / TEMPLATE_NAME
    wanted = entries(template)
    found: dict[str, str] = {}
    problems: list[CatalogueProblem] = []
    for lang in languages:
        path = catalogue_path(lang, where)
        found[lang] = str(path) if path else ""
        if path is None:
            continue
        try:
            have = entries(path)
        except CatalogueError as exc:
            problems.append(CatalogueProblem(path, 0, "", str(exc)))
            continue
        for msgid in wanted:
            entry = have.get(msgid)
            if entry is None:
                problems.append(
                    CatalogueProblem(path, 0, msgid, f"msgid '{msgid}' of {template.name} is missing; add it")
                )
            elif not entry.text.strip():
                problems.append(CatalogueProblem(path, entry.line, msgid, f"msgid '{msgid}' is not translated"))
            elif entry.fuzzy:
                problems.append(
                    CatalogueProblem(path, entry.line, msgid, f"msgid '{msgid}' is marked fuzzy; review it")
                )
    return found, problems
