"""The LMS side of cmi5 that launching our AUs against this LRS needs.

Two endpoints, under the xAPI prefix in ``extensions/`` (xAPI 1.0.3
Communication §2.0: resources beyond the spec SHOULD use path segments
starting with ``extensions/``):

* ``POST <prefix>/extensions/cmi5/launches`` (scope ``cmi5/launch`` or
  ``all``): a launcher (the course preview, or a small LMS) creates one
  launch for an actor,
  registration and AU activity. The LRS writes the ``LMS.LaunchData`` state
  document (cmi5 §10: contextTemplate with session id and publisher id,
  launchMode, moveOn, masteryScore, returnURL), records the cmi5
  "launched" statement (§9.3.1) and answers with the launch
  URL parameters (cmi5 §8.1), including a one-time ``fetch`` URL.
* ``POST <prefix>/extensions/cmi5/fetch/<id>`` (no credentials: the id is
  one): returns ``{"auth-token": ...}`` once (cmi5 §8.2). Every answer is HTTP 200 with a
  JSON body, errors as ``{"error-code": "1"|"2"|"3", "error-text": ...}``
  (§8.2.3: 1 = already used or expired, 2 = security error such as an
  unknown token, 3 = application error). GET is not allowed (405), so no
  cache ever keeps a token.

The fetch record lives ``LrsConfig.cmi5_token_seconds``; the token it hands
out is bounded to the launch (see :mod:`lrs.auth.launch`).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import logging
import uuid
from typing import Any, Final
from urllib.parse import quote, urlencode

from flask import Blueprint, Response, request, url_for

from lrs.api.common import config, store
from lrs.api.document_http import xapi_error
from lrs.auth import CMI5_LAUNCH_SCOPE, current_principal, require
from lrs.auth.launch import LAUNCH_DATA_STATE_ID, FetchError, create_launch, fetch_auth_token
from lrs.store.interface import Document, DocumentKey
from lrs.xapi.documents import DocumentError, etag_for, parse_agent, parse_iri, parse_registration
from lrs.xapi.statements import prepare
from lrs.xapi.versions import V1

bp = Blueprint("cmi5", __name__)
log = logging.getLogger("lrs.cmi5")

EXTENSION: Final = "https://w3id.org/xapi/cmi5/context/extensions/"
SESSION_EXTENSION: Final = EXTENSION + "sessionid"
CMI5_CATEGORY: Final = {"id": "https://w3id.org/xapi/cmi5/context/categories/cmi5"}
LAUNCHED_VERB: Final = {"id": "http://adlnet.gov/expapi/verbs/launched", "display": {"en-US": "launched"}}
LAUNCH_MODES: Final = ("Normal", "Browse", "Review")
MOVE_ON: Final = ("Passed", "Completed", "CompletedAndPassed", "CompletedOrPassed", "NotApplicable")
#: Parameters of the launch URL, in the order cmi5 §8.1 lists them.
LAUNCH_PARAMETERS: Final = ("endpoint", "fetch", "actor", "registration", "activityId")


def _bad(message: str) -> Exception:
    return xapi_error(DocumentError(400, message))


def _optional_str(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise _bad(f"{name}: must be a string")
    return value


def _launch_data(body: dict[str, Any], activity_id: str, session_id: str) -> dict[str, Any]:
    """The ``LMS.LaunchData`` document for one launch (cmi5 §10.2)."""
    launch_mode = body.get("launchMode", "Normal")
    if launch_mode not in LAUNCH_MODES:
        raise _bad(f"launchMode: must be one of {', '.join(LAUNCH_MODES)}")
    move_on = body.get("moveOn", "NotApplicable")
    if move_on not in MOVE_ON:
        raise _bad(f"moveOn: must be one of {', '.join(MOVE_ON)}")
    context: dict[str, Any] = {"extensions": {SESSION_EXTENSION: session_id}}
    publisher_id = _optional_str(body, "publisherId")
    if publisher_id is not None:
        try:
            parse_iri(publisher_id, "publisherId")
        except DocumentError as error:
            raise xapi_error(error) from error
        if publisher_id == activity_id:
            raise _bad("activityId: must differ from the AU's publisherId (cmi5 8.1.5)")
        context["contextActivities"] = {"grouping": [{"objectType": "Activity", "id": publisher_id}]}
    data: dict[str, Any] = {"contextTemplate": context, "launchMode": launch_mode, "moveOn": move_on}
    mastery = body.get("masteryScore")
    if mastery is not None:
        if isinstance(mastery, bool) or not isinstance(mastery, int | float) or not 0 <= mastery <= 1:
            raise _bad("masteryScore: must be a number from 0 to 1")
        data["masteryScore"] = mastery
    for name in ("returnURL", "launchParameters", "launchMethod"):
        value = _optional_str(body, name)
        if value is not None:
            data[name] = value
    return data


def _launched_statement(
    actor: dict[str, Any], activity_id: str, registration: str, launch_data: dict[str, Any], au_url: str | None
) -> dict[str, Any]:
    """The cmi5 "launched" statement the LMS records before the AU starts (cmi5 §9.3.1, §9.6.3)."""
    context = copy.deepcopy(launch_data["contextTemplate"])
    context["registration"] = registration
    context.setdefault("contextActivities", {})["category"] = [dict(CMI5_CATEGORY)]
    extensions = context.setdefault("extensions", {})
    extensions[EXTENSION + "launchmode"] = launch_data["launchMode"]
    extensions[EXTENSION + "moveon"] = launch_data["moveOn"]
    if "masteryScore" in launch_data:
        extensions[EXTENSION + "masteryscore"] = launch_data["masteryScore"]
    if "launchParameters" in launch_data:
        extensions[EXTENSION + "launchparameters"] = launch_data["launchParameters"]
    if au_url:
        extensions[EXTENSION + "launchurl"] = au_url
    return {
        "id": str(uuid.uuid4()),
        "actor": actor,
        "verb": dict(LAUNCHED_VERB),
        "object": {"objectType": "Activity", "id": activity_id},
        "context": context,
    }


def start_launch(body: dict[str, Any], authority: dict[str, Any]) -> dict[str, Any]:
    """Create one cmi5 launch (LMS.LaunchData, "launched" statement, fetch record).

    Shared by the launches endpoint and the package preview; returns the
    launch parameters, and the full ``url`` when the body names ``auUrl``.
    """
    try:
        actor, actor_key = parse_agent(json.dumps(body.get("actor")) if "actor" in body else None, name="actor")
        activity_id = parse_iri(_optional_str(body, "activityId"), "activityId")
        registration = parse_registration(_optional_str(body, "registration")) or str(uuid.uuid4())
    except DocumentError as error:
        raise xapi_error(error) from error
    au_url = _optional_str(body, "auUrl")
    session_id = str(uuid.uuid4())
    launch_data = _launch_data(body, activity_id, session_id)

    now = dt.datetime.now(dt.UTC)
    content = json.dumps(launch_data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    key = DocumentKey("state", activity_id, actor_key, registration, LAUNCH_DATA_STATE_ID)
    store().put_document(
        Document(key, content, "application/json", etag_for(content), now), if_match=None, if_none_match=None
    )
    launched = prepare(
        _launched_statement(actor, activity_id, registration, launch_data, au_url),
        api=V1,
        authority=authority,
        stored=now,
    )
    store().insert_statements([launched], [])
    fetch_id = create_launch(
        store(),
        actor=actor,
        registration=registration,
        activity_id=activity_id,
        lifetime=dt.timedelta(seconds=config().cmi5_token_seconds),
        now=now,
    )
    parameters = {
        "endpoint": request.host_url.rstrip("/") + config().xapi_prefix + "/",
        "fetch": url_for("cmi5.fetch", fetch_id=fetch_id, _external=True),
        "actor": json.dumps(actor, ensure_ascii=False, separators=(",", ":")),
        "registration": registration,
        "activityId": activity_id,
    }
    query = urlencode(parameters, quote_via=quote)
    answer: dict[str, Any] = {
        **parameters,
        "actor": actor,
        "sessionId": session_id,
        "expires": (now + dt.timedelta(seconds=config().cmi5_token_seconds)).isoformat(),
        "launchData": launch_data,
        "launchedStatement": launched.id,
        "query": query,
    }
    if au_url:
        answer["url"] = au_url + ("&" if "?" in au_url else "?") + query
    return answer


@bp.route("/extensions/cmi5/launches", methods=["POST"])
@require(CMI5_LAUNCH_SCOPE)
def create() -> Response:
    """Create a launch: write LMS.LaunchData and return the AU's launch URL parameters.

    Body (JSON): ``actor`` (Agent), ``activityId`` (IRI, the LMS-generated
    AU activity id), optional ``registration`` (UUID; a new one when absent),
    ``publisherId`` (the AU id from cmi5.xml, for the grouping), ``moveOn``,
    ``masteryScore``, ``launchMode``, ``returnURL``, ``launchParameters``,
    and ``auUrl`` (the AU's index.html: the answer then has the full ``url``).
    """
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise _bad("the request body must be a JSON object with actor and activityId")
    principal = current_principal()
    answer = start_launch(body, principal.authority if principal is not None else {})
    response = Response(json.dumps(answer, ensure_ascii=False), status=201, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


def _fetch_answer(payload: dict[str, str]) -> Response:
    response = Response(json.dumps(payload), status=200, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/extensions/cmi5/fetch/<fetch_id>", methods=["POST"])
def fetch(fetch_id: str) -> Response:
    """The cmi5 fetch URL: the session auth-token the first time, a cmi5 error after that."""
    try:
        token = fetch_auth_token(store(), fetch_id, now=dt.datetime.now(dt.UTC))
    except FetchError as error:
        return _fetch_answer({"error-code": error.code, "error-text": error.text})
    except Exception:  # noqa: BLE001 - cmi5 answers any application failure with error-code 3
        log.exception("cmi5 fetch failed in the store")
        return _fetch_answer({"error-code": "3", "error-text": "The LMS could not issue a token; try again later."})
    return _fetch_answer({"auth-token": token})
