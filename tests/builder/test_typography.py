"""French typography: narrow no-break spaces where French sets a space before punctuation."""

from __future__ import annotations

import pytest

from builder.typography import NARROW_NBSP as N
from builder.typography import french_spacing, typeset


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Qui ? Quoi ! Note : voir ; fin", f"Qui{N}? Quoi{N}! Note{N}: voir{N}; fin"),
        ("la réaction « elle exagère »", f"la réaction «{N}elle exagère{N}»"),
        ("trop  : deux espaces", f"trop{N}: deux espaces"),
        ("rendez-vous à 14:30 ; pas avant", f"rendez-vous à 14:30{N}; pas avant"),
        ("<p>Pourquoi ?</p>", f"<p>Pourquoi{N}?</p>"),
        (
            '<a href="https://x.be/a?b=1 : c" title="t ?">lien ?</a>',
            f'<a href="https://x.be/a?b=1 : c" title="t ?">lien{N}?</a>',
        ),
        ("voir https://x.be/faq?q=a;b=c", "voir https://x.be/faq?q=a;b=c"),
        ("Descendre : {text}", f"Descendre{N}: {{text}}"),
        ("la partie « {module} »", f"la partie «{N}{{module}}{N}»"),
        ("déjà\u202f: fait", "déjà\u202f: fait"),
        # a wider no-break space becomes the narrow one too: one convention per package
        ("Merci\u00a0! Oui\u00a0: « \u00a0non\u00a0»", f"Merci{N}! Oui{N}: «{N}non{N}»"),
        # no space, none added; a line break is the text's own structure
        ("Note: sans espace; ok?", "Note: sans espace; ok?"),
        ("première ligne\n? seconde", "première ligne\n? seconde"),
        ("<v Médecin : Dr X>Pourquoi ?", f"<v Médecin : Dr X>Pourquoi{N}?"),
    ],
)
def test_french_spacing(text: str, expected: str) -> None:
    assert french_spacing(text) == expected


def test_only_french_is_typeset_and_data_is_walked() -> None:
    data = {"title": "Cas : police", "items": ["Vrai ?", 3, None], "ok": True}
    assert typeset(data, "fr") == {"title": f"Cas{N}: police", "items": [f"Vrai{N}?", 3, None], "ok": True}
    assert typeset(data, "nl") == data
    assert typeset("Wat nu ?", "nl") == "Wat nu ?"
