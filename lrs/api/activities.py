"""The Activities resource, ``GET /activities?activityId=`` (xAPI 1.0.3 §2.5, 2.0 §4.1.6.4).

Returns the canonical Activity object the LRS keeps from the statements it
stored (definitions merged by the store). An activity the LRS has never
seen still gets an Activity object with just its id, as 2.0 requires and
1.0.3 recommends, rather than 404.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from lrs.api.common import check_params, json_response, store, xapi_blueprint
from lrs.api.document_http import xapi_error
from lrs.auth import check_launch, require
from lrs.xapi.documents import DocumentError, parse_iri

bp = Blueprint("activities", __name__)
xapi_blueprint(bp)


@bp.route("/activities", methods=["GET"])
@require()
def activity() -> Response:
    """The complete Activity object for ``activityId``."""
    check_params(["activityId"])
    try:
        activity_id = parse_iri(request.args.get("activityId"), "activityId")
    except DocumentError as error:
        raise xapi_error(error) from error
    check_launch("activities", activity_id=activity_id)
    known = store().get_activity(activity_id)
    body: dict[str, Any] = {"objectType": "Activity", "id": activity_id}
    if known:
        body.update(known)
        body["objectType"] = "Activity"
        body["id"] = activity_id
    return json_response(body)
