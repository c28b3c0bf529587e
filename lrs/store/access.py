"""API clients and cmi5 launch tokens."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lrs.store.codec import dumps, loads_object
from lrs.store.dialect import upsert
from lrs.store.interface import ClientRecord, LaunchToken
from lrs.store.tables import clients, launch_tokens


def _client(row: Any) -> ClientRecord:
    scopes = [str(s) for s in json.loads(row.scopes)]
    return ClientRecord(
        key=row.key,
        secret_hash=row.secret_hash,
        name=row.name,
        scopes=tuple(scopes),
        authority=loads_object(row.authority),
        created=row.created,
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
