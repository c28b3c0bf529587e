"""The Statement resource: PUT, POST, GET (single, query, ``more`` pages) and HEAD.

Thin on purpose: parsing and HTTP rules live here, statement rules in
:mod:`lrs.xapi` and storage behind :class:`lrs.store.interface.Store`.
Every response of this resource carries ``X-Experience-API-Consistent-Through``
(errors too: the conformance suite checks a 400).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from flask import Blueprint, Response, g, request

from lrs.api.cmi5 import store_session_statements
from lrs.api.common import (
    XapiError,
    api_version,
    check_params,
    config,
    fail,
    http_date,
    json_response,
    load_json,
    media_type,
    parse_bool,
    store,
    xapi_blueprint,
)
from lrs.auth import require, statement_forbids
from lrs.store.interface import Attachment, NewStatement, StatementQuery, StoredStatement
from lrs.xapi.agents import try_agent_key
from lrs.xapi.dual_tracking import statement_problem as organisation_statement_problem
from lrs.xapi.jsontext import dumps_json, parse_client_json
from lrs.xapi.multipart import MultipartError, attachment_hashes, parse_statement_request, stream_multipart
from lrs.xapi.signature import SignatureError, check_signed_statement
from lrs.xapi.statements import (
    FORMATS,
    Format,
    VoidingError,
    check_voiding_target,
    format_timestamp,
    now_utc,
    parse_accept_language,
    prepare,
    render,
    voided_target,
)
from lrs.xapi.validate import (
    check_agent,
    check_iri,
    check_statement,
    check_uuid,
    is_uuid,
    parse_timestamp,
    timestamp_problem,
)

bp = Blueprint("statements", __name__)
xapi_blueprint(bp)

CONSISTENT_THROUGH: Final = "X-Experience-API-Consistent-Through"
QUERY_PARAMS: Final = (
    "statementId",
    "voidedStatementId",
    "agent",
    "verb",
    "activity",
    "registration",
    "related_activities",
    "related_agents",
    "since",
    "until",
    "limit",
    "format",
    "attachments",
    "ascending",
)
#: Digits as ``int`` should read them: ``str.isdigit`` also accepts superscripts and other scripts' digits.
ASCII_DIGITS: Final = re.compile(r"[0-9]+")
#: The answer to any ``more`` token this LRS did not hand out.
BAD_CURSOR: Final = "more: this is not a more IRL given by this LRS."
#: Parameters a ``more`` token never holds (they select one statement, which has no pages).
SINGLE_KEYS: Final = frozenset({"statementId", "voidedStatementId"})
#: What may accompany statementId / voidedStatementId.
SINGLE_PARAMS: Final = frozenset({"format", "attachments"})
READ_SCOPES: Final = ("statements/read", "statements/read/mine")
#: Scopes that read every statement (without them, statements/read/mine sees its own only).
READ_ALL: Final = frozenset({"statements/read", "all/read", "all"})


@bp.after_request
def _consistent_through(response: Response) -> Response:
    try:
        through = store().consistent_through()
    except Exception:  # noqa: BLE001 - the header must not turn an answer into a 500
        through = now_utc()
    response.headers[CONSISTENT_THROUGH] = format_timestamp(through, 3)
    return response


# --- writing -------------------------------------------------------------------


@bp.route("/statements", methods=["PUT"])
@require("statements/write")
def put_statement() -> Response:
    """Store one statement under ``statementId`` (204; 409 when the id holds other content)."""
    check_params(("statementId",))
    statement_id = request.args.get("statementId")
    if statement_id is None:
        fail(400, "statementId: the parameter is required for PUT.")
    check_uuid(statement_id, "statementId")
    body, uploaded = _read_body()
    if not isinstance(body, dict):
        fail(400, "The body of a PUT must be one statement (a JSON object).")
    if "id" in body and str(body["id"]).lower() != statement_id.lower():
        fail(400, "id: differs from the statementId parameter.")
    body = {**body, "id": statement_id.lower()}
    _store_statements([body], uploaded, batch=False)
    return Response(status=204)


@bp.route("/statements", methods=["POST"])
@require("statements/write")
def post_statements() -> Response:
    """Store one statement or a batch (all or nothing); answer the ids in order."""
    check_params(())
    body, uploaded = _read_body()
    if isinstance(body, dict):
        ids = _store_statements([body], uploaded, batch=False)
    elif isinstance(body, list):
        ids = _store_statements(body, uploaded, batch=True)
    else:
        fail(400, "The body must be a statement (JSON object) or an array of statements.")
    return json_response(ids)


def _read_body() -> tuple[Any, dict[str, Attachment]]:
    """The JSON body and, for multipart/mixed, the attachment bytes by sha2."""
    content_type = request.headers.get("Content-Type", "")
    kind = media_type(content_type)
    raw = request.get_data(cache=True)
    uploaded: dict[str, Attachment] = {}
    if kind == "multipart/mixed":
        try:
            upload = parse_statement_request(content_type, raw)
        except MultipartError as error:
            fail(400, f"multipart/mixed body: {error}.")
        raw, uploaded = upload.json_bytes, upload.attachments
    elif kind not in ("application/json", ""):
        fail(400, f"Content-Type {kind!r} is not accepted here: use application/json or multipart/mixed.")
    limit = config().max_attachment_bytes
    for attachment in uploaded.values():
        if len(attachment.content) > limit:
            fail(413, f"An attachment is larger than this LRS accepts ({limit} bytes, max_attachment_bytes).")
    return _parse_json(raw), uploaded


def _parse_json(raw: bytes) -> Any:
    if not raw.strip():
        fail(400, "The request has no body: send a statement as JSON.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        fail(400, "The body is not UTF-8 encoded JSON.")
    return load_json(text, "The body")


def _store_statements(statements: list[Any], uploaded: dict[str, Attachment], *, batch: bool) -> list[str]:
    """Validate, check attachments/signatures/voiding, prepare and insert atomically (all or nothing)."""
    cfg = config()
    if len(statements) > cfg.max_batch_statements:
        fail(
            413,
            f"The batch has {len(statements)} statements; this LRS accepts at most "
            f"{cfg.max_batch_statements} per request (max_batch_statements).",
        )
    # A statement can only be over the size limit when the whole body is: measure them only then.
    measure = len(request.get_data(cache=True)) > cfg.max_statement_bytes
    for number, statement in enumerate(statements):
        where, path = (f"statements[{number}]", f"[{number}]") if batch else ("statement", "")
        _check_one(statement, where, path, measure=measure)
    _check_unique_ids(statements)
    _check_attachments(statements, uploaded)
    for number, statement in enumerate(statements):
        try:
            check_signed_statement(statement, uploaded)
        except SignatureError as error:
            fail(400, f"{f'statements[{number}]' if batch else 'statement'} signature: {error}.")
    _check_voiding(statements)
    launch = g.client.launch
    if launch is not None and launch.session_id:
        # a session this LRS launched: the cmi5 AU rules apply (lrs.xapi.cmi5_rules)
        return store_session_statements(
            launch, statements, list(uploaded.values()), lambda: _prepare_all(statements, uploaded), batch=batch
        )
    return store().insert_statements(_prepare_all(statements, uploaded), list(uploaded.values()))


def _check_one(statement: Any, where: str, path: str, *, measure: bool) -> None:
    """Size limit (when ``measure``), validation and (for cmi5 launch sessions) what the session may send."""
    limit = config().max_statement_bytes
    if measure:
        size = len(json.dumps(statement, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
        if size > limit:
            fail(
                413, f"{where} is {size} bytes; this LRS accepts statements up to {limit} bytes (max_statement_bytes)."
            )
    check_statement(statement, api_version(), path)
    launch = g.client.launch
    if launch is not None and not launch.session_id:  # a session's statements get the full cmi5 rules later
        reason = statement_forbids(launch, statement)
        if reason:
            fail(403, f"{where}: {reason}")
    if g.client.organisation is not None:  # a dual-tracking package's key (lrs.xapi.dual_tracking)
        problem = organisation_statement_problem(g.client.organisation, statement)
        if problem:
            fail(400, f"{where}: {problem}")


def _prepare_all(statements: list[Any], uploaded: dict[str, Attachment]) -> list[NewStatement]:
    """Complete every statement; each gets its own ``stored`` (1 µs apart) so a batch keeps its order."""
    principal = g.client
    define = principal.allows(("define",), read_only=False)
    base = now_utc()
    prepared: list[NewStatement] = []
    for number, statement in enumerate(statements):
        hashes = tuple(sorted({sha2 for sha2, _ in attachment_hashes(statement) if sha2 in uploaded}))
        prepared.append(
            prepare(
                statement,
                api=api_version(),
                authority=principal.authority,
                stored=base + dt.timedelta(microseconds=number),
                attachment_hashes=hashes,
                define=define,
            )
        )
    return prepared


def _check_unique_ids(statements: list[Any]) -> None:
    seen: set[str] = set()
    for number, statement in enumerate(statements):
        statement_id = statement.get("id")
        if isinstance(statement_id, str):
            if statement_id.lower() in seen:
                fail(400, f"statements[{number}].id: the batch uses id {statement_id} more than once.")
            seen.add(statement_id.lower())


def _check_attachments(statements: list[Any], uploaded: dict[str, Attachment]) -> None:
    """Every raw attachment must come with the request; every part must be used.

    Bytes stored by an earlier request do not count: xAPI requires the data of
    an attachment without fileUrl in the same request (XAPI-00129).
    """
    declared: set[str] = set()
    missing: list[str] = []
    for statement in statements:
        for sha2, has_url in attachment_hashes(statement):
            declared.add(sha2)
            if not has_url and sha2 not in uploaded:
                missing.append(sha2)
    if missing:
        fail(
            400,
            f"attachments: no fileUrl and no multipart/mixed part for sha2 {missing[0]}; send the "
            "attachment data as a part with that X-Experience-API-Hash.",
        )
    extra = sorted(set(uploaded) - declared)
    if extra:
        fail(
            400,
            f"multipart/mixed body: the part with X-Experience-API-Hash {extra[0]} is not an attachment of "
            "any statement.",
        )


def _check_voiding(statements: list[Any]) -> None:
    batch = {str(s.get("id")).lower(): s for s in statements if isinstance(s.get("id"), str)}
    for number, statement in enumerate(statements):
        target_id = voided_target(statement)
        if target_id is None:
            continue
        target: Mapping[str, Any] | None = batch.get(target_id)
        if target is None:
            found = store().get_statement(target_id)
            target = found.statement if found is not None else None
        try:
            check_voiding_target(target)
        except VoidingError as error:
            fail(400, f"statements[{number}].{error}" if len(statements) > 1 else f"statement.{error}")


# --- reading -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Output:
    fmt: Format
    attachments: bool
    languages: list[str]


@bp.route("/statements", methods=["GET"])
@require(*READ_SCOPES)
def get_statements() -> Response:
    """One statement (statementId / voidedStatementId) or a StatementResult page (HEAD too)."""
    params, after = _request_params()
    output = _Output(
        fmt=_format(params.get("format")),
        attachments=parse_bool("attachments", params.get("attachments")),
        languages=parse_accept_language(request.headers.get("Accept-Language")),
    )
    if "statementId" in params or "voidedStatementId" in params:
        return _single(params, output)
    return _query(params, after, output)


def _request_params() -> tuple[dict[str, str], tuple[dt.datetime, str] | None]:
    """Query parameters, or those a ``more`` cursor stands for, and where the page starts."""
    if "more" in request.args:
        if len(request.args) != 1:
            fail(400, "more: a more IRL must be used as given, without other parameters.")
        cursor = _decode_cursor(request.args["more"])
        return dict(cursor["p"]), _after(cursor["a"])
    check_params(QUERY_PARAMS)
    return {name: request.args[name] for name in request.args}, None


def _format(value: str | None) -> Format:
    if value is None:
        return "exact"
    if value not in FORMATS:
        fail(400, "format: must be exact, ids or canonical.")
    fmt: Format = value  # type: ignore[assignment]
    return fmt


def _mine_only() -> str | None:
    """The authority key a statements/read/mine client is limited to (None: reads everything)."""
    principal = g.client
    if principal.scopes & READ_ALL:
        return None
    return try_agent_key(principal.authority) or f"client:{principal.key}"


def _visible(statement: Mapping[str, Any], mine: str | None) -> bool:
    return mine is None or try_agent_key(statement.get("authority")) == mine


def _single(params: dict[str, str], output: _Output) -> Response:
    if "statementId" in params and "voidedStatementId" in params:
        fail(400, "statementId and voidedStatementId cannot be used together.")
    name = "statementId" if "statementId" in params else "voidedStatementId"
    others = set(params) - SINGLE_PARAMS - {name}
    if others:
        fail(400, f"{name} can only be combined with format and attachments, not {sorted(others)[0]}.")
    statement_id = params[name]
    check_uuid(statement_id, name)
    found = store().get_statement(statement_id.lower())
    wants_voided = name == "voidedStatementId"
    if found is None or found.voided != wants_voided or not _visible(found.statement, _mine_only()):
        if found is not None and found.voided and not wants_voided:
            fail(404, f"Statement {statement_id} is voided: ask for it with voidedStatementId.")
        fail(404, f"No {'voided ' if wants_voided else ''}statement with id {statement_id}.")
    rendered = _render([found], output)[0]
    headers = {"Last-Modified": http_date(found.stored)}
    return _respond(rendered, [found], output, headers)


def _query(params: dict[str, str], after: tuple[dt.datetime, str] | None, output: _Output) -> Response:
    query = _statement_query(params, after)
    page = store().query_statements(query)
    mine = _mine_only()
    shown = [s for s in page.statements if _visible(s.statement, mine)]
    more = ""
    if page.next_after is not None:
        more = request.script_root + request.path + "?more=" + _encode_cursor(params, page.next_after)
    result = {"statements": _render(shown, output), "more": more}
    headers = {}
    if shown:
        headers["Last-Modified"] = http_date(max(s.stored for s in shown))
    return _respond(result, shown, output, headers)


def _statement_query(params: dict[str, str], after: tuple[dt.datetime, str] | None) -> StatementQuery:
    cfg = config()
    agent_key = None
    if "agent" in params:
        agent_key = _agent_param(params["agent"])
    for name in ("verb", "activity"):
        if name in params:
            check_iri(params[name], name)
    registration = params.get("registration")
    if registration is not None:
        check_uuid(registration, "registration")
    limit = _limit(params.get("limit"), cfg.default_page_size, cfg.max_page_size)
    fields: dict[str, Any] = {
        "agent": agent_key,
        "verb": params.get("verb"),
        "activity": params.get("activity"),
        "registration": registration.lower() if registration else None,
        "related_activities": parse_bool("related_activities", params.get("related_activities")),
        "related_agents": parse_bool("related_agents", params.get("related_agents")),
        "since": _time_param(params, "since"),
        "until": _time_param(params, "until"),
        "limit": limit,
        "ascending": parse_bool("ascending", params.get("ascending")),
        "after": after,
        "authority": _mine_only(),
    }
    return StatementQuery(**fields)


def _agent_param(value: str) -> str:
    agent = load_json(value, "agent")
    check_agent(agent, api_version(), "agent")
    key = try_agent_key(agent)
    if key is None:
        fail(400, "agent: must identify an Agent or Group (mbox, mbox_sha1sum, openid or account).")
    return key


def _limit(value: str | None, default: int, maximum: int) -> int:
    """The page size: ASCII digits only (``str.isdigit`` also takes "²" and other digits ``int`` refuses)."""
    if value is None:
        return min(default, maximum)
    if not ASCII_DIGITS.fullmatch(value):
        fail(400, "limit: must be a whole number (0 means as many as the LRS allows).")
    digits = value.lstrip("0")
    if len(digits) > len(str(maximum)):  # more than the maximum, without converting thousands of digits
        return maximum
    number = int(digits or "0")
    return maximum if number == 0 else min(number, maximum)


def _time_param(params: dict[str, str], name: str) -> dt.datetime | None:
    if name not in params:
        return None
    moment = parse_timestamp(params[name])
    if moment is None:
        fail(400, f"{name}: {timestamp_problem(params[name])}.")
    return moment.astimezone(dt.UTC)


def _render(found: list[StoredStatement], output: _Output) -> list[dict[str, Any]]:
    cache: dict[str, Mapping[str, Any] | None] = {}

    def lookup(activity_id: str) -> Mapping[str, Any] | None:
        if activity_id not in cache:
            cache[activity_id] = store().get_activity(activity_id)
        return cache[activity_id]

    activity_lookup = lookup if output.fmt == "canonical" else None
    return [render(s.statement, output.fmt, output.languages, activity_lookup) for s in found]


def _respond(data: Any, found: list[StoredStatement], output: _Output, headers: dict[str, str]) -> Response:
    if not output.attachments:
        return json_response(data, headers=headers)
    # Only the bytes that came with these statements (not every sha2 they list: a fileUrl
    # entry could name another client's attachment), streamed a chunk at a time.
    lrs_store = store()  # bound now: the body is produced after the request context is gone
    carried = lrs_store.statement_attachments([s.id for s in found]) if found else []
    first = dumps_json(data).encode("utf-8")
    body = stream_multipart(first, carried, lrs_store.attachment_chunks)
    response = Response(body.chunks, status=200, content_type=body.content_type)
    response.headers["Content-Length"] = str(body.length)
    for name, value in headers.items():
        response.headers[name] = value
    return response


# --- the "more" cursor -----------------------------------------------------------------


def _encode_cursor(params: dict[str, str], after: tuple[dt.datetime, str]) -> str:
    """An opaque token holding the query and where the next page starts."""
    payload = {"p": params, "a": [format_timestamp(after[0]), after[1]]}
    raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _decode_cursor(token: str) -> dict[str, Any]:
    """The payload of a ``more`` token, checked as strictly as the request it stands for.

    The token is only base64 of JSON, so a client can hand-make one: it goes
    through the client-JSON parser (:func:`~lrs.xapi.jsontext.parse_client_json`) and every
    parameter in it is checked again by :func:`_statement_query` like a query parameter.
    """
    try:
        raw = base64.b64decode(token + "=" * (-len(token) % 4), altchars=b"-_", validate=True)
        payload = parse_client_json(raw, "more")
    except (binascii.Error, ValueError):
        fail(400, BAD_CURSOR)
    valid = (
        isinstance(payload, dict)
        and isinstance(payload.get("p"), dict)
        and all(isinstance(k, str) and isinstance(v, str) and k in QUERY_PARAMS for k, v in payload["p"].items())
        and not SINGLE_KEYS & payload["p"].keys()
        and isinstance(payload.get("a"), list)
        and len(payload["a"]) == 2
        and all(isinstance(x, str) for x in payload["a"])
    )
    if not valid:
        fail(400, BAD_CURSOR)
    return dict(payload)


def _after(value: Any) -> tuple[dt.datetime, str]:
    stored, statement_id = value
    moment = parse_timestamp(stored)
    if moment is None or not is_uuid(statement_id):
        raise XapiError(400, BAD_CURSOR)
    return moment.astimezone(dt.UTC), statement_id.lower()
