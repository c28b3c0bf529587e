"""The three xAPI document resources (State, Activity Profile, Agent Profile), without HTTP.

The blueprints in ``lrs.api`` only read the request and write the response;
everything the spec (xAPI 1.0.3 Communication §2.2-2.7 and §3.1, xAPI 2.0
§4.1.4 and §4.1.6.2-6) and the ADL conformance suite decide lives here, so the
rules are written once for all three resources and tested without Flask:

* parameters: which are required for which method, each checked with a
  message naming it (``registration: must be a UUID``);
* JSON merge on POST (top-level properties only, both documents JSON objects);
* concurrency: quoted SHA-1 ETags, ``If-Match`` / ``If-None-Match`` (lists and
  ``*``), 412 when a precondition fails, 409 for a PUT without precondition on
  an existing document, and the version differences listed in
  :class:`ConcurrencyRules`.

Preconditions are evaluated here against the current document (RFC 7232
comparison of ETag lists) and then handed to the store as one exact ETag (or
``*``) so the store's write is a compare-and-set: a concurrent change between
our read and the write makes the store refuse, and we evaluate again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from lrs.store.interface import Document, DocumentKey, DocumentKind, PreconditionFailed, Store
from lrs.xapi.agents import AgentKeyError, agent_key
from lrs.xapi.jsontext import ClientJsonError, dumps_json, parse_client_json
from lrs.xapi.validate import identifier_problem

Method = Literal["GET", "HEAD", "PUT", "POST", "DELETE"]

JSON_TYPE: Final = "application/json"
DEFAULT_TYPE: Final = "application/octet-stream"
#: Attempts at a compare-and-set write before giving up with 409 (only reached
#: under a storm of concurrent writers to one document).
WRITE_ATTEMPTS: Final = 5

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:\S")
_SHA1_HEX = re.compile(r"^[0-9a-fA-F]{40}$")
_ETAG = re.compile(r'\s*(W/)?("[^"]*")\s*(?:,|$)')


class DocumentError(Exception):
    """A request the document resources refuse: HTTP status and a message for the client."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


# --------------------------------------------------------------------------
# parameters


@dataclass(frozen=True)
class DocumentParams:
    """A validated document request: which document(s), and ``since`` for id lists.

    ``key.doc_id`` is empty for the multiple-document forms (GET ids, and
    DELETE of all state documents of one context).
    """

    key: DocumentKey
    since: dt.datetime | None = None
    #: The agent object from the ``agent`` parameter (state and agent profile).
    agent: dict[str, Any] | None = None

    @property
    def single(self) -> bool:
        """Whether the request names one document (stateId / profileId given)."""
        return bool(self.key.doc_id)


def parse_iri(raw: str | None, name: str) -> str:
    """An IRI parameter (``activityId``): required, and with a scheme (1.0.3 requires one)."""
    if raw is None or raw == "":
        raise DocumentError(400, f"{name}: required parameter is missing")
    if not _SCHEME.match(raw):
        raise DocumentError(400, f"{name}: must be an IRI with a scheme (e.g. https://...), got {raw[:100]!r}")
    _check_identifier(raw, name)
    return raw


def parse_doc_id(raw: str | None, name: str) -> str:
    """A ``stateId`` / ``profileId``: any non-empty string."""
    if raw is None or raw == "":
        raise DocumentError(400, f"{name}: required parameter is missing")
    _check_identifier(raw, name)
    return raw


def _check_identifier(value: str, name: str) -> None:
    """Document keys are indexed: :data:`~lrs.xapi.validate.MAX_IDENTIFIER_BYTES` each."""
    problem = identifier_problem(value)
    if problem is not None:
        raise DocumentError(400, f"{name}: {problem}")


def parse_registration(raw: str | None) -> str:
    """An optional ``registration`` UUID, lower-cased ('' when absent)."""
    if raw is None:
        return ""
    if not _UUID.match(raw):
        raise DocumentError(400, f"registration: must be a UUID, got {raw[:100]!r}")
    return raw.lower()


