"""The State resource, ``/activities/state`` (xAPI 1.0.3 Communication §2.3, 2.0 §4.1.6.2).

A scratch area an activity keeps per learner (and registration): cmi5's
``LMS.LaunchData`` and our player's suspend data live here. The rules are
in :mod:`lrs.xapi.documents`; with a ``stateId`` the methods act on one
document, without it GET lists ids (``since`` exclusive) and DELETE clears
the whole activity/agent(/registration) context.
"""

from __future__ import annotations

from flask import Blueprint, Response

from lrs.api.common import xapi_blueprint
from lrs.api.document_http import METHODS, serve
from lrs.auth import require

bp = Blueprint("state", __name__)
xapi_blueprint(bp)


@bp.route("/activities/state", methods=METHODS)
@require("state")
def state() -> Response:
    """GET / PUT / POST (merge) / DELETE state documents."""
    return serve("state")
