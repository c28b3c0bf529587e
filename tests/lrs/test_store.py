"""Behaviour of SqlStore, the same on SQLite and PostgreSQL (``store`` is parametrised)."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from lrs.store.interface import (
    ActivityRelation,
    AgentRelation,
    Attachment,
    ClientRecord,
    ConflictError,
    Document,
    DocumentKey,
    LaunchToken,
    NewStatement,
    PreconditionFailed,
    StatementIndex,
    StatementQuery,
)
from lrs.store.migrate import current_revision, head_revision, upgrade
from lrs.store.sql import SqlStore
from lrs.store.tables import metadata

VOIDED = "http://adlnet.gov/expapi/verbs/voided"
EXPERIENCED = "http://adlnet.gov/expapi/verbs/experienced"
PASSED = "http://adlnet.gov/expapi/verbs/passed"
COURSE = "https://gsog.example/course"
MODULE = "https://gsog.example/course/module-1"
AUTHORITY = {"objectType": "Agent", "account": {"homePage": "https://lrs.test", "name": "client"}}
T0 = dt.datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=dt.UTC)


# ---------------------------------------------------------------------------
# helpers: stand-ins for lrs.xapi (statement preparation and StatementIndex)


def agent(name: str) -> dict[str, Any]:
    return {"objectType": "Agent", "name": name.title(), "mbox": f"mailto:{name}@example.org"}


def key_of(a: dict[str, Any]) -> str:
    if "mbox" in a:
        return f"mbox:{a['mbox']}"
    return f"account:{a['account']['homePage']}|{a['account']['name']}"


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def iso(instant: dt.datetime) -> str:
    return instant.isoformat(timespec="microseconds").replace("+00:00", "Z")


def make(
    *,
    actor: dict[str, Any] | None = None,
    verb: str = EXPERIENCED,
    activity: str | None = MODULE,
    object_agent: dict[str, Any] | None = None,
    ref: str | None = None,
    stored: dt.datetime = T0,
    registration: str | None = None,
    parent: str | None = None,
    instructor: dict[str, Any] | None = None,
    sub_actor: dict[str, Any] | None = None,
    definition: dict[str, Any] | None = None,
    attachments: tuple[str, ...] = (),
    statement_id: str | None = None,
    result: dict[str, Any] | None = None,
    authority: dict[str, Any] = AUTHORITY,
) -> NewStatement:
    """A prepared statement and its index, as lrs.xapi would hand them over."""
    actor = actor or agent("ann")
    sid = statement_id or str(uuid.uuid4())
    agents: set[tuple[str, AgentRelation]] = {(key_of(actor), "actor"), (key_of(authority), "authority")}
    activities: set[tuple[str, ActivityRelation]] = set()
    activity_objects: list[dict[str, Any]] = []
    agent_objects = [(key_of(actor), actor)]
    obj: dict[str, Any]
    if ref is not None:
        obj = {"objectType": "StatementRef", "id": ref}
    elif object_agent is not None:
        obj = object_agent
        agents.add((key_of(object_agent), "object"))
        agent_objects.append((key_of(object_agent), object_agent))
    elif sub_actor is not None:
        obj = {"objectType": "SubStatement", "actor": sub_actor, "verb": {"id": PASSED}, "object": {"id": COURSE}}
        agents.add((key_of(sub_actor), "sub"))
        activities.add((COURSE, "sub"))
    else:
        assert activity is not None
        obj = {"objectType": "Activity", "id": activity}
        if definition is not None:
            obj["definition"] = definition
        activities.add((activity, "object"))
        activity_objects.append(obj)
    statement: dict[str, Any] = {
        "id": sid,
        "actor": actor,
        "verb": {"id": verb},
        "object": obj,
        "stored": iso(stored),
        "timestamp": iso(stored),
        "authority": authority,
        "version": "1.0.3",
    }
    context: dict[str, Any] = {}
    if registration is not None:
        context["registration"] = registration
    if parent is not None:
        context["contextActivities"] = {"parent": [{"id": parent}]}
        activities.add((parent, "context"))
        activity_objects.append({"id": parent, "objectType": "Activity"})
    if instructor is not None:
        context["instructor"] = instructor
        agents.add((key_of(instructor), "context"))
    if context:
        statement["context"] = context
    if result is not None:
        statement["result"] = result
    if attachments:
        statement["attachments"] = [
            {"usageType": "http://x/u", "display": {"en": "a"}, "contentType": "text/plain", "length": 1, "sha2": h}
            for h in attachments
        ]
    index = StatementIndex(
        verb_id=verb,
        registration=registration,
        agents=frozenset(agents),
        activities=frozenset(activities),
        references=ref,
        voids=ref if verb == VOIDED else None,
        activity_objects=tuple(activity_objects),
        agent_objects=tuple(agent_objects),
    )
    comparable = {k: v for k, v in statement.items() if k not in ("stored", "authority", "version")}
    return NewStatement(
        id=sid,
        statement=statement,
        stored=stored,
        index=index,
        attachments=attachments,
        comparable=repr(sorted(comparable.items())),
    )


def resend(s: NewStatement, *, stored: dt.datetime) -> NewStatement:
    """The same statement sent again later (stored differs, content the same)."""
    statement = {**s.statement, "stored": iso(stored)}
    return NewStatement(s.id, statement, stored, s.index, s.attachments, s.comparable)


def ids(store: SqlStore, **query: Any) -> list[str]:
    """Ids of one page (limit defaults to 100)."""
    return [s.id for s in store.query_statements(StatementQuery(**query)).statements]


def all_ids(store: SqlStore, **query: Any) -> list[str]:
    """Ids of every page, following the cursor."""
    out: list[str] = []
    after = None
    while True:
        page = store.query_statements(StatementQuery(after=after, **query))
        out.extend(s.id for s in page.statements)
        if page.next_after is None:
            return out
        after = page.next_after


def count_rows(store: SqlStore, table: str) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())


# ---------------------------------------------------------------------------
# statements: storing


def test_insert_then_get_round_trips_json_and_stored(store: SqlStore) -> None:
    s = make(stored=at(0), result={"score": {"scaled": 0.5}, "response": "é ☃"})
    assert store.insert_statements([s], []) == [s.id]
    got = store.get_statement(s.id)
    assert got is not None
    assert got.statement == s.statement
    assert got.stored == s.stored and got.stored.tzinfo is not None
    assert got.voided is False
    assert store.get_statement(str(uuid.uuid4())) is None


def test_identical_resend_is_a_no_op(store: SqlStore) -> None:
    s = make(stored=at(0))
    store.insert_statements([s], [])
    assert store.insert_statements([resend(s, stored=at(5)), s], []) == [s.id, s.id]
    assert count_rows(store, "statements") == 1
    got = store.get_statement(s.id)
    assert got is not None and got.stored == at(0)


def test_conflicting_statement_rolls_back_the_whole_batch(store: SqlStore) -> None:
    first = make(stored=at(0))
    store.insert_statements([first], [])
    changed = make(statement_id=first.id, verb=PASSED, stored=at(1))
    innocent = make(stored=at(1), actor=agent("bob"))
    blob = Attachment("ab" * 32, "text/plain", b"x")
    with pytest.raises(ConflictError):
        store.insert_statements([innocent, changed], [blob])
    assert store.get_statement(innocent.id) is None
    assert store.get_attachments([blob.sha2]) == []
    assert store.agents_for_person(key_of(agent("bob"))) == []
    assert count_rows(store, "statement_agent") == 2  # first: actor (direct), authority (indirect)


def test_same_id_twice_in_one_batch(store: SqlStore) -> None:
    s = make()
    assert store.insert_statements([s, s], []) == [s.id, s.id]
    assert count_rows(store, "statements") == 1
    other = make(statement_id=str(uuid.uuid4()))
    clash = make(statement_id=other.id, verb=PASSED)
    with pytest.raises(ConflictError):
        store.insert_statements([other, clash], [])
    assert store.get_statement(other.id) is None


def test_empty_batch(store: SqlStore) -> None:
    assert store.insert_statements([], []) == []


def test_concurrent_inserts_of_one_statement_store_it_once(store: SqlStore) -> None:
    statements = [make(stored=at(i)) for i in range(20)]
    errors: list[BaseException] = []

    def send() -> None:
        try:
            store.insert_statements(statements, [])
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert count_rows(store, "statements") == 20


# ---------------------------------------------------------------------------
# voiding


def test_voiding_marks_target_and_hides_it_from_queries(store: SqlStore) -> None:
    target = make(stored=at(0))
    store.insert_statements([target], [])
    voiding = make(verb=VOIDED, ref=target.id, stored=at(1))
    store.insert_statements([voiding], [])
    got = store.get_statement(target.id)
    assert got is not None and got.voided
    assert ids(store) == [voiding.id]


def test_voiding_in_the_same_batch_and_before_the_target(store: SqlStore) -> None:
    a, b = make(stored=at(0)), make(stored=at(0))
    store.insert_statements([make(verb=VOIDED, ref=a.id, stored=at(0)), a], [])
    late_voider = make(verb=VOIDED, ref=b.id, stored=at(1))
    store.insert_statements([late_voider], [])
    store.insert_statements([b], [])
    for s in (a, b):
        got = store.get_statement(s.id)
        assert got is not None and got.voided, s.id


def test_a_voiding_statement_is_never_voided(store: SqlStore) -> None:
    target = make(stored=at(0))
    voiding = make(verb=VOIDED, ref=target.id, stored=at(1))
    store.insert_statements([target, voiding], [])
    store.insert_statements([make(verb=VOIDED, ref=voiding.id, stored=at(2))], [])
    got = store.get_statement(voiding.id)
    assert got is not None and not got.voided


# ---------------------------------------------------------------------------
# filters


@pytest.fixture
def population(store: SqlStore) -> dict[str, NewStatement]:
    """A small world of statements touching agents and activities in every relation."""
    reg = str(uuid.uuid4())
    world = {
        "ann_module": make(actor=agent("ann"), stored=at(1), parent=COURSE, registration=reg),
        "bob_course": make(actor=agent("bob"), activity=COURSE, verb=PASSED, stored=at(2)),
        "bob_about_ann": make(actor=agent("bob"), object_agent=agent("ann"), stored=at(3)),
        "cid_taught_by_ann": make(actor=agent("cid"), instructor=agent("ann"), stored=at(4)),
        "cid_sub_ann": make(actor=agent("cid"), sub_actor=agent("ann"), stored=at(5)),
        "ann_passed": make(actor=agent("ann"), verb=PASSED, activity=COURSE, stored=at(6), registration=reg),
    }
    store.insert_statements(list(world.values()), [])
    return world


def names(world: dict[str, NewStatement], got: list[str]) -> list[str]:
    by_id = {s.id: name for name, s in world.items()}
    return [by_id[i] for i in got]


def test_no_filter_returns_everything_newest_first(store: SqlStore, population: dict[str, NewStatement]) -> None:
    assert names(population, ids(store)) == list(reversed(population))


def test_agent_filter_matches_actor_and_object(store: SqlStore, population: dict[str, NewStatement]) -> None:
    ann = key_of(agent("ann"))
    assert names(population, ids(store, agent=ann, ascending=True)) == ["ann_module", "bob_about_ann", "ann_passed"]


def test_related_agents_matches_context_sub_and_authority(store: SqlStore, population: dict[str, NewStatement]) -> None:
    ann = key_of(agent("ann"))
    assert names(population, ids(store, agent=ann, related_agents=True, ascending=True)) == [
        "ann_module",
        "bob_about_ann",
        "cid_taught_by_ann",
        "cid_sub_ann",
        "ann_passed",
    ]
    assert ids(store, agent=key_of(AUTHORITY)) == []
    assert len(ids(store, agent=key_of(AUTHORITY), related_agents=True)) == len(population)


def test_related_agents_merge_direct_and_indirect_places_without_repeats(store: SqlStore) -> None:
    ann = agent("ann")
    both = make(actor=ann, instructor=ann, stored=at(0))
    mixed = [
        make(actor=ann, stored=at(i)) if i % 2 else make(actor=agent("bob"), instructor=ann, stored=at(i))
        for i in range(1, 10)
    ]
    store.insert_statements([both, *mixed, make(actor=agent("bob"), stored=at(5))], [])
    expected = [s.id for s in reversed([both, *mixed])]
    for limit in (1, 2, 3, 10, 11):
        assert all_ids(store, agent=key_of(ann), related_agents=True, limit=limit) == expected, limit
    direct = [s.id for s in reversed([both, *mixed]) if s.statement["actor"] == ann]
    assert all_ids(store, agent=key_of(ann), limit=2) == direct
    assert all_ids(store, agent=key_of(ann), related_agents=True, verb=EXPERIENCED, limit=4, ascending=True) == list(
        reversed(expected)
    )


def test_activity_filter_and_related_activities(store: SqlStore, population: dict[str, NewStatement]) -> None:
    assert names(population, ids(store, activity=COURSE, ascending=True)) == ["bob_course", "ann_passed"]
    assert names(population, ids(store, activity=COURSE, related_activities=True, ascending=True)) == [
        "ann_module",
        "bob_course",
        "cid_sub_ann",
        "ann_passed",
    ]
    # bob_about_ann has an Agent as object; cid_sub_ann a SubStatement
    assert names(population, ids(store, activity=MODULE, ascending=True)) == ["ann_module", "cid_taught_by_ann"]
    assert ids(store, activity="https://nowhere.example") == []


def test_verb_registration_and_combined_filters(store: SqlStore, population: dict[str, NewStatement]) -> None:
    reg = population["ann_module"].index.registration
    assert names(population, ids(store, verb=PASSED, ascending=True)) == ["bob_course", "ann_passed"]
    assert names(population, ids(store, registration=reg, ascending=True)) == ["ann_module", "ann_passed"]
    ann = key_of(agent("ann"))
    assert names(population, ids(store, agent=ann, verb=PASSED)) == ["ann_passed"]
    assert names(population, ids(store, agent=ann, activity=COURSE, related_activities=True, ascending=True)) == [
        "ann_module",
        "ann_passed",
    ]
    assert names(population, ids(store, activity=COURSE, registration=reg, verb=PASSED)) == ["ann_passed"]
    assert ids(store, agent=ann, registration=str(uuid.uuid4())) == []


def test_since_is_exclusive_until_is_inclusive(store: SqlStore, population: dict[str, NewStatement]) -> None:
    assert names(population, ids(store, since=at(2), until=at(4), ascending=True)) == [
        "bob_about_ann",
        "cid_taught_by_ann",
    ]
    ann = key_of(agent("ann"))
    assert names(population, ids(store, agent=ann, since=at(1), until=at(3))) == ["bob_about_ann"]


def test_limit_validation(store: SqlStore) -> None:
    with pytest.raises(ValueError):
        store.query_statements(StatementQuery(limit=0))


# ---------------------------------------------------------------------------
# paging


@pytest.mark.parametrize("ascending", [True, False])
def test_paging_across_equal_timestamps(store: SqlStore, ascending: bool) -> None:
    batch = [make(stored=at(1)) for _ in range(7)] + [make(stored=at(0)) for _ in range(3)]
    store.insert_statements(batch[:4], [])
    store.insert_statements(batch[4:], [])
    expected = [s.id for s in sorted(batch[7:], key=lambda s: 0)] + [s.id for s in batch[:7]]
    if not ascending:
        expected.reverse()
    pages: list[list[str]] = []
    after = None
    while True:
        page = store.query_statements(StatementQuery(limit=3, ascending=ascending, after=after))
        pages.append([s.id for s in page.statements])
        if page.next_after is None:
            break
        assert page.next_after == (page.statements[-1].stored, page.statements[-1].id)
        after = page.next_after
    assert [len(p) for p in pages] == [3, 3, 3, 1]
    assert [i for p in pages for i in p] == expected


def test_exact_page_has_no_next(store: SqlStore) -> None:
    store.insert_statements([make(stored=at(i)) for i in range(3)], [])
    page = store.query_statements(StatementQuery(limit=3))
    assert len(page.statements) == 3 and page.next_after is None


def test_paging_with_filters_and_cursor(store: SqlStore) -> None:
    ann = agent("ann")
    mine = [make(actor=ann, stored=at(i // 2)) for i in range(9)]
    others = [make(actor=agent("bob"), stored=at(i // 2)) for i in range(9)]
    store.insert_statements([x for pair in zip(mine, others, strict=True) for x in pair], [])
    got = all_ids(store, agent=key_of(ann), limit=2)
    assert sorted(got) == sorted(s.id for s in mine) and len(got) == len(set(got))
    got_asc = all_ids(store, agent=key_of(ann), limit=4, ascending=True)
    assert got_asc == list(reversed(got))


def test_authority_filter_gives_full_pages_of_one_clients_statements(store: SqlStore) -> None:
    """statements/read/mine: the filter is part of the query, so a page is never cut short."""
    player, other = agent("player-client"), agent("other-client")
    mine = [make(actor=agent("ann"), authority=player, stored=at(i)) for i in range(5)]
    theirs = [make(actor=agent("ann"), authority=other, stored=at(i)) for i in range(5)]
    store.insert_statements([x for pair in zip(mine, theirs, strict=True) for x in pair], [])
    # another client's statement that refers to one of ours is not ours
    referring = make(ref=mine[0].id, authority=other, stored=at(9))
    store.insert_statements([referring], [])
    first = store.query_statements(StatementQuery(agent=key_of(agent("ann")), authority=key_of(player), limit=2))
    assert [s.id for s in first.statements] == [mine[4].id, mine[3].id] and first.next_after is not None
    everything = all_ids(store, agent=key_of(agent("ann")), authority=key_of(player), limit=2)
    assert everything == [s.id for s in reversed(mine)]
    assert all_ids(store, authority=key_of(other), limit=4) == [referring.id, *(s.id for s in reversed(theirs))]


def test_cursor_of_an_erased_statement_still_continues(store: SqlStore) -> None:
    keep = [make(actor=agent("bob"), stored=at(i)) for i in range(4)]
    gone = make(actor=agent("zed"), stored=at(1))
    store.insert_statements([*keep, gone], [])
    store.erase_agent(key_of(agent("zed")))
    got = ids(store, ascending=True, after=(gone.stored, gone.id))
    assert got[-2:] == [keep[2].id, keep[3].id] and keep[0].id not in got


# ---------------------------------------------------------------------------
# StatementRef filter rule


def test_voided_target_still_brings_referrers(store: SqlStore) -> None:
    """The ADL conformance scenario: filter by the voided statement's verb."""
    verb = "http://adlnet.gov/expapi/test/voided/target/" + str(uuid.uuid4())
    voided = make(verb=verb, stored=at(0))
    voiding = make(verb=VOIDED, ref=voided.id, stored=at(1))
    referrer = make(verb=verb, ref=voided.id, stored=at(2))
    store.insert_statements([voided], [])
    store.insert_statements([voiding], [])
    store.insert_statements([referrer], [])
    store.insert_statements([make(stored=at(3))], [])  # unrelated
    assert ids(store, verb=verb) == [referrer.id, voiding.id]
    assert ids(store, verb=verb, limit=1) == [referrer.id]
    assert ids(store, verb=verb, since=at(1)) == [referrer.id]
    assert ids(store, verb=VOIDED, until=at(1)) == [voiding.id]


