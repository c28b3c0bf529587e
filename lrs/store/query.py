"""GET /statements: filters, StatementRef matching, stable paging.

A page is the merge of a few indexed queries, each returning at most
``limit + 1`` rows already in page order:

1. *direct*: statements that match every filter themselves. The most
   selective filter present drives the query through an index that is
   already in ``(stored, seq)`` order, so ``LIMIT`` stops early however many
   statements match (registration, then agent, then activity, then verb, else
   the plain ``stored`` index); ``related_agents`` / ``related_activities``
   read the direct and the indirect range of the index table, one query each.
2. *via references*: statements whose StatementRef chain (up to
   :data:`MAX_REF_DEPTH` hops) reaches a statement matching every filter
   other than since/until — xAPI's rule so "Andrew confirmed <Ben passed>"
   is found by Ben's filter too. The chain's targets may be voided (a voiding
   statement is returned for the voided statement's filter). This walk starts
   from referring statements only (a partial index), so its cost grows with
   the number of StatementRef statements in the time window, not with the
   whole table; their bodies are read only when some match. It is skipped
   when no filter other than time is given (every statement matches then).

Order is ``stored`` then ``seq``; the cursor is the (stored, id) of the last
statement of the previous page, turned back into (stored, seq).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lrs.store.codec import loads_object
from lrs.store.interface import StatementPage, StatementQuery, StoredStatement
from lrs.store.tables import DIRECT, INDIRECT, SCOPES, statement_activity, statement_agent, statements

#: How many StatementRef hops the filter rule follows (guards against cycles).
MAX_REF_DEPTH = 10

_Cursor = tuple[dt.datetime, int | None]
_Row = tuple[int, dt.datetime, str, str]  # seq, stored, id, body


def query_statements(conn: Connection, query: StatementQuery) -> StatementPage:
    """One page of non-voided statements matching ``query``."""
    if query.limit < 1:
        raise ValueError("StatementQuery.limit must be at least 1 (the API resolves limit=0 to its maximum)")
    cursor = _resolve_cursor(conn, query)
    want = query.limit + 1  # one extra row tells whether another page exists
    rows: dict[int, _Row] = {}
    for select in _direct_selects(query, cursor, want):
        rows.update((r[0], (r[0], r[1], r[2], r[3])) for r in conn.execute(select))
    if _has_match_filters(query):
        rows.update((r[0], r) for r in _via_refs_rows(conn, query, cursor, want))
    ordered = sorted(rows.values(), key=lambda r: (r[1], r[0]), reverse=not query.ascending)[:want]
    page = ordered[: query.limit]
    result = [StoredStatement(id=r[2], statement=loads_object(r[3]), stored=r[1], voided=False) for r in page]
    more = (page[-1][1], page[-1][2]) if len(ordered) > query.limit else None
    return StatementPage(statements=result, next_after=more)


def _resolve_cursor(conn: Connection, query: StatementQuery) -> _Cursor | None:
    """(stored, seq) of the cursor statement; seq is None when it was erased meanwhile."""
    if query.after is None:
        return None
    stored, statement_id = query.after
    seq = conn.execute(sa.select(statements.c.seq).where(statements.c.id == statement_id)).scalar()
    return stored, seq


def _has_match_filters(query: StatementQuery) -> bool:
    """Whether any filter besides time is set (only then can a reference add matches)."""
    return any(v is not None for v in (query.agent, query.verb, query.activity, query.registration))


def _scopes(related: bool) -> tuple[str, ...]:
    """Index-table scopes a filter accepts: direct places only, or any."""
    return SCOPES if related else (DIRECT,)


def _match_conditions(
    target: Any, query: StatementQuery, skip: str | None = None, position: tuple[Any, Any] | None = None
) -> list[sa.ColumnElement[bool]]:
    """Conditions for ``target`` (statements or an alias) matching every non-time filter.

    Agent/activity checks are EXISTS probes on the index tables' full primary
    key (key, scope, stored, statement): a point lookup per candidate row.
    ``position`` names the (stored, seq) columns they correlate with; passing
    the driving index table's own columns lets the database run the probe
    before it reads the (wide) statements row of a candidate that fails it.
    """
    stored, seq = position if position is not None else (target.c.stored, target.c.seq)
    conditions: list[sa.ColumnElement[bool]] = []
    if query.verb is not None:
        conditions.append(target.c.verb_id == query.verb)
    if query.registration is not None:
        conditions.append(target.c.registration == query.registration)
    if query.agent is not None and skip != "agent":
        conditions.append(_indexed_at(statement_agent, query.agent, _scopes(query.related_agents), stored, seq))
    if query.activity is not None and skip != "activity":
        conditions.append(
            _indexed_at(statement_activity, query.activity, _scopes(query.related_activities), stored, seq)
        )
    return conditions


def _indexed_at(
    table: sa.FromClause, key: str, scopes: tuple[str, ...], stored: Any, seq: Any
) -> sa.ColumnElement[bool]:
    """EXISTS a row of index ``table`` for ``key`` in one of ``scopes`` at the statement (stored, seq).

    A point lookup on the table's full primary key (key, scope, stored, statement).
    """
    key_column = table.c.agent_key if "agent_key" in table.c else table.c.activity_id
    return sa.exists().where(
        key_column == key,
        table.c.scope.in_(scopes),
        table.c.stored == stored,
        table.c.statement == seq,
    )


def _authority_conditions(query: StatementQuery, stored: Any, seq: Any) -> list[sa.ColumnElement[bool]]:
    """A statements/read/mine reader sees the statements it is the authority of.

    The authority is indexed as an indirect agent row, so this is one more
    point probe of ``statement_agent`` per candidate. (The same agent in
    another indirect place, e.g. as instructor, passes it too; the API checks
    the authority itself once more.)
    """
    if query.authority is None:
        return []
    # An alias: the page may be driven by statement_agent itself.
    return [_indexed_at(statement_agent.alias("authority_probe"), query.authority, (INDIRECT,), stored, seq)]


def _window(stored: Any, seq: Any, query: StatementQuery, cursor: _Cursor | None) -> list[sa.ColumnElement[bool]]:
    """The since (exclusive), until (inclusive) and cursor bounds, as index-range friendly conditions.

    The cursor is ``stored >= s AND (stored, seq) > (s, q)``: the first part
    is an index range every planner uses, the row comparison makes it exact
    where the planner can (PostgreSQL), so a page that starts inside a run
    of statements sharing one ``stored`` does not rescan that run.
    """
    conditions: list[sa.ColumnElement[bool]] = []
    if query.since is not None:
        conditions.append(stored > query.since)
    if query.until is not None:
        conditions.append(stored <= query.until)
    if cursor is not None:
        at, after_seq = cursor
        position = sa.tuple_(stored, seq)
        # typed explicitly: inside a tuple the column type is not applied to the value
        at_value = sa.literal(at, type_=stored.type)
        if query.ascending:
            conditions.append(stored >= at)
            if after_seq is not None:
                conditions.append(position > sa.tuple_(at_value, sa.literal(after_seq, type_=seq.type)))
        else:
            conditions.append(stored <= at)
            if after_seq is not None:
                conditions.append(position < sa.tuple_(at_value, sa.literal(after_seq, type_=seq.type)))
    return conditions


def _order(stored: Any, seq: Any, ascending: bool) -> list[Any]:
    return [stored.asc(), seq.asc()] if ascending else [stored.desc(), seq.desc()]


_COLUMNS = (statements.c.seq, statements.c.stored, statements.c.id, statements.c.body)


def _direct_selects(query: StatementQuery, cursor: _Cursor | None, limit: int) -> list[sa.Select[Any]]:
    """Statements matching every filter themselves, driven by the most selective index.

    An agent/activity driver accepting any relation reads two index ranges
    (direct, indirect), each already in page order: one SELECT each, merged
    by the caller (a statement found in both counts once; the first
    ``limit`` of each range contain the first ``limit`` of their union).
    """
    st = statements
    driver = None if query.registration is not None else _index_driver(query)
    if driver is None:
        # registration = ? (ix_statements_registration), verb = ? (ix_statements_verb)
        # or nothing (ix_statements_stored): each index is already in page order.
        return [_page(sa.select(*_COLUMNS), st.c.stored, st.c.seq, query, cursor, limit, skip=None)]
    name, index, key, value, related = driver
    joined = sa.select(*_COLUMNS).select_from(index.join(st, st.c.seq == index.c.statement))
    return [
        _page(
            joined.where(key == value, index.c.scope == scope),
            index.c.stored,
            index.c.statement,
            query,
            cursor,
            limit,
            skip=name,
        )
        for scope in _scopes(related)
    ]


def _index_driver(query: StatementQuery) -> tuple[str, sa.Table, sa.Column[Any], str, bool] | None:
    """The index table that drives an agent (else activity) query: name, table, key column, value, related."""
    if query.agent is not None:
        return "agent", statement_agent, statement_agent.c.agent_key, query.agent, query.related_agents
    if query.activity is not None:
        a = statement_activity
        return "activity", a, a.c.activity_id, query.activity, query.related_activities
    return None


def _page(
    select: sa.Select[Any],
    stored: Any,
    seq: Any,
    query: StatementQuery,
    cursor: _Cursor | None,
    limit: int,
    skip: str | None,
) -> sa.Select[Any]:
    """The remaining filters, time window, order and limit, on the driver's (stored, seq) columns."""
    st = statements
    return (
        select.where(st.c.voided == sa.false(), *_match_conditions(st, query, skip=skip, position=(stored, seq)))
        .where(*_authority_conditions(query, stored, seq), *_window(stored, seq, query, cursor))
        .order_by(*_order(stored, seq, query.ascending))
        .limit(limit)
    )


