"""The learner portal as a cmi5 LMS for imported courses (lrs.portal.lms, lrs.portal.content).

The course is the real French police cmi5 package ``course build`` writes,
imported as ``lrs course import`` does. The AU side is played through the
real HTTP endpoints (content host, fetch URL, xAPI with the session token),
as the player does it. Runs on SQLite and PostgreSQL (``store_url``).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import logging
import uuid
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from flask import Flask

from lrs.app import create_app
from lrs.cli import main
from lrs.config import LrsConfig
from lrs.courses.store import ImportedCourse, import_package
from lrs.portal import content as content_module
from lrs.portal import lms
from lrs.portal.accounts import learner_actor, sign_up
from lrs.reports.model import ReportFilter
from lrs.reports.run import run_report
from lrs.store.codec import loads_object
from lrs.store.sql import SqlStore
from lrs.store.tables import statements
from lrs.xapi import spec
from lrs.xapi.profile import iri

MAIN = "https://lrs.test"
CONTENT = "https://content.test"
V1 = {"X-Experience-API-Version": "1.0.3"}
ADL = spec.ADL_VERBS
CONTEXT = {"sector": "police", "organisation": "zone-nord", "region": "BE-WAL", "role": "inspector", "level": "basic"}
RETURN = MAIN + "/portal/course/1?returned=1"


@pytest.fixture
def package_zip(fr_police_cmi5: Path) -> Path:
    """The real French police cmi5 package (built once per run: tests/lrs/conftest.py)."""
    return fr_police_cmi5


@pytest.fixture
def course(store: SqlStore, package_zip: Path) -> ImportedCourse:
    return import_package(store, package_zip)


@pytest.fixture
def portal_app(store_url: str, store: SqlStore) -> Flask:
    return create_app(LrsConfig(database_url=store_url, public_url=MAIN, content_url=CONTENT), store=store)


def actor(name: str = "k7f3q9zx") -> dict[str, Any]:
    return learner_actor(name, MAIN)


def launch(app: Flask, course: ImportedCourse, au_index: int, learner: dict[str, Any], **options: Any) -> str:
    """What the portal's launch view does: lms.launch in a request on the main origin."""
    with app.test_request_context("/portal/", base_url=MAIN):
        return lms.launch(learner, CONTEXT, course, au_index, language=None, return_url=RETURN, **options)


def stored(store: SqlStore, registration: str, verb: str | None = None) -> list[dict[str, Any]]:
    st = statements.c
    query = sa.select(st.body).where(st.registration == registration).order_by(st.stored, st.seq)
    if verb is not None:
        query = query.where(st.verb_id == verb)
    with store.engine.connect() as conn:
        return [loads_object(text) for (text,) in conn.execute(query)]