def test_references_are_followed_recursively_and_time_applies_to_referrer(store: SqlStore) -> None:
    ben = agent("ben")
    passed = make(actor=ben, verb=PASSED, activity=COURSE, stored=at(0))
    confirmed = make(actor=agent("andrew"), verb="http://x/confirmed", ref=passed.id, stored=at(1))
    noted = make(actor=agent("cid"), verb="http://x/noted", ref=confirmed.id, stored=at(2))
    unrelated_ref = make(actor=agent("cid"), ref=str(uuid.uuid4()), stored=at(3))
    store.insert_statements([passed, confirmed, noted, unrelated_ref], [])
    expected = [passed.id, confirmed.id, noted.id]
    assert ids(store, agent=key_of(ben), ascending=True) == expected
    assert ids(store, activity=COURSE, ascending=True) == expected
    assert ids(store, agent=key_of(ben), verb=PASSED, ascending=True) == expected
    # the whole filter must match one statement of the chain, not parts of several
    assert ids(store, agent=key_of(agent("andrew")), verb=PASSED) == []
    assert ids(store, agent=key_of(ben), since=at(0), ascending=True) == [confirmed.id, noted.id]
    assert all_ids(store, agent=key_of(ben), limit=1) == list(reversed(expected))


def test_reference_cycles_terminate(store: SqlStore) -> None:
    a_id, b_id = str(uuid.uuid4()), str(uuid.uuid4())
    a = make(statement_id=a_id, ref=b_id, stored=at(0))
    b = make(statement_id=b_id, ref=a_id, stored=at(1))
    store.insert_statements([a, b], [])
    assert ids(store, verb=PASSED) == []
    assert sorted(ids(store, verb=EXPERIENCED)) == sorted([a_id, b_id])


