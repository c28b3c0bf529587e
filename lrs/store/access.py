"""API clients and cmi5 launch tokens."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from lrs.store.codec import dumps, loads_object
from lrs.store.dialect import upsert
from lrs.store.interface import ClientRecord, LaunchToken
from lrs.store.tables import auth_failures, clients, launch_tokens


def _client(row: Any) -> ClientRecord:
    scopes = [str(s) for s in json.loads(row.scopes)]
    return ClientRecord(
        key=row.key,
        secret_hash=row.secret_hash,
        name=row.name,
        scopes=tuple(scopes),
        authority=loads_object(row.authority),
        created=row.created,
        organisation=row.organisation,
    )


def put_client(conn: Connection, dialect: str, client: ClientRecord) -> None:
    """Add or replace a client."""
    row = {
        "key": client.key,
        "secret_hash": client.secret_hash,
        "name": client.name,
        "scopes": dumps(list(client.scopes)),
        "authority": dumps(client.authority),
        "created": client.created,
        "organisation": client.organisation,
    }
    conn.execute(upsert(clients, dialect, ["key"]), [row])


def get_client(conn: Connection, key: str) -> ClientRecord | None:
    """A client by key."""
    row = conn.execute(sa.select(clients).where(clients.c.key == key)).first()
    return None if row is None else _client(row)


def list_clients(conn: Connection) -> list[ClientRecord]:
    """All clients, by name (then key, for a stable order)."""
    return [_client(r) for r in conn.execute(sa.select(clients).order_by(clients.c.name, clients.c.key))]


def remove_client(conn: Connection, key: str) -> bool:
    """Remove a client; False when there was none."""
    return conn.execute(sa.delete(clients).where(clients.c.key == key)).rowcount > 0


def replace_client_secret(conn: Connection, key: str, old_hash: str, new_hash: str) -> bool:
    """Set a client's secret hash if it is still ``old_hash``; False when it changed or the client is gone."""
    c = clients.c
    update = sa.update(clients).where(c.key == key, c.secret_hash == old_hash).values(secret_hash=new_hash)
    return conn.execute(update).rowcount > 0


def claim_auth_check(conn: Connection, dialect: str, key: str, window: int) -> int:
    """Add one to the check count of ``key`` in ``window`` and return it, atomically.

    ``INSERT ... ON CONFLICT DO UPDATE SET count = count + 1 RETURNING count``
    (SQLite >= 3.35, PostgreSQL): the row lock of the upsert orders
    concurrent claims, so each gets its own count. Older windows of the key
    are deleted first, which keeps the table at one row per limited key.
    """
    a = auth_failures.c
    conn.execute(sa.delete(auth_failures).where(a.key == key, a.window_start < window))
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(auth_failures)
    claim = insert.values(key=key, window_start=window, count=1).on_conflict_do_update(
        index_elements=[a.key, a.window_start], set_={"count": auth_failures.c.count + 1}
    )
    count = conn.execute(claim.returning(a.count)).scalar_one()
    return int(count)


def release_auth_check(conn: Connection, key: str, window: int) -> None:
    """Take one back from the check count of ``key`` in ``window`` (never below zero)."""
    a = auth_failures.c
    conn.execute(
        sa.update(auth_failures).where(a.key == key, a.window_start == window, a.count > 0).values(count=a.count - 1)
    )


def _token(row: Any) -> LaunchToken:
    return LaunchToken(
        token=row.token,
        actor_key=row.actor_key,
        actor=loads_object(row.actor),
        registration=row.registration,
        activity_id=row.activity_id,
        expires=row.expires,
        fetched=bool(row.fetched),
        session_id=row.session_id or "",
    )


def put_launch_token(conn: Connection, token: LaunchToken) -> None:
    """Store a new token (a reused token string is an IntegrityError: tokens are random)."""
    conn.execute(
        sa.insert(launch_tokens).values(
            token=token.token,
            actor_key=token.actor_key,
            actor=dumps(token.actor),
            registration=token.registration,
            activity_id=token.activity_id,
            expires=token.expires,
            fetched=token.fetched,
            session_id=token.session_id,
        )
    )


def take_launch_token(conn: Connection, token: str, now: dt.datetime) -> LaunchToken | None:
    """Mark fetched and return it, in one UPDATE ... RETURNING, so only one caller ever wins."""
    t = launch_tokens.c
    row = conn.execute(
        sa.update(launch_tokens)
        .where(t.token == token, t.fetched == sa.false(), t.expires > now)
        .values(fetched=True)
        .returning(*launch_tokens.c)
    ).first()
    return None if row is None else _token(row)


def get_launch_token(conn: Connection, token: str) -> LaunchToken | None:
    """A token, fetched or not."""
    row = conn.execute(sa.select(launch_tokens).where(launch_tokens.c.token == token)).first()
    return None if row is None else _token(row)
