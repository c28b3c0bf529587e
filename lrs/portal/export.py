"""The learner's "download my data": everything the LRS keeps about them, as one JSON document.

The right of access (GDPR art. 15) and to data portability (art. 20): the
learner gets their profile, their certificates and every statement they
are the actor of, exactly as the LRS stores them (the JSON a GET
/statements would return), so another LRS or tool can read them.

Why it works like this:

* **Streamed.** The document is written piece by piece while the store is
  read page by page (:data:`PAGE_SIZE` statements at a time, ascending, the
  store's own paging cursor), so a learner with 50,000 statements costs one
  page of memory, not 50,000 statements.
* **Through the store's query.** The statements come from
  :meth:`Store.query_statements` with the learner's agent filter, the one
  reading path every statement takes. That query leaves voided statements
  out (xAPI's rule for GET /statements) but returns the statement voiding
  one of the learner's; for each such voiding statement the voided one is
  read with :meth:`Store.get_statement` and written just before it. They
  are the learner's data too, and their ids are listed at the end
  (``voided_statement_ids``) so the reader knows which ones no longer count.
* **Only the learner's.** The agent filter also finds statements in which
  the learner is the *object* (e.g. an instructor's statement about them) or
  that merely refer to theirs; only statements whose actor is the learner
  (or a group the learner is a member of) are written.
* **Minimum data.** The profile holds what the learner gave or chose (e-mail,
  display name, profile codes, language) and when the account was created
  and confirmed; never the password hash, tokens or session counters.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Iterator, Mapping
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from lrs.portal.certificate import Certificate, certificates_of
from lrs.portal.tables import portal_learners
from lrs.store.interface import Document, StatementQuery, Store
from lrs.xapi.agents import agent_key, group_members, try_agent_key
from lrs.xapi.statements import voided_target

#: Statements read per store query (one page in memory at a time).
PAGE_SIZE: Final = 500
#: Size of the pieces handed to the response.
CHUNK_BYTES: Final = 64 * 1024
#: What the document is, so a reader can tell this file from other JSON.
FORMAT: Final = "gsog-portal-learner-data/1"
#: The profile fields exported, in this order (``portal_learners`` columns).
PROFILE_FIELDS: Final = (
    "email",
    "display_name",
    "sector",
    "organisation",
    "region",
    "language",
    "role",
    "level",
    "created",
    "verified",
)


def _json(value: Any) -> bytes:
    """Compact UTF-8 JSON; instants as ISO 8601 UTC."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_instant).encode()