class Session:
    """One AU session driven from its launch URL, as the player runs it in the learner's browser."""

    def __init__(self, app: Flask, course: ImportedCourse, url: str) -> None:
        self.course, self.url = course, url
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}" == CONTENT
        self.query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        self.http = app.test_client()
        page = self.http.get(parts.path + "?" + parts.query, base_url=CONTENT)
        assert page.status_code == 200 and page.mimetype == "text/html"
        fetch = urlsplit(self.query["fetch"])
        assert f"{fetch.scheme}://{fetch.netloc}" == MAIN
        answer = self.http.post(fetch.path, base_url=MAIN, headers={"Origin": CONTENT}).get_json()
        self.token = answer["auth-token"]
        again = self.http.post(fetch.path, base_url=MAIN, headers={"Origin": CONTENT}).get_json()
        assert again["error-code"] == "1"  # cmi5 8.2.3: a fetch URL gives its token once
        self.headers = {**V1, "Authorization": f"Basic {self.token}", "Origin": CONTENT}
        self.actor = json.loads(self.query["actor"])
        self.registration = self.query["registration"]
        self.activity = self.query["activityId"]
        self.launch_data = self.get("/xapi/activities/state", stateId="LMS.LaunchData")
        self.preferences = self.get("/xapi/agents/profile", profileId="cmi5LearnerPreferences", scoped=False)

    def get(self, path: str, *, scoped: bool = True, **query: str) -> Any:
        params = {"agent": json.dumps(self.actor), **query}
        if scoped:
            params.update(activityId=self.activity, registration=self.registration)
        answer = self.http.get(path, query_string=params, headers=self.headers, base_url=MAIN)
        assert answer.status_code == 200, answer.get_json()
        assert answer.headers["Access-Control-Allow-Origin"] == CONTENT  # the player calls the LRS through CORS
        return answer.get_json()

    def statement(self, verb: str, target: str | None = None, **fields: Any) -> dict[str, Any]:
        """A statement as the player sends it: the context template plus the package's build context."""
        context = copy.deepcopy(self.launch_data["contextTemplate"])
        context["registration"] = self.registration
        context["extensions"].update(
            {iri("sector"): "police", iri("language"): "fr", iri("course"): self.course.course_key}
        )
        if target is None:
            categories = [{"id": spec.CMI5_CATEGORY}]
            if verb in ("completed", "passed", "failed"):
                categories.append({"id": spec.MOVEON_CATEGORY})
            context.setdefault("contextActivities", {})["category"] = categories
        return {
            "id": str(uuid.uuid4()),
            "timestamp": dt.datetime.now(dt.UTC).isoformat(),
            "actor": self.actor,
            "verb": {"id": ADL + verb},
            "object": {"objectType": "Activity", "id": target or self.activity},
            "context": context,
            **fields,
        }

    def post(self, *batch: dict[str, Any]) -> Any:
        return self.http.post("/xapi/statements", json=list(batch), headers=self.headers, base_url=MAIN)

    def finish(self, score: float | None = None) -> None:
        """initialized, what the AU's moveOn asks (completed, passed with ``score``), terminated."""
        assert self.post(self.statement("initialized")).status_code == 200
        move_on = self.launch_data["moveOn"]
        batch = []
        if "Completed" in move_on:
            batch.append(self.statement("completed", result={"completion": True, "duration": "PT3M"}))
        if "Passed" in move_on:
            mastery = self.launch_data["masteryScore"]
            passed = "passed" if (score or 0) >= mastery else "failed"
            extension = {spec.MASTERY_SCORE: mastery}
            judged = self.statement(
                passed, result={"success": passed == "passed", "score": {"scaled": score}, "duration": "PT3M"}
            )
            judged["context"]["extensions"].update(extension)
            batch.append(judged)
        batch.append(self.statement("terminated", result={"duration": "PT4M"}))
        answer = self.post(*batch)
        assert answer.status_code == 200, answer.get_json()


# --- content ------------------------------------------------------------------------------------------------


def test_package_files_are_served_on_the_content_host_only(
    portal_app: Flask, course: ImportedCourse, package_zip: Path
) -> None:
    http = portal_app.test_client()
    with zipfile.ZipFile(package_zip) as archive:
        names = [i.filename for i in archive.infolist() if not i.is_dir()]
        expected = {".js": "text/javascript", ".vtt": "text/vtt", ".mp4": "video/mp4", ".html": "text/html"}
        for suffix, mimetype in expected.items():
            member = next(n for n in names if n.endswith(suffix))
            got = http.get(f"/content/{course.id}/{member}", base_url=CONTENT)
            assert got.status_code == 200 and got.mimetype == mimetype, member
            assert got.data == archive.read(member)
            assert http.get(f"/content/{course.id}/{member}", base_url=MAIN).status_code == 404
    index = http.get(f"/content/{course.id}/index.html", base_url=CONTENT)
    csp = index.headers["Content-Security-Policy"]
    assert f"connect-src 'self' {MAIN};" in csp and "frame-ancestors 'none'" in csp and "script-src" not in csp
    assert index.headers["X-Frame-Options"] == "DENY" and index.headers["X-Content-Type-Options"] == "nosniff"
    # conditional: the ETag answers 304; HEAD gives the length and no body
    again = http.get(
        f"/content/{course.id}/index.html", base_url=CONTENT, headers={"If-None-Match": index.headers["ETag"]}
    )
    assert again.status_code == 304 and not again.data
    head = http.head(f"/content/{course.id}/index.html", base_url=CONTENT)
    assert head.status_code == 200 and int(head.headers["Content-Length"]) == len(index.data) and not head.data
    # nothing but listed files of a stored package; nothing but content on the content host
    for path in (
        f"/content/{course.id}/missing.js",
        f"/content/{course.id}/../{course.id}/index.html",
        f"/content/{course.id}/content/",
        f"/content/{course.id + 1}/index.html",
        "/content/x/index.html",
        "/portal/",
        "/dashboard/login",
        "/xapi/about",
        "/health",
        "/courses/catalogue",
    ):
        assert http.get(path, base_url=CONTENT).status_code == 404, path
    assert http.get("/xapi/about", base_url=MAIN).status_code == 200


