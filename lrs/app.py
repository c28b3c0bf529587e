"""The Flask app factory: no import-time side effects, one config object."""

from __future__ import annotations

from flask import Flask

from lrs.api import register_blueprints
from lrs.config import LrsConfig
from lrs.store.interface import Store


def create_app(config: LrsConfig | None = None, store: Store | None = None) -> Flask:
    """Build an LRS app; tests pass a config with a temporary database URL."""
    cfg = config or LrsConfig.from_env()
    app = Flask("lrs")
    app.config["LRS"] = cfg
    app.config["MAX_CONTENT_LENGTH"] = cfg.max_request_bytes
    if store is None:
        from lrs.store.sql import SqlStore  # imported here: the store opens a database

        store = SqlStore(cfg.database_url)
    app.extensions["lrs_store"] = store
    register_blueprints(app)
    return app