def _via_refs_rows(conn: Connection, query: StatementQuery, cursor: _Cursor | None, limit: int) -> list[_Row]:
    """Non-voided statements whose StatementRef chain reaches a statement matching the filters.

    Two steps, so no planner can turn this into a scan of the whole table:
    the first walks the chains from the referring statements (and returns
    at most ``limit`` of them, in page order); the second, needed only when
    the first found any, reads their bodies.
    """
    st = statements
    chain = (
        sa.select(
            st.c.seq.label("src"),
            st.c.stored.label("src_stored"),
            st.c.ref_id.label("target"),
            sa.literal(1).label("depth"),
        )
        .where(
            st.c.ref_id.is_not(None),
            st.c.voided == sa.false(),
            *_authority_conditions(query, st.c.stored, st.c.seq),
            *_window(st.c.stored, st.c.seq, query, cursor),
        )
        .cte("ref_chain", recursive=True)
    )
    hop = st.alias("hop")
    chain = chain.union_all(
        sa.select(chain.c.src, chain.c.src_stored, hop.c.ref_id, chain.c.depth + 1)
        .select_from(chain.join(hop, hop.c.id == chain.c.target))
        .where(hop.c.ref_id.is_not(None), chain.c.depth < MAX_REF_DEPTH)
    )
    target = st.alias("target")
    matched = (
        sa.select(chain.c.src, chain.c.src_stored)
        .distinct()
        .select_from(chain.join(target, target.c.id == chain.c.target))
        .where(*_match_conditions(target, query))
        .order_by(*_order(chain.c.src_stored, chain.c.src, query.ascending))
        .limit(limit)
    )
    seqs = list(conn.execute(matched).scalars())
    if not seqs:
        return []
    return [(r[0], r[1], r[2], r[3]) for r in conn.execute(sa.select(*_COLUMNS).where(st.c.seq.in_(seqs)))]
