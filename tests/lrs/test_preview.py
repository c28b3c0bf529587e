"""The package preview is off by default and serves only what its zips list."""

from __future__ import annotations

import zipfile
from pathlib import Path

from lrs.app import create_app
from lrs.config import LrsConfig

CMI5 = """<?xml version="1.0" encoding="UTF-8"?>
<courseStructure xmlns="https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd">
  <course id="https://example.org/c"><title><langstring lang="nl">C</langstring></title>
    <description><langstring lang="nl">C</langstring></description></course>
  <au id="https://example.org/c/au1" moveOn="Completed"><title><langstring lang="nl">Deel een</langstring></title>
    <description><langstring lang="nl">D</langstring></description><url>index.html?module=m1</url></au>
</courseStructure>
"""


def _app(tmp_path: Path, preview: bool) -> object:
    folder = tmp_path / "exports"
    folder.mkdir()
    with zipfile.ZipFile(folder / "demo-cmi5.zip", "w") as archive:
        archive.writestr("cmi5.xml", CMI5)
        archive.writestr("index.html", "<!doctype html><title>AU</title>")
    (tmp_path / "secret.txt").write_text("not for the web")
    config = LrsConfig(database_url=f"sqlite:///{tmp_path / 'lrs.sqlite3'}", preview_dir=str(folder) if preview else "")
    return create_app(config)


def test_preview_is_off_unless_configured(tmp_path: Path) -> None:
    client = _app(tmp_path, preview=False).test_client()  # type: ignore[attr-defined]
    assert client.get("/preview/").status_code == 404


def test_preview_lists_aus_launches_and_serves_only_listed_files(tmp_path: Path) -> None:
    client = _app(tmp_path, preview=True).test_client()  # type: ignore[attr-defined]
    listing = client.get("/preview/")
    assert listing.status_code == 200 and b"Deel een" in listing.data
    launch = client.get("/preview/demo-cmi5.zip/au/0")
    assert launch.status_code == 303
    location = launch.headers["Location"]
    assert "/preview/demo-cmi5.zip/files/index.html?module=m1&" in location
    for parameter in ("endpoint=", "fetch=", "actor=", "registration=", "activityId="):
        assert parameter in location
    assert client.get("/preview/demo-cmi5.zip/files/index.html").status_code == 200
    assert client.get("/preview/demo-cmi5.zip/files/../secret.txt").status_code == 404
    assert client.get("/preview/demo-cmi5.zip/files/missing.js").status_code == 404
    assert client.get("/preview/other-cmi5.zip/au/0").status_code == 404
    assert client.get("/preview/demo-cmi5.zip/au/7").status_code == 404
