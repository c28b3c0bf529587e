"""The Agent Profile resource, ``/agents/profile`` (xAPI 1.0.3 §2.6, 2.0 §4.1.6.5).

Documents about one learner across activities, e.g. cmi5's
``cmi5LearnerPreferences``. Keyed by the agent's identifier (an Agent, not a
Group), with the same concurrency rules as activity profiles.
"""

from __future__ import annotations

from flask import Blueprint, Response

from lrs.api.common import xapi_blueprint
from lrs.api.document_http import METHODS, serve
from lrs.auth import require

bp = Blueprint("agent_profile", __name__)
xapi_blueprint(bp)


@bp.route("/agents/profile", methods=METHODS)
@require("profile")
def agent_profile() -> Response:
    """GET / PUT / POST (merge) / DELETE agent profile documents."""
    return serve("agent_profile")
