"""The Activity Profile resource, ``/activities/profile`` (xAPI 1.0.3 §2.7, 2.0 §4.1.6.6).

Documents about one activity shared by all learners. Unlike state, a PUT
needs If-Match / If-None-Match (see
:class:`lrs.xapi.documents.ConcurrencyRules`).
"""

from __future__ import annotations

from flask import Blueprint, Response

from lrs.api.common import xapi_blueprint
from lrs.api.document_http import METHODS, serve
from lrs.auth import require

bp = Blueprint("activity_profile", __name__)
xapi_blueprint(bp)


@bp.route("/activities/profile", methods=METHODS)
@require("profile")
def activity_profile() -> Response:
    """GET / PUT / POST (merge) / DELETE activity profile documents."""
    return serve("activity_profile")
