"""One blueprint per xAPI resource, registered in one place."""

from __future__ import annotations

from importlib import import_module

from flask import Flask

#: Modules under lrs.api, each exposing ``bp`` (a Blueprint).
BLUEPRINTS = (
    "about",
    "statements",
    "state",
    "activity_profile",
    "agent_profile",
    "activities",
    "agents",
    "cmi5",
    "ops",
    "preview",
    "profile",
)

#: Blueprints served at the root, not under the xAPI prefix.
ROOT_BLUEPRINTS = {"ops", "preview", "profile"}


def register_blueprints(app: Flask) -> None:
    """Attach every resource's blueprint under the configured xAPI prefix (ops at the root)."""
    prefix = app.config["LRS"].xapi_prefix
    for name in BLUEPRINTS:
        module = import_module(f"lrs.api.{name}")
        app.register_blueprint(module.bp, url_prefix="" if name in ROOT_BLUEPRINTS else prefix)
