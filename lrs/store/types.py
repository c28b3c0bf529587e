"""Column types shared by the tables and the migrations.

Kept apart from :mod:`lrs.store.tables` so a migration can import a type
without importing today's table definitions (which later revisions change).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def to_micros(value: dt.datetime) -> int:
    """Microseconds since the Unix epoch, exact (no float rounding)."""
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the store; pass an aware UTC datetime")
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(value: int) -> dt.datetime:
    """The aware UTC datetime of :func:`to_micros`."""
    return _EPOCH + dt.timedelta(microseconds=value)


class UtcDateTime(sa.types.TypeDecorator[dt.datetime]):
    """An aware UTC instant with microseconds, ordered correctly on both databases.

    Dialect-specific: PostgreSQL keeps a real ``timestamptz`` (readable by
    anyone querying the database); SQLite has no date type, so the instant is
    an integer count of microseconds — exact, compact, and compared as a
    number, where SQLAlchemy's default text format would compare as strings.
    Naive datetimes are refused so no local time can slip in.
    """

    impl = sa.BigInteger
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """``timestamptz`` on PostgreSQL, ``BIGINT`` microseconds elsewhere."""
        if dialect.name == "postgresql":
            return dialect.type_descriptor(sa.DateTime(timezone=True))
        return dialect.type_descriptor(sa.BigInteger())

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        """Aware datetime in, dialect value out."""
        if value is None:
            return None
        if dialect.name == "postgresql":
            if value.tzinfo is None:
                raise ValueError("naive datetime given to the store; pass an aware UTC datetime")
            return value.astimezone(dt.UTC)
        return to_micros(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        """Dialect value in, aware UTC datetime out."""
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            return value.astimezone(dt.UTC)
        return from_micros(int(value))


#: Autoincrementing 64-bit key. SQLite needs exactly ``INTEGER PRIMARY KEY`` to
#: make the column the rowid (fast, and AUTOINCREMENT is only allowed there).
BigSerial = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
