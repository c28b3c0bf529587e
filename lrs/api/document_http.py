"""HTTP glue shared by the three document blueprints (state, activity profile, agent profile).

The rules live in :mod:`lrs.xapi.documents`; this module only turns a Flask
request into its inputs (query, headers, body, negotiated version, limits)
and its :class:`~lrs.xapi.documents.Reply` or error into a response, and
applies the cmi5 launch-session bounds between the two.
"""

from __future__ import annotations

from typing import Final, cast

from flask import Response, request

from lrs.api.common import XapiError, api_version, check_params, config, media_type, store
from lrs.auth import check_launch, current_principal, launch_session
from lrs.auth.launch import LAUNCH_DATA_STATE_ID
from lrs.store.interface import DocumentKey, DocumentKind
from lrs.xapi import documents
from lrs.xapi.cmi5_rules import PREFERENCES_PROFILE, Cmi5Violation, check_preferences_write

#: The HTTP methods every document resource answers (HEAD is Flask's, from GET).
METHODS = ["GET", "PUT", "POST", "DELETE"]


def request_version() -> str:
    """The xAPI version negotiated for this request (``1.0.3`` or ``2.0.0``)."""
    return api_version()


def xapi_error(error: documents.DocumentError) -> XapiError:
    """The ``XapiError`` for a refused document request."""
    return XapiError(error.status, error.message)


#: Media types a stored document is served as, because a browser only ever displays or
#: plays them and never runs them: JSON (what xAPI documents almost always are), plain
#: text, opaque bytes, raster images and common audio/video. Everything else a client
#: may PUT -- text/html, image/svg+xml, XML (XSLT and XHTML run scripts), JavaScript,
#: application/pdf (viewers run embedded scripts and forms), unknown types -- is served as
#: application/octet-stream, since documents are bytes any write client chose and are
#: read through the LRS's own origin (where a script could use a reader's credentials).
PASSIVE_DOCUMENT_TYPES: Final = frozenset(
    {
        "application/json",
        "text/plain",
        "application/octet-stream",
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "image/avif",
        "audio/mpeg",
        "audio/mp4",
        "audio/ogg",
        "audio/wav",
        "audio/webm",
        "video/mp4",
        "video/ogg",
        "video/webm",
    }
)
#: On every document response: no sniffing, and a page that could still be rendered
#: (a direct navigation) gets a unique origin, loads nothing and runs nothing.
DOCUMENT_CSP: Final = "sandbox; default-src 'none'"


def served_type(stored: str | None) -> str:
    """The Content-Type a stored document is served with (see :data:`PASSIVE_DOCUMENT_TYPES`).

    The stored value is kept (with its parameters, e.g. a charset) when its
    media type is passive and it is a single, well-formed value; otherwise
    ``application/octet-stream``.
    """
    value = (stored or "").strip()
    bare = media_type(value)
    if bare in PASSIVE_DOCUMENT_TYPES and "," not in value and value.isprintable():
        return value
    return documents.DEFAULT_TYPE


def to_response(reply: documents.Reply) -> Response:
    """A Flask response for a document reply (204s carry no Content-Type).

    A document's bytes were written by some client and are read by others, so
    it is served with :func:`served_type`, :data:`DOCUMENT_CSP` (``nosniff`` is on every
    response, :func:`lrs.app.create_app`) and,
    unless it is JSON, ``Content-Disposition: attachment`` (a browser that
    navigates to it saves it instead of showing it).
    """
    response = Response(reply.body, status=reply.status)
    if reply.status == 204:
        response.headers.pop("Content-Type", None)
    for name, value in reply.headers.items():
        response.headers[name] = value
    if reply.status != 204:
        content_type = served_type(response.headers.get("Content-Type"))
        response.headers["Content-Type"] = content_type
        if media_type(content_type) != documents.JSON_TYPE:
            response.headers["Content-Disposition"] = "attachment"
    response.headers["Content-Security-Policy"] = DOCUMENT_CSP
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
        _refuse_preference_changes(key, method, body)
        try:
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
            if error.status == 404:
                _note_startup_read(key, method, found=False)
            raise
        if reply.status == 200:
            _note_startup_read(key, method, found=True)
    except documents.DocumentError as error:
        raise xapi_error(error) from error
    return to_response(reply)


def _refuse_preference_changes(key: DocumentKey, method: str, body: bytes) -> None:
    """A launch session may not change ``cmi5LearnerPreferences``: the LMS keeps it.

    cmi5 §11 lets the LMS refuse with 403 (and the AU must not take that as
    an error); a body that breaks the document rules is refused with the
    requirement it breaks first, as the reference LMS does.
    """
    principal = current_principal()
    if principal is None or principal.launch is None:
        return
    if key.kind != "agent_profile" or key.doc_id != PREFERENCES_PROFILE or method not in ("PUT", "POST"):
        return
    try:
        check_preferences_write(request.headers.get("Content-Type"), body)
    except Cmi5Violation as violation:
        raise XapiError(403, violation.message) from violation
    raise XapiError(
        403, "Rejected request to alter the learner preferences Agent Profile document: the LMS keeps it (cmi5 11.0)"
    )


def _note_startup_read(key: DocumentKey, method: str, *, found: bool) -> None:
    """Record that the session's AU did the start-up reads its first statement needs.

    cmi5 §10.2.1 (the contextTemplate comes from LMS.LaunchData) and §11
    (learner preferences on startup; 404 = none, still retrieved). Written
    once per session: the record loaded at authentication tells whether.
    """
    session = launch_session()
    if session is None or method != "GET":
        return
    if key.kind == "state" and key.doc_id == LAUNCH_DATA_STATE_ID and found and not session.launch_data_read:
        store().note_cmi5_read(session.session_id, launch_data=True)
    elif key.kind == "agent_profile" and key.doc_id == PREFERENCES_PROFILE and not session.preferences_read:
        store().note_cmi5_read(session.session_id, preferences=True)