def test_ranges_let_a_video_seek(portal_app: Flask, course: ImportedCourse, package_zip: Path) -> None:
    http = portal_app.test_client()
    with zipfile.ZipFile(package_zip) as archive:
        video = max((i for i in archive.infolist() if i.filename.endswith(".mp4")), key=lambda i: i.file_size)
        data = archive.read(video)
    path = f"/content/{course.id}/{video.filename}"
    start, end = 1000, len(data) - 5
    part = http.get(path, base_url=CONTENT, headers={"Range": f"bytes={start}-{end}"})
    assert part.status_code == 206 and part.data == data[start : end + 1]
    assert part.headers["Content-Range"] == f"bytes {start}-{end}/{len(data)}"
    tail = http.get(path, base_url=CONTENT, headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.data == data[-10:]
    beyond = http.get(path, base_url=CONTENT, headers={"Range": f"bytes={len(data)}-"})
    assert beyond.status_code == 416 and beyond.headers["Content-Range"] == f"bytes */{len(data)}"
    etag = part.headers["ETag"]
    stale = http.get(path, base_url=CONTENT, headers={"Range": "bytes=0-9", "If-Range": '"other"'})
    assert stale.status_code == 200 and stale.data == data  # another version: the whole file
    fresh = http.get(path, base_url=CONTENT, headers={"Range": "bytes=0-9", "If-Range": etag})
    assert fresh.status_code == 206 and fresh.data == data[:10]


def test_without_content_url_loopback_development_gets_a_second_origin(
    store_url: str, store: SqlStore, course: ImportedCourse
) -> None:
    """No configuration: 127.0.0.1 serves the portal, localhost the packages (and the other way round)."""
    app = create_app(LrsConfig(database_url=store_url), store=store)
    http = app.test_client()
    pairs = (("http://127.0.0.1:8080", "http://localhost:8080"), ("http://localhost", "http://127.0.0.1"))
    for portal_base, other in pairs:
        parts = urlsplit(portal_base)
        environ = {"SERVER_NAME": parts.hostname, "SERVER_PORT": str(parts.port or 80)}
        with app.test_request_context("/", base_url=portal_base, environ_overrides=environ):
            assert content_module.content_origin() == content_module.ContentOrigin(other, separate=True)
            assert content_module.content_url(course.id, "index.html?module=m0") == (
                f"{other}/content/{course.id}/index.html?module=m0"
            )
        got = http.get(f"/content/{course.id}/index.html", base_url=other, environ_overrides=environ)
        assert got.status_code == 200
        on_portal = http.get(f"/content/{course.id}/index.html", base_url=portal_base, environ_overrides=environ)
        assert on_portal.status_code == 404


def test_without_content_url_a_public_host_shares_its_origin_with_a_warning(
    store_url: str,
    store: SqlStore,
    course: ImportedCourse,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(content_module, "_warned", type(content_module._warned)())
    app = create_app(LrsConfig(database_url=store_url, public_url="https://lrs.example.org"), store=store)
    http = app.test_client()
    with caplog.at_level(logging.WARNING, logger="lrs.portal.content"):
        for _ in range(2):
            got = http.get(f"/content/{course.id}/index.html", base_url="https://lrs.example.org")
            assert got.status_code == 200
    assert http.get("/xapi/about", base_url="https://lrs.example.org").status_code == 200
    warnings = [r for r in caplog.records if "GSOG_LRS_CONTENT_URL" in r.getMessage()]
    assert len(warnings) == 1


def test_content_url_is_checked_like_the_public_url() -> None:
    with pytest.raises(ValueError, match=r"content_url \(GSOG_LRS_CONTENT_URL\): must be http"):
        LrsConfig(content_url="content.example.org")
    with pytest.raises(ValueError, match="another host name"):
        LrsConfig(public_url="https://lrs.example.org", content_url="https://lrs.example.org/content")
    assert LrsConfig(public_url=MAIN, content_url=CONTENT + "/").content_url == CONTENT


# --- launches ------------------------------------------------------------------------------------------------


def test_course_structure_names_the_lms_ids_and_every_moveon(course: ImportedCourse) -> None:
    structure = lms.course_structure(course)
    assert structure["publisherId"] == course.course_iri and structure["id"] != course.course_iri
    assert [au["moveOn"] for au in structure["aus"]] == [
        "Completed",
        "Completed",
        "Completed",
        "Completed",
        "CompletedAndPassed",
        "NotApplicable",
    ]
    assert all(au["activityId"] != a.au_id for au, a in zip(structure["aus"], course.aus, strict=True))


def test_a_launch_carries_the_learner_and_the_au_rules(
    portal_app: Flask, store: SqlStore, course: ImportedCourse
) -> None:
    learner = actor()
    url = launch(portal_app, course, 4, learner)
    assert url.startswith(f"{CONTENT}/content/{course.id}/index.html?module=m4-close&endpoint=")
    session = Session(portal_app, course, url)
    data = session.launch_data
    extensions = data["contextTemplate"]["extensions"]
    assert extensions[iri("organisation")] == "zone-nord" and extensions[iri("region")] == "BE-WAL"
    assert extensions[iri("role")] == "inspector"
    assert iri("level") not in extensions and iri("sector") not in extensions  # the package fixes them
    assert (data["moveOn"], data["masteryScore"], data["returnURL"], data["launchMode"]) == (
        "CompletedAndPassed",
        0.75,
        RETURN,
        "Normal",
    )
    assert data["contextTemplate"]["contextActivities"]["grouping"] == [
        {"objectType": "Activity", "id": course.aus[4].au_id}
    ]
    assert session.preferences == {"languagePreference": "fr"}
    assert session.query["endpoint"] == MAIN + "/xapi/"
    [launched] = stored(store, session.registration, spec.LAUNCHED)
    assert launched["authority"]["account"]["name"] == "portal"
    assert launched["context"]["extensions"][spec.LAUNCH_URL].startswith(CONTENT)
    # the AU rules hold for portal launches: a passed under the mastery score is refused, naming the rule
    assert session.post(session.statement("initialized")).status_code == 200
    low = session.statement("passed", result={"success": True, "score": {"scaled": 0.5}, "duration": "PT2M"})
    low["context"]["extensions"][spec.MASTERY_SCORE] = 0.75
    refused = session.post(low)
    assert refused.status_code == 403 and refused.get_json()["error"]["message"].startswith("9.3.4.0-2 - ")
    # a second launch in the enrollment abandons the open session; same registration
    second = Session(portal_app, course, launch(portal_app, course, 4, learner))
    assert second.registration == session.registration
    [abandoned] = stored(store, session.registration, spec.ABANDONED)
    assert abandoned["context"]["extensions"][spec.SESSION_ID] == extensions[spec.SESSION_ID]
    assert session.post(session.statement("terminated")).status_code == 403  # the old session is closed
    # bad input is a clear LaunchError, never a 500
    with pytest.raises(lms.LaunchError, match="au_index"):
        launch(portal_app, course, 6, learner)
    with portal_app.test_request_context("/", base_url=MAIN), pytest.raises(lms.LaunchError, match="organisation"):
        lms.launch(learner, {"organisation": "Zone Nord"}, course, 0, language=None, return_url=RETURN)
    with portal_app.test_request_context("/", base_url=MAIN), pytest.raises(lms.LaunchError, match="email"):
        lms.launch(learner, {"email": "x@example.org"}, course, 0, language=None, return_url=RETURN)
    with portal_app.test_request_context("/", base_url=MAIN), pytest.raises(lms.LaunchError, match="return_url"):
        lms.launch(learner, CONTEXT, course, 0, language=None, return_url="/portal/")


def test_finishing_every_au_satisfies_the_course_and_feeds_progress_and_reports(
    portal_app: Flask, store: SqlStore, course: ImportedCourse
) -> None:
    learner = actor()
    before = lms.progress(store, learner, course)
    assert before.registration is None and not before.satisfied
    assert [au.launched for au in before.aus] == [False] * 6
    assert [au.satisfied for au in before.aus] == [False] * 5 + [True]  # NotApplicable: nothing asked
    registration = ""
    for index in range(5):
        session = Session(portal_app, course, launch(portal_app, course, index, learner))
        registration = session.registration
        session.finish(score=0.9 if index == 4 else None)
        if index < 4:
            assert not stored(store, registration, spec.SATISFIED)
    [satisfied] = stored(store, registration, spec.SATISFIED)
    assert satisfied["object"]["id"] == lms.course_structure(course)["id"]
    assert satisfied["context"]["contextActivities"]["grouping"] == [
        {"objectType": "Activity", "id": course.course_iri}
    ]
    state = lms.progress(store, learner, course)
    assert state.registration == registration and state.satisfied
    assert [au.launched for au in state.aus] == [True] * 5 + [False]
    assert [au.completed for au in state.aus] == [True] * 5 + [False]
    assert [au.passed for au in state.aus] == [False] * 4 + [True, False]
    assert all(au.satisfied for au in state.aus) and not any(au.waived for au in state.aus)
    assert state.aus[4].score == 0.9 and state.aus[0].score is None
    assert all(au.last_activity is not None for au in state.aus[:5])
    # a satisfied AU opens in Review
    review = Session(portal_app, course, launch(portal_app, course, 0, learner))
    assert review.launch_data["launchMode"] == "Review"
    # the reports count the learner under the launched organisation and the package's sector
    for flt in (ReportFilter(organisation="zone-nord"), ReportFilter(sector="police", region="BE-WAL")):
        table = run_report(store, "indicators", flt, k=1)
        row = next(r for r in table.rows if r[0] == "all")
        assert row[2:5] == [1, 1, 1], table.rows  # started, completed, passed
    elsewhere = run_report(store, "indicators", ReportFilter(organisation="zone-sud"), k=1).rows
    assert next(r for r in elsewhere if r[0] == "all")[2] == 0
    # another learner's progress is their own
    assert lms.progress(store, actor("other"), course).registration is None


def test_waiving_satisfies_the_au_and_then_the_course(store: SqlStore, course: ImportedCourse) -> None:
    learner = actor("w4iv3d")
    required = [au.au_id for au in course.aus if au.move_on != "NotApplicable"]
    for n, au_id in enumerate(required):
        assert lms.waive(store, learner, course, au_id, "Administrative")
        state = lms.progress(store, learner, course)
        assert state.aus[n].waived and state.aus[n].satisfied and not state.aus[n].launched
        assert state.satisfied == (n == len(required) - 1)
    assert state.registration is not None
    waived = stored(store, state.registration, spec.WAIVED)
    assert len(waived) == len(required)
    first = waived[0]
    assert first["result"] == {
        "success": True,
        "completion": True,
        "extensions": {spec.WAIVED_REASON: "Administrative"},
    }
    categories = {c["id"] for c in first["context"]["contextActivities"]["category"]}
    assert categories == {spec.CMI5_CATEGORY, spec.MOVEON_CATEGORY}
    assert first["object"]["id"] == required[0] + lms.LMS_SUFFIX
    assert first["authority"]["account"]["name"] == "portal"
    assert len(stored(store, state.registration, spec.SATISFIED)) == 1
    assert not lms.waive(store, learner, course, required[0], "Administrative")  # satisfied already: nothing written
    assert len(stored(store, state.registration, spec.WAIVED)) == len(required)
    with pytest.raises(ValueError, match="reason"):
        lms.waive(store, actor("x"), course, required[0], "Because")
    with pytest.raises(ValueError, match="not an AU"):
        lms.waive(store, learner, course, "https://gsog.example.org/other", "Administrative")


def test_goal_results_use_the_reports_mastery_rule(portal_app: Flask, store: SqlStore, course: ImportedCourse) -> None:
    learner = actor("g0als")
    session = Session(portal_app, course, launch(portal_app, course, 4, learner))
    assert session.post(session.statement("initialized")).status_code == 200
    test = f"{course.course_iri}/assessments/m4-close"
    goals = [g.id.rsplit("/", 1)[-1] for g in course.goals[:2]]
    answers = []
    for goal, right in ((goals[0], 4), (goals[1], 3)):
        for n in range(5):
            answer = session.statement(
                "answered",
                f"{course.course_iri}/items/{goal}-{n}",
                result={"success": n < right, "response": "a"},
            )
            answer["object"]["definition"] = {"type": spec.INTERACTION_TYPE, "interactionType": "choice"}
            answer["context"]["contextActivities"]["parent"] = [{"id": test}]
            answer["context"]["extensions"].update({iri("learning-goals"): [goal], iri("test-role"): "post"})
            answers.append(answer)
    assert session.post(*answers).status_code == 200
    results = lms.goal_results(store, learner, course.course_iri)
    assert [r.goal for r in results] == [g.id for g in course.goals]
    assert (results[0].correct, results[0].total, results[0].share, results[0].mastered) == (4, 5, 0.8, True)
    assert (results[1].correct, results[1].total, results[1].mastered) == (3, 5, False)
    assert all(r.share is None and not r.mastered for r in results[2:])
    assert lms.goal_results(store, learner, course) == results
    assert lms.goal_results(store, learner, "https://example.org/unknown") == []
    # the goal-mastery report agrees
    report = {row[0]: row for row in run_report(store, "goal-mastery", ReportFilter(), k=1).rows}
    assert report[goals[0]][2] == 1 and report[goals[1]][2] == 0


def test_cors_preflight_from_the_content_origin(portal_app: Flask) -> None:
    """The player's first request to the LRS is a preflight from the content origin."""
    answer = portal_app.test_client().options(
        "/xapi/statements",
        base_url=MAIN,
        headers={
            "Origin": CONTENT,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type,x-experience-api-version",
        },
    )
    assert answer.status_code in (200, 204)
    assert answer.headers["Access-Control-Allow-Origin"] == CONTENT
    assert "POST" in answer.headers["Access-Control-Allow-Methods"]


def test_cli_waives_an_au_for_a_learner_named_by_email(store: SqlStore, course: ImportedCourse) -> None:
    signed = sign_up(store.engine, "lies@example.org", "a long enough password 42", "fr")
    learner = learner_actor(signed.learner.actor_name, MAIN)
    runner = CliRunner()
    au_id = course.aus[1].au_id
    args = ["portal", "waive", "--learner", "Lies@Example.org", "--course", str(course.id), "--au", au_id]
    done = runner.invoke(main, [*args, "--base-url", MAIN], obj={"store": store})
    assert done.exit_code == 0, done.output
    assert "lies@example.org" not in done.output.lower()
    state = lms.progress(store, learner, course)
    assert state.aus[1].waived and state.aus[1].satisfied and not state.aus[0].satisfied
    [waived] = stored(store, str(state.registration), spec.WAIVED)
    assert waived["result"]["extensions"] == {spec.WAIVED_REASON: "Administrative"}
    again = runner.invoke(main, [*args, "--base-url", MAIN], obj={"store": store})
    assert again.exit_code == 0 and "satisfied already" in again.output
    by_iri = [
        "portal",
        "waive",
        "--learner",
        "lies@example.org",
        "--course",
        course.course_iri,
        "--au",
        course.aus[0].au_id,
    ]
    tested_out = runner.invoke(main, [*by_iri, "--reason", "Tested Out", "--base-url", MAIN], obj={"store": store})
    assert tested_out.exit_code == 0, tested_out.output
    assert lms.progress(store, learner, course).aus[0].waived
    for option, value in (
        ("--learner", "nobody@example.org"),
        ("--course", "999"),
        ("--au", "https://example.org/nope"),
        ("--reason", "Because"),
    ):
        argv = [*args, "--base-url", MAIN, option, value]  # the last occurrence of an option wins
        refused = runner.invoke(main, argv, obj={"store": store})
        assert refused.exit_code == 2 and option in refused.output, refused.output