# ---------------------------------------------------------------------------
# attachments


def test_attachments_stored_once_and_fetched_by_hash(store: SqlStore) -> None:
    blob = Attachment(hashlib.sha256(b"hello").hexdigest(), "text/plain", b"hello")
    store.insert_statements([make(attachments=(blob.sha2,)), make(attachments=(blob.sha2,))], [blob, blob])
    store.insert_statements([make(attachments=(blob.sha2,))], [blob])
    assert store.get_attachments([blob.sha2, "0" * 64]) == [blob]
    assert count_rows(store, "attachments") == 1
    assert store.get_attachments([]) == []


# ---------------------------------------------------------------------------
# activities and agents


def test_activity_definition_is_merged_from_the_latest_statements(store: SqlStore) -> None:
    first = {"name": {"en-US": "Module 1", "nl-BE": "Module 1"}, "type": "http://x/module"}
    store.insert_statements([make(definition=first, stored=at(0))], [])
    second = {"name": {"en-US": "Module one"}, "description": {"en-US": "Intro"}, "type": "http://x/lesson"}
    store.insert_statements([make(definition=second, stored=at(1)), make(stored=at(1))], [])
    assert store.get_activity(MODULE) == {
        "objectType": "Activity",
        "id": MODULE,
        "definition": {
            "name": {"en-US": "Module one", "nl-BE": "Module 1"},
            "description": {"en-US": "Intro"},
            "type": "http://x/lesson",
        },
    }
    store.insert_statements([make(parent=COURSE)], [])
    assert store.get_activity(COURSE) == {"objectType": "Activity", "id": COURSE}
    assert store.get_activity("https://unknown.example") is None