def parse_since(raw: str | None) -> dt.datetime | None:
    """An optional ``since`` timestamp (ISO 8601); without an offset it is taken as UTC."""
    if raw is None:
        return None
    text = raw.strip()
    if text[-1:] in ("z", "Z"):
        text = text[:-1] + "+00:00"
    try:
        value = dt.datetime.fromisoformat(text)
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        # 0001-01-01T00:00:00+14:00 has no UTC instant a datetime holds (OverflowError)
        return value.astimezone(dt.UTC)
    except ValueError:
        raise DocumentError(400, f"since: must be an ISO 8601 timestamp, got {raw[:100]!r}") from None
    except OverflowError:
        raise DocumentError(400, f"since: {raw[:100]!r} is outside the years 0001 to 9999 in UTC") from None


def _check_ifi(agent: Mapping[str, Any], name: str) -> None:
    ifis = [p for p in ("mbox", "mbox_sha1sum", "openid", "account") if p in agent]
    if len(ifis) != 1:
        raise DocumentError(
            400, f"{name}: must have exactly one of mbox, mbox_sha1sum, openid, account (found {len(ifis)})"
        )
    prop = ifis[0]
    value = agent[prop]
    if prop == "mbox":
        if not isinstance(value, str) or not value.lower().startswith("mailto:") or "@" not in value:
            raise DocumentError(400, f"{name}.mbox: must be a mailto: IRI such as mailto:someone@example.org")
    elif prop == "mbox_sha1sum":
        if not isinstance(value, str) or not _SHA1_HEX.match(value):
            raise DocumentError(400, f"{name}.mbox_sha1sum: must be 40 hexadecimal characters (SHA-1)")
    elif prop == "openid":
        if not isinstance(value, str) or not _SCHEME.match(value):
            raise DocumentError(400, f"{name}.openid: must be a URI")
    else:
        if not isinstance(value, dict):
            raise DocumentError(400, f"{name}.account: must be an object with homePage and name")
        home, account_name = value.get("homePage"), value.get("name")
        if not isinstance(home, str) or not _SCHEME.match(home):
            raise DocumentError(400, f"{name}.account.homePage: must be an IRL (URL)")
        if not isinstance(account_name, str) or not account_name:
            raise DocumentError(400, f"{name}.account.name: must be a non-empty string")


def parse_agent(raw: str | None, *, name: str = "agent", allow_group: bool = False) -> tuple[dict[str, Any], str]:
    """The JSON ``agent`` parameter as (Agent object, agent key).

    It must be an Agent with exactly one inverse functional identifier;
    ``allow_group`` admits an identified Group too (2.0 lets state be kept
    against one). Persons and anonymous groups are refused: documents are
    keyed by one identifier.
    """
    if raw is None or raw == "":
        raise DocumentError(400, f"{name}: required parameter is missing")
    try:
        agent = parse_client_json(raw, name)
    except ClientJsonError as error:
        raise DocumentError(400, f"{error} (an Agent object is expected)") from None
    if not isinstance(agent, dict):
        raise DocumentError(400, f"{name}: must be a JSON object (an Agent)")
    object_type = agent.get("objectType", "Agent")
    allowed = ("Agent", "Group") if allow_group else ("Agent",)
    if object_type not in allowed:
        raise DocumentError(400, f"{name}.objectType: must be {' or '.join(allowed)}, got {object_type!r}")
    if "name" in agent and not isinstance(agent["name"], str):
        raise DocumentError(400, f"{name}.name: must be a string")
    _check_ifi(agent, name)
    try:
        key = agent_key(agent)
    except AgentKeyError as exc:
        raise DocumentError(400, f"{name}: {exc}") from None
    _check_identifier(key, name)
    return agent, key


#: Query parameters each document resource defines (``since`` only for GET).
PARAMETERS: Final[dict[DocumentKind, tuple[str, ...]]] = {
    "state": ("activityId", "agent", "registration", "stateId"),
    "activity_profile": ("activityId", "profileId"),
    "agent_profile": ("agent", "profileId"),
}


