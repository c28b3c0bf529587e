"""Sessions: tests (whole suite), lint, demo (main job), fresh (CI's clean-clone check), bench."""

from __future__ import annotations

from pathlib import Path

import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["tests"]


def _system(session: nox.Session) -> None:
    session.run("bash", "scripts/install-system-deps.sh", external=True)


def _npm(session: nox.Session) -> None:
    """The npm packages of package-lock.json: the official SCORM XSDs `course validate` reads, test runtimes."""
    session.run("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error", external=True)


def _demo_install(session: nox.Session) -> None:
    """What `nox -s demo` installs: system packages, the XSDs from npm, the builder and the LRS."""
    _system(session)
    _npm(session)
    session.install("-e", ".")


@nox.session(python="3.11")
def tests(session: nox.Session) -> None:
    """Install everything (Debian packages, Python packages) and run the whole suite."""
    _system(session)
    _npm(session)
    session.install("-e", ".[test]")
    session.run("pytest", *session.posargs)


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    """ruff and mypy --strict on our Python."""
    session.install("-e", ".[lint]")
    session.run("ruff", "check", "builder", "lrs", "tests", "noxfile.py", "benchmarks")
    session.run("mypy")


@nox.session(python="3.11")
def demo(session: nox.Session) -> None:
    """The main job: check the course, render its media, build every package, serve the LRS with a preview."""
    _demo_install(session)
    session.run("course", "check")
    session.run("course", "media")
    session.run("course", "build")
    # the cmi5 packages become the learner portal's courses (a re-run replaces them: same versions)
    session.run("lrs", "course", "import", *sorted(str(p) for p in Path("exports").glob("*-cmi5.zip")))
    # serve the LRS on the embedded SQLite default: learner portal at /portal/, packages also at /preview/
    session.run("lrs", "serve", env={"GSOG_LRS_PREVIEW_DIR": "exports"})


@nox.session(python="3.11")
def fresh(session: nox.Session) -> None:
    """CI on a clean clone with nothing beside it: the demo's install, then one variant built and validated.

    One language x sector x format keeps it to about a minute; SCORM 2004 uses
    the most XSDs. The zip is validated again by `course validate`, as a user would.
    """
    _demo_install(session)
    out = Path(session.create_tmp()) / "exports"
    session.run("course", "build", "--format", "scorm2004", "--lang", "nl", "--sector", "police", "--out", str(out))
    zips = sorted(str(p) for p in out.glob("*.zip"))
    if not zips:
        session.error(f"course build wrote no package into {out}")
    session.run("course", "validate", *zips)


@nox.session(python="3.11")
def bench(session: nox.Session) -> None:
    """Benchmarks, each printed as a ratio against a baseline measured in the same run."""
    _demo_install(session)
    session.run("python", "benchmarks/bench_check.py")
    session.run("python", "benchmarks/bench_build.py")
    # LRS: 1,000,000 stored statements on SQLite and PostgreSQL (skipped when not installed);
    # `python benchmarks/bench_lrs.py --statements 2000` is the quick smoke run.
    session.run("python", "benchmarks/bench_lrs.py", "--statements", "1000000")


@nox.session(python="3.11")
def bench_reports(session: nox.Session) -> None:
    """Every report's latency over 1,000,000 cohort statements (SQLite, PostgreSQL), next to a count(*) baseline."""
    _demo_install(session)
    # `python benchmarks/bench_reports.py --statements 20000` is the quick smoke run.
    session.run("python", "benchmarks/bench_reports.py", "--statements", "1000000", *session.posargs)
