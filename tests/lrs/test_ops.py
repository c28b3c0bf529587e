"""Health, OpenAPI, request logs, and the ``lrs`` command."""

from __future__ import annotations

import base64
import json
import logging
import uuid
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openapi_spec_validator import validate

from lrs.cli import main
from lrs.config import LrsConfig

V1 = {"X-Experience-API-Version": "1.0.3"}


def basic(key: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()}


# --- /health and /openapi.json -----------------------------------------------------------


def test_health_is_200_without_credentials_or_version(app: Any) -> None:
    response = app.test_client().get("/health")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok" and response.get_json()["database"] == "ok"


def test_health_is_503_when_the_database_fails(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    store = app.extensions["lrs_store"]

    def broken(*_args: Any) -> None:
        raise RuntimeError("connection refused")

    monkeypatch.setattr(store, "get_client", broken)
    monkeypatch.setattr(store, "ping", broken, raising=False)
    response = app.test_client().get("/health")
    assert response.status_code == 503 and response.get_json()["status"] == "unavailable"


def test_openapi_document_is_valid_openapi_3_1(app: Any) -> None:
    response = app.test_client().get("/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"].startswith("3.1")
    validate(document)
    assert set(document["paths"]) == {
        "/health",
        "/openapi.json",
        "/profiles/gsog",
        "/courses/catalogue",
        "/xapi/extensions/cmi5/launches",
        "/xapi/extensions/cmi5/fetch/{fetchId}",
        *(f"/xapi/{resource}" for resource in ("statements", "activities", "activities/state", "activities/profile")),
        *(f"/xapi/{resource}" for resource in ("agents", "agents/profile", "about")),
    }
    routes = {rule.rule.replace("<fetch_id>", "{fetchId}") for rule in app.url_map.iter_rules()}
    assert set(document["paths"]) <= routes


# --- request log -------------------------------------------------------------------------


def test_one_json_log_line_per_request_without_personal_data(client: Any, caplog: pytest.LogCaptureFixture) -> None:
    agent = json.dumps({"mbox": "mailto:secret.person@example.org"})
    query = {"activityId": "http://example.org/a", "agent": agent, "stateId": "s"}
    with caplog.at_level(logging.INFO, logger="lrs.request"):
        client.put("/xapi/activities/state", query_string=query, json={"private": "answer"}, headers=V1)
        client.post("/xapi/extensions/cmi5/fetch/abcdef-secret-id")
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "lrs.request"]
    assert len(lines) == 2
    put, fetch = lines
    assert put["method"] == "PUT" and put["path"] == "/xapi/activities/state" and put["status"] == 204
    assert put["client"] == "test-client" and put["duration_ms"] >= 0
    assert fetch["path"] == "/xapi/extensions/cmi5/fetch/<fetch_id>" and fetch["client"] is None
    text = caplog.text
    assert "secret.person" not in text and "private" not in text and "abcdef-secret-id" not in text


def test_401_from_a_non_xapi_route_still_carries_a_challenge(app: Any) -> None:
    response = app.test_client().post("/xapi/extensions/cmi5/launches", json={})
    assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Basic")


# --- the lrs command -----------------------------------------------------------------------


def test_client_add_list_remove(app: Any) -> None:
    store = app.extensions["lrs_store"]
    runner = CliRunner()
    added = runner.invoke(
        main, ["client", "add", "preview", "--scope", "state", "--scope", "cmi5/launch"], obj={"store": store}
    )
    assert added.exit_code == 0, added.output
    lines = dict(line.split(":", 1) for line in added.stdout.strip().splitlines())
    key, secret = lines["key"].strip(), lines["secret"].strip()
    query = {"activityId": "http://example.org/a", "agent": json.dumps({"mbox": "mailto:a@b.org"}), "stateId": "s"}
    anonymous = app.test_client()
    assert (
        anonymous.get("/xapi/activities/state", query_string=query, headers={**V1, **basic(key, secret)}).status_code
        == 404
    )

    listed = runner.invoke(main, ["client", "list"], obj={"store": store})
    assert key in listed.output and "preview" in listed.output and "state cmi5/launch" in listed.output
    assert secret not in listed.output
    as_json = json.loads(runner.invoke(main, ["client", "list", "--json"], obj={"store": store}).output)
    assert {"key": key, "name": "preview", "scopes": ["state", "cmi5/launch"]}.items() <= next(
        c for c in as_json if c["key"] == key
    ).items()

    assert runner.invoke(main, ["client", "remove", key], obj={"store": store}).exit_code == 0
    assert (
        anonymous.get("/xapi/activities/state", query_string=query, headers={**V1, **basic(key, secret)}).status_code
        == 401
    )
    missing = runner.invoke(main, ["client", "remove", key], obj={"store": store})
    assert missing.exit_code == 1 and "no client" in missing.output


