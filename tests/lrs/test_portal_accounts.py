"""Learner accounts of the portal: sign-up, confirmation, reset, sign-in limits, profile, invitations, mail."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import logging
import socket
import ssl
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from argon2 import PasswordHasher
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from lrs.cli import main
from lrs.config import LrsConfig
from lrs.portal import accounts, throttle
from lrs.portal.accounts import AccountError, InvitationError, ProfileError, TokenError
from lrs.portal.mail import MailError, mail_text, parse_smtp_url, send_mail
from lrs.portal.tables import portal_certificates, portal_tokens
from lrs.store.interface import StatementQuery
from lrs.store.sql import SqlStore
from lrs.xapi.agents import agent_key
from lrs.xapi.profile import launch_context_problem

BASE = "https://lrs.test"
SECRET = "s" * 40
PASSWORD = "correct horse battery"
V = {"X-Experience-API-Version": "1.0.3"}


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 with tiny parameters: the same checks, without 64 MiB and 0.1 s per hash on a shared machine."""
    cheap = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    dummy = cheap.hash("dummy password never used")
    monkeypatch.setattr(accounts, "hasher", cheap)
    monkeypatch.setattr(accounts, "dummy_hash", lambda: dummy)


def _now() -> dt.datetime:
    """Now (device cookies are stamped with the real clock), fixed for the whole test so no window ends mid-test."""
    return dt.datetime.now(dt.UTC)


def _engine(store: SqlStore) -> sa.engine.Engine:
    return store.engine


def _learner(store: SqlStore, email: str = "ana@example.org", **kwargs: Any) -> tuple[accounts.Learner, str]:
    done = accounts.sign_up(_engine(store), email, PASSWORD, "nl", **kwargs)
    assert done.token is not None
    return done.learner, done.token


# --- sign-up and confirmation -------------------------------------------------------------------


def test_learner_actor_is_an_account_on_the_portal_never_the_address() -> None:
    assert accounts.learner_actor("ab12", "https://lrs.test/base/") == {
        "objectType": "Agent",
        "account": {"homePage": "https://lrs.test/base/portal", "name": "ab12"},
    }


def test_sign_up_then_confirm_with_the_mailed_token_once(store: SqlStore) -> None:
    done = accounts.sign_up(_engine(store), "  Ana.Peeters@Example.ORG ", PASSWORD, "nl-BE")
    assert done.token is not None and done.email == "ana.peeters@example.org" and done.language == "nl-BE"
    learner = done.learner
    assert learner.email == "ana.peeters@example.org" and not learner.verified
    assert len(learner.actor_name) == 32 and int(learner.actor_name, 16) >= 0
    assert "ana" not in json.dumps(accounts.learner_actor(learner.actor_name, BASE)).lower()
    with store.engine.connect() as conn:  # only the hash of the token is kept
        stored = conn.execute(sa.select(portal_tokens.c.token_hash)).scalars().all()
    assert done.token not in stored and len(stored) == 1

    confirmed = accounts.verify_email(_engine(store), done.token)
    assert confirmed.id == learner.id and confirmed.verified
    with pytest.raises(TokenError) as used:
        accounts.verify_email(_engine(store), done.token)
    assert used.value.code == "used"


@pytest.mark.parametrize(
    ("email", "password", "language", "field", "code"),
    [
        ("", PASSWORD, "nl", "email", "email_missing"),
        ("ana@", PASSWORD, "nl", "email", "email_invalid"),
        ("ana@example", PASSWORD, "nl", "email", "email_invalid"),
        ("ana example@example.org", PASSWORD, "nl", "email", "email_invalid"),
        ("ana@@example.org", PASSWORD, "nl", "email", "email_invalid"),
        ("a" * 250 + "@example.org", PASSWORD, "nl", "email", "email_too_long"),
        ("ana@example.org", "short", "nl", "password", "password_too_short"),
        ("ana@example.org", "x" * 1025, "nl", "password", "password_too_long"),
        ("ana@example.org", PASSWORD, "", "language", "language_missing"),
        ("ana@example.org", PASSWORD, "<script>", "language", "language_invalid"),
    ],
)
def test_sign_up_refuses_bad_input_naming_the_field(
    store: SqlStore, email: str, password: str, language: str, field: str, code: str
) -> None:
    with pytest.raises(AccountError) as refused:
        accounts.sign_up(_engine(store), email, password, language)
    assert (refused.value.field, refused.value.code) == (field, code)
    assert accounts.count_learners(_engine(store)) == (0, 0)


