"""The one storage interface every backend implements.

The xAPI layer (``lrs.xapi``) decides what is valid and computes what a
statement is indexed by; the store only keeps rows and answers queries, so
SQLite and PostgreSQL accept and return exactly the same things.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

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
class ClientRecord:
    """An API client: Basic-auth key, argon2 hash of its secret, scopes, authority."""

    key: str
    secret_hash: str
    name: str
    scopes: tuple[str, ...]
    authority: dict[str, Any]  # the Agent/Group set as statement authority
    created: dt.datetime


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

    # documents --------------------------------------------------------
    def get_document(self, key: DocumentKey) -> Document | None:
        """One document."""
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

    def put_launch_token(self, token: LaunchToken) -> None:
        """Store a new cmi5 launch token."""
        ...

    def take_launch_token(self, token: str, now: dt.datetime) -> LaunchToken | None:
        """Mark a token fetched and return it; None when unknown, expired or already fetched."""
        ...

    def get_launch_token(self, token: str) -> LaunchToken | None:
        """A token (fetched or not) to authenticate requests made with it."""
        ...

    # learners ----------------------------------------------------------
    def erase_agent(self, agent_key: str) -> int:
        """Remove every statement and document of one learner; return statements removed."""
        ...