def allowed_params(kind: DocumentKind, method: str) -> tuple[str, ...]:
    """The parameters a request may carry (xAPI §3.2: any other one is a 400)."""
    if method in ("GET", "HEAD"):
        return (*PARAMETERS[kind], "since")
    return PARAMETERS[kind]


def parse_params(kind: DocumentKind, method: Method, args: Mapping[str, str]) -> DocumentParams:
    """Validate the query parameters of one document request.

    ``stateId`` / ``profileId`` is required for PUT and POST, and for DELETE
    on the profile resources (state alone allows deleting a whole context);
    GET without it lists ids. ``since`` only means something for id lists.
    """
    id_name = "stateId" if kind == "state" else "profileId"
    raw_id = args.get(id_name)
    if method in ("PUT", "POST") or (method == "DELETE" and kind != "state"):
        doc_id = parse_doc_id(raw_id, id_name)
    else:
        doc_id = "" if raw_id is None else parse_doc_id(raw_id, id_name)
    since = parse_since(args.get("since")) if method in ("GET", "HEAD") and not doc_id else None
    if kind == "state":
        activity_id = parse_iri(args.get("activityId"), "activityId")
        agent, key = parse_agent(args.get("agent"), allow_group=True)
        registration = parse_registration(args.get("registration"))
        return DocumentParams(DocumentKey("state", activity_id, key, registration, doc_id), since, agent)
    if kind == "activity_profile":
        activity_id = parse_iri(args.get("activityId"), "activityId")
        return DocumentParams(DocumentKey("activity_profile", activity_id=activity_id, doc_id=doc_id), since)
    agent, key = parse_agent(args.get("agent"))
    return DocumentParams(DocumentKey("agent_profile", agent=key, doc_id=doc_id), since, agent)


# --------------------------------------------------------------------------
# content


def etag_for(content: bytes) -> str:
    """The strong ETag of a document: quoted lower-case hex SHA-1 of its bytes (xAPI §3.1)."""
    return '"' + hashlib.sha1(content).hexdigest() + '"'  # noqa: S324 - the hash xAPI prescribes


def is_json_type(content_type: str | None) -> bool:
    """Whether a Content-Type header value is ``application/json`` (parameters ignored)."""
    if not content_type:
        return False
    return content_type.split(";", 1)[0].strip().lower() == JSON_TYPE


def parse_json_object(content: bytes, what: str) -> dict[str, Any]:
    """A document's bytes as a JSON object, or 400 naming which document is not one."""
    try:
        value = parse_client_json(content, what)
    except ClientJsonError as error:
        raise DocumentError(400, f"{error} So it cannot be merged.") from None
    if not isinstance(value, dict):
        raise DocumentError(400, f"{what} is JSON but not a JSON object, so it cannot be merged")
    return value


def merge(existing: Mapping[str, Any], posted: Mapping[str, Any]) -> bytes:
    """The xAPI document merge: posted top-level properties replace existing ones whole.

    Both sides went through :func:`parse_client_json` (finite numbers, real text), so the
    result is always valid JSON; NUL stays escaped as ``\u0000`` in the stored bytes.
    """
    merged = {**existing, **posted}
    return dumps_json(merged).encode("utf-8")


