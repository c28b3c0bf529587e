"""Report latency over a million statements, each next to a baseline measured in the same run.

Issue #9 asks every report to answer in under 1 s over 1,000,000 statements.
The statements are the cohort generator's (:mod:`lrs.reports.cohort`, the
same shapes as the real player's, scaled up: ~70 statements per learner, so
a million is ~14,000 learners over two periods), loaded through
``Store.insert_statements`` in big batches: the path that also keeps the
report projection up to date, so what is measured is what a live LRS has.

Baseline: ``SELECT count(*) FROM statements`` on the same database, the
least any question about a million statements costs without an aggregate.
A report whose ratio is small reads its projection, not the statements.

Per backend (SQLite file; PostgreSQL when its binaries exist):

1. load: the cohort via ``Store.insert_statements``, timed (statements/s);
2. settle: ``VACUUM ANALYZE`` / ``PRAGMA optimize`` (bench_lrs.settle);
3. per report: median of ``--repeat`` runs for the 2026 period, for the
   2026 period and one sector, and the 2026-vs-2027 comparison; the
   baseline's median; the ratio; and whether it is under 1 s.

``--statements 20000`` is the quick smoke run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

import sqlalchemy as sa
from bench_lrs import postgres_server, ratio, settle

from lrs.reports import REPORTS, ReportFilter, compare, run_report
from lrs.reports.cohort import stream
from lrs.store.interface import NewStatement
from lrs.store.sql import SqlStore
from lrs.xapi.statements import prepare
from lrs.xapi.versions import V1

AUTHORITY = {"objectType": "Agent", "account": {"homePage": "https://lrs.bench", "name": "cohort-lms"}}
#: Statements per learner of the generator, measured on its default cohort (used to size the cohort).
PER_LEARNER = 69
TARGET_SECONDS = 1.0
Y2026 = ReportFilter(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
Y2027 = ReportFilter(dt.date(2027, 1, 1), dt.date(2027, 12, 31))


def median_seconds(fn: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``repeat`` calls (after one warm-up call)."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def load(store: SqlStore, statements: int, batch: int, seed: int) -> int:
    """The cohort of about ``statements`` statements into ``store``; returns how many were stored."""
    stored_at = dt.datetime.now(dt.UTC)
    pending: list[NewStatement] = []
    total = 0
    started = time.perf_counter()
    for _, found in stream(max(1, statements // PER_LEARNER), seed=seed):
        pending.extend(prepare(s, api=V1, authority=AUTHORITY, stored=stored_at) for s in found)
        while len(pending) >= batch:
            store.insert_statements(pending[:batch], [])
            total += batch
            del pending[:batch]
            if total % (batch * 20) == 0:
                rate = total / (time.perf_counter() - started)
                print(f"  loaded {total:,} statements ({rate:,.0f} st/s)", flush=True)
    if pending:
        store.insert_statements(pending, [])
        total += len(pending)
    return total


def bench_backend(name: str, url: str, args: argparse.Namespace) -> None:
    """Load, settle, then each report's latency next to the baseline, printed as measured."""
    store = SqlStore(url)
    try:
        started = time.perf_counter()
        total = load(store, args.statements, args.batch, args.seed)
        seconds = time.perf_counter() - started
        print(
            f"\n== {name}: {total:,} statements loaded via Store.insert_statements (batches of {args.batch}, "
            f"projection kept by the same path) in {seconds:.0f} s ({total / seconds:,.0f} st/s)"
        )
        settle(url, vacuum=True)
        engine = store.engine

        def baseline() -> None:
            with engine.connect() as conn:
                conn.execute(sa.text("SELECT count(*) FROM statements")).scalar_one()

        base = median_seconds(baseline, args.repeat)
        print(f"baseline SELECT count(*) FROM statements: {base * 1000:.1f} ms (median of {args.repeat})")
        police = ReportFilter(Y2026.start, Y2026.end, sector="police")
        slow = []
        print(f"{'report':<16} {'query':<22} {'median ms':>10} {'ratio':>9}  < 1 s")
        for report in REPORTS:
            cases: list[tuple[str, Callable[[], object]]] = [
                ("2026", partial(run_report, store, report, Y2026)),
                ("2026, sector=police", partial(run_report, store, report, police)),
                ("2026 vs 2027", partial(compare, store, report, Y2026, Y2027)),
            ]
            for label, fn in cases:
                took = median_seconds(fn, args.repeat)
                ok = took < TARGET_SECONDS
                if not ok:
                    slow.append(f"{report} ({label})")
                print(f"{report:<16} {label:<22} {took * 1000:>10.1f} {ratio(took, base):>9}  {'yes' if ok else 'NO'}")
        print(
            f"{name}: every report under {TARGET_SECONDS:.0f} s" if not slow else f"{name}: over 1 s: {', '.join(slow)}"
        )
    finally:
        store.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--statements", type=int, default=1_000_000, help="about this many statements (the cohort)")
    parser.add_argument("--backends", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--batch", type=int, default=5000, help="statements per Store.insert_statements call")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per figure (the median is printed)")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    with tempfile.TemporaryDirectory(prefix="bench-reports-") as tmp:
        workdir = Path(tmp)
        os.chmod(workdir, 0o755)
        if "sqlite" in backends:
            bench_backend("sqlite", f"sqlite:///{workdir / 'lrs.sqlite3'}", args)
        if "postgresql" in backends:
            pgdir = workdir / "pg"
            pgdir.mkdir()
            with postgres_server(pgdir) as pg_url:
                if pg_url is None:
                    print("\n== postgresql: skipped (no PostgreSQL binaries under /usr/lib/postgresql)")
                else:
                    bench_backend("postgresql", pg_url, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
