"""The external programs media work needs (ffmpeg, espeak-ng), and how they are run.

Kept apart from the renderer so draft rendering and posters can share them
without importing each other.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

TOOLS = ("ffmpeg", "espeak-ng")


class MediaToolMissing(RuntimeError):
    """ffmpeg or espeak-ng is not installed."""


def require_tools() -> None:
    """Fail with an install hint when a rendering tool is missing."""
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        raise MediaToolMissing(
            f"{', '.join(missing)} not found; install with: apt-get install -y ffmpeg espeak-ng fonts-dejavu-core"
        )


def run_tool(args: list[str], cwd: Path | None = None) -> None:
    """Run a tool; a failure raises with the end of its error output (what went wrong)."""
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{args[0]} failed ({done.returncode}): {done.stderr.strip()[-800:]}")
