"""Video watching as xAPI Video Profile statements (player/core/video.js, units/media.js).

A real clip of the built xAPI package plays in Chromium while core/video.js
reports to a recording callback; the test drives play, pause and seeks on
the <video> element and checks the statements against the profile's rules
(https://w3id.org/xapi/video: required extensions per verb, their types and
precision, played segments, progress, completion, sessions) and against our
own LRS's validator under xAPI 1.0.3 and 2.0.0. One more test sends them
from a cmi5 AU to our real LRS.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from builder.build import build_packages
from builder.media.resolve import default_cache
from lrs.app import create_app
from lrs.config import LrsConfig
from lrs.store.interface import StatementQuery
from lrs.xapi.statements import prepare
from lrs.xapi.validate import check_statement
from lrs.xapi.versions import V1, V2
from tests.conftest import COURSE_SRC
from tests.player.helpers import course_order, go_to

PROFILE = "https://w3id.org/xapi/video"
VIDEO_TYPE = f"{PROFILE}/activity-type/video"
VERBS = {
    "initialized": "http://adlnet.gov/expapi/verbs/initialized",
    "played": f"{PROFILE}/verbs/played",
    "paused": f"{PROFILE}/verbs/paused",
    "seeked": f"{PROFILE}/verbs/seeked",
    "completed": "http://adlnet.gov/expapi/verbs/completed",
    "terminated": "http://adlnet.gov/expapi/verbs/terminated",
}
EXT = f"{PROFILE}/extensions/"
TIME, TIME_FROM, TIME_TO = EXT + "time", EXT + "time-from", EXT + "time-to"
PROGRESS, SEGMENTS = EXT + "progress", EXT + "played-segments"
SESSION, LENGTH, THRESHOLD = EXT + "session-id", EXT + "length", EXT + "completion-threshold"
CC_ENABLED, CC_LANG = EXT + "cc-subtitle-enabled", EXT + "cc-subtitle-lang"
SPEED, VOLUME = EXT + "speed", EXT + "volume"
#: The profile's own schema for session-id (a version 4 UUID).
SESSION_PATTERN = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", re.I)
NUMBER = r"\d+(?:\.\d{1,3})?"
SEGMENTS_PATTERN = re.compile(rf"^(?:{NUMBER}\[\.\]{NUMBER}(?:\[,\]{NUMBER}\[\.\]{NUMBER})*)?$")
DURATION_PATTERN = re.compile(r"^PT(?:\d+H)?(?:\d+M)?(?:\d+(?:\.\d+)?S)$")
#: What each statement template requires (xAPI Video Profile, "Summary of Extensions Usage"); the
#: completion threshold is required too, as ours (0.9) is not 1.
REQUIRED: dict[str, tuple[set[str], set[str]]] = {
    "initialized": ({LENGTH, THRESHOLD}, set()),
    "played": (set(), {TIME}),
    "paused": ({LENGTH, THRESHOLD}, {TIME, PROGRESS, SEGMENTS}),
    "seeked": (set(), {TIME_FROM, TIME_TO}),
    "completed": ({LENGTH, THRESHOLD}, {TIME, PROGRESS, SEGMENTS}),
    "terminated": ({LENGTH, THRESHOLD}, {TIME, PROGRESS, SEGMENTS}),
}
ACTOR = {"objectType": "Agent", "name": "Lies Peeters", "mbox": "mailto:lies@example.org"}
AUTHORITY = {"objectType": "Agent", "name": "LMS", "account": {"homePage": "https://lms.example.org", "name": "lms"}}

#: Puts a <video> of the package on the page and tracks it with GSOG.video.attach; events land in window.__events.
SETUP = """async ([src, captions, activityId]) => {
    window.__events = [];
    const video = document.createElement('video');
    video.muted = true;  // autoplay without a user gesture
    video.preload = 'metadata';
    // from a blob: seeking then works whether or not the server answers range requests
    video.src = URL.createObjectURL(await (await fetch(src)).blob());
    const track = document.createElement('track');
    Object.assign(track, {kind: 'captions', src: captions, srclang: 'nl', default: true});
    video.appendChild(track);
    document.body.appendChild(video);
    window.__video = video;
    window.__detach = GSOG.video.attach(video, {
        unit: {id: 'clip-under-test', title: 'Clip onder test'}, lang: 'nl', activityId, captions: true,
        report: (event) => window.__events.push(JSON.parse(JSON.stringify(event))),
    });
    window.__when = (type) => new Promise((resolve) => video.addEventListener(type, resolve, {once: true}));
    /** Wait (playing) until the position reaches `until` (seconds). */
    window.__reach = (until) => new Promise((resolve) => {
        const check = () => (video.currentTime >= until ? resolve() : requestAnimationFrame(check));
        check();
    });
    window.__pause = async () => {
        const paused = window.__when('pause');
        video.pause();
        await paused;
    };
    /** Play until the position reaches `until`, then pause. */
    window.__playUntil = async (until) => {
        await video.play();
        await window.__reach(until);
        await window.__pause();
    };
    window.__seek = async (to) => {
        const seeked = window.__when('seeked');
        video.currentTime = to;
        await seeked;
    };
    if (video.readyState < 1) await window.__when('loadedmetadata');
    return video.duration;
}"""


def _events(page: Any, activity: str | None = None) -> list[dict[str, Any]]:
    """What GSOG.video reported so far (about ``activity`` only, when given)."""
    events: list[dict[str, Any]] = page.evaluate("window.__events")
    return [e for e in events if activity in (None, e["statement"]["object"]["id"])]


def _verbs(events: list[dict[str, Any]]) -> list[str]:
    return [e["verb"] for e in events]


def _wait_for_verbs(
    page: Any, expected: list[str], timeout: float = 5.0, activity: str | None = None
) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        events = _events(page, activity)
        if _verbs(events) == expected or time.monotonic() > deadline:
            assert _verbs(events) == expected
            return events
        time.sleep(0.05)


def _segments(text: str) -> list[tuple[float, float]]:
    if not text:
        return []
    pairs = [part.split("[.]") for part in text.split("[,]")]
    return [(float(a), float(b)) for a, b in pairs]


def _covered(segments: list[tuple[float, float]]) -> float:
    total, end = 0.0, -1.0
    for start, stop in sorted(segments):
        if stop <= end:
            continue
        total += stop - max(start, end)
        end = stop
    return total


def _three_decimals(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and round(value, 3) == value


def full_statement(body: dict[str, Any]) -> dict[str, Any]:
    """What an adapter makes of the body: id, actor, timestamp (and nothing the LRS would refuse)."""
    return {
        "id": str(uuid.uuid4()),
        "actor": ACTOR,
        "timestamp": dt.datetime.now(dt.UTC).isoformat(),
        **body,
    }


def check_profile(event: dict[str, Any], activity_id: str) -> None:
    """One event and its statement body follow the Video Profile's template for its verb."""
    verb = event["verb"]
    statement = event["statement"]
    assert set(statement) <= {"verb", "object", "result", "context"}, "id, actor, timestamp are the adapter's"
    assert statement["verb"]["id"] == VERBS[verb]
    assert statement["object"]["objectType"] == "Activity" and statement["object"]["id"] == activity_id
    assert statement["object"]["definition"]["type"] == VIDEO_TYPE
    context = statement["context"]
    assert set(context) == {"contextActivities", "extensions"}, "only the profile's part of the context"
    assert [c["id"] for c in context["contextActivities"]["category"]] == [PROFILE]
    ctx_ext = context["extensions"]
    result_ext = statement.get("result", {}).get("extensions", {})
    needed_ctx, needed_result = REQUIRED[verb]
    assert needed_ctx <= set(ctx_ext), (verb, needed_ctx - set(ctx_ext))
    assert needed_result <= set(result_ext), (verb, needed_result - set(result_ext))
    assert SESSION_PATTERN.match(ctx_ext[SESSION]) and event["sessionId"] == ctx_ext[SESSION]
    assert _three_decimals(ctx_ext[LENGTH]) and ctx_ext[LENGTH] > 0
    assert ctx_ext[THRESHOLD] == 0.9
    if CC_ENABLED in ctx_ext:
        assert isinstance(ctx_ext[CC_ENABLED], bool)
        assert (CC_LANG in ctx_ext) == ctx_ext[CC_ENABLED], "cc-subtitle-lang only with captions on"
    if verb == "initialized":
        assert "result" not in statement
        assert re.match(r"^-?\d+(?:\.\d+)?x$", ctx_ext[SPEED]) and 0 <= ctx_ext[VOLUME] <= 1
    for key in (TIME, TIME_FROM, TIME_TO):
        if key in result_ext:
            assert _three_decimals(result_ext[key]) and 0 <= result_ext[key] <= ctx_ext[LENGTH], (key, result_ext)
    if verb == "seeked":
        assert TIME not in result_ext
    else:
        assert TIME_FROM not in result_ext and TIME_TO not in result_ext
    if PROGRESS in result_ext:
        assert _three_decimals(result_ext[PROGRESS]) and 0 <= result_ext[PROGRESS] <= 1
        played = _segments(result_ext[SEGMENTS])
        assert SEGMENTS_PATTERN.match(result_ext[SEGMENTS]), result_ext[SEGMENTS]
        assert result_ext[PROGRESS] == round(min(1.0, _covered(played) / ctx_ext[LENGTH]), 3)
    # completion only on completed, and there with the time spent
    result = statement.get("result", {})
    assert ("completion" in result) == (verb == "completed")
    if verb == "completed":
        assert result["completion"] is True and DURATION_PATTERN.match(result["duration"])
        assert result_ext[PROGRESS] >= ctx_ext[THRESHOLD]


