"""The package preview is off by default and serves only what its zips list."""

from __future__ import annotations

import tracemalloc
import zipfile
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from lrs.app import create_app
from lrs.config import LrsConfig
from lrs.store.interface import StatementQuery

CMI5 = """<?xml version="1.0" encoding="UTF-8"?>
<courseStructure xmlns="https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd">
  <course id="https://example.org/c"><title><langstring lang="nl">C</langstring></title>
    <description><langstring lang="nl">C</langstring></description></course>
  <au id="https://example.org/c/au1" moveOn="Completed"><title><langstring lang="nl">Deel een</langstring></title>
    <description><langstring lang="nl">D</langstring></description><url>index.html?module=m1</url></au>
</courseStructure>
"""


def _app(tmp_path: Path, preview: bool, public_url: str = "") -> object:
    folder = tmp_path / "exports"
    folder.mkdir()
    with zipfile.ZipFile(folder / "demo-cmi5.zip", "w") as archive:
        archive.writestr("cmi5.xml", CMI5)
        archive.writestr("index.html", "<!doctype html><title>AU</title>")
    (tmp_path / "secret.txt").write_text("not for the web")
    config = LrsConfig(
        database_url=f"sqlite:///{tmp_path / 'lrs.sqlite3'}",
        preview_dir=str(folder) if preview else "",
        public_url=public_url,
    )
    return create_app(config)


def test_preview_is_off_unless_configured(tmp_path: Path) -> None:
    client = _app(tmp_path, preview=False).test_client()  # type: ignore[attr-defined]
    assert client.get("/preview/").status_code == 404


def test_preview_lists_aus_launches_and_serves_only_listed_files(tmp_path: Path) -> None:
    client = _app(tmp_path, preview=True).test_client()  # type: ignore[attr-defined]
    listing = client.get("/preview/")
    assert listing.status_code == 200 and b"Deel een" in listing.data
    launch = client.post("/preview/demo-cmi5.zip/au/0")
    assert launch.status_code == 303
    location = launch.headers["Location"]
    assert "/preview/demo-cmi5.zip/files/index.html?module=m1&" in location
    for parameter in ("endpoint=", "fetch=", "actor=", "registration=", "activityId="):
        assert parameter in location
    assert client.get("/preview/demo-cmi5.zip/files/index.html").status_code == 200
    assert client.get("/preview/demo-cmi5.zip/files/../secret.txt").status_code == 404
    assert client.get("/preview/demo-cmi5.zip/files/missing.js").status_code == 404
    assert client.post("/preview/other-cmi5.zip/au/0").status_code == 404
    assert client.post("/preview/demo-cmi5.zip/au/7").status_code == 404
    assert client.get("/preview/demo-cmi5.zip/au/7").status_code == 404


def _statements(app: object) -> int:
    store = app.extensions["lrs_store"]  # type: ignore[attr-defined]
    return len(store.query_statements(StatementQuery(limit=1000)).statements)


def test_following_a_launch_link_writes_nothing_until_the_learner_clicks(tmp_path: Path) -> None:
    """Prefetchers, crawlers and reloads GET links: only the POST of the button launches."""
    app = _app(tmp_path, preview=True)
    client = app.test_client()  # type: ignore[attr-defined]
    assert b'method="post"' in client.get("/preview/").data
    for _ in range(3):
        page = client.get("/preview/demo-cmi5.zip/au/0", query_string={"launchMode": "Browse"})
        assert page.status_code == 200 and page.mimetype == "text/html"
        assert b'<form method="post" action="/preview/demo-cmi5.zip/au/0?launchMode=Browse">' in page.data
    assert _statements(app) == 0
    assert client.post("/preview/demo-cmi5.zip/au/0").status_code == 303
    assert _statements(app) == 1  # "launched"


