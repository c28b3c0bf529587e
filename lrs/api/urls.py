"""Absolute URLs the LRS hands out (cmi5 endpoint and fetch URLs, preview links).

They are built from ``LrsConfig.public_url``, never from the request's
``Host`` header: any client chooses that header, and a launch built from a
forged one would send the learner's browser, with its one-time fetch URL and
session token, to the attacker's server (or poison a cache with such links).
"""

from __future__ import annotations

import re
from typing import Final

from flask import request

from lrs.api.common import config

#: A host name or IPv4 address as a WSGI server may report it in SERVER_NAME.
_HOST_NAME: Final = re.compile(r"^[A-Za-z0-9.-]{1,253}$")
#: Addresses a server listens on that no browser can reach it by.
_WILDCARD: Final = frozenset({"", "0.0.0.0", "::", "[::]"})
_DEFAULT_PORTS: Final = {"http": "80", "https": "443"}


def public_base() -> str:
    """The LRS's base URL, mount path included, without a trailing slash.

    ``LrsConfig.public_url`` when set. Otherwise the address the server
    itself listens on, as the WSGI server reports it (``SERVER_NAME`` /
    ``SERVER_PORT``: ``lrs serve``'s bind address, gunicorn's TCP bind; a
    wildcard bind reads as 127.0.0.1) plus the mount path (``SCRIPT_NAME``):
    the development set-up. A SERVER_NAME that is not a plain host name (a
    server that copied it from the Host header) is not used.
    """
    configured = config().public_url
    if configured:
        return configured
    environ = request.environ
    scheme = "https" if environ.get("wsgi.url_scheme") == "https" else "http"
    host = str(environ.get("SERVER_NAME") or "")
    if host in _WILDCARD or not _HOST_NAME.match(host):
        host = "127.0.0.1"
    port = str(environ.get("SERVER_PORT") or "")
    netloc = host if not port.isdigit() or port == _DEFAULT_PORTS[scheme] else f"{host}:{port}"
    return f"{scheme}://{netloc}{request.script_root}"


def external(path: str) -> str:
    """``path`` (app-relative, starting with ``/``) as an absolute URL under :func:`public_base`."""
    return public_base() + path


def app_path(url_path: str) -> str:
    """A path from ``url_for`` (which includes the mount path) made app-relative for :func:`external`."""
    root = request.script_root
    return url_path[len(root) :] if root and url_path.startswith(root) else url_path


def public_origin() -> str:
    """``scheme://host[:port]`` of :func:`public_base` (for CSP source lists)."""
    match = re.match(r"^[a-z]+://[^/]+", public_base())
    return match.group(0) if match else ""