def check_with_our_lrs(body: dict[str, Any]) -> None:
    """Our LRS takes the statement under both xAPI versions (validation and what it stores)."""
    for api in (V1, V2):
        statement = full_statement(body)
        check_statement(statement, api)
        stored = prepare(statement, api=api, authority=AUTHORITY, stored=dt.datetime.now(dt.UTC)).statement
        for part in ("verb", "object", "result"):
            assert stored.get(part) == body.get(part), part
        assert stored["context"]["extensions"] == body["context"]["extensions"]


def check_sessions(events: list[dict[str, Any]]) -> None:
    """Each session opens with initialized; paused comes before terminated; nothing follows terminated."""
    sessions: dict[str, list[str]] = {}
    for event in events:
        sessions.setdefault(event["sessionId"], []).append(event["verb"])
    for verbs in sessions.values():
        assert verbs[0] == "initialized" and verbs.count("initialized") == 1, verbs
        if "terminated" in verbs:
            assert verbs[-1] == "terminated" and verbs.count("terminated") == 1, verbs
            states = [v for v in verbs if v in ("played", "paused")]
            assert not states or states[-1] == "paused", verbs


@pytest.fixture
def clip(content: dict[str, Any], site: Path) -> dict[str, Any]:
    """The package's shortest clip (by file size), so playing it to the end stays quick."""
    clips = [u for u in content["units"].values() if u["kind"] == "clip" and u.get("video")]
    unit: dict[str, Any] = min(clips, key=lambda u: (site / "packages" / "xapi" / u["video"]).stat().st_size)
    return unit


