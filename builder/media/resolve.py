"""Which video, captions and poster a unit uses in a language: recorded or draft."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from builder.media.draft import draft_paths, render_draft
from builder.media.poster import make_recorded_poster, recorded_poster_path
from builder.media.recorded import recorded_captions, recorded_video
from builder.media.tools import require_tools
from builder.model.catalog import Course
from builder.model.units import VideoUnit


def default_cache(root: Path) -> Path:
    """Draft cache: ``.cache/media`` beside course_src (git-ignored).

    ``course --cache`` (or ``$GSOG_MEDIA_CACHE``, read by the CLI) chooses another folder.
    """
    return root.resolve().parent / ".cache" / "media"


@dataclass(frozen=True)
class UnitMedia:
    """The files a package carries for one unit in one language."""

    unit_id: str
    lang: str
    video: Path
    captions: Path
    poster: Path
    recorded: bool

    def ready(self) -> bool:
        """True when every file is in place (a draft rendered, a recording's poster made)."""
        return self.video.is_file() and self.captions.is_file() and self.poster.is_file()


def video_units(course: Course) -> Iterator[VideoUnit]:
    """Every unit that carries a video: knowledge clips, then cases."""
    yield from course.clips
    yield from course.cases


def media_for(course: Course, unit: VideoUnit, lang: str, cache: Path) -> UnitMedia:
    """A recorded video when one is in place, otherwise the cached draft (paths only: nothing is made here)."""
    video = recorded_video(course.root, unit, lang)
    if video is not None:
        captions = recorded_captions(course.root, unit, lang)
        if captions is None:
            raise FileNotFoundError(f"{unit.id}: recorded video {video} has no captions")
        return UnitMedia(unit.id, lang, video, captions, recorded_poster_path(cache, video), recorded=True)
    draft = draft_paths(cache, unit, lang)
    return UnitMedia(unit.id, lang, draft.video, draft.captions, draft.poster, recorded=False)


@dataclass(frozen=True)
class RenderOutcome:
    """What ``course media`` did for one unit and language."""

    media: UnitMedia
    action: str  # "recorded", "cached" or "rendered"


def render_missing(
    course: Course,
    languages: list[str],
    cache: Path,
    jobs: int = 2,
    on_done: Callable[[RenderOutcome], None] | None = None,
    units: Iterable[VideoUnit] | None = None,
) -> list[RenderOutcome]:
    """Render every draft that is not cached yet, and recordings' posters, ``jobs`` at a time.

    ``units`` narrows the work to those units (default: every clip and case),
    so ``course media`` can render the valid ones while others still have errors.
    """
    chosen = list(video_units(course) if units is None else units)
    tasks: list[tuple[VideoUnit, str]] = [(u, lang) for u in chosen for lang in languages]
    if not all(media_for(course, u, lang, cache).ready() for u, lang in tasks):
        require_tools()

    def work(task: tuple[VideoUnit, str]) -> RenderOutcome:
        unit, lang = task
        media = media_for(course, unit, lang, cache)
        if media.recorded:
            make_recorded_poster(cache, media.video)
            outcome = RenderOutcome(media, "recorded")
        elif media.ready():
            outcome = RenderOutcome(media, "cached")
        else:
            render_draft(unit, lang, cache)
            outcome = RenderOutcome(media, "rendered")
        if on_done is not None:
            on_done(outcome)
        return outcome

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(work, tasks))
