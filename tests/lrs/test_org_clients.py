"""Clients bound to an organisation: the key of its dual-tracking SCORM packages (issue #9 item 2).

Anyone can unzip a package and copy its key. These tests are what such a key
can do: add statements of its own organisation's pseudonymous learners, and
nothing else (no reading, no documents, no other organisation, no names).
"""

from __future__ import annotations

import base64
import copy
import json
import uuid
from typing import Any

import pytest
from click.testing import CliRunner

from lrs.auth import add_client
from lrs.cli import main
from lrs.store.interface import StatementQuery
from lrs.xapi.dual_tracking import pseudonym_actor, pseudonym_home, pseudonym_key
from lrs.xapi.profile import iri

V1 = {"X-Experience-API-Version": "1.0.3"}
ORG = "academy-north"
OTHER = "academy-south"
ORG_IRI = iri("organisation")


def basic(key: str, secret: str) -> dict[str, str]:
    return {**V1, "Authorization": "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()}


@pytest.fixture
def bound(app: Any) -> tuple[dict[str, str], str]:
    """Headers of a client bound to :data:`ORG`, and the pseudonym key its packages get."""
    key, secret = add_client(app.extensions["lrs_store"], "north SCORM", ["statements/write"], organisation=ORG)
    return basic(key, secret), pseudonym_key(secret, ORG)


def statement(pkey: str, learner: str = "emp-0042", organisation: str | None = ORG) -> dict[str, Any]:
    """A statement as a dual-tracking SCORM package sends it."""
    extensions: dict[str, Any] = {iri("sector"): "police", iri("package-format"): "scorm12"}
    if organisation is not None:
        extensions[ORG_IRI] = organisation
    return {
        "id": str(uuid.uuid4()),
        "actor": pseudonym_actor(pkey, ORG, learner),
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}},
        "object": {"objectType": "Activity", "id": "https://gsog.example.org/courses/gsog/nl-police"},
        "result": {"completion": True},
        "context": {"language": "nl", "extensions": extensions},
    }


def stored_ids(app: Any) -> set[str]:
    page = app.extensions["lrs_store"].query_statements(StatementQuery(limit=1000))
    return {s.statement["id"] for s in page.statements}


def test_bound_client_stores_its_organisations_pseudonymous_statements(app: Any, bound: Any) -> None:
    headers, pkey = bound
    web = app.test_client()
    one, two = statement(pkey), statement(pkey, learner="emp-0043")
    posted = web.post("/xapi/statements", json=[one, two], headers=headers)
    assert posted.status_code == 200, posted.get_data(as_text=True)
    put = statement(pkey)
    answer = web.put("/xapi/statements", query_string={"statementId": put["id"]}, json=put, headers=headers)
    assert answer.status_code == 204, answer.get_data(as_text=True)
    assert {one["id"], two["id"], put["id"]} <= stored_ids(app)
    # two learners, two pseudonyms under the organisation's home; no learner id in them
    names = {one["actor"]["account"]["name"], two["actor"]["account"]["name"]}
    assert len(names) == 2 and all(len(n) == 64 and "emp" not in n for n in names)
    assert one["actor"]["account"]["homePage"] == pseudonym_home(ORG)


@pytest.mark.parametrize(
    ("method", "path", "query"),
    [
        ("GET", "/xapi/statements", {}),
        ("GET", "/xapi/statements", {"statementId": str(uuid.uuid4())}),
        ("GET", "/xapi/activities", {"activityId": "https://gsog.example.org/courses/gsog/nl-police"}),
        ("GET", "/xapi/agents", {"agent": json.dumps({"mbox": "mailto:a@example.org"})}),
        (
            "GET",
            "/xapi/activities/state",
            {
                "activityId": "https://example.org/a",
                "agent": json.dumps({"mbox": "mailto:a@example.org"}),
                "stateId": "s",
            },
        ),
        (
            "PUT",
            "/xapi/activities/state",
            {
                "activityId": "https://example.org/a",
                "agent": json.dumps({"mbox": "mailto:a@example.org"}),
                "stateId": "s",
            },
        ),
        ("PUT", "/xapi/activities/profile", {"activityId": "https://example.org/a", "profileId": "p"}),
    ],
    ids=["statements", "one-statement", "activity", "agent", "state-read", "state-write", "activity-profile"],
)
def test_a_copied_key_reads_nothing_and_writes_no_documents(
    app: Any, bound: Any, method: str, path: str, query: dict[str, str]
) -> None:
    headers, _ = bound
    body = json.dumps({"x": 1}) if method == "PUT" else None
    answer = app.test_client().open(
        path, method=method, query_string=query, data=body, content_type="application/json", headers=headers
    )
    assert answer.status_code == 403, answer.get_data(as_text=True)
    message = answer.get_json()["error"]["message"]
    assert f"bound to organisation '{ORG}'" in message and "read nothing" in message


def test_the_alternate_syntax_reads_nothing_either(app: Any, bound: Any) -> None:
    """xAPI 1.0.3's ``POST ?method=GET`` form is the GET it stands for: refused the same way."""
    headers, _ = bound
    form = {"Authorization": headers["Authorization"], "X-Experience-API-Version": "1.0.3"}
    answer = app.test_client().post("/xapi/statements", query_string={"method": "GET"}, data=form)
    assert answer.status_code == 403, answer.get_data(as_text=True)
    assert "read nothing" in answer.get_json()["error"]["message"]