def _open_package(page: Any, server: str, fmt: str, content: dict[str, Any]) -> None:
    """The package without an LMS (offline): the player and its scripts, nothing reported anywhere."""
    page.goto(f"{server}/packages/{fmt}/index.html")
    page.locator("h1", has_text=content["units"][course_order(content)[0]]["title"]).wait_for()


def test_played_segments_helpers(page: Any, server: str, content: dict[str, Any]) -> None:
    _open_package(page, server, "xapi", content)
    got = page.evaluate(
        """() => {
        const S = GSOG.video.segments;
        return {
            merged: S.merge([[5, 10], [0, 3], [2, 4], [10, 12], [20, 19]]),
            covered: S.covered([[0, 5], [3, 8], [10, 11]]),
            formatted: S.format([[0, 5.5], [12.3456, 20], [4, 6.0004]]),
            parsed: S.parse('0[.]5.5[,]12.346[.]20'),
            empty: [S.format([]), S.parse('')],
            progress: [S.progress([[0, 5], [3, 8]], 10), S.progress([[0, 2]], 3), S.progress([[0, 50]], 40),
                       S.progress([[1, 2]], 0), S.progress([[1, 2]], NaN), S.progress([], 10)],
            // rounded as reported: 0.0004 s of overlap does not count
            rounding: S.progress([[0, 1.0004], [1.0001, 2]], 4),
            threshold: GSOG.video.COMPLETION_THRESHOLD,
            round3: [GSOG.video.round3(1.23456), GSOG.video.round3(0.1 + 0.2)],
        };
    }"""
    )
    assert got["merged"] == [[0, 4], [5, 12], [19, 20]]
    assert got["covered"] == 9
    # in the order played, overlaps kept (the profile's played-segments is chronological)
    assert got["formatted"] == "0[.]5.5[,]12.346[.]20[,]4[.]6"
    assert got["parsed"] == [[0, 5.5], [12.346, 20]]
    assert got["empty"] == ["", []]
    assert got["progress"] == [0.8, 0.667, 1, 0, 0, 0]
    assert got["rounding"] == 0.5
    assert got["threshold"] == 0.9
    assert got["round3"] == [1.235, 0.3]


