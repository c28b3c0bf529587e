"""Draft slides and their captions: text above the caption area, French typography, the poster.

Pixels are read back from what ffmpeg drew, so the layout's line-height
estimate is checked against the real font, not against itself.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from builder.checker import check_course
from builder.media.draft import (
    ELLIPSIS,
    HEIGHT,
    TEXT_BOTTOM,
    WIDTH,
    render_draft,
    slide_image,
    slide_layout,
)
from builder.media.narration import slide_text
from builder.media.probe import duration_seconds
from builder.media.resolve import video_units
from builder.model.units import KnowledgeClip
from builder.typography import NARROW_NBSP, typeset
from tests.builder.images import distance, gray, lowest_marked_row, shown_at, size
from tests.conftest import COURSE_SRC

#: Without typography, wrapping these at 42 characters starts a caption line with ":" and with "?".
COLON = "Une chose compte vraiment pour cette femme : être crue."
QUESTION = "Que ressent alors la personne devant vous ?"

CLIP = KnowledgeClip.model_validate(
    {
        "id": "clip-slides",
        "title": {"nl": "Signalen", "fr": "Les signaux"},
        "summary": {"nl": "Kort.", "fr": "Bref."},
        "goals": ["LG-K4"],
        "sources": ["001:1922-1926"],
        "script": [
            {
                "title": {"nl": "Eerste dia", "fr": "Première diapositive"},
                "on_screen": {"nl": "Kijk en luister", "fr": "Regarder : écouter"},
                "narration": {"nl": "Kijk goed. Luister rustig.", "fr": f"{COLON} {QUESTION}"},
            },
            {
                "title": {"nl": "Tweede dia, veel langer", "fr": "Deuxième diapositive, bien plus longue"},
                "on_screen": {"nl": "Een\nTwee\nDrie\nVier", "fr": "Un\nDeux\nTrois\nQuatre"},
                "narration": {"nl": "Dat was het.", "fr": "C'est tout."},
            },
        ],
    }
)


# --- layout (no rendering) ---------------------------------------------------------------------


def test_every_slide_of_the_course_fits_above_the_captions_uncut() -> None:
    report = check_course(COURSE_SRC)
    assert report.course is not None
    slides = 0
    for unit in video_units(report.course):
        for lang in report.course.meta.languages:
            for slide in unit.script:
                title, body, speaker = (typeset(t, lang) for t in slide_text(slide, lang))
                boxes = slide_layout(title, body, speaker, "footer")
                assert max(box.bottom for box in boxes) <= TEXT_BOTTOM, (unit.id, lang, title)
                assert not any(box.lines[-1].endswith(ELLIPSIS) for box in boxes), (unit.id, lang, title)
                slides += 1
    assert slides > 100


def test_a_long_body_shrinks_then_is_cut_above_the_captions() -> None:
    short = slide_layout("Titel", "een regel", "", "f")[-1]
    longer = slide_layout("Titel", "\n".join(["een regel"] * 7), "", "f")[-1]
    endless = slide_layout("Titel", "\n".join(["een regel"] * 40), "Spreker", "f")
    assert longer.size < short.size and longer.bottom <= TEXT_BOTTOM
    assert endless[-1].bottom <= TEXT_BOTTOM and endless[-1].lines[-1].endswith(ELLIPSIS)
    assert [box.name for box in endless] == ["footer.txt", "title.txt", "speaker.txt", "body.txt"]


def test_the_footer_is_at_the_top() -> None:
    boxes = {box.name: box for box in slide_layout("Titel", "tekst", "Spreker", "Unit · 1 / 3")}
    assert boxes["footer.txt"].bottom <= boxes["title.txt"].y
    assert boxes["footer.txt"].lines == ("Unit · 1 / 3",)


# --- rendering ---------------------------------------------------------------------------------


@pytest.mark.media
@pytest.mark.parametrize(
    ("title", "body", "speaker"),
    [
        # the densest slide of the course: a two-line title and six lines of on-screen text
        (
            "Qu'est-ce que cela change dans votre pratique\u202f?",
            "Adapter langue et information, recourir à des interprètes formés\n"
            "Interroger ses représentations\u202f: qui voyez-vous comme victime\u202f?\n"
            "Les violences liées à l'honneur demandent une autre approche",
            "",
        ),
        # far more than a slide holds, with descenders and accented capitals on every line
        ("Égalité, équité — gjpqy ÀÉÎ " * 4, "\n".join(["Ça, gjpqy: ÉÀÎ Çà et là"] * 30), "Médecin"),
    ],
)
def test_no_slide_text_is_drawn_in_the_caption_area(tmp_path: Path, title: str, body: str, speaker: str) -> None:
    target = tmp_path / "slide.png"
    slide_image(slide_layout(title, body, speaker, "Unité  ·  6 / 6"), target, tmp_path)
    lowest = lowest_marked_row(target, WIDTH, HEIGHT)
    assert 400 < lowest < TEXT_BOTTOM


@pytest.mark.media
def test_french_captions_are_typeset_before_they_are_wrapped(tmp_path: Path) -> None:
    fr = render_draft(CLIP, "fr", tmp_path).captions.read_text(encoding="utf-8")
    assert f"femme{NARROW_NBSP}:" in fr and f"vous{NARROW_NBSP}?" in fr
    assert not re.search(r"^(?:<v [^>]*>)?[?!:;»]", fr, re.M), fr
    nl = render_draft(CLIP, "nl", tmp_path).captions.read_text(encoding="utf-8")
    assert NARROW_NBSP not in nl


@pytest.mark.media
def test_a_drafts_poster_is_its_first_slide(tmp_path: Path) -> None:
    first = render_draft(CLIP, "fr", tmp_path / "a")
    again = render_draft(CLIP, "fr", tmp_path / "b")
    poster = first.poster.read_bytes()
    assert poster[:3] == b"\xff\xd8\xff" and poster == again.poster.read_bytes()
    assert first.poster.parent == first.video.parent and first.poster.suffix == ".jpg"
    assert size(first.poster) == (960, 540)
    assert len(poster) < 100_000

    shown = {at: shown_at(first.video, at, tmp_path) for at in (1.0, duration_seconds(first.video) - 0.5)}
    poster_pixels = gray(first.poster, 320, 180)
    first_slide, last_slide = (distance(poster_pixels, gray(frame, 320, 180)) for frame in shown.values())
    assert first_slide < last_slide / 2, (first_slide, last_slide)
