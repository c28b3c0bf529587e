"""The portal's words: one gettext catalogue per language, read with Babel, and the request's language.

``lrs/portal/i18n/messages.pot`` lists every string a portal page shows
(msgid = the key a template asks for, ``t("signup_title")``);
``<tag>.po`` translates them. Translators use the tools they know (Poedit,
Weblate, ``pybabel update``); the catalogues are read with Babel, the
same way the player's are (:mod:`builder.i18n`), and a test refuses a
catalogue lacking a string.

The portal speaks the languages it has a catalogue for (Dutch, French and
English now; a course adding German brings ``de.po`` with it). A learner's
language is, in this order: ``?lang=``, the choice remembered in the
session, the profile's language, the browser's Accept-Language, Dutch.
Course texts (titles, goals) come in the course's own languages and are
picked by :func:`pick_text`.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from flask import request, session

from builder.i18n import CatalogueError, catalogue_path, entries

#: Where the catalogues are.
CATALOGUES: Final = Path(__file__).resolve().parent / "i18n"
#: The language a page falls back to.
DEFAULT_LANGUAGE: Final = "nl"
#: How each language names itself in the language switch.
NATIVE_NAMES: Final = {"nl": "Nederlands", "fr": "Français", "en": "English", "de": "Deutsch"}


@functools.cache
def languages() -> tuple[str, ...]:
    """The languages with a catalogue, Dutch and French first."""
    found = sorted(path.stem for path in CATALOGUES.glob("*.po"))
    first = [lang for lang in (DEFAULT_LANGUAGE, "fr") if lang in found]
    return (*first, *(lang for lang in found if lang not in first))


@functools.lru_cache(maxsize=16)
def strings(lang: str) -> dict[str, str]:
    """Every translated message of ``lang`` (untranslated and fuzzy ones left out, as gettext does)."""
    path = catalogue_path(lang, CATALOGUES)
    if path is None:
        raise CatalogueError(f"no portal catalogue for '{lang}' in {CATALOGUES}")
    return {key: entry.text for key, entry in entries(path).items() if entry.text and not entry.fuzzy}


def translate(lang: str, key: str, **values: object) -> str:
    """Message ``key`` in ``lang`` (else in Dutch) with ``values`` filled in; KeyError for an unknown key: a bug."""
    text = strings(lang).get(key) or strings(DEFAULT_LANGUAGE)[key]
    return text.format(**values) if values else text


def supported(tag: str | None) -> str | None:
    """The portal language for a BCP 47 tag (``fr-BE`` -> ``fr``), or None when there is no catalogue."""
    if not tag:
        return None
    for candidate in (tag, tag.split("-")[0].lower()):
        if candidate in languages():
            return candidate
    return None


def pick_language(profile_language: str | None = None) -> str:
    """The request's language (see the module docstring); a ``?lang=`` choice is remembered in the session."""
    asked = supported(request.args.get("lang"))
    if asked:
        session["lang"] = asked
        return asked
    chosen = supported(session.get("lang"))
    if chosen:
        return chosen
    return supported(profile_language) or request.accept_languages.best_match(languages()) or DEFAULT_LANGUAGE


def pick_text(texts: Mapping[str, str], lang: str) -> str:
    """A course text in ``lang``, else in the same language of another region, else the first there is."""
    if not texts:
        return ""
    if lang in texts:
        return texts[lang]
    primary = lang.split("-")[0].lower()
    for tag, text in texts.items():
        if tag.split("-")[0].lower() == primary:
            return text
    return next(iter(texts.values()))