def test_a_watched_clip_sends_the_profile_statements(
    page: Any, server: str, content: dict[str, Any], clip: dict[str, Any]
) -> None:
    _open_package(page, server, "xapi", content)
    activity = f"{content['course']['iri'].rstrip('/')}/videos/{clip['id']}/nl"
    duration = page.evaluate(SETUP, [clip["video"], clip["captions"], activity])
    assert duration > 30
    events = _wait_for_verbs(page, ["initialized"])
    initialized = events[0]["statement"]["context"]["extensions"]
    assert initialized[LENGTH] == round(duration, 3)
    assert initialized[SPEED] == "1x" and initialized[VOLUME] == 0  # muted
    assert events[0]["statement"]["object"]["definition"]["name"] == {"nl": "Clip onder test"}

    # play from the start, pause, seek while paused, play, seek while playing (a drag: three seeks), pause
    page.evaluate("window.__playUntil(1.5)")
    page.evaluate("window.__seek(10)")
    page.evaluate(
        "async () => { await __video.play(); await __reach(11);"
        " await __seek(15); await __seek(18); await __seek(20); await __reach(21); await __pause(); }"
    )
    events = _wait_for_verbs(page, ["initialized", "played", "paused", "seeked", "played", "seeked", "paused"])
    played1, paused1, seek1, played2, seek2, paused2 = (e["statement"]["result"]["extensions"] for e in events[1:])
    assert played1[TIME] == 0 and 1.5 <= paused1[TIME] < 3
    assert seek1[TIME_FROM] == paused1[TIME] and seek1[TIME_TO] == 10
    assert played2[TIME] == 10
    assert 11 <= seek2[TIME_FROM] < 12 and seek2[TIME_TO] == 20, "the drag is one seek"
    assert 21 <= paused2[TIME] < 22.5
    # the segments are what was played, in order; their times are the ones the statements carry
    assert _segments(paused2[SEGMENTS]) == [(0, paused1[TIME]), (10, seek2[TIME_FROM]), (20, paused2[TIME])]
    watched = paused1[TIME] + (seek2[TIME_FROM] - 10) + (paused2[TIME] - 20)
    assert paused2[PROGRESS] == round(watched / round(duration, 3), 3)

    # watch it all, fast, from the start: completed once the played part reaches 90 %, no paused at the end
    page.evaluate(
        "async () => { await __seek(0); __video.playbackRate = 16; const ended = __when('ended');"
        " await __video.play(); await ended; }"
    )
    events = _wait_for_verbs(page, [*_verbs(events), "seeked", "played", "completed"], timeout=10)
    seek3, played3, completed = events[-3:]
    assert seek3["statement"]["result"]["extensions"][TIME_FROM] == paused2[TIME]
    assert played3["statement"]["result"]["extensions"][TIME] == 0
    done = completed["statement"]["result"]
    assert done["completion"] is True
    assert 0.9 <= done["extensions"][PROGRESS] < 1
    time.sleep(0.5)
    assert _verbs(_events(page))[-1] == "completed", "the pause that ending fires is not reported"

    # playing it again: the element seeks back to the start first, then plays
    page.evaluate("async () => { __video.playbackRate = 1; await __video.play(); await __reach(0.5); }")
    events = _wait_for_verbs(page, [*_verbs(events), "seeked", "played"])
    seek4, played4 = (e["statement"]["result"]["extensions"] for e in events[-2:])
    assert (seek4[TIME_FROM], seek4[TIME_TO], played4[TIME]) == (round(duration, 3), 0, 0)

    # leaving: paused (the last of played/paused was a played), then terminated; once
    page.evaluate("window.__detach(); window.__detach();")
    events = _events(page)
    assert _verbs(events)[-2:] == ["paused", "terminated"]
    terminated = events[-1]["statement"]
    final = terminated["result"]["extensions"]
    assert final[PROGRESS] == 1 and final[TIME] >= 0.5
    assert _segments(final[SEGMENTS])[-2:] == [(0, round(duration, 3)), (0, final[TIME])]
    assert terminated["context"]["extensions"][CC_ENABLED] is True
    assert terminated["context"]["extensions"][CC_LANG] == "nl"

    assert len({e["sessionId"] for e in events}) == 1
    check_sessions(events)
    for event in events:
        check_profile(event, activity)
        check_with_our_lrs(event["statement"])
    # nothing per timeupdate
    assert len(events) == 14