# --------------------------------------------------------------------------
# concurrency


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header from a plain mapping, whatever the case of its name."""
    if name in headers:
        return headers[name]
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


def parse_etags(header: str | None) -> tuple[str, ...] | None:
    """An If-Match / If-None-Match value as ('*',) or its quoted tags; None when absent.

    Weak tags (``W/"..."``) keep their opaque part; a value that is not a
    list of quoted tags is taken as one bare tag and quoted, which is what
    clients that forget the quotes mean.
    """
    if header is None:
        return None
    value = header.strip()
    if value == "":
        return None
    if value == "*":
        return ("*",)
    tags: list[str] = []
    pos = 0
    while pos < len(value):
        match = _ETAG.match(value, pos)
        if not match or match.end() == pos:
            return (f'"{value.strip(chr(34))}"',)
        tags.append(match.group(2))
        pos = match.end()
    return tuple(tags)


@dataclass(frozen=True)
class Preconditions:
    """The request's precondition headers, parsed."""

    if_match: tuple[str, ...] | None = None
    if_none_match: tuple[str, ...] | None = None

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> Preconditions:
        """Read If-Match and If-None-Match from request headers."""
        return cls(parse_etags(header(headers, "If-Match")), parse_etags(header(headers, "If-None-Match")))

    @property
    def given(self) -> bool:
        """Whether the client sent either header."""
        return self.if_match is not None or self.if_none_match is not None

    def check(self, current: Document | None) -> None:
        """RFC 7232 evaluation against the current document; 412 when it fails."""
        if self.if_match is not None:
            if current is None:
                raise DocumentError(412, "If-Match: the document does not exist")
            if "*" not in self.if_match and current.etag not in self.if_match:
                raise DocumentError(412, f"If-Match: the document has changed; its current ETag is {current.etag}")
        if self.if_none_match is not None and current is not None:
            if "*" in self.if_none_match:
                raise DocumentError(412, "If-None-Match: * but the document already exists")
            if current.etag in self.if_none_match:
                raise DocumentError(412, f"If-None-Match: the document still has ETag {current.etag}")


@dataclass(frozen=True)
class ConcurrencyRules:
    """What a PUT without If-Match / If-None-Match may do, per resource and version.

    * 1.0.3 §3.1 exempts the State resource ("will permit PUT, POST and
      DELETE requests without concurrency headers"): such a PUT overwrites.
    * 1.0.3 profiles: 409 on an existing document (§3.1), and the 1.0.3
      conformance suite also answers a header-less PUT creating a profile
      with 400 ("fails without ETag header"), as clients MUST send one.
    * 2.0: 409 on an existing document for all three resources (the 2.0
      suite's 4.1.4 concurrency tests include State); creating is allowed.
    """

    conflict_on_existing: bool
    require_on_create: bool

    @classmethod
    def for_request(cls, kind: DocumentKind, version: str) -> ConcurrencyRules:
        """The rules for one resource under the negotiated xAPI version."""
        if version.startswith("2."):
            return cls(conflict_on_existing=True, require_on_create=False)
        if kind == "state":
            return cls(conflict_on_existing=False, require_on_create=False)
        return cls(conflict_on_existing=True, require_on_create=True)


CONFLICT_MESSAGE: Final = (
    "The document already exists and the PUT had neither If-Match nor If-None-Match. "
    "Check the current state of the document (GET it), then send If-Match with its ETag to replace it."
)


# --------------------------------------------------------------------------
# operations


