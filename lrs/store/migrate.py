"""Alembic migrations, applied programmatically when a store opens.

A fresh database gets the whole schema, an older one is upgraded in place,
one at head costs a single SELECT (the revision scripts are read once per
process). Concurrent openers are serialised: SQLite by BEGIN IMMEDIATE,
PostgreSQL by a transaction-scoped advisory lock, and Alembic reads the
current revision inside that transaction, so the loser finds nothing to do.
"""

from __future__ import annotations

import functools
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from lrs.store.dialect import WRITE, create_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

#: Arbitrary constant naming the PostgreSQL advisory lock taken while migrating.
_PG_LOCK_ID = 0x4C52_5301


def alembic_config(url: str | None = None) -> Config:
    """A Config pointing at our scripts (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


@functools.cache
def head_revision() -> str | None:
    """The newest revision among the scripts."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The database's revision (None for an empty database)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(target: Engine | str) -> None:
    """Bring the schema to the newest revision (no-op when it is there)."""
    engine = create_engine(target) if isinstance(target, str) else target
    try:
        if current_revision(engine) == head_revision():
            return
        with engine.execution_options(**{WRITE: True}).begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": _PG_LOCK_ID})
            config = alembic_config()
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
    finally:
        if isinstance(target, str):
            engine.dispose()