def test_hiding_the_page_ends_the_session_and_playing_again_opens_a_new_one(
    page: Any, server: str, content: dict[str, Any], clip: dict[str, Any]
) -> None:
    _open_package(page, server, "xapi", content)
    activity = f"{content['course']['iri'].rstrip('/')}/videos/{clip['id']}/nl"
    page.evaluate(SETUP, [clip["video"], clip["captions"], activity])
    page.evaluate("__video.play()")
    page.wait_for_function("__video.currentTime > 1")
    hide = """(state) => {
        Object.defineProperty(document, 'visibilityState', {value: state, configurable: true});
        document.dispatchEvent(new Event('visibilitychange'));
    }"""
    page.evaluate(hide, "hidden")
    events = _wait_for_verbs(page, ["initialized", "played", "paused", "terminated"])
    first = events[0]["sessionId"]
    # it plays on while hidden; coming back opens a new session where it is
    page.wait_for_function("__video.currentTime > 2")
    page.evaluate(hide, "visible")
    events = _wait_for_verbs(page, ["initialized", "played", "paused", "terminated", "initialized", "played"])
    second = events[-1]["sessionId"]
    assert second != first and events[-2]["sessionId"] == second
    assert events[-1]["statement"]["result"]["extensions"][TIME] > 2
    page.evaluate("__video.pause()")
    events = _wait_for_verbs(page, [*_verbs(events), "paused"])
    # progress counts everything played in this page, across sessions
    played = _segments(events[-1]["statement"]["result"]["extensions"][SEGMENTS])
    assert played[0][0] == 0 and played[-1][1] > 2
    assert _covered(played) == pytest.approx(played[-1][1], abs=0.01)
    # hidden while paused: terminated only
    page.evaluate(hide, "hidden")
    events = _wait_for_verbs(page, [*_verbs(events), "terminated"])
    page.evaluate(hide, "visible")
    time.sleep(0.3)
    assert _verbs(_events(page))[-1] == "terminated", "nothing while the video stays paused"
    page.evaluate("__video.play()")
    events = _wait_for_verbs(page, [*_verbs(events), "initialized", "played"])
    assert len({e["sessionId"] for e in events}) == 3
    check_sessions(events)
    for event in events:
        check_profile(event, activity)


def test_without_a_report_callback_nothing_is_tracked(
    page: Any, server: str, content: dict[str, Any], clip: dict[str, Any]
) -> None:
    _open_package(page, server, "scorm12", content)
    got = page.evaluate(
        """async (src) => {
        const video = document.createElement('video');
        video.muted = true;
        video.src = src;
        document.body.appendChild(video);
        let listening = 0;
        const add = video.addEventListener.bind(video);
        video.addEventListener = (...args) => { listening += 1; return add(...args); };
        const options = {unit: {id: 'x', title: 'x'}, lang: 'nl', activityId: 'https://example.org/v'};
        const detach = GSOG.video.attach(video, options);
        const without = GSOG.video.attach(null, null);
        const counted = listening;
        await new Promise((resolve) => video.addEventListener('loadedmetadata', resolve, {once: true}));
        await video.play();
        video.pause();
        detach();
        without();
        return [typeof detach, typeof without, counted];
    }""",
        clip["video"],
    )
    assert got == ["function", "function", 0]