@dataclass(frozen=True)
class Reply:
    """What to answer: status, body and headers (the blueprint makes the Response)."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def _http_date(value: dt.datetime) -> str:
    from email.utils import format_datetime

    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return format_datetime(value.astimezone(dt.UTC), usegmt=True)


def document_reply(document: Document) -> Reply:
    """200 with the document, its Content-Type, ETag and Last-Modified."""
    return Reply(
        200,
        document.content,
        {"Content-Type": document.content_type, "ETag": document.etag, "Last-Modified": _http_date(document.updated)},
    )


def get(store: Store, params: DocumentParams) -> Reply:
    """GET one document (404 when missing) or the JSON array of ids (since exclusive)."""
    if params.single:
        document = store.get_document(params.key)
        if document is None:
            raise DocumentError(404, f"no document with {_id_name(params.key)} {params.key.doc_id!r} here")
        return document_reply(document)
    ids = store.list_document_ids(params.key, params.since)
    return Reply(200, json.dumps(ids, ensure_ascii=False).encode("utf-8"), {"Content-Type": JSON_TYPE})


def _id_name(key: DocumentKey) -> str:
    return "stateId" if key.kind == "state" else "profileId"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _write(
    store: Store,
    key: DocumentKey,
    pre: Preconditions,
    build: Callable[[Document | None], tuple[bytes, str]],
    *,
    clock: Callable[[], dt.datetime] = _now,
) -> None:
    """Read, check, build the new content and compare-and-set it; retry on a lost race."""
    for _attempt in range(WRITE_ATTEMPTS):
        current = store.get_document(key)
        pre.check(current)
        content, content_type = build(current)
        document = Document(key, content, content_type, etag_for(content), clock())
        try:
            store.put_document(
                document,
                if_match=current.etag if current is not None else None,
                if_none_match="*" if current is None else None,
            )
        except PreconditionFailed:
            continue  # someone wrote in between: evaluate the client's preconditions again
        return
    raise DocumentError(409, "the document is being changed by other requests at the same time; try again")


def put(
    store: Store,
    params: DocumentParams,
    content: bytes,
    content_type: str | None,
    pre: Preconditions,
    rules: ConcurrencyRules,
) -> Reply:
    """PUT: store the body as the whole document (any content type) under the concurrency rules."""
    stored_type = content_type or DEFAULT_TYPE

    def build(current: Document | None) -> tuple[bytes, str]:
        if not pre.given:
            if current is not None and rules.conflict_on_existing:
                raise DocumentError(409, CONFLICT_MESSAGE)
            if current is None and rules.require_on_create:
                raise DocumentError(
                    400,
                    "If-Match or If-None-Match header required: send If-None-Match: * to create the document "
                    "(or If-Match with its ETag to replace it)",
                )
        return content, stored_type

    _write(store, params.key, pre, build)
    return Reply(204)


def post(
    store: Store,
    params: DocumentParams,
    content: bytes,
    content_type: str | None,
    pre: Preconditions,
) -> Reply:
    """POST: merge a JSON object into the existing JSON document, or store it when there is none.

    Both the posted and any existing document must be ``application/json``
    JSON objects (§2.2 "JSON Procedure"), else 400 and nothing changes.
    """
    if not is_json_type(content_type):
        raise DocumentError(
            400,
            f"Content-Type: POST merges JSON documents, so it must be application/json (got {content_type!r})",
        )
    posted = parse_json_object(content, "the posted document")

    def build(current: Document | None) -> tuple[bytes, str]:
        if current is None:
            return content, content_type or JSON_TYPE
        if not is_json_type(current.content_type):
            raise DocumentError(
                400, f"the existing document is {current.content_type}, not application/json, so it cannot be merged"
            )
        existing = parse_json_object(current.content, "the existing document")
        return merge(existing, posted), JSON_TYPE

    _write(store, params.key, pre, build)
    return Reply(204)


def delete(store: Store, params: DocumentParams, pre: Preconditions) -> Reply:
    """DELETE one document (If-Match honoured) or, for state without stateId, the whole context."""
    if not params.single:
        store.delete_documents(params.key, if_match=None)
        return Reply(204)
    for _attempt in range(WRITE_ATTEMPTS):
        current = store.get_document(params.key)
        pre.check(current)
        if current is None:
            return Reply(204)
        try:
            store.delete_documents(params.key, if_match=current.etag)
        except PreconditionFailed:
            continue
        return Reply(204)
    raise DocumentError(409, "the document is being changed by other requests at the same time; try again")


def handle(
    store: Store,
    params: DocumentParams,
    method: Method,
    *,
    headers: Mapping[str, str],
    body: bytes,
    version: str,
    max_bytes: int,
) -> Reply:
    """Run one validated document request."""
    if method in ("GET", "HEAD"):
        return get(store, params)
    pre = Preconditions.from_headers(headers)
    if method == "DELETE":
        return delete(store, params, pre)
    if len(body) > max_bytes:
        raise DocumentError(413, f"the document is {len(body)} bytes; this LRS keeps documents up to {max_bytes}")
    content_type = header(headers, "Content-Type")
    if method == "PUT":
        return put(store, params, body, content_type, pre, ConcurrencyRules.for_request(params.key.kind, version))
    return post(store, params, body, content_type, pre)


__all__ = [
    "PARAMETERS",
    "ConcurrencyRules",
    "DocumentError",
    "DocumentParams",
    "allowed_params",
    "Preconditions",
    "Reply",
    "delete",
    "document_reply",
    "etag_for",
    "get",
    "handle",
    "is_json_type",
    "merge",
    "parse_agent",
    "parse_params",
    "post",
    "put",
]
