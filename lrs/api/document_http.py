"""HTTP glue shared by the three document blueprints (state, activity profile, agent profile).

The rules live in :mod:`lrs.xapi.documents`; this module only turns a Flask
request into its inputs (query, headers, body, negotiated version, limits)
and its :class:`~lrs.xapi.documents.Reply` or error into a response, and
applies the cmi5 launch-session bounds between the two.
"""

from __future__ import annotations

from typing import cast

from flask import Response, request

from lrs.api.common import XapiError, api_version, check_params, config, store
from lrs.auth import check_launch
from lrs.store.interface import DocumentKind
from lrs.xapi import documents

#: The HTTP methods every document resource answers (HEAD is Flask's, from GET).
METHODS = ["GET", "PUT", "POST", "DELETE"]


def request_version() -> str:
    """The xAPI version negotiated for this request (``1.0.3`` or ``2.0.0``)."""
    return api_version()


def xapi_error(error: documents.DocumentError) -> XapiError:
    """The ``XapiError`` for a refused document request."""
    return XapiError(error.status, error.message)


def to_response(reply: documents.Reply) -> Response:
    """A Flask response for a document reply (204s carry no Content-Type)."""
    response = Response(reply.body, status=reply.status)
    if reply.status == 204:
        response.headers.pop("Content-Type", None)
    for name, value in reply.headers.items():
        response.headers[name] = value
    return response


def serve(kind: DocumentKind) -> Response:
    """Answer one request to the ``kind`` document resource."""
    method = cast(documents.Method, request.method)
    check_params(documents.allowed_params(kind, method))
    try:
        params = documents.parse_params(kind, method, request.args)
        key = params.key
        check_launch(
            kind,
            agent=key.agent or None,
            activity_id=key.activity_id or None,
            registration=key.registration,
            doc_id=key.doc_id,
        )
        body = request.get_data(cache=False) if method in ("PUT", "POST") else b""
        reply = documents.handle(
            store(),
            params,
            method,
            headers=dict(request.headers.items()),
            body=body,
            version=request_version(),
            max_bytes=config().max_document_bytes,
        )
    except documents.DocumentError as error:
        raise xapi_error(error) from error
    return to_response(reply)