def test_media_units_track_their_video_until_the_learner_moves_on(
    page: Any, server: str, content: dict[str, Any]
) -> None:
    _open_package(page, server, "xapi", content)
    # record what units/media.js passes to GSOG.video.attach, and the events, in place of the adapter
    page.evaluate(
        """() => {
        window.__events = [];
        window.__options = [];
        const attach = GSOG.video.attach;
        GSOG.video.attach = (media, options) => {
            window.__options.push({options, hasReport: typeof options.report === 'function', media});
            const report = (e) => __events.push(JSON.parse(JSON.stringify(e)));
            return attach(media, Object.assign({}, options, {report}));
        };
    }"""
    )
    order = course_order(content)
    clip_id = next(u for u in order if content["units"][u]["kind"] == "clip")
    unit = content["units"][clip_id]
    go_to(page, content, clip_id)
    options = page.evaluate(
        """() => __options.map((o) =>
            Object.assign({}, o.options, {report: o.hasReport, poster: o.media.getAttribute('poster')}))"""
    )
    assert options == [
        {
            "unit": {"id": clip_id, "title": unit["title"]},
            "lang": "nl",
            "activityId": f"{content['course']['iri'].rstrip('/')}/videos/{clip_id}/nl",
            "captions": bool(unit.get("captions")),
            "report": True,  # the tracking wrapper's recordVideo (formats without xAPI ignore it there)
            "poster": unit.get("poster"),
        }
    ]
    assert (
        page.evaluate("(u) => GSOG.media.videoActivityId({iri: 'https://x.example/c/', lang: 'fr'}, {id: u})", clip_id)
        == f"https://x.example/c/videos/{clip_id}/fr"
    )
    activity = options[0]["activityId"]
    _wait_for_verbs(page, ["initialized"], activity=activity)
    page.evaluate("() => { const v = document.querySelector('video'); v.muted = true; return v.play(); }")
    _wait_for_verbs(page, ["initialized", "played"], activity=activity)
    page.locator(".gsog-next").click()
    page.locator("h1", has_text=content["units"][order[order.index(clip_id) + 1]]["title"]).wait_for()
    # the next unit may have a video of its own; this one's session ended
    events = _wait_for_verbs(page, ["initialized", "played", "paused", "terminated"], activity=activity)
    check_sessions(events)
    for event in events:
        check_profile(event, activity)
    # a poster, when the content names one
    poster = page.evaluate(
        """(u) => {
        const ctx = {content: GSOG_CONTENT, tracking: null, onLeave() {}};
        const unit = Object.assign({}, GSOG_CONTENT.units[u], {poster: 'media/poster.jpg'});
        const node = GSOG.media.video(unit, ctx, () => {});
        return node.querySelector('video').getAttribute('poster');
    }""",
        clip_id,
    )
    assert poster == "media/poster.jpg"


# ----- against our real LRS ---------------------------------------------------

PACKAGE = "gsog-nl-police-cmi5.zip"


@pytest.fixture(scope="module")
def preview_lrs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    exports = tmp_path_factory.mktemp("video-exports")
    build_packages(COURSE_SRC, exports, ["cmi5"], ["nl"], ["police"], default_cache(COURSE_SRC))
    database = tmp_path_factory.mktemp("video-lrs") / "lrs.sqlite3"
    app = create_app(LrsConfig(database_url=f"sqlite:///{database}", preview_dir=str(exports)))
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}", app.extensions["lrs_store"]
    httpd.shutdown()


def _stored(store: Any, verb: str) -> list[dict[str, Any]]:
    return [s.statement for s in store.query_statements(StatementQuery(verb=verb, limit=100)).statements]


def test_a_cmi5_au_sends_video_statements_our_lrs_stores(browser: Any, preview_lrs: tuple[str, Any]) -> None:
    base, store = preview_lrs
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    # AU 1 opens on a clip; the preview launches it with real cmi5 parameters
    page.goto(f"{base}/preview/{PACKAGE}/au/1")
    page.get_by_role("button", name="Launch").click()  # launching is a POST
    page.locator("video").wait_for()
    # functions, not expressions: Playwright runs an expression through eval, which the AU's CSP forbids
    page.wait_for_function("() => document.querySelector('video').readyState >= 1")
    page.evaluate("() => { const v = document.querySelector('video'); v.muted = true; return v.play(); }")
    page.wait_for_function("() => document.querySelector('video').currentTime > 1")
    page.goto("about:blank")  # the learner leaves

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not _stored(store, VERBS["terminated"])[1:]:
        time.sleep(0.1)
    video = {
        name: [s for s in _stored(store, iri) if s["object"].get("definition", {}).get("type") == VIDEO_TYPE]
        for name, iri in VERBS.items()
    }
    assert [len(video[v]) for v in ("initialized", "played", "paused", "terminated")] == [1, 1, 1, 1], video
    for name in ("initialized", "played", "paused", "terminated"):
        statement = video[name][0]
        assert statement["context"]["extensions"][SESSION] == video["initialized"][0]["context"]["extensions"][SESSION]
        assert PROFILE in [c["id"] for c in statement["context"]["contextActivities"]["category"]]
        assert statement["context"]["registration"]
    assert errors == []
    context.close()