def _instant(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    raise TypeError(f"not JSON: {type(value).__name__}")


def _profile(engine: Engine, learner_id: int) -> dict[str, Any]:
    columns = [portal_learners.c[name] for name in PROFILE_FIELDS]
    with engine.connect() as conn:
        row = conn.execute(sa.select(*columns).where(portal_learners.c.id == learner_id)).first()
    if row is None:
        raise LookupError(f"no portal learner with id {learner_id}")
    return dict(row._mapping)


def _certificate(cert: Certificate) -> dict[str, Any]:
    return {
        "code": cert.code,
        "course": cert.course_iri,
        "course_title": cert.course_title,
        "level": cert.level,
        "name": cert.name,
        "language": cert.language,
        "registration": cert.registration,
        "issued": cert.issued,
    }


def is_actor(statement: Mapping[str, Any], key: str) -> bool:
    """Whether the agent ``key`` is the statement's actor, or a member of its actor group."""
    actor = statement.get("actor")
    if not isinstance(actor, Mapping):
        return False
    if try_agent_key(actor) == key:
        return True
    return any(try_agent_key(member) == key for member in group_members(actor))


def learner_statements(store: Store, actor: Mapping[str, Any]) -> Iterator[tuple[dict[str, Any], bool]]:
    """Every statement whose actor is ``actor``, oldest first, each with whether it is voided.

    A voided statement comes just before the statement voiding it (see the
    module docstring); memory is one page plus the ids of voided ones.
    """
    key = agent_key(actor)
    seen_voided: set[str] = set()
    after: tuple[dt.datetime, str] | None = None
    while True:
        page = store.query_statements(StatementQuery(agent=key, ascending=True, limit=PAGE_SIZE, after=after))
        for found in page.statements:
            target_id = voided_target(found.statement)
            if target_id is not None and target_id not in seen_voided:
                target = store.get_statement(target_id)
                if target is not None and target.voided and is_actor(target.statement, key):
                    seen_voided.add(target_id)
                    yield target.statement, True
            if is_actor(found.statement, key):
                yield found.statement, False
        if page.next_after is None:
            return
        after = page.next_after


def learner_data(
    store: Store, engine: Engine, learner_id: int, actor: Mapping[str, Any], *, now: dt.datetime | None = None
) -> Iterator[bytes]:
    """The learner's data as one JSON document, in pieces for a streamed response.

    ``actor`` is the learner's xAPI actor (``lrs.portal.accounts.learner_actor``).
    The profile and certificates are read before this returns, so an
    unknown ``learner_id`` raises :class:`LookupError` here, before a
    response has started; the statements are read while the pieces are
    consumed. The document::

        {"format": ..., "exported": ..., "profile": {...}, "actor": {...},
         "certificates": [...], "statements": [...], "voided_statement_ids": [...],
         "documents": [...]}

    ``documents`` are the learner's state and agent-profile documents (what
    the modules kept for them, their reflections among it).
    """
    profile = _profile(engine, learner_id)
    certificates = [_certificate(c) for c in certificates_of(engine, learner_id)]
    agent_key(actor)  # an actor without an identifier is a caller's bug: say so before streaming
    head = {
        "format": FORMAT,
        "exported": now or dt.datetime.now(dt.UTC),
        "profile": profile,
        "actor": dict(actor),
        "certificates": certificates,
    }
    return _stream(store, actor, head)


def _stream(store: Store, actor: Mapping[str, Any], head: dict[str, Any]) -> Iterator[bytes]:
    """The document's pieces, about :data:`CHUNK_BYTES` each (a few writes per page, not one per statement)."""
    buffer = bytearray(_json(head)[:-1] + b',"statements":[')
    voided: list[str] = []
    first = True
    for statement, is_voided in learner_statements(store, actor):
        if not first:
            buffer += b","
        buffer += _json(statement)
        first = False
        if is_voided:
            voided.append(str(statement.get("id")))
        if len(buffer) >= CHUNK_BYTES:
            yield bytes(buffer)
            buffer.clear()
    buffer += b'],"voided_statement_ids":' + _json(voided) + b',"documents":['
    for number, document in enumerate(store.agent_documents(agent_key(actor))):
        buffer += (b"," if number else b"") + _json(_document(document))
        if len(buffer) >= CHUNK_BYTES:
            yield bytes(buffer)
            buffer.clear()
    buffer += b"]}"
    yield bytes(buffer)


def _document(document: Document) -> dict[str, Any]:
    """One state or agent-profile document: where it belongs, and its content.

    These hold what the learner wrote in the modules (reflections, notes):
    their own words, which the reports and researchers' exports never read,
    and which the learner gets back here. JSON content is given as JSON,
    other text as text, anything else in base64.
    """
    key = document.key
    entry: dict[str, Any] = {"kind": key.kind, "id": key.doc_id, "contentType": document.content_type}
    if key.activity_id:
        entry["activityId"] = key.activity_id
    if key.registration:
        entry["registration"] = key.registration
    entry["updated"] = document.updated
    try:
        text = document.content.decode("utf-8")
    except UnicodeDecodeError:
        entry["base64"] = base64.b64encode(document.content).decode("ascii")
        return entry
    if document.content_type.split(";")[0].strip().lower() == "application/json":
        try:
            entry["json"] = json.loads(text)
            return entry
        except ValueError:
            pass
    entry["text"] = text
    return entry
