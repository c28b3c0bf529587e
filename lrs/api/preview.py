"""Package preview: launch the built cmi5 packages against this LRS.

With ``preview_dir`` set (``GSOG_LRS_PREVIEW_DIR=exports``), ``/preview``
lists each cmi5 package's AUs; opening one creates a real cmi5 launch for a
pseudonymous preview learner and serves the package's files straight from
its zip. It is a development aid for authors and testers, not an LMS: off by
default, read-only on the zips, and it only serves names listed in them.

It behaves like a cmi5 LMS where that matters to the AUs: the preview
learner is enrolled in each package once, so every launch and relaunch of
its AUs uses the same registration (moveOn, resume and course satisfaction
all hang on it) until "start over" renews the enrollment; the launch names
the course (its AUs and their moveOn) so the LRS can record the course's
"satisfied"; an AU opens in Normal mode, or in Review once it is satisfied
in the registration, as ADL's CATAPULT player does (``?launchMode=`` on the
AU link overrides that); and the package's language becomes the learner's
``languagePreference``.
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

from lrs.api.cmi5 import LAUNCH_MODES, enrollment_registration, start_launch

bp = Blueprint("preview", __name__)

CMI5_NS = "https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"
#: The course structure is small; a larger one is not ours and is refused.
MAX_STRUCTURE_BYTES = 1024 * 1024
PREVIEW_AUTHORITY = {"objectType": "Agent", "account": {"homePage": "urn:gsog:lrs", "name": "preview"}}
#: Appended to the publisher's ids: cmi5 8.1.5 / 9.4 want the LMS's own ids for the AUs and the course.
LMS_SUFFIX = "/lms-preview"


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


def _structure(package: Path) -> Any:
    with zipfile.ZipFile(package) as archive:
        info = archive.getinfo("cmi5.xml")
        if info.file_size > MAX_STRUCTURE_BYTES:
            abort(422)
        data = archive.read(info)
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.fromstring(data, parser)


def _aus(package: Path) -> list[dict[str, Any]]:
    ns = {"c": CMI5_NS}
    return [
        {
            "id": au.get("id"),
            "title": au.findtext("c:title/c:langstring", namespaces=ns) or au.get("id"),
            "url": au.findtext("c:url", namespaces=ns) or "",
            "moveOn": au.get("moveOn", "NotApplicable"),
            "masteryScore": au.get("masteryScore"),
        }
        for au in _structure(package).iter(f"{{{CMI5_NS}}}au")
    ]


def _course(package: Path) -> dict[str, Any]:
    """The course as the launch names it: the LMS's ids, the publisher's course id and every AU's moveOn."""
    root = _structure(package)
    course = root.find(f"{{{CMI5_NS}}}course")
    publisher_id = course.get("id") if course is not None else None
    if not publisher_id:
        abort(422)
    title = course.find(f"{{{CMI5_NS}}}title/{{{CMI5_NS}}}langstring") if course is not None else None
    return {
        "id": publisher_id + LMS_SUFFIX,
        "publisherId": publisher_id,
        "aus": [
            {"activityId": au.get("id") + LMS_SUFFIX, "moveOn": au.get("moveOn", "NotApplicable")}
            for au in root.iter(f"{{{CMI5_NS}}}au")
        ],
        "language": title.get("lang") if title is not None else None,
    }


def _learner() -> dict[str, Any]:
    """The pseudonymous preview learner (one per host name the preview is reached by)."""
    return {
        "objectType": "Agent",
        "name": "Preview learner",
        "account": {"homePage": request.host_url.rstrip("/"), "name": "preview-learner"},
    }


@bp.route("/preview/")
def index() -> Response:
    """List the packages and their AUs, each a link that launches it."""
    rows = []
    for package in sorted(_folder().glob("*-cmi5.zip")):
        name = html.escape(package.name)
        links = "".join(
            f'<li><a href="/preview/{name}/au/{n}">{html.escape(au["title"])}</a> '
            f"<small>({html.escape(au['moveOn'])})</small></li>"
            for n, au in enumerate(_aus(package))
        )
        restart = (
            f'<form method="post" action="/preview/{name}/restart">'
            '<button type="submit">Start over (new registration)</button></form>'
        )
        rows.append(f"<section><h2>{name}</h2><ol>{links}</ol>{restart}</section>")
    page = (
        '<!doctype html><html lang="en"><meta charset="utf-8"><title>Package preview</title>'
        "<h1>Package preview (cmi5 against this LRS)</h1>"
        + ("".join(rows) or "<p>No *-cmi5.zip packages in the preview folder; run <code>course build</code>.</p>")
        + "</html>"
    )
    return Response(page, mimetype="text/html")


@bp.route("/preview/<name>/au/<int:number>")
def launch(name: str, number: int) -> Response:
    """Create a cmi5 launch of one AU in the preview learner's enrollment and open it."""
    package = _package(name)
    aus = _aus(package)
    if not 0 <= number < len(aus):
        abort(404)
    au = aus[number]
    course = _course(package)
    actor = _learner()
    body: dict[str, Any] = {
        "actor": actor,
        "registration": enrollment_registration(actor, course["id"]),
        # cmi5 8.1.5: the LMS gives the AU its own activity id, not the publisher's
        "activityId": au["id"] + LMS_SUFFIX,
        "publisherId": au["id"],
        "moveOn": au["moveOn"],
        "returnURL": request.host_url.rstrip("/") + "/preview/",
        "auUrl": request.host_url.rstrip("/") + f"/preview/{name}/files/{au['url']}",
        "course": {key: course[key] for key in ("id", "publisherId", "aus")},
    }
    if course["language"]:
        body["languagePreference"] = course["language"]
    if au["masteryScore"] is not None:
        body["masteryScore"] = float(au["masteryScore"])
    mode = request.args.get("launchMode")
    if mode is not None:
        if mode not in LAUNCH_MODES:
            abort(400)
        body["launchMode"] = mode
    answer = start_launch(body, PREVIEW_AUTHORITY, review_when_satisfied=True)
    return redirect(answer["url"], code=303)  # type: ignore[return-value]


@bp.route("/preview/<name>/restart", methods=["POST"])
def restart(name: str) -> Response:
    """Enroll the preview learner in the package again: a new registration, nothing done yet."""
    package = _package(name)
    enrollment_registration(_learner(), _course(package)["id"], renew=True)
    return redirect("/preview/", code=303)  # type: ignore[return-value]


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
