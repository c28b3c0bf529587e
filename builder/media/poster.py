"""Posters: the still a ``<video>`` shows until it is played, instead of a black box.

A draft's poster is its first slide, encoded from the still the renderer
draws (sharper than a frame decoded from the H.264 video, and it shows the
unit's title). A recorded video's poster is its frame at ``POSTER_AT``
seconds, past a fade-in from black, made once per video bytes in the media
cache. Both are small JPEGs of one size and quality (ffmpeg's own mjpeg
encoder, built into every ffmpeg), so a package's posters look alike
whatever their source, and the same input gives the same bytes.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from builder.media.derived import derived_path, write_atomically
from builder.media.tools import require_tools, run_tool

POSTER_SUFFIX = ".jpg"
POSTER_WIDTH = 960  # sharp enough for the player's widest video frame (46rem), about 30 kB a slide
POSTER_QUALITY = 4  # ffmpeg -q:v for mjpeg: 2 (best) to 31; slide text stays crisp
POSTER_AT = 1.0  # seconds into a recorded video
#: Bump when the encoding changes, so cached posters (drafts' and recordings') are made again.
POSTER_VERSION = "2"
#: Everything that shapes a poster's encoding, for the cache keys of drafts and recordings.
POSTER_ENCODING = f"{POSTER_VERSION}-{POSTER_WIDTH}-q{POSTER_QUALITY}"

_FFMPEG = ("ffmpeg", "-nostdin", "-loglevel", "error", "-y")


def _jpeg(target: Path, before_scale: str = "") -> list[str]:
    """The output options of every poster: one frame, scaled, as a reproducible JPEG."""
    return [
        *("-frames:v", "1", "-vf", f"{before_scale}scale={POSTER_WIDTH}:-2:flags=bicubic", "-pix_fmt", "yuvj420p"),
        *("-q:v", str(POSTER_QUALITY), "-update", "1", "-f", "image2", "-c:v", "mjpeg"),
        *("-map_metadata", "-1", "-fflags", "+bitexact", "-flags:v", "+bitexact"),
        str(target),
    ]


def still_poster(still: Path, target: Path) -> None:
    """Encode a draft's slide still (PNG) as its poster."""
    run_tool([*_FFMPEG, "-i", str(still), *_jpeg(target)])


def recorded_poster_path(cache: Path, video: Path) -> Path:
    """Where the poster of a recorded video lives in the media cache."""
    return derived_path(cache, f"poster-{POSTER_ENCODING}-at-{POSTER_AT:g}", video, POSTER_SUFFIX)


def _grab_frame(video: Path, target: Path) -> None:
    """Write the frame a browser shows at ``POSTER_AT`` s, or the first of a shorter video.

    Seeking the output of a constant-rate copy (``fps``), not the input: an
    input seek takes the first frame *after* the time, which in a video of
    variable frame rate (a screen recording, or our drafts' one frame per
    slide) can be many seconds later.
    """
    stderr = ""
    for at in (POSTER_AT, 0.0):
        done = subprocess.run(
            [*_FFMPEG, "-i", str(video), "-ss", f"{at:g}", *_jpeg(target, before_scale="fps=10,")],
            capture_output=True,
            text=True,
            check=False,
        )
        stderr = done.stderr.strip()
        if done.returncode == 0 and target.is_file() and target.stat().st_size > 0:
            return
    raise RuntimeError(f"ffmpeg could not take a poster frame from {video}: {stderr[-800:]}")


def make_recorded_poster(cache: Path, video: Path) -> Path:
    """The poster of a recorded video, made into the cache unless it is there."""
    target = recorded_poster_path(cache, video)
    if not target.is_file():
        require_tools()
        write_atomically(target, lambda temp: _grab_frame(video, temp))
    return target