def test_person_agents_are_every_distinct_agent_object(store: SqlStore) -> None:
    a1 = {"objectType": "Agent", "name": "Ann", "mbox": "mailto:ann@example.org"}
    a2 = {"name": "Ann Peeters", "mbox": "mailto:ann@example.org"}
    store.insert_statements([make(actor=a1), make(actor=a1), make(actor=a2)], [])
    store.insert_statements([make(actor=a1)], [])
    got = store.agents_for_person("mbox:mailto:ann@example.org")
    assert sorted(got, key=lambda a: a["name"]) == [a1, a2]
    assert store.agents_for_person("mbox:mailto:nobody@example.org") == []


# ---------------------------------------------------------------------------
# documents


def doc(key: DocumentKey, content: bytes, when: dt.datetime, content_type: str = "application/json") -> Document:
    etag = '"' + hashlib.sha1(content).hexdigest() + '"'
    return Document(key=key, content=content, content_type=content_type, etag=etag, updated=when)


ANN = "mbox:mailto:ann@example.org"


def state(doc_id: str = "", registration: str = "") -> DocumentKey:
    return DocumentKey("state", activity_id=MODULE, agent=ANN, registration=registration, doc_id=doc_id)


def test_document_create_get_replace(store: SqlStore) -> None:
    key = state("bookmark")
    first = doc(key, b'{"page": 1}', at(0))
    store.put_document(first, if_match=None, if_none_match=None)
    assert store.get_document(key) == first
    second = doc(key, b"page 2", at(1), "text/plain")
    store.put_document(second, if_match=None, if_none_match=None)
    assert store.get_document(key) == second
    assert store.get_document(state("other")) is None


