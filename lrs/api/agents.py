"""The Agents resource, ``GET /agents?agent=`` (xAPI 1.0.3 §2.4, 2.0 §4.1.6.3).

Returns a Person object: every name and identifier the LRS has seen for the
agent's identifier, each as an array. Agents are keyed by one inverse
functional identifier, so a Person never joins different identifiers of a
learner (no profiling beyond what statements carried). An unknown agent
still gets a Person built from the request's agent, as the spec requires.
Needs ``statements/read`` or ``profile`` (the spec asks for explicit
permission to see combined identities).
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from lrs.api.common import check_params, json_response, store, xapi_blueprint
from lrs.api.document_http import xapi_error
from lrs.auth import check_launch, require
from lrs.xapi.agents import person_object
from lrs.xapi.documents import DocumentError, parse_agent

bp = Blueprint("agents", __name__)
xapi_blueprint(bp)


@bp.route("/agents", methods=["GET"])
@require("statements/read", "profile")
def person() -> Response:
    """The Person object for ``agent``."""
    check_params(["agent"])
    try:
        agent, key = parse_agent(request.args.get("agent"))
    except DocumentError as error:
        raise xapi_error(error) from error
    check_launch("agents", agent=key)
    seen = store().agents_for_person(key)
    body = person_object([agent, *seen])
    return json_response(body)