def test_client_add_options_and_errors(app: Any) -> None:
    store = app.extensions["lrs_store"]
    runner = CliRunner()
    result = runner.invoke(
        main,
        [
            "client", "add", "lms", "--authority-email", "lms@example.org",
            "--key", "lms-key", "--secret", "s3cret!-but-long-enough-0123456789abc",
        ],  # fmt: skip
        obj={"store": store},
    )
    assert result.exit_code == 0, result.output
    record = store.get_client("lms-key")
    assert record.authority == {"objectType": "Agent", "name": "lms", "mbox": "mailto:lms@example.org"}
    assert record.scopes == ("statements/write", "statements/read/mine")
    assert runner.invoke(main, ["client", "add", "x", "--scope", "everything"], obj={"store": store}).exit_code == 2
    bad_mail = runner.invoke(main, ["client", "add", "x", "--authority-email", "mailto:x"], obj={"store": store})
    assert bad_mail.exit_code == 2
    taken = runner.invoke(main, ["client", "add", "x", "--key", "a:b"], obj={"store": store})
    assert taken.exit_code == 2 and "not usable" in taken.output


def test_client_commands_open_the_database_given(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    runner = CliRunner()
    assert runner.invoke(main, ["client", "list", "--database", url]).output.startswith("no clients")
    assert runner.invoke(main, ["client", "add", "one", "--scope", "all", "--database", url]).exit_code == 0
    assert "one" in runner.invoke(main, ["client", "list", "--database", url]).output


def test_db_upgrade(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    first = CliRunner().invoke(main, ["db", "upgrade", "--database", url])
    assert first.exit_code == 0, first.output
    assert "was empty" in first.output
    again = CliRunner().invoke(main, ["db", "upgrade", "--database", url])
    assert again.exit_code == 0 and "was empty" not in again.output


def test_serve_runs_the_app_with_the_options(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from flask import Flask

    seen: dict[str, Any] = {}

    def fake_run(self: Flask, **kwargs: Any) -> None:
        seen.update(kwargs, config=self.config["LRS"])

    monkeypatch.setattr(Flask, "run", fake_run)
    monkeypatch.setattr("lrs.cli.configure_logging", lambda: None)  # keep pytest's logging set-up
    store = app.extensions["lrs_store"]
    url = f"sqlite:///{uuid.uuid4().hex}.sqlite3"
    result = CliRunner().invoke(main, ["serve", "--port", "9123", "--database", url], obj={"store": store})
    assert result.exit_code == 0, result.output
    assert seen["host"] == "127.0.0.1" and seen["port"] == 9123
    config: LrsConfig = seen["config"]
    assert config.database_url == url


def test_configure_logging_keeps_query_strings_out(monkeypatch: pytest.MonkeyPatch) -> None:
    from lrs.cli import configure_logging

    root = logging.getLogger()
    for name in ("", "lrs", "werkzeug"):
        logger = logging.getLogger(name or None)
        monkeypatch.setattr(logger, "level", logger.level)
    configure_logging()
    assert logging.getLogger("lrs.request").isEnabledFor(logging.INFO)
    assert not logging.getLogger("werkzeug").isEnabledFor(logging.INFO)
    assert root.level == logging.WARNING
