"""The ``course`` command: check, schema, media (and build, in later stages)."""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path

import click

from builder.model.base import LANGUAGE_CODES, SECTORS
from builder.model.catalog import FILE_KINDS

DEFAULT_SRC = Path("course_src")
LANG_CHOICE = click.Choice([*LANGUAGE_CODES, "all"])


def _languages(lang: str) -> list[str] | None:
    return None if lang == "all" else [lang]


@click.group()
@click.version_option(package_name="gsog-course")
def main() -> None:
    """Build the course "Gendersensitief omgaan met geweld" from plain files."""


@main.command()
@click.argument("directory", type=click.Path(path_type=Path), default=DEFAULT_SRC)
@click.option("--lang", type=LANG_CHOICE, default="all", help="Language to check translations for.")
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary.")
@click.option("--strict", is_flag=True, help="Treat warnings (e.g. stale referral entries) as errors.")
@click.option(
    "--seeds",
    type=click.Path(path_type=Path),
    default=None,
    help="Seed documents for source notes (default ../shared/seeds or $GSOG_SEEDS).",
)
def check(directory: Path, lang: str, as_json: bool, strict: bool, seeds: Path | None) -> None:
    """Validate the course source; exit 1 when there are errors."""
    from builder.checker import check_course

    try:
        report = check_course(directory, _languages(lang), seeds)
    except Exception as exc:  # noqa: BLE001 - authors must never see a traceback
        detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
        click.echo(f"{directory}: internal error while checking ({detail}); please report it", err=True)
        sys.exit(1)
    failed = not report.ok or (strict and report.problems.warnings)
    if as_json:
        click.echo(json.dumps(report.summary(), indent=2, ensure_ascii=False))
    else:
        for problem in [*report.problems.errors, *report.problems.warnings]:
            click.echo(problem.format(), err=True)
        s = report.summary()
        click.echo(
            f"{len(s['errors'])} errors, {len(s['warnings'])} warnings; languages {', '.join(s['languages'])}; "
            f"{s['learning_goals']} learning goals, {s['knowledge_clips']} clips, {len(s['cases'])} cases, "
            f"{s['reflections']} reflections, {s['assessment_items']} items, {s['glossary_terms']} glossary terms, "
            f"{s['referral_entries']} referral entries ({s['stale_referral_entries']} stale)"
        )
    sys.exit(1 if failed else 0)


@main.command()
@click.argument("kind", required=False, type=click.Choice([k.name for k in FILE_KINDS]))
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help="Write one <kind>.schema.json per file kind into this folder.",
)
def schema(kind: str | None, out: Path | None) -> None:
    """Print the JSON Schema of the authoring files (all, or one KIND)."""
    from builder.schema import bundle, schema_for, write_schemas

    if out is not None:
        mapping = write_schemas(out)
        click.echo(json.dumps({"yaml.schemas": mapping}, indent=2))
        return
    if kind is not None:
        chosen = next(k for k in FILE_KINDS if k.name == kind)
        click.echo(json.dumps(schema_for(chosen), indent=2, ensure_ascii=False))
        return
    click.echo(json.dumps(bundle(), indent=2, ensure_ascii=False))


@main.command()
@click.argument("directory", type=click.Path(path_type=Path), default=DEFAULT_SRC)
@click.option("--lang", type=LANG_CHOICE, default="all", help="Language to render.")
@click.option(
    "--cache",
    type=click.Path(path_type=Path),
    default=None,
    help="Draft cache (default .cache/media beside course_src, or $GSOG_MEDIA_CACHE).",
)
@click.option("--jobs", type=click.IntRange(1, 16), default=2, show_default=True, help="Renders at a time.")
def media(directory: Path, lang: str, cache: Path | None, jobs: int) -> None:
    """Render a draft video, captions and poster for every clip and case lacking a recording.

    A recording gets its poster (a frame of it) here too, so ``course build``
    finds every media file in place.
    """
    from rich.progress import Progress

    from builder.checker import check_course
    from builder.media.probe import duration_seconds
    from builder.media.resolve import RenderOutcome, default_cache, render_missing
    from builder.media.tools import MediaToolMissing

    report = check_course(directory, _languages(lang))
    if not report.ok or report.course is None:
        for problem in report.problems.errors:
            click.echo(problem.format(), err=True)
        click.echo("fix the errors above first (course check)", err=True)
        sys.exit(1)
    course = report.course
    target = cache or default_cache(directory)
    total = (len(course.clips) + len(course.cases)) * len(report.languages)
    with Progress(transient=True) as progress:
        task = progress.add_task("rendering drafts", total=total)

        def advance(_: RenderOutcome) -> None:
            progress.advance(task)

        try:
            outcomes = render_missing(course, report.languages, target, jobs, advance)
        except MediaToolMissing as exc:
            click.echo(f"course media: {exc}", err=True)
            sys.exit(1)
    seconds = sum(duration_seconds(o.media.video) for o in outcomes)
    size = sum(o.media.video.stat().st_size for o in outcomes)
    counts = {a: sum(1 for o in outcomes if o.action == a) for a in ("rendered", "cached", "recorded")}
    per_minute = size / (seconds / 60) / 1e6 if seconds else 0.0
    click.echo(
        f"{len(outcomes)} videos ({counts['rendered']} rendered, {counts['cached']} cached, "
        f"{counts['recorded']} recorded): {seconds / 60:.1f} min, {size / 1e6:.1f} MB "
        f"({per_minute:.2f} MB per minute) in {target}"
    )


