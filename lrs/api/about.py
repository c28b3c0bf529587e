"""GET /about: which xAPI versions this LRS speaks (no credentials, no version header needed)."""

from __future__ import annotations

from flask import Blueprint, Response, g, request

from lrs.api.common import VERSION_HEADER, check_params, json_response
from lrs.xapi.versions import SUPPORTED, negotiate

bp = Blueprint("about", __name__)


@bp.route("/about", methods=["GET"])
def about() -> Response:
    """The versions, oldest first, and no extensions."""
    version = negotiate(request.headers.get(VERSION_HEADER))
    if version is not None:
        g.xapi_version = version
    check_params(())
    return json_response({"version": list(SUPPORTED), "extensions": {}})
