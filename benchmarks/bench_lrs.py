"""LRS ingest throughput and query latency, each next to a raw-SQL baseline of the same run.

Why these baselines: an LRS must at least write every statement's JSON with
the columns it is searched by, and answer a filter with an indexed SELECT.
So the baseline table holds exactly that (id, stored, agent, verb, activity,
registration, JSON; one index per filter) in the same database file/server,
filled by a plain ``executemany`` with the same batch sizes and one
transaction per batch, and queried by ``WHERE col = ? ORDER BY stored DESC
LIMIT 100``. The ratios then say what validation, HTTP, auth, the store's
extra tables and JSON handling cost on top of the minimum.

Steps for each backend (SQLite file, and PostgreSQL when its binaries exist):

1. setup: ``--statements`` N (default 1,000,000) synthetic statements bulk
   loaded through ``Store.insert_statements`` in batches (not HTTP), timed,
   next to the raw executemany of the same rows;
2. settle: ``VACUUM ANALYZE`` / ``PRAGMA optimize`` and a checkpoint, the
   state of a running LRS (a checkpoint again before the queries);
3. ingest over HTTP into that filled store, served the way production runs it
   (gunicorn, one worker per core): single statement POSTs and batches of
   10/100/1000, statements per second from one client and from ``--clients``
   clients at once;
4. query latency p50/p95 for agent, verb, activity and registration filters,
   over HTTP and through the store directly, next to the raw indexed SELECT.

``--statements 2000`` smoke-tests the whole thing in well under a minute.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from lrs.store.interface import (
    NewStatement,
    StatementIndex,
    StatementQuery,
    Store,
)

VERBS = [f"http://adlnet.gov/expapi/verbs/v{i}" for i in range(20)]
EPOCH = datetime(2025, 1, 1, tzinfo=UTC)
PG_BIN_CANDIDATES = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Shape:
    """How the synthetic population is spread: realistic cardinalities per filter."""

    statements: int

    @property
    def agents(self) -> int:
        return max(10, self.statements // 100)  # ~100 statements per learner

    @property
    def activities(self) -> int:
        return max(10, self.statements // 200)

    @property
    def registrations(self) -> int:
        return max(10, self.statements // 20)  # one attempt ~ 20 statements


def agent_of(i: int) -> dict[str, Any]:
    return {"objectType": "Agent", "account": {"homePage": "https://lms.example", "name": f"learner{i}"}}


def agent_key_of(i: int) -> str:
    return f"account:https://lms.example|learner{i}"


def activity_of(i: int) -> str:
    return f"https://course.example/activities/a{i}"


def registration_of(i: int) -> str:
    return str(uuid.UUID(int=i + 1, version=4))


@dataclass(frozen=True)
class Row:
    """One synthetic statement with the values it is filtered by."""

    id: str
    stored: datetime
    agent: int
    verb: int
    activity: int
    registration: int

    def statement(self) -> dict[str, Any]:
        stamp = self.stored.isoformat().replace("+00:00", "Z")
        return {
            "id": self.id,
            "actor": agent_of(self.agent),
            "verb": {"id": VERBS[self.verb], "display": {"en-US": f"verb {self.verb}"}},
            "object": {
                "objectType": "Activity",
                "id": activity_of(self.activity),
                "definition": {"name": {"en-US": f"activity {self.activity}"}},
            },
            "result": {"completion": True, "score": {"scaled": 0.5}},
            "context": {
                "registration": registration_of(self.registration),
                "contextActivities": {"parent": [{"id": "https://course.example/course"}]},
            },
            "timestamp": stamp,
            "stored": stamp,
            "authority": {"objectType": "Agent", "mbox": "mailto:bench@lrs.example", "name": "bench"},
            "version": "1.0.3",
        }

    def http_statement(self) -> dict[str, Any]:
        """What a client sends: no stored/authority/version (the LRS sets them)."""
        s = self.statement()
        for key in ("stored", "authority", "version"):
            del s[key]
        return s


def rows(shape: Shape, start: int, count: int, seed: int) -> Iterator[Row]:
    """Deterministic rows ``start .. start+count``; each row depends only on (seed, index)."""
    for n in range(start, start + count):
        rng = random.Random(seed * 1_000_003 + n)
        yield Row(
            id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            stored=EPOCH + timedelta(milliseconds=n),
            agent=rng.randrange(shape.agents),
            verb=rng.randrange(len(VERBS)),
            activity=rng.randrange(shape.activities),
            registration=rng.randrange(shape.registrations),
        )


def new_statement(row: Row) -> NewStatement:
    """The store's input for a row, indexed the way ``lrs.xapi`` indexes such a statement."""
    statement = row.statement()
    key = _agent_key(statement["actor"])
    parent = statement["context"]["contextActivities"]["parent"][0]
    index = StatementIndex(
        verb_id=VERBS[row.verb],
        registration=registration_of(row.registration),
        agents=frozenset({(key, "actor"), ("mbox:mailto:bench@lrs.example", "authority")}),
        activities=frozenset({(activity_of(row.activity), "object"), (parent["id"], "context")}),
        references=None,
        voids=None,
        activity_objects=(statement["object"], parent),
        agent_objects=((key, statement["actor"]),),
    )
    comparable = json.dumps(
        {k: v for k, v in statement.items() if k not in ("stored", "authority", "version")},
        sort_keys=True,
        separators=(",", ":"),
    )
    return NewStatement(id=row.id, statement=statement, stored=row.stored, index=index, comparable=comparable)