@main.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["scorm12", "scorm2004", "cmi5", "xapi", "all"]),
    default="all",
    show_default=True,
    help="Package format.",
)
@click.option("--lang", type=LANG_CHOICE, default="all", show_default=True, help="Language.")
@click.option(
    "--sector",
    type=click.Choice([*SECTORS, "all"]),
    default="all",
    show_default=True,
    help="Sector whose case is the main case.",
)
@click.option(
    "--out", type=click.Path(path_type=Path), default=Path("exports"), show_default=True, help="Folder for the zips."
)
@click.option(
    "--src", type=click.Path(path_type=Path), default=DEFAULT_SRC, show_default=True, help="Course source folder."
)
@click.option("--cache", type=click.Path(path_type=Path), default=None, help="Draft media cache.")
@click.option("--multi-sco", is_flag=True, help="SCORM 2004: one SCO per module instead of one for the course.")
@click.option(
    "--schemas",
    type=click.Path(path_type=Path),
    default=None,
    help="Official XSDs for validation (default ../shared/schemas or $GSOG_SCHEMAS).",
)
def build(
    fmt: str, lang: str, sector: str, out: Path, src: Path, cache: Path | None, multi_sco: bool, schemas: Path | None
) -> None:
    """Build one zip per format x language x sector into exports/, validating each."""
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    from builder.build import BuildError, BuiltPackage, build_packages
    from builder.validate.package import validate_package
    from builder.writers.base import WriterOptions

    def check_zip(path: Path) -> list[str]:
        return [p.format() for p in validate_package(path, schemas)]

    formats = None if fmt == "all" else [fmt]
    sectors = None if sector == "all" else [sector]
    with Progress(transient=True) as progress:
        task = progress.add_task("building packages", total=None)

        def advance(built: BuiltPackage) -> None:
            progress.update(task, description=built.path.name)
            progress.advance(task)

        try:
            report = build_packages(
                src,
                out,
                formats,
                _languages(lang),
                sectors,
                cache,
                WriterOptions(multi_sco=multi_sco),
                check_zip,
                advance,
            )
        except BuildError as exc:
            click.echo(f"course build: {exc}", err=True)
            sys.exit(1)
    table = Table(title=f"{len(report.packages)} packages in {out}")
    for column in ("package", "size", "media", "status", "time"):
        table.add_column(column, justify="left" if column in ("package", "status") else "right")
    for p in report.packages:
        table.add_row(
            p.path.name,
            f"{p.size / 1e6:.1f} MB",
            f"{p.media_bytes / 1e6:.1f} MB",
            "built + valid" if p.rebuilt else "unchanged",
            f"{p.seconds:.2f} s",
        )
    console = Console(width=110)
    console.print(table)
    total = sum(p.size for p in report.packages)
    console.print(
        f"{len(report.rebuilt)} built, {len(report.packages) - len(report.rebuilt)} unchanged; "
        f"{total / 1e6:.1f} MB in all; {report.seconds:.2f} s"
    )


@main.command()
@click.argument("packages", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--schemas",
    type=click.Path(path_type=Path),
    default=None,
    help="Folder of official XSDs (default ../shared/schemas or $GSOG_SCHEMAS).",
)
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable report.")
def validate(packages: tuple[Path, ...], schemas: Path | None, as_json: bool) -> None:
    """Validate SCORM 1.2, SCORM 2004, cmi5 or xAPI package zips; exit 1 unless all are valid.

    Nothing is extracted: the zips are checked in place, so hostile ones are safe to pass.
    """
    from builder.validate import check_package

    reports = [check_package(package, schemas) for package in packages]
    if as_json:
        click.echo(json.dumps([r.as_dict() for r in reports], indent=2, ensure_ascii=False))
    else:
        for report in reports:
            for problem in report.problems:
                click.echo(problem.format(), err=True)
            click.echo(report.summary())
    sys.exit(0 if all(r.valid for r in reports) else 1)


if __name__ == "__main__":
    main()
