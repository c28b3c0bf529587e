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
from typing import Any

from flask import Blueprint, Response, current_app, g, request
from flask.blueprints import BlueprintSetupState

from lrs.auth import CHALLENGE, current_principal
from lrs.config import LrsConfig
from lrs.store.interface import Store
from lrs.xapi.versions import SUPPORTED

bp = Blueprint("ops", __name__)
request_log = logging.getLogger("lrs.request")
log = logging.getLogger("lrs.ops")


def _start_timer() -> None:
    g.lrs_request_started = time.perf_counter()


@bp.record_once
def _install(state: BlueprintSetupState) -> None:
    """Start the request timer before every other ``before_request`` (they may answer early)."""
    state.app.before_request_funcs.setdefault(None, []).insert(0, _start_timer)


@bp.after_app_request
def _finish(response: Response) -> Response:
    if response.status_code == 401 and "WWW-Authenticate" not in response.headers:
        response.headers["WWW-Authenticate"] = CHALLENGE
    started = g.get("lrs_request_started")
    duration = (time.perf_counter() - started) * 1000 if isinstance(started, float) else None
    principal = current_principal()
    rule = request.url_rule
    path = rule.rule if rule is not None and rule.arguments else request.path
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
    """The OpenAPI 3.1 document of the non-xAPI endpoints."""
    cfg: LrsConfig = current_app.config["LRS"]
    return _json(openapi_document(cfg.xapi_prefix))


def _error_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {"error": {"type": "object", "properties": {"message": {"type": "string"}}}},
    }


def openapi_document(xapi_prefix: str) -> dict[str, Any]:
    """OpenAPI 3.1 for /health, /openapi.json and the cmi5 launch endpoints under ``xapi_prefix``."""
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
