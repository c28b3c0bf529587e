"""Draft videos: playable, captioned, deterministic, small; recordings take precedence."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from builder.checker import check_course
from builder.cli import main
from builder.media.draft import render_draft
from builder.media.poster import make_recorded_poster
from builder.media.probe import duration_seconds
from builder.media.resolve import media_for, render_missing
from builder.media.webvtt import check_webvtt
from builder.model.units import KnowledgeClip
from builder.variants import PackageFile, Variant, compile_variant
from tests.builder.images import distance, gray, shown_at, size, streams
from tests.conftest import COURSE_SRC

pytestmark = pytest.mark.media

CLIP = KnowledgeClip.model_validate(
    {
        "id": "clip-test",
        "title": {"nl": "Toestemming", "fr": "Consentement"},
        "summary": {"nl": "Kort.", "fr": "Bref."},
        "goals": ["LG-K4"],
        "sources": ["001:1922-1926"],
        "script": [
            {
                "title": {"nl": "Zwijgen is geen ja", "fr": "Le silence n'est pas un oui"},
                "on_screen": {"nl": "Geen verzet is geen toestemming", "fr": "Pas de résistance, pas de consentement"},
                "narration": {
                    "nl": "Toestemming volgt niet uit het uitblijven van verzet. Ze kan altijd worden ingetrokken.",
                    "fr": "Le consentement ne se déduit pas de l'absence de résistance. Il peut toujours être retiré.",
                },
            },
            {
                "title": {"nl": "Vragen", "fr": "Questions"},
                "speaker": {"nl": "Arts", "fr": "Médecin"},
                "narration": {"nl": "Vraag rustig wat er gebeurd is.", "fr": "Demandez calmement ce qui s'est passé."},
            },
        ],
    }
)


def test_draft_is_deterministic_playable_and_captioned(tmp_path: Path) -> None:
    first = render_draft(CLIP, "nl", tmp_path / "a")
    second = render_draft(CLIP, "nl", tmp_path / "b")
    assert first.video.read_bytes() == second.video.read_bytes()
    assert first.captions.read_bytes() == second.captions.read_bytes()
    assert {s["codec_name"] for s in streams(first.video, "codec_name")} == {"h264", "aac"}
    captions = first.captions.read_text(encoding="utf-8")
    assert check_webvtt(captions) == []
    assert "<v Arts>Vraag rustig" in captions
    seconds = duration_seconds(first.video)
    last_end = captions.strip().split("\n\n")[-1].splitlines()[1].split(" --> ")[1]
    h, m, s = last_end.split(":")
    assert 0 < int(h) * 3600 + int(m) * 60 + float(s) <= seconds
    assert first.video.stat().st_size / (seconds / 60) < 1_000_000


def test_draft_is_cached_by_content(tmp_path: Path) -> None:
    first = render_draft(CLIP, "fr", tmp_path)
    stamp = first.video.stat().st_mtime_ns
    assert render_draft(CLIP, "fr", tmp_path).video.stat().st_mtime_ns == stamp
    changed = CLIP.model_copy(update={"title": {"nl": "Toestemming", "fr": "Le consentement"}})
    assert render_draft(changed, "fr", tmp_path).video != first.video
    assert render_draft(CLIP, "nl", tmp_path).video != first.video


def test_recorded_video_replaces_the_draft(course_copy: Path, tmp_path: Path) -> None:
    report = check_course(course_copy)
    assert report.course is not None
    clip = next(c for c in report.course.clips if c.id == "clip-consent")
    assert media_for(report.course, clip, "nl", tmp_path).recorded is False
    media = course_copy / "media"
    media.mkdir(exist_ok=True)
    draft = render_draft(CLIP, "nl", tmp_path)
    shutil.copy(draft.video, media / "clip-consent.nl.mp4")
    shutil.copy(draft.captions, media / "clip-consent.nl.vtt")
    used = media_for(report.course, clip, "nl", tmp_path)
    assert used.recorded and used.video == media / "clip-consent.nl.mp4"
    assert check_course(course_copy).ok


def test_course_media_gives_every_clip_and_case_a_video(media_cache: Path) -> None:
    result = CliRunner().invoke(main, ["media", str(COURSE_SRC), "--cache", str(media_cache)])
    assert result.exit_code == 0, result.output
    report = check_course(COURSE_SRC)
    assert report.course is not None
    units = [*report.course.clips, *report.course.cases]
    for unit in units:
        for lang in ("nl", "fr"):
            media = media_for(report.course, unit, lang, media_cache)
            assert media.video.is_file() and media.captions.is_file() and media.poster.is_file(), (unit.id, lang)
            assert {s["codec_name"] for s in streams(media.video, "codec_name")} == {"h264", "aac"}
            assert check_webvtt(media.captions.read_text(encoding="utf-8")) == []
    # the session fixture rendered them all, so this run only finds them in the cache
    assert f"{len(units) * 2} videos (0 rendered, {len(units) * 2} cached" in result.output


def test_a_recorded_video_gets_its_frame_at_one_second_as_poster(
    course_copy: Path, media_cache: Path, tmp_path: Path
) -> None:
    report = check_course(course_copy)
    assert report.course is not None
    clip = next(c for c in report.course.clips if c.id == "clip-consent")
    draft = render_draft(CLIP, "nl", tmp_path / "drafts")
    recorded = course_copy / "media" / "clip-consent.nl.mp4"
    recorded.parent.mkdir(exist_ok=True)
    shutil.copy(draft.video, recorded)
    shutil.copy(draft.captions, course_copy / "media" / "clip-consent.nl.vtt")

    outcomes = render_missing(report.course, ["nl"], media_cache)  # what `course media` does
    assert {(o.media.unit_id, o.action) for o in outcomes if o.media.recorded} == {("clip-consent", "recorded")}
    media = media_for(report.course, clip, "nl", media_cache)
    assert media.recorded and media.poster.is_file() and media.poster.parent.parent.name == "derived"
    assert media.poster.read_bytes()[:3] == b"\xff\xd8\xff" and size(media.poster) == (960, 540)
    # the frame a browser shows at 1 s (the first slide), not the first frame after it (the second)
    pixels = gray(media.poster, 320, 180)
    at_one = distance(pixels, gray(shown_at(recorded, 1.0, tmp_path), 320, 180))
    at_end = distance(pixels, gray(shown_at(recorded, duration_seconds(recorded) - 0.5, tmp_path), 320, 180))
    assert at_one < at_end / 2, (at_one, at_end)

    # made once per video bytes: again is a cache hit, other bytes another poster
    stamp = media.poster.stat().st_mtime_ns
    assert make_recorded_poster(media_cache, recorded) == media.poster
    assert media.poster.stat().st_mtime_ns == stamp
    shutil.copy(render_draft(CLIP, "fr", tmp_path / "drafts").video, recorded)
    assert media_for(report.course, clip, "nl", media_cache).poster != media.poster

    # packaged beside the video, named by the content document
    shutil.copy(draft.video, recorded)
    compiled = compile_variant(report.course, Variant("nl", "police"), media_cache)
    assert compiled.content["units"]["clip-consent"]["poster"] == "media/clip-consent.jpg"
    assert PackageFile("media/clip-consent.jpg", media.poster) in compiled.media


def test_course_media_renders_the_valid_units_despite_errors_elsewhere(media_cache: Path, course_copy: Path) -> None:
    # two unrelated mistakes: a sector without its case, and one clip that lost a French text
    (course_copy / "cases" / "case-justice.yaml").unlink()
    clip = course_copy / "clips" / "clip-consent.yaml"
    text = clip.read_text(encoding="utf-8")
    start = text.index("\n  fr:", text.index("title:"))
    clip.write_text(text[:start] + text[text.index("\n", start + 1) :], encoding="utf-8")
    result = CliRunner().invoke(main, ["media", str(course_copy), "--cache", str(media_cache), "--json"])
    assert result.exit_code == 1
    assert "no case for sector 'justice'" in result.output and "clip-consent.yaml:" in result.output
    assert "not rendered, fix their errors above first: gsog/clip-consent" in result.output
    summary = json.loads(result.stdout)
    rendered = {o["unit"] for o in summary["outcomes"]}
    assert "clip-consent" not in rendered and summary["skipped"] == [{"course": "gsog", "unit": "clip-consent"}]
    assert {"clip-gbv-and-gender", "case-police", "case-medical"} <= rendered
