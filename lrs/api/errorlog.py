"""What the log may say about an unexpected error: never the data the request carried.

A database error's text holds the SQL and, from the driver, the values that
broke it (PostgreSQL's ``DETAIL: Key (mbox)=(mailto:...)``, SQLAlchemy's
``[parameters: ...]``): learners' names, e-mails and statement content. The
engine is created with ``hide_parameters=True`` (:mod:`lrs.store.dialect`),
and for any error whose chain contains a database error the 500 handler logs
only the exception types and where they were raised (file, line, function,
source line), not the messages. Other errors keep their normal traceback:
their messages come from code (an attribute that is missing, a wrong type),
which is what the maintainer needs.
"""

from __future__ import annotations

import sqlite3
import traceback
from collections.abc import Iterator
from typing import Final

import sqlalchemy as sa

#: Exception types whose messages may quote values from the database or the query.
_DATABASE_ERRORS: Final[tuple[type[BaseException], ...]] = (sa.exc.SQLAlchemyError, sqlite3.Error)


def _chain(error: BaseException) -> Iterator[BaseException]:
    """``error`` and the exceptions it was raised from or during, innermost last (no cycles)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _is_database_error(error: BaseException) -> bool:
    module = type(error).__module__
    return isinstance(error, _DATABASE_ERRORS) or module.startswith(("psycopg", "sqlalchemy"))


def hides_message(error: BaseException) -> bool:
    """Whether the log must not show ``error``'s message (a database error is in its chain)."""
    return any(_is_database_error(link) for link in _chain(error))


def summary(error: BaseException) -> str:
    """Types and tracebacks of ``error``'s chain, without any exception message."""
    parts: list[str] = []
    for link in reversed(list(_chain(error))):
        frames = "".join(traceback.format_list(traceback.extract_tb(link.__traceback__)))
        parts.append(f"{type(link).__module__}.{type(link).__qualname__} (message withheld)\n{frames}")
    return "\nwhich led to:\n".join(parts)
