"""The ``course`` command: check, schema, sources, media, build and validate a course.

Every command takes the course folder the same way (an optional ``SRC``
argument, default ``course_src``, or ``$GSOG_COURSE_SRC``), and every option
shared by several commands is declared once below with its environment
variable, so ``--help`` names it and this module is the one place the
builder reads the environment.

Errors an author or operator can fix are :class:`click.ClickException`
(exit 1; exit 2 for a wrong command line). Anything else is a bug: the
group's guard prints one line instead of a traceback and exits with
:data:`INTERNAL_ERROR`; ``course --debug ...`` shows the traceback.
"""

from __future__ import annotations

import datetime as dt
import json
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from builder.dual_tracking import ENV_LRS_KEY
from builder.formats import FORMAT_IDS
from builder.model.catalog import FILE_KINDS

if TYPE_CHECKING:
    from builder.build import BuildReport
    from builder.source.courses import CourseFolder
    from builder.source.problems import Problem

F = TypeVar("F", bound=Callable[..., Any])

INTERNAL_ERROR = 70
"""Exit code of an internal error (``EX_SOFTWARE`` of sysexits.h): not 1 (problems found) nor 2 (usage)."""

DEFAULT_SRC = Path("course_src")

# Environment variables, one per shared option (the CLI is the only reader).
ENV_SRC = "GSOG_COURSE_SRC"
ENV_SEEDS = "GSOG_SEEDS"
ENV_SCHEMAS = "GSOG_SCHEMAS"
ENV_CACHE = "GSOG_MEDIA_CACHE"
ENV_OUT = "GSOG_EXPORTS"
ENV_COURSE = "GSOG_COURSE"

PATH = click.Path(path_type=Path)


def _languages(lang: str) -> list[str] | None:
    return None if lang == "all" else [lang]


def _dump(data: object) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def _courses(src: Path, selected: tuple[str, ...]) -> tuple[list[CourseFolder], list[Problem]]:
    """The courses a command works on (all in ``src``, or those ``--course`` names) and the layout's errors.

    Layout problems (a folder not named after its course id, an id or a
    base_iri used twice) are printed as ``file:line`` errors; those courses
    are left out and the command ends with exit code 1 after doing the others.
    """
    from builder.source.courses import find_courses

    found = find_courses(src)
    for problem in [*found.problems.errors, *found.problems.warnings]:
        click.echo(problem.format(), err=True)
    unknown = [c for c in selected if c not in found.ids]
    if unknown and found.courses:
        raise click.BadParameter(
            f"{', '.join(repr(c) for c in unknown)} not in {src}; its courses are {', '.join(found.ids)}",
            param_hint="'--course'",
        )
    if not found.courses:
        raise click.ClickException(f"no course to work on in {src}; fix the errors above first")
    chosen = [c for c in found.courses if not selected or c.id in selected]
    return chosen, found.problems.errors


# --- shared options, declared once ---------------------------------------------------------------


def src_argument(f: F) -> F:
    """``[SRC]``: the course folder (default ``course_src``, or ``$GSOG_COURSE_SRC``)."""
    return click.argument("src", type=PATH, default=DEFAULT_SRC, envvar=ENV_SRC)(f)


course_option = click.option(
    "--course",
    "course_ids",
    multiple=True,
    envvar=ENV_COURSE,
    show_envvar=True,
    help="Work on this course only (its id; repeat for several). Default: every course in SRC.",
)


def lang_option(help_text: str) -> Callable[[F], F]:
    """``--lang``: one of the course languages (a BCP 47 tag course.yaml declares), or ``all``.

    Not a fixed choice: each course declares its own languages, and one it
    does not declare is refused by the check with the list it does.
    """
    return click.option("--lang", metavar="TAG", default="all", show_default=True, help=help_text)


json_option = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON on stdout.")
seeds_option = click.option(
    "--seeds",
    type=PATH,
    default=None,
    envvar=ENV_SEEDS,
    show_envvar=True,
    help="Seed documents for source notes (default ../shared/seeds).",
)
schemas_option = click.option(
    "--schemas",
    type=PATH,
    default=None,
    envvar=ENV_SCHEMAS,
    show_envvar=True,
    help="Folder of official XSDs for validation.",
)
cache_option = click.option(
    "--cache",
    type=PATH,
    default=None,
    envvar=ENV_CACHE,
    show_envvar=True,
    help="Draft media cache (default .cache/media beside the course folder).",
)


