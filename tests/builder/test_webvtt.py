"""The WebVTT checker finds each malformation at its line; the writer's output passes it."""

from __future__ import annotations

import pytest

from builder.media.webvtt import Cue, check_webvtt, timestamp, write_webvtt

GOOD = (
    "WEBVTT - draft\n\nNOTE made by hand\n\n1\n00:00.500 --> 00:02.000 line:90%\n<v Agent>Hallo.\n\n"
    "00:00:02.500 --> 00:00:04.000\nTwee\nregels\n"
)


def test_valid_file_has_no_problems() -> None:
    assert check_webvtt(GOOD) == []
    assert check_webvtt("\ufeff" + GOOD.replace("\n", "\r\n")) == []


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("WEBVT\n\n00:01.000 --> 00:02.000\nx\n", 1, "first line"),
        ("WEBVTT\n\n00:01.000 -> 00:02.000\nx\n", 3, "is not a cue"),
        ("WEBVTT\n\n1\n00:01,000 --> 00:02.000\nx\n", 4, "timing must read"),
        ("WEBVTT\n\n1\n00:61.000 --> 00:62.000\nx\n", 4, "timing must read"),
        ("WEBVTT\n\n00:03.000 --> 00:02.000\nx\n", 3, "end after it starts"),
        ("WEBVTT\n\n00:03.000 --> 00:04.000\nx\n\n00:01.000 --> 00:02.000\ny\n", 6, "before the previous cue"),
        ("WEBVTT\n\n00:01.000 --> 00:02.000\nx\n00:02.000 --> 00:03.000\n", 5, "must not contain '-->'"),
        ("WEBVTT\n", 1, "no cues"),
        ("WEBVTT\n00:01.000 --> 00:02.000\nx\n", 2, "blank line"),
    ],
)
def test_each_malformation_is_found_at_its_line(text: str, line: int, words: str) -> None:
    problems = check_webvtt(text)
    assert any(at == line and words in message for at, message in problems), problems


def test_writer_output_is_valid_and_timed() -> None:
    cues = [Cue(0.5, 2.25, "Eerste zin."), Cue(2.5, 3661.0, "Tweede\nzin.", voice="Arts")]
    text = write_webvtt(cues)
    assert check_webvtt(text) == []
    assert "00:00:02.250" in text and "01:01:01.000" in text and "<v Arts>Tweede" in text
    assert timestamp(59.9996) == "00:01:00.000"