def _agent_key(agent: dict[str, Any]) -> str:
    try:
        from lrs.xapi.agents import agent_key
    except ImportError:  # the statements part not there yet: the contract's format
        account = agent["account"]
        return f"account:{account['homePage']}|{account['name']}"
    return agent_key(agent)


# --------------------------------------------------------------------------- baseline table

RAW = sa.Table(
    "bench_raw",
    sa.MetaData(),
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("stored", sa.DateTime(timezone=True), nullable=False),
    sa.Column("agent", sa.String(255), nullable=False),
    sa.Column("verb", sa.String(255), nullable=False),
    sa.Column("activity", sa.String(255), nullable=False),
    sa.Column("registration", sa.String(36), nullable=False),
    sa.Column("statement", sa.Text, nullable=False),
    sa.Index("bench_raw_agent", "agent", "stored"),
    sa.Index("bench_raw_verb", "verb", "stored"),
    sa.Index("bench_raw_activity", "activity", "stored"),
    sa.Index("bench_raw_registration", "registration", "stored"),
)


def raw_values(row: Row) -> dict[str, Any]:
    return {
        "id": row.id,
        "stored": row.stored,
        "agent": agent_key_of(row.agent),
        "verb": VERBS[row.verb],
        "activity": activity_of(row.activity),
        "registration": registration_of(row.registration),
        "statement": json.dumps(row.statement()),
    }


def raw_engine(url: str) -> sa.Engine:
    engine = sa.create_engine(url)
    if engine.dialect.name == "sqlite":

        @sa.event.listens_for(engine, "connect")
        def _wal(dbapi_conn: Any, _record: Any) -> None:  # same journal mode as the store
            dbapi_conn.execute("PRAGMA journal_mode=WAL")
            dbapi_conn.execute("PRAGMA synchronous=NORMAL")

    return engine


def fresh_raw_table(engine: sa.Engine) -> None:
    RAW.drop(engine, checkfirst=True)
    RAW.create(engine)


def raw_select(engine: sa.Engine, select: sa.Select[Any]) -> list[Any]:
    """The baseline query: one indexed SELECT, rows decoded from JSON as the LRS must."""
    with engine.connect() as conn:
        return [json.loads(text) for (text,) in conn.execute(select)]


def raw_insert(engine: sa.Engine, batch: Sequence[Row]) -> None:
    with engine.begin() as conn:
        conn.execute(RAW.insert(), [raw_values(r) for r in batch])