def test_sign_up_with_a_registered_address_tells_nothing_and_changes_nothing(store: SqlStore) -> None:
    owner, _ = _learner(store, "ana@example.org")
    again = accounts.sign_up(_engine(store), "ANA@example.org", "another password 123", "fr")
    assert again.token is None and again.learner.id == owner.id
    assert again.email == "ana@example.org" and again.language == "nl"  # the owner's language for the note
    assert accounts.count_learners(_engine(store)) == (1, 0)
    signed_in = accounts.authenticate(store, "ana@example.org", PASSWORD, "10.0.0.1", None, secret=SECRET)
    assert signed_in is not None and signed_in.id == owner.id


def test_tokens_expire_and_are_bound_to_their_purpose(store: SqlStore) -> None:
    now = _now()
    learner, token = _learner(store, now=now)
    with pytest.raises(TokenError) as wrong_purpose:
        accounts.consume_token(_engine(store), token, "reset", now)
    assert wrong_purpose.value.code == "unknown"
    with pytest.raises(TokenError) as unknown:
        accounts.consume_token(_engine(store), "not-a-token", "verify", now)
    assert unknown.value.code == "unknown"
    with pytest.raises(TokenError) as late:
        accounts.verify_email(_engine(store), token, now + dt.timedelta(hours=48, seconds=1))
    assert late.value.code == "expired"
    assert accounts.consume_token(_engine(store), token, "verify", now + dt.timedelta(hours=47)) == learner.id
    fresh = accounts.new_verify_token(_engine(store), learner.id, now)
    assert accounts.verify_email(_engine(store), fresh, now).verified


# --- password reset -----------------------------------------------------------------------------


def test_reset_for_an_unknown_address_gives_nothing_to_mail(store: SqlStore) -> None:
    _learner(store)
    assert accounts.request_password_reset(_engine(store), "nobody@example.org") is None
    assert accounts.request_password_reset(_engine(store), "not an address") is None


def test_reset_sets_the_password_ends_sessions_confirms_the_address_and_works_once(store: SqlStore) -> None:
    now = _now()
    learner, _ = _learner(store, now=now)
    found = accounts.request_password_reset(_engine(store), " ANA@example.org", now)
    assert found is not None
    owner, token = found
    assert owner.id == learner.id
    older = accounts.request_password_reset(_engine(store), "ana@example.org", now)
    assert older is not None

    with pytest.raises(AccountError) as weak:  # refused before the token is used: the same link still works
        accounts.reset_password(_engine(store), token, "short", now)
    assert (weak.value.field, weak.value.code) == ("password", "password_too_short")
    changed = accounts.reset_password(_engine(store), token, "a brand new password", now)
    assert changed.verified and changed.session_generation == learner.session_generation + 1

    assert accounts.authenticate(store, "ana@example.org", PASSWORD, "10.0.0.1", None, secret=SECRET, now=now) is None
    ok = accounts.authenticate(
        store, "ana@example.org", "a brand new password", "10.0.0.1", None, secret=SECRET, now=now
    )
    assert ok is not None
    for stale in (token, older[1]):  # this link is used up; the other one stopped working with it
        with pytest.raises(TokenError) as used:
            accounts.reset_password(_engine(store), stale, "yet another password", now)
        assert used.value.code == "used"


def test_reset_link_lives_one_hour(store: SqlStore) -> None:
    now = _now()
    _learner(store, now=now)
    found = accounts.request_password_reset(_engine(store), "ana@example.org", now)
    assert found is not None
    with pytest.raises(TokenError) as late:
        accounts.reset_password(_engine(store), found[1], "a brand new password", now + dt.timedelta(minutes=61))
    assert late.value.code == "expired"