# --- the group and its guard ---------------------------------------------------------------------


class CourseGroup(click.Group):
    """A group whose commands never end in a traceback.

    A user error is already a :class:`click.ClickException`; any other
    exception is a bug, reported as one line with a hint, exit code
    :data:`INTERNAL_ERROR`. ``--debug`` lets it through.
    """

    def invoke(self, ctx: click.Context) -> Any:
        """Run the subcommand behind the guard."""
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:  # noqa: BLE001 - the one guard: users never see a traceback
            if ctx.params.get("debug"):
                raise
            name = ctx.invoked_subcommand or "course"
            detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
            click.echo(
                f"course {name}: internal error ({detail}); please report it "
                f"(run 'course --debug {name} ...' for the traceback)",
                err=True,
            )
            ctx.exit(INTERNAL_ERROR)


@click.group(cls=CourseGroup)
@click.version_option(package_name="gsog-course")
@click.option("--debug", is_flag=True, help="Show the traceback of an internal error.")
def main(debug: bool) -> None:
    """Check, build and validate e-learning courses written as plain files."""


# --- commands ------------------------------------------------------------------------------------


@main.command()
@src_argument
@course_option
@lang_option("Language to check translations for.")
@json_option
@click.option("--strict", is_flag=True, help="Treat warnings (e.g. stale referral entries) as errors.")
@seeds_option
def check(src: Path, course_ids: tuple[str, ...], lang: str, as_json: bool, strict: bool, seeds: Path | None) -> None:
    """Validate every course in SRC (or those --course names); exit 1 when any has errors.

    ``--json`` prints ``{"ok": ..., "errors": [...], "courses": [summary, ...]}``:
    ``errors`` are the folder layout's (a folder not named after its course),
    and each summary names its ``course``.
    """
    from builder.checker import check_course, default_seeds

    courses, layout_errors = _courses(src, course_ids)
    failed = bool(layout_errors)
    summaries = []
    for course in courses:
        # defaults are placed beside SRC, not beside each course's subfolder
        report = check_course(course.root, _languages(lang), seeds or default_seeds(src))
        failed = failed or not report.ok or bool(strict and report.problems.warnings)
        s = {"course": course.id, **report.summary()}
        summaries.append(s)
        if as_json:
            continue
        for problem in [*report.problems.errors, *report.problems.warnings]:
            click.echo(problem.format(), err=True)
        click.echo(
            f"{course.id}: {len(s['errors'])} errors, {len(s['warnings'])} warnings; "
            f"languages {', '.join(s['languages'])}; "
            f"{s['learning_goals']} learning goals, {s['knowledge_clips']} clips, {len(s['cases'])} cases, "
            f"{s['reflections']} reflections, {s['assessment_items']} items, {s['glossary_terms']} glossary terms, "
            f"{s['referral_entries']} referral entries ({s['stale_referral_entries']} stale)"
        )
    if as_json:
        _dump({"ok": not failed, "errors": [p.as_dict() for p in layout_errors], "courses": summaries})
    if failed:
        raise click.exceptions.Exit(1)