def test_document_preconditions(store: SqlStore) -> None:
    key = DocumentKey("activity_profile", activity_id=MODULE, doc_id="p")
    v1 = doc(key, b"1", at(0))
    with pytest.raises(PreconditionFailed):
        store.put_document(v1, if_match=v1.etag, if_none_match=None)  # If-Match on a missing document
    with pytest.raises(PreconditionFailed):
        store.put_document(v1, if_match="*", if_none_match=None)
    store.put_document(v1, if_match=None, if_none_match="*")
    v2 = doc(key, b"2", at(1))
    with pytest.raises(PreconditionFailed):
        store.put_document(v2, if_match=None, if_none_match="*")
    with pytest.raises(PreconditionFailed):
        store.put_document(v2, if_match=None, if_none_match=v1.etag)
    with pytest.raises(PreconditionFailed):
        store.put_document(v2, if_match='"0000"', if_none_match=None)
    assert store.get_document(key) == v1
    store.put_document(v2, if_match=f'"nope", {v1.etag}', if_none_match=None)
    v3 = doc(key, b"3", at(2))
    store.put_document(v3, if_match=v2.etag.strip('"'), if_none_match=None)  # bare tag accepted
    store.put_document(doc(key, b"4", at(3)), if_match="*", if_none_match='"other"')
    with pytest.raises(PreconditionFailed):
        store.delete_documents(key, if_match=v3.etag)
    current = store.get_document(key)
    assert current is not None and current.content == b"4"
    store.delete_documents(key, if_match=current.etag)
    assert store.get_document(key) is None
    with pytest.raises(PreconditionFailed):
        store.delete_documents(key, if_match="*")
    store.delete_documents(key, if_match=None)  # deleting nothing is fine


