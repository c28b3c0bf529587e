"""Operations: health check, OpenAPI of the non-xAPI endpoints, request logs, 401 challenges.

* ``GET /health``: 200 ``{"status": "ok", ...}`` when the database answers,
  503 otherwise; no credentials, for load balancers and ``systemd``.
* ``GET /openapi.json``: an OpenAPI 3.1 description of the endpoints this
  LRS adds beside xAPI (health, cmi5 launches and fetch URL). xAPI itself is
  described by its specification.
* One JSON log line per request on the ``lrs.request`` logger: time, method,
  route, status, duration in ms and the client key. Never the query string,
  body or statement content: agent parameters and statements carry
  personal data, and the fetch URL's id is a credential, so a route with
  path parameters is logged by its pattern.
* Every 401 gets ``WWW-Authenticate: Basic`` (RFC 7235), whichever part of
  the app refused the request.

This blueprint is registered at the root (not under the xAPI prefix).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from typing import Any, Final

from flask import Blueprint, Flask, Response, current_app, g, request

from lrs.auth import CHALLENGE, current_principal
from lrs.config import LrsConfig
from lrs.courses.api import openapi_paths as catalogue_paths
from lrs.store.interface import Store
from lrs.xapi.profile import PROFILE_PATH
from lrs.xapi.versions import SUPPORTED

bp = Blueprint("ops", __name__)
request_log = logging.getLogger("lrs.request")
log = logging.getLogger("lrs.ops")


def _start_timer() -> None:
    g.lrs_request_started = time.perf_counter()


def install_request_log(app: Flask) -> None:
    """App-wide (called once by :func:`lrs.app.create_app`): the request log line and 401 challenges.

    The timer starts before every other ``before_request`` hook, since they may answer early.
    """
    app.before_request_funcs.setdefault(None, []).insert(0, _start_timer)
    app.after_request(_finish)


def _finish(response: Response) -> Response:
    if response.status_code == 401 and "WWW-Authenticate" not in response.headers:
        response.headers["WWW-Authenticate"] = CHALLENGE
    started = g.get("lrs_request_started")
    duration = (time.perf_counter() - started) * 1000 if isinstance(started, float) else None
    principal = current_principal()
    rule = request.url_rule
    # The pattern, never the path of a route with parameters (a fetch id is a credential), and
    # nothing of a path no route matched (a GET of a fetch URL is a 405 without a rule).
    path = (rule.rule if rule.arguments else request.path) if rule is not None else "(no route)"
    if request_log.isEnabledFor(logging.INFO):
        request_log.info(
            json.dumps(
                {
                    "time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
                    "method": request.method,
                    "path": path,
                    "status": response.status_code,
                    "duration_ms": round(duration, 2) if duration is not None else None,
                    "client": principal.key if principal is not None else None,
                },
                separators=(",", ":"),
            )
        )
    return response


def _json(payload: dict[str, Any], status: int = 200) -> Response:
    response = Response(json.dumps(payload), status=status, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/health", methods=["GET"])
def health() -> Response:
    """200 when the database answers a query, 503 when it does not."""
    store: Store = current_app.extensions["lrs_store"]
    try:
        ping = getattr(store, "ping", None)
        if callable(ping):
            ping()
        else:
            store.get_client("health-check")
    except Exception:  # noqa: BLE001 - any failure of the database means "unavailable"
        log.exception("health check: the database did not answer")
        return _json({"status": "unavailable", "database": "unreachable"}, 503)
    return _json({"status": "ok", "database": "ok", "xapi_versions": list(SUPPORTED)})


@bp.route("/openapi.json", methods=["GET"])
def openapi() -> Response:
    """The OpenAPI 3.1 document of every endpoint, xAPI included."""
    cfg: LrsConfig = current_app.config["LRS"]
    return _json(openapi_document(cfg.xapi_prefix))


_REF: Final = "#/components/schemas/"
_JSON: Final = "application/json"


def _xapi_schemas() -> dict[str, Any]:
    """The shapes of xAPI bodies, loose where the spec is rich (the LRS validates the rest, with 400s)."""
    iri = {"type": "string", "format": "iri"}
    return {
        "XapiAgent": {
            "type": "object",
            "description": "An Agent or identified Group (exactly one of mbox, mbox_sha1sum, openid, account)",
            "properties": {
                "objectType": {"enum": ["Agent", "Group"]},
                "name": {"type": "string"},
                "mbox": {"type": "string", "pattern": "^mailto:"},
                "mbox_sha1sum": {"type": "string", "pattern": "^[0-9a-f]{40}$"},
                "openid": iri,
                "account": {
                    "type": "object",
                    "required": ["homePage", "name"],
                    "properties": {"homePage": iri, "name": {"type": "string"}},
                },
            },
        },
        "Statement": {
            "type": "object",
            "required": ["actor", "verb", "object"],
            "properties": {
                "id": {"type": "string", "format": "uuid"},
                "actor": {"$ref": _REF + "XapiAgent"},
                "verb": {
                    "type": "object",
                    "required": ["id"],
                    "properties": {
                        "id": iri,
                        "display": {"type": "object", "additionalProperties": {"type": "string"}},
                    },
                },
                "object": {
                    "type": "object",
                    "required": ["id"],
                    "properties": {"objectType": {"enum": ["Activity", "StatementRef"]}, "id": {"type": "string"}},
                },
                "result": {
                    "type": "object",
                    "properties": {
                        "score": {
                            "type": "object",
                            "properties": {"scaled": {"type": "number"}, "raw": {"type": "number"}},
                        },
                        "success": {"type": "boolean"},
                        "completion": {"type": "boolean"},
                        "response": {"type": "string"},
                        "duration": {"type": "string"},
                        "extensions": {"type": "object"},
                    },
                },
                "context": {"type": "object"},
                "timestamp": {"type": "string", "format": "date-time"},
                "attachments": {"type": "array", "items": {"type": "object"}},
            },
        },
        "StatementResult": {
            "type": "object",
            "properties": {"statements": {"type": "array", "items": {"type": "object"}}, "more": {"type": "string"}},
        },
        "XapiError": _error_schema(),
    }


def _param(name: str, schema: dict[str, Any], *, required: bool = False, where: str = "query") -> dict[str, Any]:
    return {"name": name, "in": where, "required": required, "schema": schema}


def _agent_param(*, required: bool) -> dict[str, Any]:
    """``agent``: an Agent as JSON text in the query string."""
    schema = {"$ref": _REF + "XapiAgent"}
    return {"name": "agent", "in": "query", "required": required, "content": {_JSON: {"schema": schema}}}


def _responses(ok: str, *, body: dict[str, Any] | None = None, status: str = "200") -> dict[str, Any]:
    error = {"content": {_JSON: {"schema": {"$ref": _REF + "XapiError"}}}}
    answers: dict[str, Any] = {status: {"description": ok}}
    if body is not None:
        answers[status]["content"] = {_JSON: {"schema": body}}
    for code, why in (
        ("400", "Invalid request (the message names the parameter or field)"),
        ("401", "No or wrong credentials"),
        ("403", "The client lacks the scope, or a launch session may not do this"),
        ("404", "Not found"),
        ("409", "Conflict"),
        ("412", "Precondition failed"),
        ("413", "Too large"),
    ):
        answers[code] = {"description": why, **error}
    return answers


def _xapi_paths(prefix: str) -> dict[str, Any]:
    """Every xAPI resource the LRS serves: methods, parameters, headers and bodies."""
    uuid = {"type": "string", "format": "uuid"}
    iri = {"type": "string", "format": "iri"}
    text = {"type": "string"}
    stamp = {"type": "string", "format": "date-time"}
    boolean = {"type": "string", "enum": ["true", "false"]}
    common = [
        _param(
            "X-Experience-API-Version", {"type": "string", "enum": ["1.0.3", "2.0.0"]}, required=True, where="header"
        )
    ]
    secured: dict[str, Any] = {"security": [{"basic": []}]}
    any_document = {"content": {_JSON: {"schema": {}}, "application/octet-stream": {"schema": {"type": "string"}}}}
    json_object = {"required": True, "content": {_JSON: {"schema": {"type": "object"}}}}

    def documents(kind: str, params: list[dict[str, Any]], id_name: str) -> dict[str, Any]:
        doc_id = _param(id_name, text)
        doc_id_required = _param(id_name, text, required=True)
        since = _param("since", stamp)
        return {
            "get": {
                "operationId": f"get{kind}",
                "summary": f"One {kind} document ({id_name}), or the ids of all (since)",
                "parameters": [*common, *params, doc_id, since],
                "responses": _responses("The document or an array of ids"),
                **secured,
            },
            "put": {
                "operationId": f"put{kind}",
                "summary": f"Store a {kind} document (any content type)",
                "parameters": [
                    *common,
                    *params,
                    doc_id_required,
                    _param("If-Match", text, where="header"),
                    _param("If-None-Match", text, where="header"),
                ],
                "requestBody": {"required": True, **any_document},
                "responses": _responses("Stored", status="204"),
                **secured,
            },
            "post": {
                "operationId": f"post{kind}",
                "summary": f"Merge a JSON object into a {kind} document",
                "parameters": [*common, *params, doc_id_required],
                "requestBody": json_object,
                "responses": _responses("Merged", status="204"),
                **secured,
            },
            "delete": {
                "operationId": f"delete{kind}",
                "summary": f"Delete a {kind} document",
                "parameters": [*common, *params, doc_id if kind == "State" else doc_id_required],
                "responses": _responses("Deleted", status="204"),
                **secured,
            },
        }

    statement_query = [
        _param("statementId", uuid),
        _param("voidedStatementId", uuid),
        _agent_param(required=False),
        _param("verb", iri),
        _param("activity", iri),
        _param("registration", uuid),
        _param("related_activities", boolean),
        _param("related_agents", boolean),
        _param("since", stamp),
        _param("until", stamp),
        _param("limit", {"type": "integer", "minimum": 0}),
        _param("format", {"enum": ["exact", "ids", "canonical"]}),
        _param("attachments", boolean),
        _param("ascending", boolean),
        _param("Accept-Language", text, where="header"),
    ]
    statements_body = {
        "oneOf": [{"$ref": _REF + "Statement"}, {"type": "array", "items": {"$ref": _REF + "Statement"}}]
    }
    return {
        f"{prefix}/statements": {
            "get": {
                "operationId": "getStatements",
                "summary": "One statement or a StatementResult page",
                "parameters": [*common, *statement_query],
                "responses": _responses("A statement or a StatementResult", body={"$ref": _REF + "StatementResult"}),
                **secured,
            },
            "put": {
                "operationId": "putStatement",
                "summary": "Store one statement under statementId",
                "parameters": [*common, _param("statementId", uuid, required=True)],
                "requestBody": {"required": True, "content": {_JSON: {"schema": {"$ref": _REF + "Statement"}}}},
                "responses": _responses("Stored", status="204"),
                **secured,
            },
            "post": {
                "operationId": "postStatements",
                "summary": "Store a statement or a batch; answers the ids",
                "parameters": common,
                "requestBody": {"required": True, "content": {_JSON: {"schema": statements_body}}},
                "responses": _responses("The ids", body={"type": "array", "items": uuid}),
                **secured,
            },
        },
        f"{prefix}/activities/state": documents(
            "State",
            [_param("activityId", iri, required=True), _agent_param(required=True), _param("registration", uuid)],
            "stateId",
        ),
        f"{prefix}/activities/profile": documents(
            "ActivityProfile", [_param("activityId", iri, required=True)], "profileId"
        ),
        f"{prefix}/agents/profile": documents("AgentProfile", [_agent_param(required=True)], "profileId"),
        f"{prefix}/activities": {
            "get": {
                "operationId": "getActivity",
                "summary": "The Activity object the LRS keeps",
                "parameters": [*common, _param("activityId", iri, required=True)],
                "responses": _responses("The Activity", body={"type": "object"}),
                **secured,
            }
        },
        f"{prefix}/agents": {
            "get": {
                "operationId": "getPerson",
                "summary": "The Person object of an agent",
                "parameters": [*common, _agent_param(required=True)],
                "responses": _responses("The Person", body={"type": "object"}),
                **secured,
            }
        },
        f"{prefix}/about": {
            "get": {
                "operationId": "about",
                "summary": "Versions this LRS speaks (no credentials)",
                "responses": {
                    "200": {"description": "version and extensions", "content": {_JSON: {"schema": {"type": "object"}}}}
                },
            }
        },
    }


def _error_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {"error": {"type": "object", "properties": {"message": {"type": "string"}}}},
    }


def openapi_document(xapi_prefix: str) -> dict[str, Any]:
    """OpenAPI 3.1 for /health, /openapi.json, the xAPI resources and the cmi5 endpoints under ``xapi_prefix``.

    The xAPI part (:func:`_xapi_paths`) lists every resource, method, parameter and
    header the LRS reads, so a client generator or a property-based fuzzer
    (``tests/lrs/test_fuzz.py`` runs schemathesis on it) reaches all of them; the
    rules beyond types are the xAPI specification's.
    """
    agent = {
        "type": "object",
        "description": "An xAPI Agent with exactly one of mbox, mbox_sha1sum, openid, account.",
        "properties": {
            "objectType": {"const": "Agent"},
            "name": {"type": "string"},
            "mbox": {"type": "string", "pattern": "^mailto:"},
            "mbox_sha1sum": {"type": "string", "pattern": "^[0-9a-fA-F]{40}$"},
            "openid": {"type": "string", "format": "uri"},
            "account": {
                "type": "object",
                "required": ["homePage", "name"],
                "properties": {"homePage": {"type": "string", "format": "uri"}, "name": {"type": "string"}},
            },
        },
    }
    launch_request = {
        "type": "object",
        "required": ["actor", "activityId"],
        "properties": {
            "actor": {"$ref": "#/components/schemas/Agent"},
            "activityId": {"type": "string", "format": "iri", "description": "LMS-generated AU activity id"},
            "registration": {"type": "string", "format": "uuid", "description": "new one when absent"},
            "publisherId": {"type": "string", "format": "iri", "description": "the AU id from cmi5.xml"},
            "moveOn": {"enum": ["Passed", "Completed", "CompletedAndPassed", "CompletedOrPassed", "NotApplicable"]},
            "masteryScore": {"type": "number", "minimum": 0, "maximum": 1},
            "launchMode": {"enum": ["Normal", "Browse", "Review"]},
            "returnURL": {"type": "string"},
            "launchParameters": {"type": "string"},
            "launchMethod": {"type": "string"},
            "auUrl": {"type": "string", "description": "the AU's start page; the answer then has the full url"},
            "languagePreference": {
                "type": "string",
                "description": "written to the learner's cmi5LearnerPreferences agent profile (cmi5 11.1)",
            },
            "audioPreference": {"enum": ["on", "off"], "description": "written with languagePreference"},
            "course": {
                "type": "object",
                "description": "the course, so the LRS records its satisfied statement once every AU met moveOn",
                "required": ["id", "aus"],
                "properties": {
                    "id": {"type": "string", "format": "iri", "description": "LMS-generated course activity id"},
                    "publisherId": {"type": "string", "format": "iri", "description": "the course id of cmi5.xml"},
                    "aus": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["activityId"],
                            "properties": {
                                "activityId": {"type": "string", "format": "iri"},
                                "moveOn": {
                                    "enum": [
                                        "Passed",
                                        "Completed",
                                        "CompletedAndPassed",
                                        "CompletedOrPassed",
                                        "NotApplicable",
                                    ]
                                },
                            },
                        },
                    },
                },
            },
        },
    }
    launch = {
        "type": "object",
        "required": ["endpoint", "fetch", "actor", "registration", "activityId", "query"],
        "properties": {
            "endpoint": {"type": "string", "format": "uri"},
            "fetch": {"type": "string", "format": "uri"},
            "actor": {"$ref": "#/components/schemas/Agent"},
            "registration": {"type": "string", "format": "uuid"},
            "activityId": {"type": "string"},
            "sessionId": {"type": "string"},
            "expires": {"type": "string", "format": "date-time"},
            "launchData": {"type": "object", "description": "the LMS.LaunchData state document written"},
            "launchedStatement": {"type": "string", "format": "uuid", "description": "id of the launched statement"},
            "query": {"type": "string", "description": "the cmi5 launch query string"},
            "url": {"type": "string", "description": "auUrl with the launch query"},
        },
    }
    fetch_answer = {
        "oneOf": [
            {"type": "object", "required": ["auth-token"], "properties": {"auth-token": {"type": "string"}}},
            {
                "type": "object",
                "required": ["error-code", "error-text"],
                "properties": {"error-code": {"enum": ["1", "2", "3"]}, "error-text": {"type": "string"}},
            },
        ]
    }
    json_content = "application/json"
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "GSOG LRS operations and cmi5 endpoints",
            "version": "1.0.0",
            "description": "Endpoints beside the xAPI resources (which follow xAPI 1.0.3 and 2.0.0).",
        },
        "paths": {
            "/health": {
                "get": {
                    "summary": "Database reachability",
                    "operationId": "health",
                    "responses": {
                        "200": {
                            "description": "The database answers",
                            "content": {json_content: {"schema": {"$ref": "#/components/schemas/Health"}}},
                        },
                        "503": {
                            "description": "The database does not answer",
                            "content": {json_content: {"schema": {"$ref": "#/components/schemas/Health"}}},
                        },
                    },
                }
            },
            "/openapi.json": {
                "get": {
                    "summary": "This document",
                    "operationId": "openapi",
                    "responses": {"200": {"description": "OpenAPI 3.1", "content": {json_content: {}}}},
                }
            },
            **catalogue_paths(),
            PROFILE_PATH: {
                "get": {
                    "summary": "The xAPI Profile (JSON-LD) of the learner context extensions",
                    "operationId": "profile",
                    "responses": {
                        "200": {"description": "xAPI Profile 1.0", "content": {"application/ld+json": {}}},
                        "304": {"description": "Not modified (If-None-Match)"},
                    },
                }
            },
            **_xapi_paths(xapi_prefix),
            f"{xapi_prefix}/extensions/cmi5/launches": {
                "post": {
                    "summary": "Create a cmi5 launch (writes LMS.LaunchData, returns the launch URL parameters)",
                    "operationId": "createCmi5Launch",
                    "security": [{"basic": []}],
                    "requestBody": {
                        "required": True,
                        "content": {json_content: {"schema": {"$ref": "#/components/schemas/LaunchRequest"}}},
                    },
                    "responses": {
                        "201": {
                            "description": "Launch created",
                            "content": {json_content: {"schema": {"$ref": "#/components/schemas/Launch"}}},
                        },
                        "400": {"description": "Invalid body", "content": {json_content: {"schema": _error_schema()}}},
                        "401": {"description": "No or wrong credentials"},
                        "403": {"description": "The client lacks scope cmi5/launch"},
                    },
                }
            },
            f"{xapi_prefix}/extensions/cmi5/fetch/{{fetchId}}": {
                "post": {
                    "summary": "cmi5 fetch URL: the session auth-token, once",
                    "operationId": "fetchCmi5Token",
                    "parameters": [{"name": "fetchId", "in": "path", "required": True, "schema": {"type": "string"}}],
                    "responses": {
                        "200": {
                            "description": "auth-token, or a cmi5 error (1 used/expired, 2 security, 3 application)",
                            "content": {json_content: {"schema": {"$ref": "#/components/schemas/FetchAnswer"}}},
                        }
                    },
                }
            },
        },
        "components": {
            "securitySchemes": {"basic": {"type": "http", "scheme": "basic"}},
            "schemas": {
                **_xapi_schemas(),
                "Agent": agent,
                "LaunchRequest": launch_request,
                "Launch": launch,
                "FetchAnswer": fetch_answer,
                "Health": {
                    "type": "object",
                    "required": ["status"],
                    "properties": {
                        "status": {"enum": ["ok", "unavailable"]},
                        "database": {"type": "string"},
                        "xapi_versions": {"type": "array", "items": {"type": "string"}},
                    },
                },
            },
        },
    }
