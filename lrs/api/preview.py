"""Package preview: launch the built cmi5 packages against this LRS.

With ``preview_dir`` set (``GSOG_LRS_PREVIEW_DIR=exports``), ``/preview``
lists each cmi5 package's AUs; opening one creates a real cmi5 launch for a
pseudonymous preview learner and serves the package's files straight from
its zip. It is a development aid for authors and testers, not an LMS: off by
default, read-only on the zips, and it only serves names listed in them.
"""

from __future__ import annotations

import html
import io
import mimetypes
import zipfile
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort, current_app, redirect, request, send_file
from lxml import etree

from lrs.api.cmi5 import start_launch

bp = Blueprint("preview", __name__)

CMI5_NS = "https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"
#: The course structure is small; a larger one is not ours and is refused.
MAX_STRUCTURE_BYTES = 1024 * 1024
PREVIEW_AUTHORITY = {"objectType": "Agent", "account": {"homePage": "urn:gsog:lrs", "name": "preview"}}


def _folder() -> Path:
    configured = current_app.config["LRS"].preview_dir
    if not configured:
        abort(404)
    return Path(configured)


def _package(name: str) -> Path:
    """A cmi5 zip of the preview folder, by exact file name (nothing else is reachable)."""
    packages = {p.name: p for p in _folder().glob("*-cmi5.zip")}
    if name not in packages:
        abort(404)
    return packages[name]


def _aus(package: Path) -> list[dict[str, Any]]:
    with zipfile.ZipFile(package) as archive:
        info = archive.getinfo("cmi5.xml")
        if info.file_size > MAX_STRUCTURE_BYTES:
            abort(422)
        data = archive.read(info)
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    root = etree.fromstring(data, parser)
    ns = {"c": CMI5_NS}
    return [
        {
            "id": au.get("id"),
            "title": au.findtext("c:title/c:langstring", namespaces=ns) or au.get("id"),
            "url": au.findtext("c:url", namespaces=ns) or "",
            "moveOn": au.get("moveOn", "NotApplicable"),
            "masteryScore": au.get("masteryScore"),
        }
        for au in root.iter(f"{{{CMI5_NS}}}au")
    ]


@bp.route("/preview/")
def index() -> Response:
    """List the packages and their AUs, each a link that launches it."""
    rows = []
    for package in sorted(_folder().glob("*-cmi5.zip")):
        links = "".join(
            f'<li><a href="/preview/{html.escape(package.name)}/au/{n}">{html.escape(au["title"])}</a></li>'
            for n, au in enumerate(_aus(package))
        )
        rows.append(f"<section><h2>{html.escape(package.name)}</h2><ol>{links}</ol></section>")
    page = (
        '<!doctype html><html lang="en"><meta charset="utf-8"><title>Package preview</title>'
        "<h1>Package preview (cmi5 against this LRS)</h1>"
        + ("".join(rows) or "<p>No *-cmi5.zip packages in the preview folder; run <code>course build</code>.</p>")
        + "</html>"
    )
    return Response(page, mimetype="text/html")


@bp.route("/preview/<name>/au/<int:number>")
def launch(name: str, number: int) -> Response:
    """Create a cmi5 launch for the preview learner and open the AU."""
    package = _package(name)
    aus = _aus(package)
    if not 0 <= number < len(aus):
        abort(404)
    au = aus[number]
    body: dict[str, Any] = {
        "actor": {
            "objectType": "Agent",
            "name": "Preview learner",
            "account": {"homePage": request.host_url.rstrip("/"), "name": "preview-learner"},
        },
        # cmi5 8.1.5: the LMS gives the AU its own activity id, not the publisher's
        "activityId": f"{au['id']}/lms-preview",
        "publisherId": au["id"],
        "moveOn": au["moveOn"],
        "returnURL": request.host_url.rstrip("/") + "/preview/",
        "auUrl": request.host_url.rstrip("/") + f"/preview/{name}/files/{au['url']}",
    }
    if au["masteryScore"] is not None:
        body["masteryScore"] = float(au["masteryScore"])
    answer = start_launch(body, PREVIEW_AUTHORITY)
    return redirect(answer["url"], code=303)  # type: ignore[return-value]


@bp.route("/preview/<name>/files/<path:member>")
def files(name: str, member: str) -> Response:
    """Serve one file listed in the zip (with Range support, so videos can seek)."""
    package = _package(name)
    with zipfile.ZipFile(package) as archive:
        if member not in archive.namelist():
            abort(404)
        data = archive.read(member)
    mimetype = mimetypes.guess_type(member)[0] or "application/octet-stream"
    if member.endswith(".vtt"):
        mimetype = "text/vtt"
    return send_file(io.BytesIO(data), mimetype=mimetype, conditional=True, download_name=Path(member).name)
