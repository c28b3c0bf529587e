"""LRS configuration from one object, read from ``GSOG_LRS_*`` environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from typing import Any


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

    @classmethod
    def from_env(cls, **overrides: Any) -> LrsConfig:
        """Defaults, then ``GSOG_LRS_<FIELD>`` variables, then ``overrides``."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = os.environ.get(f"GSOG_LRS_{f.name.upper()}")
            if raw is not None:
                values[f.name] = int(raw) if f.type in ("int", int) else raw
        return replace(cls(**values), **overrides)
