"""Privacy duties of the LRS operator: erasing one learner, the retention period, pseudonymised exports."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from lrs.cli import main
from lrs.reports.tables import TABLES
from lrs.xapi.profile import iri
from lrs.xapi.pseudonym import PSEUDONYM_HOME, Pseudonymiser

V = {"X-Experience-API-Version": "1.0.3"}
COURSE = "https://gsog.example.org/course/gsog"
ANNA = {"objectType": "Agent", "name": "Anna Peeters", "mbox": "mailto:anna@politie.example.be"}
ANNA_SHA1 = {"mbox_sha1sum": hashlib.sha1(b"mailto:anna@politie.example.be").hexdigest()}  # noqa: S324 - xAPI's hash
ANNA_KEY = "mbox:mailto:anna@politie.example.be"
BEN_KEY = "account:https://lms.example.be|b-7"
BEN = {"objectType": "Agent", "name": "Ben Janssens", "account": {"homePage": "https://lms.example.be", "name": "b-7"}}


def _statement(actor: dict[str, Any], verb: str = "completed", **extra: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "actor": actor,
        "verb": {"id": f"http://adlnet.gov/expapi/verbs/{verb}"},
        "object": {"objectType": "Activity", "id": f"{COURSE}/m1"},
        "context": {"registration": str(uuid.uuid4()), "extensions": {iri("sector"): "police"}},
        **extra,
    }


def _post(client: Any, *statements: dict[str, Any]) -> None:
    response = client.post("/xapi/statements", json=list(statements), headers=V)
    assert response.status_code == 200, response.get_data(as_text=True)


def _count(client: Any, agent: dict[str, Any]) -> int:
    query = {"agent": json.dumps({k: v for k, v in agent.items() if k != "name"})}
    response = client.get("/xapi/statements", query_string=query, headers=V)
    assert response.status_code == 200
    return len(response.get_json()["statements"])


def _state(client: Any, agent: dict[str, Any], method: str = "PUT") -> int:
    query = {"activityId": f"{COURSE}/m1", "agent": json.dumps(agent), "stateId": "suspend"}
    return int(
        client.open("/xapi/activities/state", method=method, query_string=query, json={"a": 1}, headers=V).status_code
    )


def test_erase_removes_one_learner_under_both_identifier_forms_and_logs_no_identity(
    app: Any, client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    _post(client, _statement(ANNA), _statement({"objectType": "Agent", **ANNA_SHA1}), _statement(BEN))
    assert _state(client, ANNA) == 204
    store = app.extensions["lrs_store"]
    assert _report_learners(store) == {ANNA_KEY, f"mbox_sha1sum:{ANNA_SHA1['mbox_sha1sum']}", BEN_KEY}
    runner = CliRunner()
    with caplog.at_level(logging.INFO, logger="lrs"):
        result = runner.invoke(
            main,
            ["erase", "--actor", json.dumps({"mbox": ANNA["mbox"]}), "--yes"],
            obj={"store": app.extensions["lrs_store"]},
        )
    assert result.exit_code == 0, result.output
    assert "erased: 2 statements" in result.output
    assert _count(client, ANNA) == 0 and _count(client, {"objectType": "Agent", **ANNA_SHA1}) == 0
    assert _count(client, BEN) == 1
    assert _state(client, ANNA, "GET") == 404
    assert _report_learners(store) == {BEN_KEY}
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert '"event": "erasure"' in logged and "anna" not in logged.lower() and ANNA_SHA1["mbox_sha1sum"] not in logged


@pytest.mark.parametrize(
    ("actor", "message"),
    [("{not json", "not JSON"), ("[1]", "JSON object"), ('{"name": "Anna"}', "inverse functional identifier")],
)
def test_erase_refuses_an_actor_it_cannot_identify(app: Any, actor: str, message: str) -> None:
    result = CliRunner().invoke(main, ["erase", "--actor", actor, "--yes"], obj={"store": app.extensions["lrs_store"]})
    assert result.exit_code == 2 and message in result.output


def test_erase_asks_before_it_removes_anything(app: Any, client: Any) -> None:
    _post(client, _statement(BEN))
    result = CliRunner().invoke(
        main, ["erase", "--actor", json.dumps(BEN)], input="n\n", obj={"store": app.extensions["lrs_store"]}
    )
    assert result.exit_code == 1 and _count(client, BEN) == 1


def test_purge_removes_what_was_stored_before_the_cutoff_and_keeps_the_rest(app: Any, client: Any) -> None:
    store = app.extensions["lrs_store"]
    _post(client, _statement(ANNA), _statement(ANNA, "passed"))
    assert _state(client, ANNA) == 204
    assert ANNA_KEY in _report_learners(store)
    time.sleep(0.01)
    cutoff = dt.datetime.now(dt.UTC)
    time.sleep(0.01)
    _post(client, _statement(BEN))
    assert store.count_stored_before(cutoff) == 2
    result = store.purge_before(cutoff)
    assert (result.statements, result.documents) == (2, 1)
    assert ANNA_KEY in result.learners
    assert _count(client, ANNA) == 0 and _count(client, BEN) == 1
    assert _state(client, ANNA, "GET") == 404
    assert _report_learners(store) == {BEN_KEY}


def _report_learners(store: Any) -> set[str]:
    """Agent keys with rows in the report projection (what reports count)."""
    with store.engine.connect() as conn:
        return {key for table in TABLES for key in conn.execute(sa.select(table.c.agent_key)).scalars()}


def test_retention_command_needs_a_period_and_dry_run_removes_nothing(
    app: Any, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = app.extensions["lrs_store"]
    _post(client, _statement(BEN))
    runner = CliRunner()
    monkeypatch.delenv("GSOG_LRS_RETENTION_DAYS", raising=False)
    refused = runner.invoke(main, ["retention"], obj={"store": store})
    assert refused.exit_code == 2 and "GSOG_LRS_RETENTION_DAYS" in refused.output
    monkeypatch.setenv("GSOG_LRS_RETENTION_DAYS", "730")
    dry = runner.invoke(main, ["retention", "--dry-run"], obj={"store": store})
    assert dry.exit_code == 0 and "would remove 0 statements" in dry.output
    kept = runner.invoke(main, ["retention"], obj={"store": store})
    assert kept.exit_code == 0 and "removed 0 statements" in kept.output and _count(client, BEN) == 1


def test_export_is_pseudonymised_and_holds_no_learner_words(app: Any, client: Any, tmp_path: Path) -> None:
    open_answer = _statement(
        ANNA,
        "answered",
        object={
            "objectType": "Activity",
            "id": f"{COURSE}/evaluation/open-1",
            "definition": {
                "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
                "interactionType": "long-fill-in",
            },
        },
        result={"response": "Mijn collega Jan zei ...", "extensions": {"https://example.org/x/note": "vrije tekst"}},
    )
    choice = _statement(
        ANNA,
        "answered",
        object={
            "objectType": "Activity",
            "id": f"{COURSE}/items/q1",
            "definition": {"type": "http://adlnet.gov/expapi/activities/cmi.interaction", "interactionType": "choice"},
        },
        result={"response": "b", "success": True, "extensions": {"https://example.org/x/progress": 0.5}},
        context={
            "registration": str(uuid.uuid4()),
            "instructor": BEN,
            "extensions": {iri("sector"): "police", "https://example.org/x/session": "s-123"},
        },
    )
    _post(client, open_answer, choice, _statement(BEN))
    voiding = _statement(BEN, "voided", object={"objectType": "StatementRef", "id": open_answer["id"]})
    _post(client, voiding)
    key_file = tmp_path / "key"
    key_file.write_bytes(b"k" * 32)
    out = tmp_path / "export.jsonl"
    store = app.extensions["lrs_store"]
    args = ["export", "statements", "--key-file", str(key_file), "--out", str(out)]
    result = CliRunner().invoke(main, args, obj={"store": store})
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    lines = [json.loads(line) for line in text.splitlines()]
    assert len(lines) == 2  # the voided open answer and the voiding statement stay out
    for needle in ("Anna", "anna@", "Ben", "lms.example.be", "Jan", "vrije tekst", choice["id"]):
        assert needle not in text
    # short ids could appear inside a hash by chance (``…ab-7…`` in a hashed UUID): compared as whole values
    values = set(_strings(lines))
    assert not {"b-7", "s-123"} & values
    by_verb = {line["verb"]["id"].rsplit("/", 1)[1]: line for line in lines}
    exported = by_verb["answered"]
    pseudonyms = Pseudonymiser(b"k" * 32)
    assert exported["actor"] == {
        "objectType": "Agent",
        "account": {"homePage": PSEUDONYM_HOME, "name": pseudonyms.pseudonym("mbox:mailto:anna@politie.example.be")},
    }
    assert exported["context"]["instructor"]["account"]["name"] == pseudonyms.pseudonym(
        "account:https://lms.example.be|b-7"
    )
    assert exported["result"] == {
        "response": "b",
        "success": True,
        "extensions": {"https://example.org/x/progress": 0.5},
    }
    assert exported["context"]["extensions"] == {iri("sector"): "police"}
    assert "authority" not in exported and "stored" not in exported
    again = CliRunner().invoke(main, args, obj={"store": store})
    assert again.exit_code == 0 and out.read_text(encoding="utf-8") == text  # the same key links two exports


def test_export_refuses_a_short_key(app: Any, tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_bytes(b"short")
    result = CliRunner().invoke(
        main, ["export", "statements", "--key-file", str(key_file)], obj={"store": app.extensions["lrs_store"]}
    )
    assert result.exit_code == 2 and "at least 32 bytes" in result.output


def _strings(value: Any) -> Iterator[str]:
    """Every string in a JSON value, keys and values."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