@main.command()
@src_argument
@course_option
@seeds_option
@click.option(
    "--today",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Count ages up to this date (YYYY-MM-DD) instead of today.",
)
@json_option
def sources(
    src: Path, course_ids: tuple[str, ...], seeds: Path | None, today: dt.datetime | None, as_json: bool
) -> None:
    """List per unit the sources it rests on and their age, oldest first: the yearly review's start.

    Every course in SRC (or those --course names) in turn; ``--json`` gives
    each unit its ``course``. Problems that ``course check`` finds are printed
    too, and make the exit code 1.
    """
    from builder.checker import check_course, default_seeds
    from builder.model.sources import SourcesFile
    from builder.source.review import review_sources

    day = today.date() if today is not None else dt.date.today()
    courses, layout_errors = _courses(src, course_ids)
    ok = not layout_errors
    listed: list[dict[str, Any]] = []
    for course in courses:
        # the check's own today: --today moves the review only
        report = check_course(course.root, None, seeds or default_seeds(src))
        for problem in report.problems.errors:
            click.echo(problem.format(), err=True)
        ok = ok and report.ok
        if not any(isinstance(f.model, SourcesFile) for f in report.files):
            click.echo(f"{course.id}: no valid sources.yaml: fix the errors above first (course check)", err=True)
            ok = False
            continue
        units = review_sources(course.root, report.files, day)
        listed += [{"course": course.id, **u.as_dict()} for u in units]
        if as_json:
            continue
        for unit in units:
            click.echo(f"{course.id}: {unit.unit or unit.file} ({unit.file})")
            for s in unit.sources:
                click.echo(f"  {s.age_days / 365.25:4.1f} y  {s.date:<10}  {s.id}: {s.title}  [{', '.join(s.notes)}]")
        cited = len({s.id for u in units for s in u.sources})
        click.echo(f"{course.id}: {len(units)} files cite {cited} sources (ages at {day})")
    if as_json:
        _dump({"today": day.isoformat(), "units": listed})
    if not ok:
        raise click.exceptions.Exit(1)


@main.command()
@click.argument("kind", required=False, type=click.Choice([k.name for k in FILE_KINDS]))
@click.option(
    "--out",
    type=PATH,
    default=None,
    help="Write one <kind>.schema.json per file kind into this folder.",
)
def schema(kind: str | None, out: Path | None) -> None:
    """Print the JSON Schema of the authoring files (all, or one KIND); the output is always JSON."""
    from builder.schema import bundle, schema_for, write_schemas

    if out is not None:
        _dump({"yaml.schemas": write_schemas(out)})
        return
    if kind is not None:
        chosen = next(k for k in FILE_KINDS if k.name == kind)
        _dump(schema_for(chosen))
        return
    _dump(bundle())


@main.command()
@src_argument
@course_option
@lang_option("Language to render.")
@cache_option
@seeds_option
@click.option("--jobs", type=click.IntRange(1, 16), default=2, show_default=True, help="Renders at a time.")
@json_option
def media(
    src: Path, course_ids: tuple[str, ...], lang: str, cache: Path | None, seeds: Path | None, jobs: int, as_json: bool
) -> None:
    """Render a draft video, captions and poster for every clip and case lacking a recording.

    Every course in SRC (or those --course names) in turn, into one cache
    (drafts are keyed by their script, so courses never overwrite each
    other's). A recording gets its poster (a frame of it) here too, so
    ``course build`` finds every media file in place.
    """
    from rich.console import Console
    from rich.progress import Progress

    from builder.checker import check_course, default_seeds
    from builder.media.probe import duration_seconds
    from builder.media.resolve import RenderOutcome, default_cache, render_missing
    from builder.media.tools import MediaToolMissing

    courses, layout_errors = _courses(src, course_ids)
    target = cache or default_cache(src)
    outcomes: list[tuple[str, RenderOutcome]] = []
    skipped: list[tuple[str, str]] = []
    unchecked: list[str] = []
    with Progress(transient=True, console=Console(stderr=True)) as progress:
        task = progress.add_task("rendering drafts", total=0)

        def advance(_: RenderOutcome) -> None:
            progress.advance(task)

        for folder in courses:
            report = check_course(folder.root, _languages(lang), seeds or default_seeds(src))
            for problem in report.problems.errors:
                click.echo(problem.format(), err=True)
            if report.course is None:
                unchecked.append(folder.id)
                continue
            course = report.course
            # render every unit whose own file is valid; errors elsewhere are reported, not blocking
            ready = report.media_ready()
            skipped += [(folder.id, u.id) for u in [*course.clips, *course.cases] if u not in ready]
            total = (progress.tasks[0].total or 0) + len(ready) * len(report.languages)
            progress.update(task, description=f"{folder.id}: rendering drafts", total=total)
            try:
                done = render_missing(course, report.languages, target, jobs, advance, ready)
            except MediaToolMissing as exc:
                raise click.ClickException(str(exc)) from exc
            outcomes += [(folder.id, o) for o in done]
    seconds = sum(duration_seconds(o.media.video) for _, o in outcomes)
    size = sum(o.media.video.stat().st_size for _, o in outcomes)
    counts = {a: sum(1 for _, o in outcomes if o.action == a) for a in ("rendered", "cached", "recorded")}
    if as_json:
        _dump(
            {
                "cache": str(target),
                "videos": len(outcomes),
                **counts,
                "seconds": round(seconds, 3),
                "bytes": size,
                "outcomes": [
                    {
                        "course": course_id,
                        "unit": o.media.unit_id,
                        "lang": o.media.lang,
                        "action": o.action,
                        "video": str(o.media.video),
                    }
                    for course_id, o in outcomes
                ],
                "skipped": [{"course": course_id, "unit": unit} for course_id, unit in skipped],
            }
        )
    else:
        per_minute = size / (seconds / 60) / 1e6 if seconds else 0.0
        click.echo(
            f"{len(outcomes)} videos ({counts['rendered']} rendered, {counts['cached']} cached, "
            f"{counts['recorded']} recorded): {seconds / 60:.1f} min, {size / 1e6:.1f} MB "
            f"({per_minute:.2f} MB per minute) in {target}"
        )
    if unchecked:
        raise click.ClickException(f"nothing rendered for {', '.join(unchecked)}: fix the errors above first")
    if skipped:
        names = ", ".join(f"{course_id}/{unit}" for course_id, unit in skipped)
        raise click.ClickException(f"not rendered, fix their errors above first: {names}")
    if layout_errors:
        raise click.exceptions.Exit(1)


