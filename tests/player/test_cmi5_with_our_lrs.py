"""A cmi5 package launched from our LRS's package preview starts, tracks and terminates.

The preview (GSOG_LRS_PREVIEW_DIR; here the session's built zips) creates a
real cmi5 launch (LMS.LaunchData, fetch URL, single-use token) and serves
the AU from the zip; the player in Chromium then talks to the real LRS of
the test server (the ``lrs`` fixture) on the same origin.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.player.helpers import wait_for
from tests.player.our_lrs import OurLrs

PACKAGE = "gsog-nl-police-cmi5.zip"


def test_cmi5_au_starts_against_our_lrs_and_terminates_when_the_learner_leaves(
    page: Any, server: str, lrs: OurLrs, content: dict[str, Any]
) -> None:
    first_unit = content["units"]["clip-gbv-and-gender"]["title"]
    page.goto(f"{server}/preview/")
    assert page.get_by_text(PACKAGE).is_visible()

    # AU 1 is module m1-understand; the preview redirects to the AU with cmi5 launch parameters
    page.goto(f"{server}/preview/{PACKAGE}/au/1")  # the link shows a Launch button: a GET writes nothing
    page.get_by_role("button", name="Launch").click()
    page.get_by_role("heading", name=first_unit).wait_for()
    params = {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}
    assert params["module"] == "m1-understand"
    assert params["endpoint"] == lrs.endpoint and params["fetch"].startswith(lrs.endpoint)
    registration, au = params["registration"], params["activityId"]
    assert au.endswith("/nl-police/m1-understand/lms-preview")

    def about_the_au() -> list[str]:
        """Verbs of the statements whose object is the launched AU (not its units, answers or videos)."""
        return [s["verb"]["id"].rsplit("/", 1)[-1] for s in lrs.statements(registration) if s["object"]["id"] == au]

    assert wait_for(lambda: about_the_au() == ["launched", "initialized"])

    page.goto("about:blank")  # the learner leaves
    assert wait_for(lambda: about_the_au()[-1:] == ["terminated"], timeout=10)
    assert about_the_au() == ["launched", "initialized", "terminated"]
    assert lrs.fetch_calls == 1
    assert lrs.refused() == [], "the LRS accepted every request of the AU"