def _launch_parameters(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def test_launch_urls_come_from_the_public_url_never_the_host_header(tmp_path: Path) -> None:
    client = _app(tmp_path, preview=True, public_url="https://lrs.example.org/base/").test_client()  # type: ignore[attr-defined]
    launch = client.post("/preview/demo-cmi5.zip/au/0", headers={"Host": "attacker.example"})
    location = launch.headers["Location"]
    assert location.startswith("https://lrs.example.org/base/preview/demo-cmi5.zip/files/index.html?module=m1&")
    parameters = _launch_parameters(location)
    assert parameters["endpoint"] == "https://lrs.example.org/base/xapi/"
    assert parameters["fetch"].startswith("https://lrs.example.org/base/xapi/extensions/cmi5/fetch/")
    assert "attacker" not in location


def test_without_public_url_launch_urls_use_the_servers_own_address(tmp_path: Path) -> None:
    """The dev default is the address the WSGI server reports (SERVER_NAME), not Host."""
    client = _app(tmp_path, preview=True).test_client()  # type: ignore[attr-defined]
    launch = client.post(
        "/preview/demo-cmi5.zip/au/0",
        headers={"Host": "attacker.example"},
        environ_overrides={"SERVER_NAME": "0.0.0.0", "SERVER_PORT": "8080"},
    )
    parameters = _launch_parameters(launch.headers["Location"])
    assert parameters["endpoint"] == "http://127.0.0.1:8080/xapi/"
    assert launch.headers["Location"].startswith("http://127.0.0.1:8080/preview/")


def test_preview_pages_and_package_files_carry_security_headers(tmp_path: Path) -> None:
    client = _app(tmp_path, preview=True).test_client()  # type: ignore[attr-defined]
    for page in (client.get("/preview/"), client.get("/preview/demo-cmi5.zip/au/0")):
        assert "script-src" not in page.headers["Content-Security-Policy"]
        assert "default-src 'none'" in page.headers["Content-Security-Policy"]
        assert page.headers["X-Frame-Options"] == "DENY"
        assert page.headers["X-Content-Type-Options"] == "nosniff"
        assert page.headers["Referrer-Policy"] == "no-referrer"
        assert page.headers["Cache-Control"] == "no-store"
    au = client.get("/preview/demo-cmi5.zip/files/index.html")
    assert au.mimetype == "text/html"
    assert "default-src 'self'" in au.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in au.headers["Content-Security-Policy"]
    assert au.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert au.headers["X-Content-Type-Options"] == "nosniff"


BIG = 120 * 1024 * 1024


def _big_package(tmp_path: Path) -> object:
    """A preview package whose video is a 120 MiB deflated member (ones, then a marker byte)."""
    app = _app(tmp_path, preview=True)
    zip_path = tmp_path / "exports" / "demo-cmi5.zip"
    with (
        zipfile.ZipFile(zip_path, "a", zipfile.ZIP_DEFLATED) as archive,
        archive.open("media/big.mp4", "w", force_zip64=True) as member,
    ):
        chunk = b"\x01" * (1024 * 1024)
        for _ in range(BIG // len(chunk) - 1):
            member.write(chunk)
        member.write(b"\x01" * (len(chunk) - 1) + b"Z")
    return app


def test_a_range_of_a_large_zip_member_is_served_without_loading_the_member(tmp_path: Path) -> None:
    client = _big_package(tmp_path).test_client()  # type: ignore[attr-defined]
    tracemalloc.start()
    try:
        answer = client.get("/preview/demo-cmi5.zip/files/media/big.mp4", headers={"Range": f"bytes={BIG - 2}-"})
        data = answer.get_data()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert answer.status_code == 206 and data == b"\x01Z"
    assert answer.headers["Content-Range"] == f"bytes {BIG - 2}-{BIG - 1}/{BIG}"
    assert peak < 8 * 1024 * 1024, f"serving 2 bytes of a {BIG} byte member peaked at {peak} bytes"


def test_zip_members_stream_whole_and_answer_conditional_and_bad_ranges(tmp_path: Path) -> None:
    client = _app(tmp_path, preview=True).test_client()  # type: ignore[attr-defined]
    whole = client.get("/preview/demo-cmi5.zip/files/index.html")
    assert whole.status_code == 200 and whole.data == b"<!doctype html><title>AU</title>"
    assert whole.headers["Accept-Ranges"] == "bytes"
    etag = whole.headers["ETag"]
    assert client.get("/preview/demo-cmi5.zip/files/index.html", headers={"If-None-Match": etag}).status_code == 304
    part = client.get("/preview/demo-cmi5.zip/files/index.html", headers={"Range": "bytes=2-8"})
    assert part.status_code == 206 and part.data == b"doctype"
    beyond = client.get("/preview/demo-cmi5.zip/files/index.html", headers={"Range": "bytes=500-"})
    assert beyond.status_code == 416 and beyond.headers["Content-Range"] == "bytes */32"
    stale = client.get("/preview/demo-cmi5.zip/files/index.html", headers={"Range": "bytes=2-8", "If-Range": '"x"'})
    assert stale.status_code == 200 and len(stale.data) == 32


def test_index_groups_packages_by_the_course_their_content_names(tmp_path: Path) -> None:
    app = _app(tmp_path, preview=True)
    folder = tmp_path / "exports"
    scripts = {
        "b-nl-cmi5.zip": b'window.GSOG_FORMAT="cmi5";\nwindow.GSOG_PROFILE={"build":{"course":"basic"}};\n',
        "b-fr-cmi5.zip": b'window.GSOG_PROFILE={"build":{"course":"basic"}};\n',
        "broken-cmi5.zip": b"window.GSOG_PROFILE={not json;\n",
    }
    for name, script in scripts.items():
        with zipfile.ZipFile(folder / name, "w") as archive:
            archive.writestr(
                "cmi5.xml", CMI5.replace(">C</langstring></title>", f">Course {name}</langstring></title>")
            )
            archive.writestr("content/course.js", script)
    page = app.test_client().get("/preview/").data.decode()  # type: ignore[attr-defined]
    basic = page[page.index('<section id="course-basic">') : page.index("</section>")]
    assert "<h2>Course b-fr-cmi5.zip / Course b-nl-cmi5.zip</h2>" in basic
    assert "<code>basic</code>: 2 cmi5 packages" in basic
    assert "<h3>b-fr-cmi5.zip</h3>" in basic and "<h3>b-nl-cmi5.zip</h3>" in basic
    # a package without a readable course id (the fixture's demo zip, a broken script) is listed apart, not lost
    rest = page[page.index('<section id="course-unidentified">') :]
    assert "<h3>broken-cmi5.zip</h3>" in rest and "<h3>demo-cmi5.zip</h3>" in rest