def test_document_ids_since_and_scoping(store: SqlStore) -> None:
    reg = str(uuid.uuid4())
    for i, name in enumerate(["b", "a", "c"]):
        store.put_document(doc(state(name), b"{}", at(i)), if_match=None, if_none_match=None)
    store.put_document(doc(state("r", reg), b"{}", at(9)), if_match=None, if_none_match=None)
    profile = DocumentKey("agent_profile", agent=ANN, doc_id="prefs")
    store.put_document(doc(profile, b"{}", at(9)), if_match=None, if_none_match=None)
    assert store.list_document_ids(state(), None) == ["a", "b", "c"]
    assert store.list_document_ids(state(), at(0)) == ["a", "c"]
    assert store.list_document_ids(state(registration=reg), None) == ["r"]
    assert store.list_document_ids(DocumentKey("agent_profile", agent=ANN), None) == ["prefs"]
    assert store.list_document_ids(DocumentKey("activity_profile", activity_id=MODULE), None) == []


def test_state_delete_all_touches_only_that_scope(store: SqlStore) -> None:
    reg = str(uuid.uuid4())
    for name in ("a", "b"):
        store.put_document(doc(state(name), b"{}", at(0)), if_match=None, if_none_match=None)
    store.put_document(doc(state("a", reg), b"{}", at(0)), if_match=None, if_none_match=None)
    other = DocumentKey("state", activity_id=COURSE, agent=ANN, doc_id="a")
    store.put_document(doc(other, b"{}", at(0)), if_match=None, if_none_match=None)
    store.delete_documents(state(), if_match=None)
    assert store.list_document_ids(state(), None) == []
    assert store.list_document_ids(state(registration=reg), None) == ["a"]
    assert store.get_document(other) is not None


