"""Read a media file's duration with ffprobe (installed with ffmpeg)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path


def duration_seconds(path: Path) -> float:
    """Duration of a video or audio file in seconds; 0.0 when it cannot be read."""
    done = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        return float(json.loads(done.stdout)["format"]["duration"])
    except (ValueError, KeyError, TypeError):
        return 0.0
