"""The one storage interface every backend implements.

The xAPI layer (``lrs.xapi``) decides what is valid and computes what a
statement is indexed by; the store only keeps rows and answers queries, so
SQLite and PostgreSQL accept and return exactly the same things.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeVar

T = TypeVar("T")

AgentRelation = Literal["actor", "object", "authority", "context", "sub"]
"""Where an agent appears: ``actor``/``object`` match the ``agent`` filter;
``authority``, ``context`` (instructor, team, 2.0 contextAgents/Groups) and
``sub`` (inside a SubStatement) only ``related_agents=true``."""

ActivityRelation = Literal["object", "context", "sub"]
"""``object`` matches the ``activity`` filter; ``context`` (parent, grouping,
category, other) and ``sub`` only ``related_activities=true``."""


class StoreError(Exception):
    """Base of storage errors the API turns into HTTP answers."""


class ConflictError(StoreError):
    """A statement id exists with different content (HTTP 409)."""


class PreconditionFailed(StoreError):
    """An If-Match / If-None-Match check failed (HTTP 412)."""


@dataclass(frozen=True)
class StatementIndex:
    """What a statement can be found by, computed once by ``lrs.xapi``.

    Agent keys are canonical inverse-functional-identifier strings made by
    ``lrs.xapi.agents.agent_key`` (e.g. ``mbox:mailto:a@b.be``,
    ``account:https://lms.example|u123``). Group members count as agents of
    the same relation.
    """

    verb_id: str
    registration: str | None
    agents: frozenset[tuple[str, AgentRelation]]
    activities: frozenset[tuple[str, ActivityRelation]]
    #: id of the statement this one targets (object is a StatementRef), for
    #: voiding and for returning referring statements with their target.
    references: str | None
    #: the target id when this is a voiding statement (verb .../voided).
    voids: str | None
    #: Activity objects seen (object, context activities, sub-statement), to
    #: keep the canonical definition served by GET /activities.
    activity_objects: tuple[dict[str, Any], ...] = ()
    #: (agent key, Agent object) pairs seen, for the Person object of GET /agents.
    agent_objects: tuple[tuple[str, dict[str, Any]], ...] = ()


@dataclass(frozen=True)
class NewStatement:
    """A validated statement ready to store: full JSON plus its index."""

    id: str
    statement: dict[str, Any]  # complete: id, stored, authority, version, timestamp set
    stored: dt.datetime  # UTC, the same instant as statement["stored"]
    index: StatementIndex
    attachments: tuple[str, ...] = ()  # sha2 of attachments whose bytes came with it
    #: canonical-JSON text used to compare a re-sent statement with the stored one
    comparable: str = ""


@dataclass(frozen=True)
class StoredStatement:
    """A statement as read back."""

    id: str
    statement: dict[str, Any]
    stored: dt.datetime
    voided: bool


@dataclass(frozen=True)
class StatementQuery:
    """A GET /statements query after validation (agent already a key)."""

    agent: str | None = None
    verb: str | None = None
    activity: str | None = None
    registration: str | None = None
    related_activities: bool = False
    related_agents: bool = False
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    limit: int = 100
    ascending: bool = False
    #: continue after this (stored, id) position; set from a ``more`` cursor
    after: tuple[dt.datetime, str] | None = None
    #: only statements whose ``authority`` is this agent key (a statements/read/mine client)
    authority: str | None = None


@dataclass(frozen=True)
class StatementPage:
    """One page of results and where the next one starts (None at the end)."""

    statements: list[StoredStatement]
    next_after: tuple[dt.datetime, str] | None


DocumentKind = Literal["state", "activity_profile", "agent_profile"]


@dataclass(frozen=True)
class DocumentKey:
    """Identifies one document. Unused parts are empty strings.

    state: activity_id, agent (key), registration ('' if none), doc_id (stateId);
    activity_profile: activity_id, doc_id (profileId);
    agent_profile: agent (key), doc_id (profileId).
    """

    kind: DocumentKind
    activity_id: str = ""
    agent: str = ""
    registration: str = ""
    doc_id: str = ""


@dataclass(frozen=True)
class Document:
    """A stored document with what HTTP needs to serve it."""

    key: DocumentKey
    content: bytes
    content_type: str
    etag: str  # quoted strong ETag: '"<sha1 hex>"'
    updated: dt.datetime


@dataclass(frozen=True)
class Attachment:
    """Attachment bytes, stored once per sha2."""

    sha2: str
    content_type: str
    content: bytes = field(repr=False)


@dataclass(frozen=True)
class AttachmentInfo:
    """What a response needs to know of stored attachment bytes before it sends them."""

    sha2: str
    content_type: str
    size: int  # bytes


@dataclass(frozen=True)
class PurgeResult:
    """What a retention purge removed: counts, and the agent keys whose derived rows must be recomputed."""

    statements: int
    documents: int
    learners: frozenset[str]


@dataclass(frozen=True)
class ClientRecord:
    """An API client: Basic-auth key, hash of its secret (:mod:`lrs.auth.credentials`), scopes, authority."""

    key: str
    secret_hash: str
    name: str
    scopes: tuple[str, ...]
    authority: dict[str, Any]  # the Agent/Group set as statement authority
    created: dt.datetime
    #: set for a dual-tracking package's client: it may only send this organisation's
    #: pseudonymous statements (lrs.xapi.dual_tracking)
    organisation: str | None = None


@dataclass(frozen=True)
class LaunchToken:
    """A cmi5 launch credential: fetched once, short-lived, bound to one launch."""

    token: str
    actor_key: str
    actor: dict[str, Any]
    registration: str
    activity_id: str
    expires: dt.datetime
    fetched: bool = False
    #: the cmi5 session (contextTemplate sessionid) of the launch; '' for tokens from before sessions were kept
    session_id: str = ""


Cmi5Status = Literal["launched", "initialized", "terminated", "abandoned"]
"""Where an AU session is: launched by the LMS, initialized and terminated by
the AU, or abandoned by the LMS (a newer launch in the registration)."""


@dataclass(frozen=True)
class Cmi5Registration:
    """The LMS's record of one cmi5 registration (a learner's enrollment in a course).

    ``course`` (optional) is what course satisfaction needs: ``{"id": LMS
    course activity id, "publisherId": course id of cmi5.xml, "aus":
    [{"activityId": ..., "moveOn": ...}, ...]}``; ``authority`` is put on
    the statements the LMS records for the registration later (satisfied,
    abandoned), when no launcher request is at hand.
    """

    registration: str
    actor_key: str
    actor: dict[str, Any]
    authority: dict[str, Any]
    created: dt.datetime
    course: dict[str, Any] | None = None
    satisfied: bool = False


@dataclass(frozen=True)
class Cmi5Au:
    """One AU in one registration: what its cmi5-defined statements established so far."""

    registration: str
    activity_id: str
    completed: bool = False
    passed: bool = False
    satisfied: bool = False


@dataclass(frozen=True)
class Cmi5Session:
    """One AU launch session, keyed by the session id of its contextTemplate."""

    session_id: str
    registration: str
    activity_id: str
    launch_data: dict[str, Any]  # LMS.LaunchData as written at launch (the AU cannot change it)
    launched: dt.datetime
    status: Cmi5Status = "launched"
    verbs: tuple[str, ...] = ()  # cmi5-defined verb ids the AU sent, in order
    launch_data_read: bool = False
    preferences_read: bool = False
    last_statement: dt.datetime | None = None


class Cmi5Unit(Protocol):
    """The cmi5 records of one registration inside one write transaction (see :meth:`Store.cmi5_write`)."""

    @property
    def registration(self) -> Cmi5Registration | None:
        """The registration record as locked at the start (None when it does not exist yet)."""
        ...

    def put_registration(self, record: Cmi5Registration) -> None:
        """Create or replace the registration record."""
        ...

    def session(self, session_id: str) -> Cmi5Session | None:
        """One session of this registration."""
        ...

    def open_sessions(self) -> list[Cmi5Session]:
        """Sessions of this registration neither terminated nor abandoned, oldest first."""
        ...

    def put_session(self, session: Cmi5Session) -> None:
        """Create or replace a session record."""
        ...

    def aus(self) -> dict[str, Cmi5Au]:
        """The AU records of this registration by activity id."""
        ...

    def put_au(self, au: Cmi5Au) -> None:
        """Create or replace an AU record."""
        ...

    def already_stored(self, statements: Sequence[NewStatement]) -> set[str]:
        """Ids of ``statements`` stored before with the same content (a re-send)."""
        ...

    def insert_statements(self, statements: Sequence[NewStatement], attachments: Sequence[Attachment]) -> list[str]:
        """:meth:`Store.insert_statements` inside this transaction."""
        ...

    def put_document(self, document: Document) -> None:
        """Create or replace a document unconditionally."""
        ...

    def put_launch_token(self, token: LaunchToken) -> None:
        """:meth:`Store.put_launch_token` inside this transaction."""
        ...


class Store(Protocol):
    """Everything the LRS keeps. Each write is one transaction: all or nothing."""

    # statements -------------------------------------------------------
    def insert_statements(self, statements: Sequence[NewStatement], attachments: Sequence[Attachment]) -> list[str]:
        """Store a batch atomically; return the ids in order.

        A statement whose id exists with the same ``comparable`` is skipped
        (no error); with different content raises :class:`ConflictError`
        and nothing of the batch is stored. A voiding statement marks its
        target voided in the same transaction.
        """
        ...

    def get_statement(self, statement_id: str) -> StoredStatement | None:
        """One statement by id, voided or not (the API decides what to show)."""
        ...

    def query_statements(self, query: StatementQuery) -> StatementPage:
        """Non-voided statements matching the filters, ordered by stored (then id).

        A statement that references (StatementRef) a matching statement is
        itself matched, recursively, as the xAPI spec requires.
        """
        ...

    def consistent_through(self) -> dt.datetime:
        """Instant up to which every stored statement is visible to queries."""
        ...

    def get_attachments(self, sha2s: Sequence[str]) -> list[Attachment]:
        """Attachments by sha2 (missing ones are left out)."""
        ...

    def statement_attachments(self, statement_ids: Sequence[str]) -> list[AttachmentInfo]:
        """The attachments whose bytes were sent *with* these statements, each once, by sha2.

        Only those: a statement that merely lists a sha2 (with a ``fileUrl``)
        must not serve bytes another client uploaded, so whoever may read a
        statement reads exactly the bytes that came with it.
        """
        ...

    def attachment_chunks(self, sha2: str, chunk_bytes: int) -> Iterator[bytes]:
        """The bytes of one attachment, ``chunk_bytes`` at a time, one short read per chunk.

        Memory is one chunk whatever the attachment's size, and no
        transaction stays open while the caller sends a chunk to a slow
        client. Raises :class:`StoreError` if the attachment is erased
        midway (the caller then aborts its response rather than send a
        short one).
        """
        ...

    # documents --------------------------------------------------------
    def get_document(self, key: DocumentKey) -> Document | None:
        """One document."""
        ...

    def agent_documents(self, agent_key: str) -> list[Document]:
        """Every state and agent-profile document stored for one agent (what a learner gets back of theirs)."""
        ...

    def list_document_ids(self, key: DocumentKey, since: dt.datetime | None) -> list[str]:
        """Ids of the documents matching ``key`` without ``doc_id``, updated after ``since``."""
        ...

    def put_document(self, document: Document, *, if_match: str | None, if_none_match: str | None) -> None:
        """Create or replace, honouring If-Match / If-None-Match (``*`` allowed)."""
        ...

    def delete_documents(self, key: DocumentKey, *, if_match: str | None) -> None:
        """Delete one (``doc_id`` set) or all matching documents (state without stateId)."""
        ...

    # agents and activities ---------------------------------------------
    def get_activity(self, activity_id: str) -> dict[str, Any] | None:
        """The canonical Activity object the LRS has for this id (latest definition merged)."""
        ...

    def agents_for_person(self, agent_key: str) -> list[dict[str, Any]]:
        """Every agent object seen with this identifier (for the Person object)."""
        ...

    # clients and cmi5 launch tokens ------------------------------------
    def put_client(self, client: ClientRecord) -> None:
        """Add or replace a client."""
        ...

    def get_client(self, key: str) -> ClientRecord | None:
        """A client by key."""
        ...

    def list_clients(self) -> list[ClientRecord]:
        """All clients, by name."""
        ...

    def remove_client(self, key: str) -> bool:
        """Remove a client; False when there was none."""
        ...

    def replace_client_secret(self, key: str, old_hash: str, new_hash: str) -> bool:
        """Store ``new_hash`` for client ``key`` if its hash is still ``old_hash`` (False otherwise).

        Compare-and-set, so upgrading a hash never undoes a secret rotation
        made meanwhile.
        """
        ...

    def claim_auth_check(self, key: str, window: int) -> int:
        """Count one more secret check for client ``key`` in limiter window ``window``; the new count.

        Atomic across workers and processes (one ``INSERT ... ON CONFLICT DO
        UPDATE ... RETURNING``): N concurrent claims get N different counts.
        Rows of earlier windows of the key are dropped on the way.
        """
        ...

    def release_auth_check(self, key: str, window: int) -> None:
        """Give back one claimed check (the secret was right) of client ``key`` in ``window``."""
        ...

    def put_launch_token(self, token: LaunchToken) -> None:
        """Store a new cmi5 launch token."""
        ...

    def take_launch_token(self, token: str, now: dt.datetime) -> LaunchToken | None:
        """Mark a token fetched and return it; None when unknown, expired or already fetched."""
        ...

    def get_launch_token(self, token: str) -> LaunchToken | None:
        """A token (fetched or not) to authenticate requests made with it."""
        ...

    # cmi5 LMS records ----------------------------------------------------
    def cmi5_write(self, registration: str, work: Callable[[Cmi5Unit], T]) -> T:
        """Run ``work`` in one write transaction with the registration's cmi5 records locked.

        Everything ``work`` does through the unit commits together, or not
        at all when it raises; concurrent calls for one registration run one
        after the other (and ``work`` may be run again after a lost race, so
        it must not have effects outside the unit).
        """
        ...

    def get_cmi5_session(self, session_id: str) -> Cmi5Session | None:
        """One session record (for requests outside :meth:`cmi5_write`)."""
        ...

    def note_cmi5_read(self, session_id: str, *, launch_data: bool = False, preferences: bool = False) -> None:
        """Record that the session's AU read LMS.LaunchData / its learner preferences."""
        ...

    def cmi5_enrollment(self, actor_key: str, course_id: str, candidate: str, *, renew: bool = False) -> str:
        """The registration of a learner's enrollment in a course: the stored one, else ``candidate``.

        With ``renew`` the enrollment starts over with ``candidate``.
        """
        ...

    # learners ----------------------------------------------------------
    def erase_agent(self, agent_key: str) -> int:
        """Remove every statement and document of one learner; return statements removed."""
        ...

    def count_stored_before(self, cutoff: dt.datetime) -> int:
        """How many statements were stored before ``cutoff`` (what a purge would remove)."""
        ...

    def purge_before(self, cutoff: dt.datetime) -> PurgeResult:
        """Remove what was stored or last written before ``cutoff`` (the retention period)."""
        ...