# ---------------------------------------------------------------------------
# clients and launch tokens


def test_clients(store: SqlStore) -> None:
    now = dt.datetime.now(dt.UTC)
    zed = ClientRecord("k2", "$argon2id$x", "zed", ("statements/write",), AUTHORITY, now)
    amy = ClientRecord("k1", "$argon2id$y", "amy", ("all",), {"objectType": "Agent", "name": "amy"}, now)
    store.put_client(zed)
    store.put_client(amy)
    assert store.get_client("k1") == amy
    assert store.list_clients() == [amy, zed]
    renamed = ClientRecord("k2", "$argon2id$z", "bea", ("all", "state"), AUTHORITY, now)
    store.put_client(renamed)
    assert store.list_clients() == [amy, renamed]
    assert store.remove_client("k1") is True
    assert store.remove_client("k1") is False
    assert store.get_client("k1") is None


def test_launch_token_single_use_and_expiry(store: SqlStore) -> None:
    now = dt.datetime.now(dt.UTC)
    actor = agent("ann")
    token = LaunchToken("tok-1", key_of(actor), actor, str(uuid.uuid4()), MODULE, now + dt.timedelta(hours=1))
    store.put_launch_token(token)
    taken = store.take_launch_token("tok-1", now)
    assert taken == LaunchToken(**{**token.__dict__, "fetched": True})
    assert store.take_launch_token("tok-1", now) is None
    assert store.get_launch_token("tok-1") == taken
    old = LaunchToken("tok-2", key_of(actor), actor, str(uuid.uuid4()), MODULE, now - dt.timedelta(seconds=1))
    store.put_launch_token(old)
    assert store.take_launch_token("tok-2", now) is None
    assert store.get_launch_token("tok-2") == old
    assert store.take_launch_token("missing", now) is None


def test_launch_token_is_taken_once_under_contention(store: SqlStore) -> None:
    now = dt.datetime.now(dt.UTC)
    actor = agent("ann")
    store.put_launch_token(LaunchToken("race", key_of(actor), actor, "r", MODULE, now + dt.timedelta(minutes=5)))
    results: list[LaunchToken | None] = []
    threads = [threading.Thread(target=lambda: results.append(store.take_launch_token("race", now))) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r is not None for r in results) == 1


# ---------------------------------------------------------------------------
# erasure