# --- invitations --------------------------------------------------------------------------------


def test_invitation_presets_and_locks_the_organisation_and_counts_uses(store: SqlStore) -> None:
    now = _now()
    invitation, token = accounts.create_invitation(
        _engine(store), "pz-gent", sector="police", region="be-vlg", label="Zone Gent", max_uses=2, now=now
    )
    assert accounts.find_invitation(_engine(store), token, now) == invitation
    learner, _ = _learner(store, invitation_token=token, now=now)
    assert (learner.organisation, learner.sector, learner.region) == ("pz-gent", "police", "be-vlg")
    assert learner.invitation_id == invitation.id
    assert set(learner.locked_fields) == {"organisation", "sector", "region"}
    with pytest.raises(ProfileError) as locked:
        accounts.update_profile(_engine(store), learner.id, organisation="elsewhere")
    assert (locked.value.field, locked.value.code) == ("organisation", "locked")
    same = accounts.update_profile(_engine(store), learner.id, organisation="pz-gent", role="inspector")
    assert same.organisation == "pz-gent" and same.role == "inspector"

    # an address that has an account does not use up the invitation
    again = accounts.sign_up(_engine(store), "ana@example.org", PASSWORD, "nl", invitation_token=token, now=now)
    assert again.token is None
    _learner(store, "ben@example.org", invitation_token=token, now=now)
    with pytest.raises(InvitationError) as used_up:
        _learner(store, "cas@example.org", invitation_token=token, now=now)
    assert (used_up.value.field, used_up.value.code) == ("invite", "invite_used_up")
    [listed] = accounts.list_invitations(_engine(store))
    assert (listed.uses, listed.state(now), listed.label) == (2, "used_up", "Zone Gent")
    assert accounts.find_invitation(_engine(store), token, now) is None


def test_invitation_without_sector_locks_only_what_it_set(store: SqlStore) -> None:
    _, token = accounts.create_invitation(_engine(store), "school-12")
    learner, _ = _learner(store, invitation_token=token)
    assert learner.locked_fields == ("organisation",)
    assert (
        accounts.update_profile(_engine(store), learner.id, sector="education", region="be-bru").sector == "education"
    )


def test_expired_revoked_and_unknown_invitations_are_refused(store: SqlStore) -> None:
    now = _now()
    expiring, expiring_token = accounts.create_invitation(_engine(store), "pz-gent", days=1, now=now)
    _, revoked_token = accounts.create_invitation(_engine(store), "pz-brugge", now=now)
    [_, revoked] = accounts.list_invitations(_engine(store))[::-1]
    assert accounts.revoke_invitation(_engine(store), revoked.id, now)
    assert not accounts.revoke_invitation(_engine(store), 9999, now)
    cases = [
        (expiring_token, now + dt.timedelta(days=1, seconds=1), "invite_expired"),
        (revoked_token, now + dt.timedelta(seconds=1), "invite_expired"),
        ("no-such-invitation", now, "invite_unknown"),
    ]
    for token, when, code in cases:
        with pytest.raises(InvitationError) as refused:
            accounts.sign_up(_engine(store), "ana@example.org", PASSWORD, "nl", invitation_token=token, now=when)
        assert refused.value.code == code
    assert accounts.count_learners(_engine(store)) == (0, 0)
    assert expiring.expires == now + dt.timedelta(days=1)
    with pytest.raises(ProfileError) as bad:
        accounts.create_invitation(_engine(store), "Zone Gent")
    assert bad.value.field == "organisation"


