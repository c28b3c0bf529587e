"""LRS configuration from one object, read from ``GSOG_LRS_*`` environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from typing import Any
from urllib.parse import urlsplit


def check_public_url(url: str, setting: str = "public_url") -> str:
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
        raise ValueError(f"{setting} (GSOG_LRS_{setting.upper()}): not a URL: {url!r} ({error})") from None
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.query
        or parts.fragment
        or "@" in parts.netloc
    ):
        raise ValueError(
            f"{setting} (GSOG_LRS_{setting.upper()}): must be http(s)://host[:port][/path] without query, "
            f"fragment or user info, got {url!r}"
        )
    return url.rstrip("/")


def _origin(url: str) -> tuple[str, str, int | None]:
    """Scheme, host and port of a checked URL (what makes two URLs one origin)."""
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port


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
    #: Base URL of the host name serving imported course packages to learners' browsers
    #: (``https://content.lrs.example.org``: a second name for this same server). A package's
    #: scripts then run on an origin of their own and cannot read the portal's pages with the
    #: learner's session (lrs.portal.content). Empty: derived for loopback development
    #: (localhost <-> 127.0.0.1 on the same port), else the public URL itself (with a warning).
    content_url: str = ""
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
    #: Who the learner portal's certificates say issued them (an organisation's name,
    #: ``GSOG_LRS_CERTIFICATE_ISSUER``). Empty: the LRS's public URL (lrs.portal.certificate).
    certificate_issuer: str = ""
    #: Where the learner portal sends its e-mails (confirm address, reset password):
    #: ``smtp://user:password@host:587`` (STARTTLS when the server offers it) or
    #: ``smtps://user:password@host:465`` (TLS from the start); user and password are
    #: URL-encoded. Empty: mails are written to the log (``lrs.portal.mail``), for development.
    smtp_url: str = ""
    #: The portal's sender address (``From:``), required with ``smtp_url``.
    mail_from: str = ""

    def __post_init__(self) -> None:
        """Refuse settings the LRS cannot run with, naming the setting and its variable."""
        from lrs.store.dialect import check_sqlite_synchronous  # the store owns the levels

        object.__setattr__(self, "sqlite_synchronous", check_sqlite_synchronous(self.sqlite_synchronous))
        object.__setattr__(self, "public_url", check_public_url(self.public_url))
        object.__setattr__(self, "content_url", check_public_url(self.content_url, "content_url"))
        if self.content_url and self.public_url and _origin(self.content_url) == _origin(self.public_url):
            raise ValueError(
                "content_url (GSOG_LRS_CONTENT_URL): must be another host name than public_url, "
                "so that course packages run on an origin of their own"
            )
        if self.report_min_group < 1:
            raise ValueError("report_min_group (GSOG_LRS_REPORT_MIN_GROUP): the smallest group must be at least 1")
        from lrs.portal.mail import check_mail_settings  # the mailer owns its URL rules

        check_mail_settings(self.smtp_url, self.mail_from)
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