def test_erase_agent_removes_their_statements_documents_and_orphaned_attachments(store: SqlStore) -> None:
    zed, bob = agent("zed"), agent("bob")
    shared = Attachment("1" * 64, "text/plain", b"shared")
    own = Attachment("2" * 64, "text/plain", b"own")
    zed_actor = make(actor=zed, attachments=(shared.sha2, own.sha2), stored=at(0))
    zed_instructed = make(actor=bob, instructor=zed, stored=at(1))
    bob_alone = make(actor=bob, attachments=(shared.sha2,), stored=at(2))
    ref_to_zed = make(actor=bob, ref=zed_actor.id, stored=at(3))
    store.insert_statements([zed_actor, zed_instructed, bob_alone, ref_to_zed], [shared, own])
    zed_state = DocumentKey("state", activity_id=MODULE, agent=key_of(zed), doc_id="s")
    zed_profile = DocumentKey("agent_profile", agent=key_of(zed), doc_id="p")
    bob_state = DocumentKey("state", activity_id=MODULE, agent=key_of(bob), doc_id="s")
    for key in (zed_state, zed_profile, bob_state):
        store.put_document(doc(key, b"{}", at(0)), if_match=None, if_none_match=None)
    exp = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    store.put_launch_token(LaunchToken("zed-token", key_of(zed), zed, "r", MODULE, exp))

    assert store.erase_agent(key_of(zed)) == 2
    assert store.get_statement(zed_actor.id) is None and store.get_statement(zed_instructed.id) is None
    assert ids(store, ascending=True) == [bob_alone.id, ref_to_zed.id]
    assert ids(store, agent=key_of(zed), related_agents=True) == []
    assert store.get_attachments([shared.sha2, own.sha2]) == [shared]
    assert store.get_document(zed_state) is None and store.get_document(zed_profile) is None
    assert store.get_document(bob_state) is not None
    assert store.agents_for_person(key_of(zed)) == []
    assert store.get_launch_token("zed-token") is None
    assert store.erase_agent(key_of(zed)) == 0


# ---------------------------------------------------------------------------
# consistency and migrations


def test_consistent_through_is_an_aware_recent_instant(store: SqlStore) -> None:
    before = dt.datetime.now(dt.UTC)
    got = store.consistent_through()
    assert got.tzinfo is not None and before <= got <= dt.datetime.now(dt.UTC)


def test_migration_creates_the_schema_of_tables_py(store_url: str) -> None:
    upgrade(store_url)
    store = SqlStore(store_url)
    try:
        assert current_revision(store.engine) == head_revision()
        with store.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
        assert diff == []
    finally:
        store.close()


def test_reopen_keeps_data_and_migrates_an_older_database_in_place(store_url: str) -> None:
    from alembic import command

    from lrs.store.migrate import alembic_config

    first = SqlStore(store_url)
    s = make()
    first.insert_statements([s], [])
    first.close()
    again = SqlStore(store_url)  # at head: nothing to do
    assert again.get_statement(s.id) is not None
    with again.engine.begin() as conn:  # an older database: back to an empty schema, then up again
        config = alembic_config()
        config.attributes["connection"] = conn
        command.downgrade(config, "base")
    assert current_revision(again.engine) is None
    again.close()
    upgraded = SqlStore(store_url)
    try:
        assert current_revision(upgraded.engine) == head_revision()
        assert upgraded.insert_statements([s], []) == [s.id]
        assert upgraded.get_statement(s.id) is not None
    finally:
        upgraded.close()


def test_stores_opening_a_fresh_database_at_once_migrate_it_once(store_url: str) -> None:
    opened: list[SqlStore] = []
    errors: list[BaseException] = []

    def open_store() -> None:
        try:
            opened.append(SqlStore(store_url))
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=open_store) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert errors == []
        assert {current_revision(s.engine) for s in opened} == {head_revision()}
    finally:
        for s in opened:
            s.close()


def test_unusable_urls_are_refused() -> None:
    for url in ("sqlite://", "sqlite:///:memory:", "mysql://x@localhost/lrs"):
        with pytest.raises(ValueError):
            SqlStore(url)


def test_postgres_urls_use_psycopg(store_url: str) -> None:
    store = SqlStore(store_url.replace("postgresql+psycopg://", "postgresql://"))
    try:
        assert store.engine.dialect.driver in ("psycopg", "pysqlite")
    finally:
        store.close()


def test_postgresql_keeps_attachment_bytes_uncompressed_for_sliced_reads(postgres_server: Any) -> None:
    """Attachments stream a slice at a time; compressed TOAST would be decompressed from the start per slice."""
    schema = postgres_server.new_schema()
    try:
        store = SqlStore(postgres_server.schema_url(schema))
        try:
            with store.engine.connect() as conn:
                storage = conn.execute(
                    sa.text(
                        "SELECT a.attstorage FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
                        "JOIN pg_namespace n ON n.oid = c.relnamespace "
                        "WHERE n.nspname = :schema AND c.relname = 'attachments' AND a.attname = 'content'"
                    ),
                    {"schema": schema},
                ).scalar_one()
            assert storage == "e"  # EXTERNAL: out of line, not compressed
        finally:
            store.close()
    finally:
        postgres_server.drop_schema(schema)