def test_cli_makes_lists_and_revokes_invitations(store: SqlStore) -> None:
    runner = CliRunner()
    made = runner.invoke(
        main,
        ["portal", "invite", "--organisation", "pz-gent", "--sector", "police", "--uses", "5", "--base-url", BASE],
        obj={"store": store},
    )
    assert made.exit_code == 0, made.output
    link = next(line for line in made.stdout.splitlines() if line.startswith(BASE))
    assert link.startswith(f"{BASE}/portal/signup?invite=")
    token = link.split("invite=", 1)[1]
    invitation = accounts.check_invitation(_engine(store), token)
    assert (invitation.organisation, invitation.sector, invitation.max_uses) == ("pz-gent", "police", 5)

    listed = runner.invoke(main, ["portal", "invitations"], obj={"store": store})
    assert listed.exit_code == 0 and "pz-gent" in listed.stdout and "0/5 uses" in listed.stdout
    assert token not in listed.stdout
    revoked = runner.invoke(main, ["portal", "revoke", str(invitation.id)], obj={"store": store})
    assert revoked.exit_code == 0 and accounts.find_invitation(_engine(store), token) is None
    assert runner.invoke(main, ["portal", "revoke", "999"], obj={"store": store}).exit_code == 1

    bad = runner.invoke(
        main, ["portal", "invite", "--organisation", "Zone Gent", "--base-url", BASE], obj={"store": store}
    )
    assert bad.exit_code == 2 and "--organisation" in bad.output
    no_base = runner.invoke(main, ["portal", "invite", "--organisation", "pz-gent"], obj={"store": store})
    assert no_base.exit_code == 2 and "--base-url" in no_base.output
    _learner(store)
    counted = runner.invoke(main, ["portal", "learners"], obj={"store": store})
    assert counted.exit_code == 0 and "1 learners, 0 with a confirmed e-mail address" in counted.stdout


# --- profile and sessions -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"organisation": "Zone Gent"}, "organisation", "code_invalid"),
        ({"region": "be/vlg"}, "region", "code_invalid"),
        ({"role": "x" * 65}, "role", "code_invalid"),
        ({"level": "expert"}, "level", "level_invalid"),
        ({"sector": "police force"}, "sector", "code_invalid"),
        ({"language": "not a tag"}, "language", "language_invalid"),
        ({"language": ""}, "language", "language_missing"),
        ({"display_name": "Ana\nPeeters"}, "display_name", "text_invalid"),
        ({"display_name": "A" * 101}, "display_name", "too_long"),
        ({"email": "other@example.org"}, "email", "unknown_field"),
    ],
)
def test_profile_refuses_bad_values_naming_the_field_and_changes_nothing(
    store: SqlStore, changes: dict[str, str], field: str, code: str
) -> None:
    learner, _ = _learner(store)
    with pytest.raises(ProfileError) as refused:
        accounts.update_profile(_engine(store), learner.id, **{"level": "basic", **changes})
    assert (refused.value.field, refused.value.code) == (field, code)
    assert accounts.get_learner(_engine(store), learner.id) == learner


def test_profile_values_are_what_the_cmi5_launch_accepts(store: SqlStore) -> None:
    learner, _ = _learner(store)
    changed = accounts.update_profile(
        _engine(store),
        learner.id,
        display_name="  Ana Peeters ",
        sector="police",
        organisation="pz-gent",
        region="BE-VLG",
        role="inspector",
        level="deepening",
        language="fr",
    )
    assert changed.display_name == "Ana Peeters" and changed.language == "fr"
    context = accounts.launch_context(changed)
    assert context == {"organisation": "pz-gent", "region": "BE-VLG", "role": "inspector", "level": "deepening"}
    assert launch_context_problem(context) is None
    cleared = accounts.update_profile(_engine(store), learner.id, role="", level=None)
    assert cleared.role is None and accounts.launch_context(cleared) == {"organisation": "pz-gent", "region": "BE-VLG"}