# --------------------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Http:
    """One keep-alive HTTP/1.1 connection with fixed headers (stdlib only: the bench needs no extra package)."""

    def __init__(self, endpoint: str, headers: dict[str, str]) -> None:
        """Connect lazily to ``endpoint`` (``http://host:port/prefix``)."""
        url = urllib.parse.urlsplit(endpoint)
        self.host, self.port, self.prefix = url.hostname or "127.0.0.1", url.port or 80, url.path.rstrip("/")
        self.headers = headers
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=300)

    def request(
        self, method: str, path: str, body: Any = None, params: dict[str, Any] | None = None
    ) -> tuple[int, bytes]:
        """Send one request; return (status, body). Reconnects once if the server closed the connection."""
        url = self.prefix + path + ("?" + urllib.parse.urlencode(params) if params else "")
        data = None if body is None else json.dumps(body).encode()
        headers = dict(self.headers)
        if data is not None:
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            try:
                self.conn.request(method, url, body=data, headers=headers)
                resp = self.conn.getresponse()
                return resp.status, resp.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=300)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


@contextmanager
def postgres_server(workdir: Path) -> Iterator[str | None]:
    """A throwaway PostgreSQL cluster owned by the ``postgres`` OS user; None when not installed."""
    if not PG_BIN_CANDIDATES or shutil.which("runuser") is None:
        yield None
        return
    bindir = PG_BIN_CANDIDATES[0]
    data = workdir / "pgdata"
    data.mkdir()
    shutil.chown(workdir, "postgres")
    shutil.chown(data, "postgres")
    port = free_port()

    def as_postgres(*cmd: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *cmd], check=True, capture_output=True)

    as_postgres(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
    as_postgres(
        str(bindir / "pg_ctl"),
        "-D",
        str(data),
        "-l",
        str(workdir / "pg.log"),
        "-w",
        "-o",
        f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c shared_buffers=512MB",
        "start",
    )
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        as_postgres(str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")


def lrs_command(port: int, workers: int) -> list[str]:
    """The production start (gunicorn, README) run by this very interpreter; ``workers`` processes."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--timeout",
        "300",
        "lrs.cli:wsgi()",
    ]


@contextmanager
def lrs_server(database_url: str, logfile: Path, workers: int, synchronous: str = "full") -> Iterator[str]:
    """The LRS on a free loopback port (SQLite ``PRAGMA synchronous`` = ``synchronous``); yields the xAPI endpoint."""
    port = free_port()
    env = {**os.environ, "GSOG_LRS_DATABASE_URL": database_url, "GSOG_LRS_SQLITE_SYNCHRONOUS": synchronous}
    with logfile.open("wb") as log:
        proc = subprocess.Popen(
            lrs_command(port, workers), env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        endpoint = f"http://127.0.0.1:{port}/xapi"
        try:
            deadline = time.monotonic() + 60
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"the LRS exited ({proc.returncode}); see {logfile}")
                try:
                    urllib.request.urlopen(endpoint + "/about", timeout=1)
                    break
                except urllib.error.HTTPError:
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"the LRS did not answer; see {logfile}") from None
                    time.sleep(0.1)
            try:
                yield endpoint
            except Exception as error:
                log.flush()
                tail = logfile.read_text(errors="replace").splitlines()[-40:]
                raise RuntimeError(f"{error}\n--- last lines of {logfile}:\n" + "\n".join(tail)) from error
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def make_client(store: Store) -> tuple[str, str]:
    """A client with scope ``all``, made the way ``lrs client add`` makes one."""
    from lrs.auth import add_client

    return add_client(store, "bench", ["all"])


# --------------------------------------------------------------------------- measuring


def percentile(samples: Sequence[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed(fn: Callable[..., object], *args: Any) -> float:
    """Seconds one call of ``fn(*args)`` takes."""
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def ratio(value: float, base: float) -> str:
    """``value / base`` as a factor ("n/a" when either is missing)."""
    if not base > 0 or value != value:  # noqa: PLR0124 - NaN check
        return "n/a"
    return f"{value / base:.2f}x"


def bench_backend(name: str, url: str, args: argparse.Namespace, workdir: Path) -> None:
    """Every figure for one database, printed as it is measured."""
    from lrs.store.sql import SqlStore

    shape = Shape(args.statements)
    print(
        f"\n== {name}: {shape.statements:,} statements, {shape.agents:,} agents, "
        f"{shape.activities:,} activities, {shape.registrations:,} registrations"
    )
    store = SqlStore(url)
    engine = raw_engine(url)
    fresh_raw_table(engine)

    # 1. setup: bulk load through the store, and the same rows raw
    batch = args.load_batch
    store_seconds = raw_seconds = 0.0
    for start in range(0, shape.statements, batch):
        chunk = list(rows(shape, start, min(batch, shape.statements - start), args.seed))
        prepared = [new_statement(r) for r in chunk]
        store_seconds += timed(store.insert_statements, prepared, [])
        raw_seconds += timed(raw_insert, engine, chunk)
    n = shape.statements
    print(
        f"setup: bulk load via Store.insert_statements (batches of {batch}) took {store_seconds:.1f} s "
        f"({n / store_seconds:,.0f} st/s); raw executemany {raw_seconds:.1f} s "
        f"({n / raw_seconds:,.0f} st/s); ratio {ratio(store_seconds, raw_seconds)}"
    )
    settle(url, vacuum=True)
    if args.store_only:
        query_figures(store, engine, shape, args, client=None)
    else:
        key, secret = make_client(store)
        headers = {
            "X-Experience-API-Version": "1.0.3",
            "Authorization": "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode(),
        }
        levels = args.synchronous.split(",") if name == "sqlite" else ["full"]
        next_row: int | None = None
        for number, level in enumerate(levels):
            if len(levels) > 1:
                print(f"-- SQLite synchronous={level.upper()}")
            with lrs_server(url, workdir / f"serve-{name}-{level}.log", args.workers, level) as endpoint:
                next_row = ingest_figures(engine, shape, args, endpoint, headers, next_row)
                settle(url, vacuum=False)
                if number == len(levels) - 1:  # queries once, on the last level
                    query_figures(store, engine, shape, args, Http(endpoint, headers))
    store.close()
    engine.dispose()


def settle(url: str, *, vacuum: bool) -> None:
    """Bring the database to the state a running LRS is in before measuring.

    A live database has planner statistics and (PostgreSQL) a vacuumed,
    all-visible heap; right after loading a million rows it has neither, and
    autovacuum would run during the measurements. So after the load
    (``vacuum``): ``VACUUM ANALYZE`` on PostgreSQL, ``PRAGMA optimize`` (what
    :meth:`SqlStore.close` runs) on SQLite. Then, and again between ingest and
    queries, a checkpoint, so no phase pays for the write-back of the one
    before it (a one-off burst of gigabytes after VACUUM, not steady state).
    """
    started = time.perf_counter()
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    postgres = engine.dialect.name == "postgresql"
    if postgres:
        steps = (["VACUUM ANALYZE"] if vacuum else []) + ["CHECKPOINT"]
    else:
        optimize = ["PRAGMA analysis_limit=400", "PRAGMA optimize"] if vacuum else []
        steps = [*optimize, "PRAGMA wal_checkpoint(TRUNCATE)"]
    with engine.connect() as conn:
        for step in steps:
            conn.exec_driver_sql(step)
    engine.dispose()
    print(f"settle ({'; '.join(steps)}): {time.perf_counter() - started:.1f} s")


def post_all(endpoint: str, headers: dict[str, str], bodies: Sequence[Any], clients: int) -> float:
    """POST every body over ``clients`` keep-alive connections at once; the wall-clock seconds taken."""
    connections = [Http(endpoint, headers) for _ in range(clients)]
    for connection in connections:
        connection.request("GET", "/about")  # connect and authenticate before the clock starts
    failures: list[str] = []

    def run(connection: Http, share: Sequence[Any]) -> None:
        for body in share:
            status, answer = connection.request("POST", "/statements", body)
            if status != 200:
                failures.append(f"POST answered {status}: {answer[:300]!r}")
                return

    threads = [
        threading.Thread(target=run, args=(connection, bodies[number::clients]))
        for number, connection in enumerate(connections)
    ]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    if failures:
        raise RuntimeError(failures[0])
    return elapsed


def ingest_figures(
    engine: sa.Engine,
    shape: Shape,
    args: argparse.Namespace,
    endpoint: str,
    headers: dict[str, str],
    first_row: int | None = None,
) -> int:
    """Statements per second over HTTP by batch size, into the already filled store.

    Posts rows from ``first_row`` on (default: right after the setup's); returns
    the next unused row, so a second run (another synchronous level) posts new
    statements, not duplicates the LRS would take for free.

    Twice per batch size, with fresh statements each time: one client
    posting one request after the other, and ``--clients`` clients posting
    at once (how an LRS is used: many learners' packages at the same time).
    The baseline inserts the same number of rows, same batch size, one
    transaction each, from one connection.
    """
    next_row = shape.statements if first_row is None else first_row  # fresh rows continue the sequence
    clients = args.clients
    print(
        f"{'ingest over HTTP':<18}{'1 client':>10}{f'{clients} clients':>12}{'raw':>9}"
        f"{'raw/1 client':>14}{f'raw/{clients} clients':>16}  (statements/s)"
    )
    plan = ((1, args.single_posts), (10, args.posts), (100, args.posts // 2), (1000, max(clients, args.posts // 10)))
    for size, request_count in plan:
        rates: list[float] = []
        fresh: list[Row] = []
        for concurrency in (1, clients):
            fresh = list(rows(shape, next_row, size * request_count, args.seed))
            next_row += len(fresh)
            bodies = [
                fresh[i].http_statement() if size == 1 else [r.http_statement() for r in fresh[i : i + size]]
                for i in range(0, len(fresh), size)
            ]
            rates.append(len(fresh) / post_all(endpoint, headers, bodies, concurrency))
        # the baseline: the same rows (new ids) into the raw table, same batch size, a transaction each
        again = [Row(str(uuid.uuid4()), r.stored, r.agent, r.verb, r.activity, r.registration) for r in fresh]
        raw_elapsed = sum(timed(raw_insert, engine, again[i : i + size]) for i in range(0, len(again), size))
        raw_rate = len(fresh) / raw_elapsed
        label = "single POST" if size == 1 else f"batch of {size}"
        print(
            f"{label:<18}{rates[0]:>10,.0f}{rates[1]:>12,.0f}{raw_rate:>9,.0f}"
            f"{ratio(raw_rate, rates[0]):>14}{ratio(raw_rate, rates[1]):>16}"
        )
    return next_row


#: The store-level query for each filter of the benchmark (limit 100, newest first).
STORE_QUERIES: dict[str, Callable[[str], StatementQuery]] = {
    "agent": lambda v: StatementQuery(agent=v, limit=100),
    "verb": lambda v: StatementQuery(verb=v, limit=100),
    "activity": lambda v: StatementQuery(activity=v, limit=100),
    "registration": lambda v: StatementQuery(registration=v, limit=100),
}


def query_figures(
    store: Store,
    engine: sa.Engine,
    shape: Shape,
    args: argparse.Namespace,
    client: Http | None,
) -> None:
    """p50/p95 of one page (limit 100, newest first) per filter: HTTP, store, raw SELECT."""
    rng = random.Random(args.seed)
    pickers: dict[str, Callable[[], str]] = {
        "agent": lambda: agent_key_of(rng.randrange(shape.agents)),
        "verb": lambda: VERBS[rng.randrange(len(VERBS))],
        "activity": lambda: activity_of(rng.randrange(shape.activities)),
        "registration": lambda: registration_of(rng.randrange(shape.registrations)),
    }
    print(
        f"{'query (limit 100)':<22}{'HTTP p50':>10}{'p95':>8}{'store p50':>11}{'p95':>8}"
        f"{'raw p50':>9}{'p95':>8}{'HTTP/raw p50':>14}{'p95':>8}{'store/raw p50':>15}  (ms)"
    )
    for label, pick in pickers.items():
        # Each way of asking gets its own random values: whoever asked for a
        # value first would pay for reading it from disk into the caches.
        samples = [(pick(), pick(), pick()) for _ in range(args.queries)]
        http_ms: list[float] = []
        store_ms: list[float] = []
        raw_ms: list[float] = []
        for http_value, value, raw_value in samples:
            if client is not None:
                param = json.dumps(agent_json(http_value)) if label == "agent" else http_value
                start = time.perf_counter()
                status, answer = client.request("GET", "/statements", params={label: param, "limit": 100})
                http_ms.append((time.perf_counter() - start) * 1000)
                if status != 200:
                    raise RuntimeError(f"GET ?{label}= answered {status}: {answer[:300]!r}")
            store_ms.append(timed(store.query_statements, STORE_QUERIES[label](value)) * 1000)
            sel = sa.select(RAW.c.statement).where(RAW.c[label] == raw_value).order_by(RAW.c.stored.desc()).limit(100)
            raw_ms.append(timed(raw_select, engine, sel) * 1000)
        h50, h95 = (percentile(http_ms, 0.5), percentile(http_ms, 0.95)) if http_ms else (float("nan"),) * 2
        s50, s95 = percentile(store_ms, 0.5), percentile(store_ms, 0.95)
        r50, r95 = percentile(raw_ms, 0.5), percentile(raw_ms, 0.95)
        print(
            f"{label:<22}{h50:>10.1f}{h95:>8.1f}{s50:>11.1f}{s95:>8.1f}{r50:>9.2f}{r95:>8.2f}"
            f"{ratio(h50, r50):>14}{ratio(h95, r95):>8}{ratio(s50, r50):>15}"
        )


def agent_json(key: str) -> dict[str, Any]:
    """The Agent JSON a client sends for an account key made by :func:`agent_key_of`."""
    home, name = key.removeprefix("account:").split("|", 1)
    return {"objectType": "Agent", "account": {"homePage": home, "name": name}}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=1_000_000, help="statements stored before measuring")
    parser.add_argument("--backends", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--load-batch", type=int, default=2000, help="statements per Store.insert_statements call")
    parser.add_argument("--single-posts", type=int, default=400, help="single-statement POSTs")
    parser.add_argument("--posts", type=int, default=120, help="POSTs of 10 (half as many of 100, a tenth of 1000)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients in the second ingest run")
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 2, help="gunicorn worker processes (default: one per core)"
    )
    parser.add_argument("--queries", type=int, default=200, help="queries per filter")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--store-only", action="store_true", help="no HTTP: bulk load and store/raw queries only")
    parser.add_argument(
        "--synchronous",
        default="full",
        help="SQLite PRAGMA synchronous of the server, comma-separated to compare in one run "
        "(e.g. full,normal: the ingest is measured once per level on the same database)",
    )
    args = parser.parse_args(argv)
    for level in args.synchronous.split(","):
        if level not in ("full", "normal"):
            parser.error(f"--synchronous: full or normal, got {level!r}")
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    with tempfile.TemporaryDirectory(prefix="bench-lrs-") as tmp:
        workdir = Path(tmp)
        os.chmod(workdir, 0o755)
        if "sqlite" in backends:
            bench_backend("sqlite", f"sqlite:///{workdir / 'lrs.sqlite3'}", args, workdir)
        if "postgresql" in backends:
            pgdir = workdir / "pg"
            pgdir.mkdir()
            with postgres_server(pgdir) as pg_url:
                if pg_url is None:
                    print("\n== postgresql: skipped (no PostgreSQL binaries under /usr/lib/postgresql)")
                else:
                    bench_backend("postgresql", pg_url, args, workdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
