"""The player tests' loopback server itself: videos seek (HTTP ranges), the LRS is on the same origin,
and its outage switch really fails requests.

If these break, the journeys built on them prove nothing.
"""

from __future__ import annotations

import urllib.request
from pathlib import Path
from typing import Any

from tests.player.our_lrs import OurLrs

#: fetch() from the package's page; the answer's status, or "network error" when there was none.
_FETCH = """url => fetch(url, {headers: {'X-Experience-API-Version': '1.0.3'}})
    .then(r => r.status, () => 'network error')"""


def test_videos_are_served_with_http_ranges(server: str, site: Path, content: dict[str, Any]) -> None:
    clip = next(u for u in content["units"].values() if u["kind"] == "clip" and u.get("video"))
    size = (site / "packages" / "cmi5" / clip["video"]).stat().st_size
    request = urllib.request.Request(f"{server}/packages/cmi5/{clip['video']}", headers={"Range": "bytes=100-199"})
    with urllib.request.urlopen(request) as answer:
        assert answer.status == 206
        assert answer.headers["Content-Range"] == f"bytes 100-199/{size}"
        assert answer.headers["Content-Type"] == "video/mp4"
        assert len(answer.read()) == 100
    with urllib.request.urlopen(f"{server}/packages/cmi5/{clip['captions']}") as answer:
        assert answer.headers["Content-Type"].startswith("text/vtt")
        assert answer.read().startswith(b"WEBVTT")


def test_the_lrs_is_same_origin_and_the_outage_switch_fails_its_requests(page: Any, server: str, lrs: OurLrs) -> None:
    page.goto(f"{server}/lms/blank.html")
    about = lrs.endpoint + "about"
    assert lrs.endpoint.startswith(server + "/")
    assert page.evaluate(_FETCH, about) == 200
    with lrs.down():
        assert page.evaluate(_FETCH, about) == 503
    with lrs.down("drop"):
        assert page.evaluate(_FETCH, about) == "network error"
    assert page.evaluate(_FETCH, about) == 200
    assert [(r.method, r.resource, r.status) for r in lrs.logged()] == [
        ("GET", "about", 200),
        ("GET", "about", 503),
        ("GET", "about", 0),
        ("GET", "about", 200),
    ]
    assert [r.status for r in lrs.refused()] == [503, 0]