def test_password_change_needs_the_current_one_and_ends_other_sessions(store: SqlStore) -> None:
    learner, _ = _learner(store)
    engine = _engine(store)
    assert accounts.change_password(engine, learner.id, "wrong password here", "a brand new password") is None
    with pytest.raises(AccountError) as weak:
        accounts.change_password(engine, learner.id, PASSWORD, "short")
    assert weak.value.field == "new_password"
    changed = accounts.change_password(engine, learner.id, PASSWORD, "a brand new password")
    assert changed is not None and changed.session_generation == learner.session_generation + 1
    assert not accounts.check_password(engine, learner.id, PASSWORD)
    assert accounts.check_password(engine, learner.id, "a brand new password")
    assert accounts.end_all_sessions(engine, learner.id) == changed.session_generation + 1
    assert not accounts.check_password(engine, 9999, "a brand new password")


# --- sign-in limits -----------------------------------------------------------------------------


def test_unknown_address_and_wrong_password_answer_alike(store: SqlStore) -> None:
    _learner(store)
    assert accounts.authenticate(store, "ana@example.org", "wrong password!!", "10.0.0.1", None, secret=SECRET) is None
    assert accounts.authenticate(store, "nobody@example.org", PASSWORD, "10.0.0.1", None, secret=SECRET) is None
    learner = accounts.authenticate(store, " Ana@Example.org", PASSWORD, "10.0.0.1", None, secret=SECRET)
    assert learner is not None and not learner.verified  # unconfirmed learners sign in; the pages limit them


def test_attacker_elsewhere_is_throttled_while_the_learners_own_browser_signs_in(store: SqlStore) -> None:
    now = _now()
    learner, _ = _learner(store, now=now)
    signed = accounts.authenticate(store, "ana@example.org", PASSWORD, "10.0.0.1", None, secret=SECRET, now=now)
    assert signed is not None
    cookie = accounts.device_cookie(SECRET, learner.id)

    for n in range(throttle.ACCOUNT_LIMIT):  # from many addresses: the per-account counter stops them
        attempt = accounts.authenticate(
            store, "ana@example.org", f"guess {n:04d} xx", f"203.0.113.{n}", None, secret=SECRET, now=now
        )
        assert attempt is None
    with pytest.raises(throttle.TooManyAttempts) as limited:
        accounts.authenticate(store, "ana@example.org", PASSWORD, "198.51.100.7", None, secret=SECRET, now=now)
    assert 0 < limited.value.retry_after <= throttle.WINDOW_SECONDS

    # the learner's browser, with its device cookie, from the learner's usual address
    back = accounts.authenticate(store, "ana@example.org", PASSWORD, "10.0.0.1", cookie, secret=SECRET, now=now)
    assert back is not None and back.id == learner.id
    # a cookie of another learner, a forged one, or one past its life does not help
    other, _ = _learner(store, "ben@example.org", now=now)
    for stale in (
        accounts.device_cookie(SECRET, other.id),
        accounts.device_cookie("another secret of forty characters ....", learner.id),
        cookie[:-2] + "xx",
    ):
        with pytest.raises(throttle.TooManyAttempts):
            accounts.authenticate(store, "ana@example.org", PASSWORD, "10.0.0.1", stale, secret=SECRET, now=now)
    later = now + dt.timedelta(seconds=throttle.DEVICE_COOKIE_SECONDS + 1)
    assert throttle.device_cookie_learner(SECRET, cookie, later) is None
    # the window ends: the account is free again
    after = now + dt.timedelta(seconds=throttle.WINDOW_SECONDS)
    assert accounts.authenticate(store, "ana@example.org", PASSWORD, "198.51.100.7", None, secret=SECRET, now=after)


def test_a_device_cookie_has_a_small_limit_of_its_own(store: SqlStore) -> None:
    now = _now()
    learner, _ = _learner(store, now=now)
    cookie = accounts.device_cookie(SECRET, learner.id)
    for n in range(throttle.DEVICE_LIMIT):
        assert (
            accounts.authenticate(
                store, "ana@example.org", f"guess {n} xxxxx", "10.0.0.1", cookie, secret=SECRET, now=now
            )
            is None
        )
    with pytest.raises(throttle.TooManyAttempts):
        accounts.authenticate(store, "ana@example.org", PASSWORD, "10.0.0.1", cookie, secret=SECRET, now=now)
    # that browser's guesses did not use up the account's own limit
    assert accounts.authenticate(store, "ana@example.org", PASSWORD, "10.0.0.2", None, secret=SECRET, now=now)


