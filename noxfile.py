"""Sessions: tests (whole suite), lint, demo (main job), bench."""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["tests"]


def _system(session: nox.Session) -> None:
    session.run("bash", "scripts/install-system-deps.sh", external=True)


@nox.session(python="3.11")
def tests(session: nox.Session) -> None:
    """Install everything (Debian packages, Python packages) and run the whole suite."""
    _system(session)
    session.run("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error", external=True)
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
    _system(session)
    session.install("-e", ".")
    session.run("course", "check")
    session.run("course", "media")
    session.run("course", "build")
    # serve the LRS on the embedded SQLite default, with the built cmi5 packages at /preview/
    session.run("lrs", "serve", env={"GSOG_LRS_PREVIEW_DIR": "exports"})


@nox.session(python="3.11")
def bench(session: nox.Session) -> None:
    """Benchmarks, each printed as a ratio against a baseline measured in the same run."""
    _system(session)
    session.install("-e", ".")
    session.run("python", "benchmarks/bench_check.py")
    session.run("python", "benchmarks/bench_build.py")
    # LRS: 1,000,000 stored statements on SQLite and PostgreSQL (skipped when not installed);
    # `python benchmarks/bench_lrs.py --statements 2000` is the quick smoke run.
    session.run("python", "benchmarks/bench_lrs.py", "--statements", "1000000")
