"""LRS fixtures: a store on SQLite and on a real PostgreSQL server, and an app on it.

PostgreSQL comes from Debian's ``postgresql`` package (installed here when
missing and we are root). One server is started per test session on a temp
data directory and a free loopback port, as the ``postgres`` OS user when
running as root (PostgreSQL refuses to run as root); every test gets a fresh
schema of its own. Durability settings are off on this throw-away server:
the tests check behaviour, the benchmarks measure speed on a normal
configuration.
Nothing is skipped: if the server cannot start, the tests fail and say why.
"""

from __future__ import annotations

import base64
import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from lrs.store.sql import SqlStore

#: Basic-auth credentials of the API client the ``client`` fixture uses (scope ``all``).
CLIENT_KEY = "test-client"
CLIENT_SECRET = "test-secret-0123456789abcdef0123456789"  # >= 32 characters (MIN_SECRET_CHARS)
CLIENT_AUTHORITY: dict[str, Any] = {
    "objectType": "Agent",
    "name": "test client",
    "account": {"homePage": "https://lrs.test", "name": CLIENT_KEY},
}


def _postgres_bin() -> Path:
    """The newest installed PostgreSQL's bin directory, installing the package if needed."""

    def find() -> list[str]:
        return sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))

    if not find():
        if os.geteuid() != 0:
            pytest.fail("PostgreSQL is not installed: run `sudo bash scripts/install-system-deps.sh`", pytrace=False)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "postgresql"]
        if subprocess.run(install, env=env, capture_output=True).returncode != 0:
            subprocess.run(["apt-get", "update", "-qq"], env=env, check=True, capture_output=True)
            subprocess.run(install, env=env, check=True, capture_output=True)
    found = find()
    if not found:
        pytest.fail("installing Debian's postgresql package gave no initdb", pytrace=False)
    return Path(found[-1]).parent


def _as_postgres(cmd: list[str]) -> list[str]:
    """Run as the ``postgres`` OS user when we are root (initdb and postgres refuse root)."""
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


#: Test servers live in ``<tmp>/lrs-pg-*``; this file there names the pytest process owning one.
_OWNER = "owner.pid"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _reap_orphans(pg_ctl: str) -> None:
    """Stop servers left running by test sessions that were killed before their teardown."""
    for owner in Path(tempfile.gettempdir()).glob(f"lrs-pg-*/{_OWNER}"):
        try:
            pid = int(owner.read_text())
        except (OSError, ValueError):
            continue
        if not _alive(pid):
            base = owner.parent
            subprocess.run(
                _as_postgres([pg_ctl, "-D", str(base / "data"), "-m", "immediate", "-w", "stop"]), capture_output=True
            )
            shutil.rmtree(base, ignore_errors=True)


@dataclass
class PostgresServer:
    """A running throw-away PostgreSQL server.

    ``store_url`` gives each test its own *schema* in the shared database
    :attr:`database` (via ``search_path`` in the URL): as isolated as a fresh
    database for the store, but created in a millisecond where CREATE
    DATABASE takes ~0.2 s. Tests that need a whole database (e.g. another
    process serving it) use :meth:`create_database`.
    """

    port: int
    admin: psycopg.Connection[Any]
    counter: itertools.count[int]
    database: str = "lrs_tests"

    def url(self, database: str) -> str:
        """SQLAlchemy URL of a database on this server."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A new empty database; pair with :meth:`drop_database`."""
        name = f"lrs_test_{os.getpid()}_{next(self.counter)}"
        self.admin.execute(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        """Drop a database, ending its connections first."""
        self.admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def new_schema(self) -> str:
        """A new empty schema in :attr:`database`; pair with :meth:`drop_schema`."""
        name = f"t_{os.getpid()}_{next(self.counter)}"
        self.admin.execute(f'CREATE SCHEMA "{name}"')
        return name

    def schema_url(self, schema: str) -> str:
        """URL whose connections see only ``schema`` and carry its name (see :meth:`drop_schema`)."""
        return f"{self.url(self.database)}?options=-csearch_path%3D{schema}&application_name={schema}"

    def drop_schema(self, name: str) -> None:
        """Drop a test's schema, first ending connections a test left open."""
        self.admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s", (name,)
        )
        self.admin.execute(f'DROP SCHEMA "{name}" CASCADE')


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the whole session, stopped at its end."""
    bin_dir = _postgres_bin()
    pg_ctl = str(bin_dir / "pg_ctl")
    _reap_orphans(pg_ctl)
    base = Path(tempfile.mkdtemp(prefix="lrs-pg-"))
    (base / _OWNER).write_text(str(os.getpid()))
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    data, log = base / "data", base / "server.log"
    initdb = [str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8"]
    done = subprocess.run(_as_postgres([*initdb, "--no-locale", "--no-sync", "--no-instructions"]), capture_output=True)
    if done.returncode != 0:
        pytest.fail(f"initdb failed: {done.stderr.decode(errors='replace')}", pytrace=False)
    for _attempt in range(3):  # another process may take the free port before the server binds it
        port = _free_port()
        options = (
            f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
            " -c full_page_writes=off -c max_connections=200"
        )
        start = [pg_ctl, "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", "30", "start"]
        if subprocess.run(_as_postgres(start), capture_output=True).returncode == 0:
            break
    else:
        text = log.read_text(errors="replace") if log.exists() else "(no log)"
        shutil.rmtree(base, ignore_errors=True)
        pytest.fail(f"PostgreSQL did not start:\n{text}", pytrace=False)
    try:
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres", autocommit=True) as setup:
            setup.execute(f'CREATE DATABASE "{PostgresServer.database}"')
        admin = psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/{PostgresServer.database}", autocommit=True)
        with admin:
            yield PostgresServer(port=port, admin=admin, counter=itertools.count())
    finally:
        subprocess.run(_as_postgres([pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"]), capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database: a temp SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'lrs.sqlite3'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    schema = server.new_schema()
    try:
        yield server.schema_url(schema)
    finally:
        server.drop_schema(schema)


@pytest.fixture
def store(store_url: str) -> Iterator[SqlStore]:
    """An opened (and so migrated) store on ``store_url``."""
    opened = SqlStore(store_url)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def app(store_url: str, store: SqlStore) -> Any:
    """The LRS app on ``store``, with the API client :data:`CLIENT_KEY` (scope ``all``) in it."""
    from lrs.app import create_app
    from lrs.auth import add_client
    from lrs.config import LrsConfig

    add_client(store, "test client", ["all"], CLIENT_AUTHORITY, key=CLIENT_KEY, secret=CLIENT_SECRET)
    return create_app(LrsConfig(database_url=store_url), store=store)


@pytest.fixture
def client(app: Any) -> Any:
    """A Flask test client sending the test API client's Basic credentials on every request."""
    test_client = app.test_client()
    token = base64.b64encode(f"{CLIENT_KEY}:{CLIENT_SECRET}".encode()).decode()
    test_client.environ_base["HTTP_AUTHORIZATION"] = f"Basic {token}"
    return test_client


@pytest.fixture(scope="session")
def fr_police_cmi5(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real French police cmi5 package, built once for the whole run (the portal's tests import it)."""
    from builder.build import build_packages
    from builder.media.resolve import default_cache
    from tests.conftest import COURSE_SRC

    out = tmp_path_factory.mktemp("cmi5-fr-police")
    build_packages(
        COURSE_SRC, out, formats=["cmi5"], languages=["fr"], sectors=["police"], cache=default_cache(COURSE_SRC)
    )
    return out / "gsog-fr-police-cmi5.zip"