def test_one_address_trying_many_accounts_is_throttled_others_are_not(
    store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(throttle, "ADDRESS_LIMIT", 4)  # the real limit behaves the same, 30 hashes later
    now = _now()
    _learner(store, now=now)
    for n in range(throttle.ADDRESS_LIMIT):  # a different (unknown) account each time
        assert (
            accounts.authenticate(store, f"user{n}@example.org", PASSWORD, "203.0.113.9", None, secret=SECRET, now=now)
            is None
        )
    with pytest.raises(throttle.TooManyAttempts):
        accounts.authenticate(store, "ana@example.org", PASSWORD, "203.0.113.9", None, secret=SECRET, now=now)
    assert accounts.authenticate(store, "ana@example.org", PASSWORD, "10.0.0.1", None, secret=SECRET, now=now)


def test_throttle_counters_are_hashes_and_old_windows_are_dropped(store: SqlStore) -> None:
    now = _now()
    accounts.authenticate(store, "ana@example.org", "my secret pass", "10.0.0.1", None, secret=SECRET, now=now)
    with store.engine.connect() as conn:
        keys = conn.execute(sa.text("SELECT key FROM auth_failures")).scalars().all()
    assert len(keys) == 2 and all(k.startswith(throttle.COUNTER_PREFIX) for k in keys)
    assert not any("ana" in k or "10.0.0.1" in k or "secret" in k for k in keys)
    later = now + dt.timedelta(seconds=throttle.WINDOW_SECONDS)
    accounts.authenticate(store, "ben@example.org", "other pass word", "10.0.0.2", None, secret=SECRET, now=later)
    with store.engine.connect() as conn:
        windows = set(conn.execute(sa.text("SELECT window_start FROM auth_failures")).scalars())
    assert len(windows) == 1


# --- deletion ------------------------------------------------------------------------------------


def _statement(actor: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "actor": actor,
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"objectType": "Activity", "id": "https://gsog.example.org/course/gsog/m1"},
    }


def _statements_of(store: SqlStore, actor: dict[str, Any]) -> int:
    return len(store.query_statements(StatementQuery(agent=agent_key(actor), limit=100)).statements)


def test_delete_erases_statements_under_every_base_then_the_rows(app: Any, client: Any) -> None:
    store: SqlStore = app.extensions["lrs_store"]
    learner, _ = _learner(store)
    other, _ = _learner(store, "ben@example.org")
    mine = accounts.learner_actor(learner.actor_name, BASE)
    moved = accounts.learner_actor(learner.actor_name, "http://127.0.0.1:8080")  # before the public URL was set
    theirs = accounts.learner_actor(other.actor_name, BASE)
    posted = client.post(
        "/xapi/statements", json=[_statement(mine), _statement(mine), _statement(moved), _statement(theirs)], headers=V
    )
    assert posted.status_code == 200, posted.get_data(as_text=True)
    state = client.put(
        "/xapi/activities/state",
        query_string={
            "activityId": "https://gsog.example.org/course/gsog/m1",
            "agent": json.dumps(mine),
            "stateId": "s",
        },
        json={"a": 1},
        headers=V,
    )
    assert state.status_code == 204
    accounts.request_password_reset(store.engine, "ana@example.org")
    with store.engine.begin() as conn:
        conn.execute(
            sa.insert(portal_certificates).values(
                code="ABCD2345",
                learner_id=learner.id,
                course_iri="https://gsog.example.org/course/gsog",
                registration=str(uuid.uuid4()),
                name="Ana",
                course_title="GSOG",
                language="nl",
                issued=dt.datetime.now(dt.UTC),
            )
        )
    assert _statements_of(store, mine) == 2 and _statements_of(store, moved) == 1

    assert accounts.delete_learner(store, learner.id, BASE) == 3
    assert _statements_of(store, mine) == 0 and _statements_of(store, moved) == 0
    assert _statements_of(store, theirs) == 1
    gone = client.get(
        "/xapi/activities/state",
        query_string={
            "activityId": "https://gsog.example.org/course/gsog/m1",
            "agent": json.dumps(mine),
            "stateId": "s",
        },
        headers=V,
    )
    assert gone.status_code == 404
    assert accounts.get_learner(store.engine, learner.id) is None
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(portal_certificates)).scalar_one() == 0
        left = conn.execute(sa.select(portal_tokens.c.learner_id)).scalars().all()
    assert set(left) == {other.id}
    with pytest.raises(AccountError) as again:
        accounts.delete_learner(store, learner.id, BASE)
    assert again.value.code == "account_gone"
    assert accounts.sign_up(store.engine, "ana@example.org", PASSWORD, "nl").token is not None  # the address is free