@main.command()
@src_argument
@course_option
@click.option(
    "--src",
    "src_option",
    type=PATH,
    default=None,
    hidden=True,
    help="Deprecated spelling of SRC.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice([*FORMAT_IDS, "all"]),
    default="all",
    show_default=True,
    help="Package format.",
)
@lang_option("Language.")
@click.option(
    "--sector",
    metavar="ID",
    default="all",
    show_default=True,
    help="Sector whose case is the main case: one of the course's sectors, or all.",
)
@click.option(
    "--out",
    type=PATH,
    default=Path("exports"),
    envvar=ENV_OUT,
    show_envvar=True,
    show_default=True,
    help="Folder for the zips.",
)
@cache_option
@seeds_option
@schemas_option
@click.option("--multi-sco", is_flag=True, help="SCORM 2004: one SCO per module instead of one for the course.")
@click.option(
    "--lrs",
    "lrs_url",
    default=None,
    metavar="URL",
    help="Dual tracking: SCORM packages also send xAPI statements (pseudonymous) to this xAPI endpoint.",
)
@click.option(
    "--lrs-key",
    default=None,
    metavar="KEY:SECRET",
    envvar=ENV_LRS_KEY,
    show_envvar=True,
    help="Dual tracking: the organisation's write-only LRS client (lrs client add ... --organisation ID).",
)
@click.option("--organisation", default=None, metavar="ID", help="Dual tracking: the organisation's id.")
@json_option
def build(
    src: Path,
    course_ids: tuple[str, ...],
    src_option: Path | None,
    fmt: str,
    lang: str,
    sector: str,
    out: Path,
    cache: Path | None,
    seeds: Path | None,
    schemas: Path | None,
    multi_sco: bool,
    lrs_url: str | None,
    lrs_key: str | None,
    organisation: str | None,
    as_json: bool,
) -> None:
    """Build one zip per course x format x language x sector into exports/, validating each.

    Every course in SRC (or those --course names) in turn; a course that
    cannot be built is reported and the others are still built (exit 1).
    """
    from rich.console import Console
    from rich.progress import Progress

    from builder.build import BuildError, BuildReport, BuiltPackage, build_packages
    from builder.checker import default_seeds
    from builder.dual_tracking import DualTrackingError, dual_tracking_options
    from builder.media.resolve import default_cache
    from builder.validate.package import validate_package
    from builder.writers.base import WriterOptions

    try:
        dual = dual_tracking_options(lrs_url, lrs_key, organisation, None if fmt == "all" else [fmt])
    except DualTrackingError as exc:
        raise click.UsageError(str(exc)) from exc
    if src_option is not None:
        click.echo("course build: --src is deprecated; give the course folder as an argument", err=True)
        src = src_option
    courses, layout_errors = _courses(src, course_ids)
    ok = not layout_errors

    def check_zip(path: Path) -> list[str]:
        return [p.format() for p in validate_package(path, schemas)]

    with Progress(transient=True, console=Console(stderr=True)) as progress:
        task = progress.add_task("building packages", total=None)

        def advance(built: BuiltPackage) -> None:
            progress.update(task, description=built.path.name)
            progress.advance(task)

        report = BuildReport()
        for course in courses:
            try:
                # defaults are placed beside SRC, not beside each course's subfolder
                done = build_packages(
                    course.root,
                    out,
                    None if fmt == "all" else [fmt],
                    _languages(lang),
                    None if sector == "all" else [sector],
                    cache or default_cache(src),
                    WriterOptions(multi_sco=multi_sco, dual_tracking=dual),
                    check_zip,
                    advance,
                    seeds=seeds or default_seeds(src),
                )
            except BuildError as exc:
                click.echo(f"{course.id}: {exc}", err=True)
                ok = False
                continue
            report.packages += done.packages
            report.warnings += done.warnings
            report.seconds += done.seconds
    for warning in report.warnings:
        click.echo(warning, err=True)
    total = sum(p.size for p in report.packages)
    if as_json:
        _dump(
            {
                "out": str(out),
                "built": len(report.rebuilt),
                "unchanged": len(report.packages) - len(report.rebuilt),
                "bytes": total,
                "seconds": round(report.seconds, 3),
                "warnings": report.warnings,
                "packages": [
                    {
                        "package": p.path.name,
                        "course": p.course,
                        "format": p.format,
                        "lang": p.lang,
                        "sector": p.sector,
                        "bytes": p.size,
                        "media_bytes": p.media_bytes,
                        "rebuilt": p.rebuilt,
                    }
                    for p in report.packages
                ],
            }
        )
    else:
        _print_build_table(report, out)
    if not ok:
        raise click.exceptions.Exit(1)


