"""LRS configuration from one object, read from ``GSOG_LRS_*`` environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from typing import Any
from urllib.parse import urlsplit


def check_public_url(url: str) -> str:
    """``url`` without a trailing slash ('' stays ''), or ValueError: http(s), a host, no query.

    It prefixes paths such as ``/xapi/``, so a query, fragment or user info
    would end up in the middle of every URL built from it.
    """
    if not url:
        return ""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as error:
        raise ValueError(f"public_url (GSOG_LRS_PUBLIC_URL): not a URL: {url!r} ({error})") from None
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.query
        or parts.fragment
        or "@" in parts.netloc
    ):
        raise ValueError(
            f"public_url (GSOG_LRS_PUBLIC_URL): must be http(s)://host[:port][/path] without query, "
            f"fragment or user info, got {url!r}"
        )
    return url.rstrip("/")


@dataclass(frozen=True)
class LrsConfig:
    """Every setting and limit of the LRS; each limit answers 413 with a message when exceeded."""

    #: SQLAlchemy URL: ``sqlite:///lrs.sqlite3`` (embedded default, WAL) or ``postgresql+psycopg://...``.
    database_url: str = "sqlite:///lrs.sqlite3"
    #: Largest request body (statements, documents, attachments together).
    max_request_bytes: int = 64 * 1024 * 1024
    #: Largest single statement, as compact JSON (UTF-8).
    max_statement_bytes: int = 256 * 1024
    #: Most statements in one POST.
    max_batch_statements: int = 1000
    #: Largest single attachment.
    max_attachment_bytes: int = 32 * 1024 * 1024
    #: Largest state / profile document.
    max_document_bytes: int = 8 * 1024 * 1024
    #: Statements per page when the client sets no ``limit``, and the most it may ask for.
    default_page_size: int = 100
    max_page_size: int = 1000
    #: Seconds a cmi5 launch token lives; it can be fetched once.
    cmi5_token_seconds: int = 3600
    #: Folder of built packages offered at /preview (empty: preview off).
    #: Development aid: launches cmi5 packages against this LRS as a preview learner.
    preview_dir: str = ""
    #: Path prefix of the xAPI endpoints.
    xapi_prefix: str = "/xapi"
    #: X-Experience-API-Version echoed when a request names none (About, or the 400 for a
    #: missing header): "2.0.0" or "1.0.3" (the conformance suite's 1.0.3 run expects 1.0.3).
    xapi_default_version: str = "2.0.0"
    #: The LRS's public base URL as browsers reach it, mount path included
    #: (``https://lrs.example.org/base``): the cmi5 ``endpoint`` and ``fetch`` URLs and the
    #: preview's links are built from it. Never from the ``Host`` header, which any client
    #: chooses (a forged one would send a learner's launch token elsewhere). Empty: the
    #: address the server itself listens on (``lrs serve``'s bind address, gunicorn's
    #: TCP bind, 0.0.0.0 read as 127.0.0.1) -- right for development only; set it in
    #: production (behind a proxy, or gunicorn on a unix socket, whose SERVER_NAME is the Host).
    public_url: str = ""
    #: SQLite ``PRAGMA synchronous``: "full" (default: an acknowledged statement survives an
    #: OS crash or power cut, each commit waits for fsync) or "normal" (opt-out: faster on
    #: disks with slow fsync, but a power cut may lose the last acknowledged statements;
    #: an application crash still loses nothing). Ignored on PostgreSQL.
    sqlite_synchronous: str = "full"
    #: Days statements and documents are kept; ``lrs retention`` removes older ones
    #: (run it daily). 0: no retention period set, nothing is removed.
    retention_days: int = 0
    #: Signs the dashboard's session cookies (at least 32 characters). Empty: the LRS
    #: generates one and keeps it in its database, shared by every worker and restart.
    secret_key: str = ""
    #: Longest life of a dashboard login in seconds, however active (idle sessions end sooner).
    dashboard_session_seconds: int = 8 * 3600
    #: Smallest group of learners a report cell may show (``GSOG_LRS_REPORT_MIN_GROUP``);
    #: smaller groups are suppressed and marked (lrs.reports.privacy).
    report_min_group: int = 5

    def __post_init__(self) -> None:
        """Refuse settings the LRS cannot run with, naming the setting and its variable."""
        from lrs.store.dialect import check_sqlite_synchronous  # the store owns the levels

        object.__setattr__(self, "sqlite_synchronous", check_sqlite_synchronous(self.sqlite_synchronous))
        object.__setattr__(self, "public_url", check_public_url(self.public_url))
        if self.report_min_group < 1:
            raise ValueError("report_min_group (GSOG_LRS_REPORT_MIN_GROUP): the smallest group must be at least 1")
        if self.secret_key and len(self.secret_key) < 32:
            raise ValueError("secret_key (GSOG_LRS_SECRET_KEY): use at least 32 random characters, or leave it unset")

    @classmethod
    def from_env(cls, **overrides: Any) -> LrsConfig:
        """Defaults, then ``GSOG_LRS_<FIELD>`` variables, then ``overrides``."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = os.environ.get(f"GSOG_LRS_{f.name.upper()}")
            if raw is not None:
                values[f.name] = int(raw) if f.type in ("int", int) else raw
        return replace(cls(**values), **overrides)
