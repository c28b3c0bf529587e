"""GET /profiles/gsog: our xAPI Profile (JSON-LD), for anyone, cacheable.

Served at the root, not under the xAPI prefix: it is a public document
about our vocabulary (no credentials, no version header), and everything
under the prefix is ``no-store``. The document comes from
:mod:`lrs.xapi.profile`, where the IRIs are defined.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache

from flask import Blueprint, Response, request

from lrs.xapi.profile import MEDIA_TYPE, PROFILE_PATH, profile_document

bp = Blueprint("profile", __name__)

#: A day: the profile changes only with a new version of the LRS.
MAX_AGE = 86400


@lru_cache(maxsize=1)
def _body() -> tuple[bytes, str]:
    body = json.dumps(profile_document(), ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")
    return body, hashlib.sha256(body).hexdigest()[:32]


@bp.route(PROFILE_PATH, methods=["GET"])
def profile() -> Response:
    """The profile document; 304 when the client's ETag is current."""
    body, etag = _body()
    headers = {"ETag": f'"{etag}"', "Cache-Control": f"public, max-age={MAX_AGE}", "Access-Control-Allow-Origin": "*"}
    if request.if_none_match.contains(etag):
        return Response(status=304, headers=headers)
    return Response(body, status=200, mimetype=MEDIA_TYPE, headers=headers)