def _print_build_table(report: BuildReport, out: Path) -> None:
    """The build's result as a table, one row per package, the course first."""
    from rich.console import Console
    from rich.table import Table

    total = sum(p.size for p in report.packages)
    table = Table(title=f"{len(report.packages)} packages in {out}")
    for column in ("course", "package", "size", "media", "status", "time"):
        table.add_column(column, justify="left" if column in ("course", "package", "status") else "right")
    for p in report.packages:
        table.add_row(
            p.course,
            p.path.name,
            f"{p.size / 1e6:.1f} MB",
            f"{p.media_bytes / 1e6:.1f} MB",
            "built + valid" if p.rebuilt else "unchanged",
            f"{p.seconds:.2f} s",
        )
    console = Console(width=110)
    console.print(table)
    console.print(
        f"{len(report.rebuilt)} built, {len(report.packages) - len(report.rebuilt)} unchanged; "
        f"{total / 1e6:.1f} MB in all; {report.seconds:.2f} s"
    )


@main.command()
@click.argument("packages", nargs=-1, required=True, type=PATH)
@schemas_option
@json_option
def validate(packages: tuple[Path, ...], schemas: Path | None, as_json: bool) -> None:
    """Validate SCORM 1.2, SCORM 2004, cmi5 or xAPI package zips; exit 1 unless all are valid.

    Nothing is extracted: the zips are checked in place, so hostile ones are safe to pass.
    """
    from builder.validate import check_package

    reports = [check_package(package, schemas) for package in packages]
    if as_json:
        _dump([r.as_dict() for r in reports])
    else:
        for report in reports:
            for problem in report.problems:
                click.echo(problem.format(), err=True)
            click.echo(report.summary())
    if not all(r.valid for r in reports):
        raise click.exceptions.Exit(1)


if __name__ == "__main__":
    main()