# --- mail -----------------------------------------------------------------------------------------


def test_without_smtp_the_mail_goes_to_the_log_with_its_link_intact(caplog: pytest.LogCaptureFixture) -> None:
    link = "https://lrs.test/portal/confirm/" + "Zz9-_" * 12
    subject, body = mail_text("verify", "fr-BE", link=link)
    with caplog.at_level(logging.INFO, logger="lrs.portal.mail"):
        send_mail(LrsConfig(), "élise@example.org", subject, body)
    [record] = [r for r in caplog.records if r.name == "lrs.portal.mail"]
    text = record.getMessage()
    assert "To: élise@example.org" in text and "Subject: Confirmez votre adresse e-mail" in text
    assert link in text.split("\n")


def test_mail_texts_have_each_language_and_refuse_holes() -> None:
    assert mail_text("reset", "nl", link="L")[0] == "Stel je wachtwoord opnieuw in"
    assert (
        mail_text("reset", "de", link="L") == mail_text("reset", None, link="L") == mail_text("reset", "en", link="L")
    )
    assert "L" in mail_text("already_registered", "fr", link="L")[1]
    with pytest.raises(ValueError, match="link"):
        mail_text("verify", "nl")
    with pytest.raises(ValueError, match="kind"):
        mail_text("welcome", "nl", link="L")


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"smtp_url": "http://mail.example.org"}, "smtp_url (GSOG_LRS_SMTP_URL): must start with smtp://"),
        ({"smtp_url": "smtp://mail.example.org:x", "mail_from": "a@b.org"}, "smtp_url (GSOG_LRS_SMTP_URL): not a URL"),
        ({"smtp_url": "smtp://mail.example.org"}, "mail_from (GSOG_LRS_MAIL_FROM): set the sender"),
        ({"mail_from": "Portal <portal@example.org>"}, "mail_from (GSOG_LRS_MAIL_FROM): must be one plain"),
    ],
)
def test_mail_settings_are_checked_when_the_lrs_starts(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        LrsConfig(**settings)


class _Inbox:
    """What the local SMTP server received."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []
        self.encrypted: list[bool] = []

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:  # noqa: N802 - aiosmtpd's name
        if address.startswith("nobody@"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        self.envelopes.append(envelope)
        self.encrypted.append(session.ssl is not None)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def smtp_server() -> Iterator[tuple[_Inbox, int]]:
    """A real SMTP server on loopback (aiosmtpd) that accepts the login portal / pw%40:1."""

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"portal", b"pw@:1")
        return AuthResult(success=ok)

    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, authenticator=authenticate, auth_require_tls=False)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def test_smtp_delivers_the_message_with_login(smtp_server: tuple[_Inbox, int]) -> None:
    inbox, port = smtp_server
    config = LrsConfig(smtp_url=f"smtp://portal:pw%40%3A1@127.0.0.1:{port}", mail_from="portal@lrs.test")
    link = "https://lrs.test/portal/reset/" + "a" * 60
    subject, body = mail_text("reset", "nl", link=link)
    send_mail(config, "ana@example.org", subject, body)
    [envelope] = inbox.envelopes
    assert envelope.mail_from == "portal@lrs.test" and envelope.rcpt_tos == ["ana@example.org"]
    from email import message_from_bytes, policy

    received = message_from_bytes(envelope.original_content, policy=policy.default)
    text = received.get_body()
    assert text is not None and received["Subject"] == subject and link in text.get_content()


def test_smtp_failures_are_a_mail_error(smtp_server: tuple[_Inbox, int]) -> None:
    inbox, port = smtp_server
    config = LrsConfig(smtp_url=f"smtp://portal:pw%40%3A1@127.0.0.1:{port}", mail_from="portal@lrs.test")
    with pytest.raises(MailError, match="no such mailbox"):
        send_mail(config, "nobody@example.org", "s", "b")
    closed = LrsConfig(smtp_url=f"smtp://127.0.0.1:{_free_port()}", mail_from="portal@lrs.test")
    with pytest.raises(MailError):
        send_mail(closed, "ana@example.org", "s", "b")
    with pytest.raises(ValueError, match="to"):
        send_mail(closed, "ana@example.org\nBcc: x@example.org", "s", "b")
    assert inbox.envelopes == []


def test_mail_sending_pages_are_limited_per_recipient_and_per_address(store: SqlStore) -> None:
    now = _now()
    for _ in range(throttle.MAIL_RECIPIENT_LIMIT):
        throttle.claim_mail(store, recipient="ana@example.org", address="10.0.0.1", now=now)
    with pytest.raises(throttle.TooManyAttempts):  # the same inbox, however the address is typed
        throttle.claim_mail(store, recipient=" ANA@example.org", address="10.0.0.2", now=now)
    throttle.claim_mail(store, recipient="ben@example.org", address="10.0.0.1", now=now)
    for n in range(throttle.MAIL_ADDRESS_LIMIT - throttle.MAIL_RECIPIENT_LIMIT - 1):
        throttle.claim_mail(store, recipient=f"user{n}@example.org", address="10.0.0.1", now=now)
    with pytest.raises(throttle.TooManyAttempts):  # one client asking for mail to many addresses
        throttle.claim_mail(store, recipient="cas@example.org", address="10.0.0.1", now=now)
    later = now + dt.timedelta(seconds=throttle.WINDOW_SECONDS)
    throttle.claim_mail(store, recipient="ana@example.org", address="10.0.0.1", now=later)


def test_an_unknown_address_is_checked_against_a_hash_too(store: SqlStore, monkeypatch: pytest.MonkeyPatch) -> None:
    checked: list[str] = []
    dummy = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1).hash("dummy password never used")

    def counting_dummy() -> str:
        checked.append("dummy")
        return dummy

    monkeypatch.setattr(accounts, "dummy_hash", counting_dummy)
    assert accounts.authenticate(store, "nobody@example.org", PASSWORD, "10.0.0.1", None, secret=SECRET) is None
    assert checked == ["dummy"]  # the same argon2 work as a wrong password: no timing tells the address is unknown


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key (the test trusts it through SSL_CERT_FILE)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


def test_smtp_upgrades_to_tls_when_offered_before_it_logs_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cert_file, key_file = _self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))  # the client verifies the server against it
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert_file, key_file)
    inbox, port = _Inbox(), _free_port()
    logins: list[bytes] = []

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        logins.append(data.login)
        return AuthResult(success=True)

    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=server_tls,
        require_starttls=True,  # refuses everything before STARTTLS
        authenticator=authenticate,
    )
    controller.start()
    try:
        config = LrsConfig(smtp_url=f"smtp://portal:secret@127.0.0.1:{port}", mail_from="portal@lrs.test")
        send_mail(config, "ana@example.org", "Subject", "Body")
    finally:
        controller.stop()
    assert inbox.encrypted == [True] and logins == [b"portal"]


def test_smtp_server_on_another_host_is_not_local() -> None:
    assert not parse_smtp_url("smtp://u:p@mail.example.org").local
    assert parse_smtp_url("smtp://u:p@localhost").local and parse_smtp_url("smtp://u:p@[::1]:25").local
    assert parse_smtp_url("smtps://mail.example.org").port == 465