def test_own_statements_cannot_be_read_back_either(app: Any, bound: Any) -> None:
    headers, pkey = bound
    web = app.test_client()
    sent = statement(pkey)
    assert web.post("/xapi/statements", json=sent, headers=headers).status_code == 200
    answer = web.get("/xapi/statements", query_string={"statementId": sent["id"]}, headers=headers)
    assert answer.status_code == 403
    assert sent["id"] not in answer.get_data(as_text=True)


def _refusal(app: Any, headers: dict[str, str], body: Any) -> str:
    answer = app.test_client().post("/xapi/statements", json=body, headers=headers)
    assert answer.status_code == 400, answer.get_data(as_text=True)
    message: str = answer.get_json()["error"]["message"]
    return message


def test_another_organisations_statement_is_refused_naming_the_field(app: Any, bound: Any) -> None:
    headers, pkey = bound
    message = _refusal(app, headers, statement(pkey, organisation=OTHER))
    assert f"context.extensions[{ORG_IRI}]" in message
    assert f"'{OTHER}'" in message and f"bound to organisation '{ORG}'" in message
    missing = _refusal(app, headers, statement(pkey, organisation=None))
    assert f"context.extensions[{ORG_IRI}]: is missing" in missing


def test_a_batch_with_one_foreign_statement_stores_nothing(app: Any, bound: Any) -> None:
    headers, pkey = bound
    good, bad = statement(pkey), statement(pkey, organisation=OTHER)
    message = _refusal(app, headers, [good, bad])
    assert message.startswith("statements[1]: ")
    assert good["id"] not in stored_ids(app)


def _with_actor(pkey: str, actor: dict[str, Any]) -> dict[str, Any]:
    body = statement(pkey)
    body["actor"] = actor
    return body


@pytest.mark.parametrize(
    "actor",
    [
        {"objectType": "Agent", "mbox": "mailto:lies.peeters@example.org"},
        {"objectType": "Agent", "name": "Lies Peeters", "account": {"homePage": pseudonym_home(ORG), "name": "a" * 64}},
        {"objectType": "Agent", "account": {"homePage": pseudonym_home(OTHER), "name": "a" * 64}},
        {"objectType": "Agent", "account": {"homePage": pseudonym_home(ORG), "name": "lies.peeters"}},
        {"objectType": "Group", "member": [{"mbox": "mailto:a@example.org"}]},
    ],
    ids=["mbox", "with-name", "other-organisation", "not-a-hash", "group"],
)
def test_the_actor_must_be_a_pseudonym_of_the_organisation(app: Any, bound: Any, actor: dict[str, Any]) -> None:
    headers, pkey = bound
    message = _refusal(app, headers, _with_actor(pkey, actor))
    assert message.startswith("statement: actor: must be")


def test_no_voiding_and_no_other_people_named(app: Any, bound: Any) -> None:
    headers, pkey = bound
    web = app.test_client()
    target = statement(pkey)
    assert web.post("/xapi/statements", json=target, headers=headers).status_code == 200
    void = statement(pkey)
    void["verb"] = {"id": "http://adlnet.gov/expapi/verbs/voided", "display": {"en-US": "voided"}}
    void["object"] = {"objectType": "StatementRef", "id": target["id"]}
    assert "object: must be an Activity" in _refusal(app, headers, void)
    named = statement(pkey)
    named["context"]["instructor"] = {"objectType": "Agent", "mbox": "mailto:trainer@example.org"}
    assert "context.instructor" in _refusal(app, headers, named)
    assert target["id"] in stored_ids(app)


def test_other_clients_are_not_bound(client: Any) -> None:
    """An unbound client (scope all) still sends statements without an organisation and reads them."""
    sent = copy.deepcopy(statement(pseudonym_key("x" * 40, ORG), organisation=None))
    sent["actor"] = {"objectType": "Agent", "mbox": "mailto:learner@example.org"}
    assert client.post("/xapi/statements", json=sent, headers=V1).status_code == 200
    assert client.get("/xapi/statements", query_string={"statementId": sent["id"]}, headers=V1).status_code == 200


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scope", "statements/write", "--scope", "statements/read", "--organisation", ORG], "may only have scope"),
        (["--scope", "all", "--organisation", ORG], "may only have scope"),
        (["--organisation", "Academy North"], "organisation: 'Academy North' is not a code"),
    ],
    ids=["read-scope", "all", "not-a-code"],
)
def test_cli_refuses_a_bound_client_that_could_do_more(tmp_path: Any, args: list[str], message: str) -> None:
    url = f"sqlite:///{tmp_path / 'lrs.sqlite3'}"
    result = CliRunner().invoke(main, ["client", "add", "north", *args, "--database", url])
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_cli_adds_and_lists_a_bound_client(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'lrs.sqlite3'}"
    added = CliRunner().invoke(
        main, ["client", "add", "north SCORM", "--scope", "statements/write", "--organisation", ORG, "--database", url]
    )
    assert added.exit_code == 0, added.output
    key = added.output.split("key:", 1)[1].split()[0]
    listed = CliRunner().invoke(main, ["client", "list", "--json", "--database", url])
    rows = {row["key"]: row for row in json.loads(listed.output)}
    assert rows[key]["organisation"] == ORG and rows[key]["scopes"] == ["statements/write"]
    # no --scope: a bound client gets statements/write only, not the xAPI default with read/mine
    default = CliRunner().invoke(main, ["client", "add", "south", "--organisation", OTHER, "--database", url])
    assert default.exit_code == 0, default.output
    rows = {
        row["name"]: row
        for row in json.loads(CliRunner().invoke(main, ["client", "list", "--json", "--database", url]).output)
    }
    assert rows["south"]["scopes"] == ["statements/write"] and rows["south"]["organisation"] == OTHER
