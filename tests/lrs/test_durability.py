"""A statement the LRS acknowledged survives a crash, and a batch is never half stored.

xAPI clients delete their local queue once the LRS answers 200 with the ids,
so an acknowledged statement that is lost after a power cut or an OOM kill is
lost for good. And a POST of many statements is one unit: the spec requires
rejecting the whole batch on any error, so after a crash it must be either
entirely there or entirely absent (a half batch would be re-sent by the client
and create conflicts or duplicates).

The test runs the real server as a subprocess (``lrs serve``, and the
production start: gunicorn with two worker processes, which on SQLite also
exercises the writer file lock and the background checkpoints across
processes), has several threads POST batches concurrently, SIGKILLs the
server's process group in the middle of ingest (no chance to flush or clean
up), restarts it on the same database, and checks every batch through the
restarted server. Two crash cycles per database and server: a SQLite file,
and a fresh database on the conftest's PostgreSQL.
"""

from __future__ import annotations

import base64
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

BATCH = 10
WORKERS = 4
ACKS_BEFORE_KILL = 25
CYCLES = 2
VERSION = {"X-Experience-API-Version": "1.0.3"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_command(kind: str, port: int) -> list[str]:
    """``lrs serve`` or the README's gunicorn start, run by this very interpreter."""
    if kind == "gunicorn":
        return [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}", "lrs.cli:wsgi()"]
    return [sys.executable, "-m", "lrs.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]


@dataclass
class Server:
    """One server process (its own process group, so SIGKILL reaches the workers it forks)."""

    database_url: str
    log: Path
    kind: str = "lrs serve"
    proc: subprocess.Popen[bytes] | None = None
    endpoint: str = ""

    def start(self) -> None:
        port = free_port()
        env = {**os.environ, "GSOG_LRS_DATABASE_URL": self.database_url}
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                server_command(self.kind, port),
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.endpoint = f"http://127.0.0.1:{port}/xapi"
        deadline = time.monotonic() + 30
        while True:
            assert self.proc.poll() is None, f"{self.kind} exited: {self.log.read_text()[-2000:]}"
            try:
                requests.get(self.endpoint + "/about", headers=VERSION, timeout=1)
                return
            except (requests.ConnectionError, requests.Timeout):  # not listening yet, or its workers still booting
                assert time.monotonic() < deadline, f"{self.kind} did not answer: {self.log.read_text()[-2000:]}"
                time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL, as the OOM killer or a power cut would: no shutdown code runs."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


@dataclass
class Ingest:
    """Batches, what was sent, and which batches the server acknowledged."""

    batches: list[list[dict[str, Any]]]
    auth: str
    acked: set[int] = field(default_factory=set)
    attempted: set[int] = field(default_factory=set)
    refused: dict[int, str] = field(default_factory=dict)
    #: batch -> error of a request that got no answer (expected only for those in flight at the kill)
    unanswered: dict[int, str] = field(default_factory=dict)
    outstanding: set[int] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    cursor: int = 0

    def take(self) -> int | None:
        with self.lock:
            if self.cursor >= len(self.batches):
                return None
            self.cursor += 1
            self.attempted.add(self.cursor - 1)
            return self.cursor - 1

    def worker(self, endpoint: str, stop: threading.Event) -> None:
        session = requests.Session()
        session.headers.update({**VERSION, "Authorization": self.auth})
        while not stop.is_set():
            n = self.take()
            if n is None:
                return
            ids = [s["id"] for s in self.batches[n]]
            with self.lock:
                self.outstanding.add(n)
            try:
                resp = session.post(endpoint + "/statements", json=self.batches[n], timeout=30)
            except requests.RequestException as error:
                with self.lock:  # outcome unknown: the kill landed during this request
                    self.unanswered[n] = f"{type(error).__name__}: {error}"[:200]
                continue
            finally:
                with self.lock:
                    self.outstanding.discard(n)
            if resp.status_code == 200 and resp.json() == ids:
                with self.lock:
                    self.acked.add(n)
            else:
                with self.lock:
                    self.refused[n] = f"{resp.status_code} {resp.text[:200]}"


def make_batches(count: int, seed: int) -> list[list[dict[str, Any]]]:
    """Deterministic statements with client-chosen ids, so each can be looked up afterwards."""
    rng = random.Random(seed)
    batches = []
    for b in range(count):
        batch = []
        for i in range(BATCH):
            batch.append(
                {
                    "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    "actor": {"objectType": "Agent", "mbox": f"mailto:learner{rng.randrange(50)}@example.com"},
                    "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced", "display": {"en-US": "experienced"}},
                    "object": {"objectType": "Activity", "id": f"http://example.com/activities/{b}/{i}"},
                    "result": {"response": "x" * rng.randrange(2000)},  # some bulk so writes take time
                }
            )
        batches.append(batch)
    return batches


def stored_ids(endpoint: str, auth: str, ids: list[str]) -> set[str]:
    session = requests.Session()
    session.headers.update({**VERSION, "Authorization": auth})
    found = set()
    for sid in ids:
        resp = session.get(endpoint + "/statements", params={"statementId": sid}, timeout=10)
        assert resp.status_code in (200, 404), f"GET statementId={sid}: {resp.status_code} {resp.text[:200]}"
        if resp.status_code == 200:
            assert resp.json()["id"] == sid
            found.add(sid)
    return found


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """SQLite in a temp dir, or a fresh database on the conftest's PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'lrs.sqlite3'}"
        return
    server = request.getfixturevalue("postgres_server")
    name = server.create_database()
    try:
        yield server.url(name)
    finally:
        server.drop_database(name)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("kind", ["lrs serve", "gunicorn"])
def test_acknowledged_statements_survive_sigkill(database_url: str, kind: str, tmp_path: Path) -> None:
    from lrs.auth import add_client
    from lrs.store.sql import SqlStore

    store = SqlStore(database_url)
    key, secret = add_client(store, "durability", ["all"])
    auth = "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()
    ingest = Ingest(make_batches(WORKERS * 60 * CYCLES, seed=11), auth)
    server = Server(database_url, tmp_path / "serve.log", kind)
    try:
        for cycle in range(CYCLES):
            server.start()
            stop = threading.Event()
            threads = [threading.Thread(target=ingest.worker, args=(server.endpoint, stop)) for _ in range(WORKERS)]
            start_acks = len(ingest.acked)
            for t in threads:
                t.start()
            deadline = time.monotonic() + 30
            while len(ingest.acked) - start_acks < ACKS_BEFORE_KILL and time.monotonic() < deadline:
                time.sleep(0.005)
            with ingest.lock:
                healthy_failures = dict(ingest.unanswered)
                in_flight = len(ingest.outstanding)
            stop.set()  # no new batches; those in flight stay in flight
            server.kill()
            for t in threads:
                t.join(30)
            assert not healthy_failures, f"cycle {cycle}: requests unanswered before the kill: {healthy_failures}"
            assert len(ingest.acked) - start_acks >= ACKS_BEFORE_KILL, f"cycle {cycle}: too few acks before timeout"
            print(f"cycle {cycle}: SIGKILL with {in_flight} batches in flight; {len(ingest.acked)} acked so far")
            ingest.unanswered.clear()

        server.start()  # recovery on the same database
        assert not ingest.refused, f"batches refused while healthy: {dict(list(ingest.refused.items())[:3])}"
        acked_ids = [s["id"] for n in sorted(ingest.acked) for s in ingest.batches[n]]
        unknown = sorted(ingest.attempted - ingest.acked)
        unknown_ids = [s["id"] for n in unknown for s in ingest.batches[n]]
        found = stored_ids(server.endpoint, auth, acked_ids + unknown_ids)

        lost = [sid for sid in acked_ids if sid not in found]
        assert not lost, f"{len(lost)} acknowledged statements lost after SIGKILL, e.g. {lost[:3]}"
        half = []
        for n in unknown:
            present = sum(s["id"] in found for s in ingest.batches[n])
            if 0 < present < BATCH:
                half.append((n, present))
        assert not half, f"batches half stored after SIGKILL (batch, statements present): {half}"
        committed = sum(all(s["id"] in found for s in ingest.batches[n]) for n in unknown)
        print(f"{len(ingest.acked)} acked batches all stored; of {len(unknown)} in doubt, {committed} fully stored")
        # The restarted server still takes writes and the in-doubt batches can be re-sent safely.
        resend = requests.post(
            server.endpoint + "/statements",
            json=[s for n in unknown for s in ingest.batches[n]] or ingest.batches[-1],
            headers={**VERSION, "Authorization": auth},
            timeout=30,
        )
        assert resend.status_code == 200, resend.text[:300]
    finally:
        server.stop()


@pytest.mark.parametrize(("setting", "level"), [(None, 2), ("normal", 1), ("FULL", 2)])
def test_sqlite_commits_are_fsynced_unless_opted_out(tmp_path: Path, setting: str | None, level: int) -> None:
    """An acknowledged statement survives an OS crash on SQLite: synchronous=FULL by default
    (2), on the connections that commit; ``sqlite_synchronous="normal"`` is the documented opt-out (1)."""
    from lrs.app import create_app
    from lrs.config import LrsConfig

    extra = {} if setting is None else {"sqlite_synchronous": setting}
    app = create_app(LrsConfig(database_url=f"sqlite:///{tmp_path / 'lrs.sqlite3'}", **extra))
    store = app.extensions["lrs_store"]
    try:
        for engine in (store.engine, store._writer):
            with engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == level
    finally:
        store.close()


def test_an_unknown_synchronous_level_is_refused_by_name() -> None:
    from lrs.config import LrsConfig

    with pytest.raises(ValueError, match="sqlite_synchronous.*GSOG_LRS_SQLITE_SYNCHRONOUS.*full or normal"):
        LrsConfig(sqlite_synchronous="off")
