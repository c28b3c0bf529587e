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

The index groups the packages by course: several courses may be built into
one exports folder. A package names its course in the build-time learner
context the builder writes into ``content/course.js`` (the ``course`` value
of our xAPI profile, :mod:`lrs.xapi.profile`), and its title in cmi5.xml;
the file name is only a label.
"""

from __future__ import annotations

import functools
import html
import json
import mimetypes
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, current_app, redirect, request, url_for
from lxml import etree

from builder.spec import CONTENT_SCRIPT, PROFILE_GLOBAL, script_line_prefix
from lrs.api.cmi5 import LAUNCH_MODES, course_body, enrollment_registration, start_launch
from lrs.api.urls import external, public_base, public_origin
from lrs.xapi.profile import BY_NAME
from lrs.xapi.spec import CMI5_STRUCTURE

bp = Blueprint("preview", __name__)

#: The course structure is small; a larger one is not ours and is refused.
MAX_STRUCTURE_BYTES = 1024 * 1024
PREVIEW_AUTHORITY = {"objectType": "Agent", "account": {"homePage": "urn:gsog:lrs", "name": "preview"}}
#: Appended to the publisher's ids: cmi5 8.1.5 / 9.4 want the LMS's own ids for the AUs and the course.
LMS_SUFFIX = "/lms-preview"
#: The package file holding the build-time learner context, and the line that carries it (``<prefix><json>;``).
CONTEXT_PREFIX: Final = script_line_prefix(PROFILE_GLOBAL).encode()
#: The profile value naming the course a package was built from (KeyError here if the profile renames it).
COURSE_VALUE: Final = BY_NAME["course"].name
#: A larger content script is not ours: its course is not read (the package is listed as unidentified).
MAX_SCRIPT_BYTES: Final = 32 * 1024 * 1024
#: Bytes read from a zip member at a time: serving a member (or skipping to a Range in a
#: compressed one) holds about this much, whatever the member's size.
CHUNK_BYTES: Final = 64 * 1024


def _page_csp() -> str:
    """CSP of the preview's own pages: no script, no style, forms only to the LRS itself."""
    return f"default-src 'none'; form-action 'self' {public_origin()}; base-uri 'none'; frame-ancestors 'none'"


def _package_csp() -> str:
    """CSP of a package's files: the player runs its own scripts and talks to this LRS only.

    The player (player/index.html, builder/payload.py) loads ``player/*.js``,
    ``content/course.js``, its stylesheet, images and media from the package,
    has no inline script or style, and its favicon is ``data:,``. Its LRS
    (the launch's ``endpoint``) is this origin, or the configured public URL.
    """
    origin = public_origin()
    return (
        "default-src 'self'; img-src 'self' data:; media-src 'self'; "
        f"connect-src 'self' {origin}; object-src 'none'; base-uri 'self'; "
        f"form-action 'self'; frame-ancestors 'self'"
    )


def _html(page: str, status: int = 200) -> Response:
    response = Response(page, status=status, mimetype="text/html")
    response.headers["Content-Security-Policy"] = _page_csp()
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cache-Control"] = "no-store"
    return response


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
    ns = {"c": CMI5_STRUCTURE}
    return [
        {
            "id": au.get("id"),
            "title": au.findtext("c:title/c:langstring", namespaces=ns) or au.get("id"),
            "url": au.findtext("c:url", namespaces=ns) or "",
            "moveOn": au.get("moveOn", "NotApplicable"),
            "masteryScore": au.get("masteryScore"),
        }
        for au in _structure(package).iter(f"{{{CMI5_STRUCTURE}}}au")
    ]


def _course_id(package: Path) -> str | None:
    """The id of the course ``package`` was built from, or None when the package does not say."""
    stat = package.stat()
    return _read_course_id(str(package), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=512)
def _read_course_id(path: str, mtime_ns: int, size: int) -> str | None:
    """Read the course id from a package's content script; cached per file version (the index lists every zip)."""
    del mtime_ns, size  # part of the cache key only: a rebuilt zip is read again
    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo(CONTENT_SCRIPT)
            if info.file_size > MAX_SCRIPT_BYTES:
                return None
            with archive.open(info) as script:
                for line in script:
                    if line.startswith(CONTEXT_PREFIX):
                        context = json.loads(line[len(CONTEXT_PREFIX) :].rstrip().removesuffix(b";"))
                        value = context.get("build", {}).get(COURSE_VALUE)
                        return value if isinstance(value, str) and value else None
    except (KeyError, OSError, ValueError, AttributeError, zipfile.BadZipFile):
        return None
    return None


def _course_title(package: Path) -> str:
    """The course title of a package's cmi5.xml (its file name when there is none)."""
    title = _structure(package).findtext("c:course/c:title/c:langstring", namespaces={"c": CMI5_STRUCTURE})
    return title.strip() if title and title.strip() else package.name


def _course(package: Path) -> dict[str, Any]:
    """The course as the launch names it: the LMS's ids, the publisher's course id and every AU's moveOn."""
    root = _structure(package)
    course = root.find(f"{{{CMI5_STRUCTURE}}}course")
    publisher_id = course.get("id") if course is not None else None
    if not publisher_id:
        abort(422)
    title = course.find(f"{{{CMI5_STRUCTURE}}}title/{{{CMI5_STRUCTURE}}}langstring") if course is not None else None
    aus = [(au.get("id"), au.get("moveOn", "NotApplicable")) for au in root.iter(f"{{{CMI5_STRUCTURE}}}au")]
    return {**course_body(publisher_id, aus, LMS_SUFFIX), "language": title.get("lang") if title is not None else None}


def _learner() -> dict[str, Any]:
    """The pseudonymous preview learner (one per public URL of the LRS, never from the Host header)."""
    return {
        "objectType": "Agent",
        "name": "Preview learner",
        "account": {"homePage": public_base(), "name": "preview-learner"},
    }


@bp.route("/preview/")
def index() -> Response:
    """List the packages by course, each with its AUs as buttons that launch them (a POST: see :func:`launch`)."""
    courses: dict[str, list[Path]] = {}
    unidentified: list[Path] = []
    for package in sorted(_folder().glob("*-cmi5.zip")):
        course_id = _course_id(package)
        if course_id is None:
            unidentified.append(package)
        else:
            courses.setdefault(course_id, []).append(package)
    sections = []
    for course_id, packages in sorted(courses.items()):
        titles = " / ".join(dict.fromkeys(_course_title(p) for p in packages))
        sections.append(
            f'<section id="course-{html.escape(course_id)}"><h2>{html.escape(titles)}</h2>'
            f"<p>Course <code>{html.escape(course_id)}</code>: {len(packages)} cmi5 packages</p>"
            + _package_rows(packages)
            + "</section>"
        )
    if unidentified:
        sections.append(
            '<section id="course-unidentified"><h2>Packages that do not name their course</h2>'
            + _package_rows(unidentified)
            + "</section>"
        )
    page = (
        '<!doctype html><html lang="en"><meta charset="utf-8"><title>Package preview</title>'
        "<h1>Package preview (cmi5 against this LRS)</h1>"
        + ("".join(sections) or "<p>No *-cmi5.zip packages in the preview folder; run <code>course build</code>.</p>")
        + "</html>"
    )
    return _html(page)


def _package_rows(packages: list[Path]) -> str:
    """Each package with its AUs' launch buttons and its "start over" button."""
    rows = []
    for package in packages:
        name = html.escape(package.name)
        buttons = "".join(
            f'<li><form method="post" action="{html.escape(url_for("preview.launch", name=package.name, number=n))}">'
            f'<button type="submit">{html.escape(au["title"])}</button> '
            f"<small>({html.escape(au['moveOn'])})</small></form></li>"
            for n, au in enumerate(_aus(package))
        )
        restart = (
            f'<form method="post" action="{html.escape(url_for("preview.restart", name=package.name))}">'
            '<button type="submit">Start over (new registration)</button></form>'
        )
        rows.append(f"<h3>{name}</h3><ol>{buttons}</ol>{restart}")
    return "".join(rows)


@bp.route("/preview/<name>/au/<int:number>", methods=["GET"])
def confirm(name: str, number: int) -> Response:
    """The AU's launch link: a page with the button that launches it; writes nothing.

    Link prefetchers, crawlers and a reload of the link must not create
    launches, so a GET only offers the POST (the ``launchMode`` query, if any,
    is carried over).
    """
    package = _package(name)
    aus = _aus(package)
    if not 0 <= number < len(aus):
        abort(404)
    mode = request.args.get("launchMode")
    target = url_for("preview.launch", name=name, number=number)
    if mode:
        target += "?" + urlencode({"launchMode": mode})
    page = (
        f'<!doctype html><html lang="en"><meta charset="utf-8"><title>{html.escape(aus[number]["title"])}</title>'
        f"<h1>{html.escape(aus[number]['title'])}</h1>"
        f'<form method="post" action="{html.escape(target)}"><button type="submit">Launch</button></form>'
        "</html>"
    )
    return _html(page)


@bp.route("/preview/<name>/au/<int:number>", methods=["POST"])
def launch(name: str, number: int) -> Response:
    """Create a cmi5 launch of one AU in the preview learner's enrollment and open it.

    A POST, so only a deliberate click launches. What one launch writes is
    bounded: the AU's LMS.LaunchData state document (overwritten: one per AU
    and registration), the "launched" statement and at most one "abandoned"
    statement (the previous session of the registration, which it closes),
    one session and one single-use fetch token that expires after
    ``cmi5_token_seconds``. The preview is off unless ``preview_dir`` is set.
    """
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
        "returnURL": external("/preview/"),
        "auUrl": external(f"/preview/{name}/files/{au['url']}"),
        "course": {key: course[key] for key in ("id", "publisherId", "aus")},
    }
    if course["language"]:
        body["languagePreference"] = course["language"]
    if au["masteryScore"] is not None:
        body["masteryScore"] = float(au["masteryScore"])
    mode = request.args.get("launchMode") or request.form.get("launchMode")
    if mode is not None:
        if mode not in LAUNCH_MODES:
            abort(400)
        body["launchMode"] = mode
    answer = start_launch(body, PREVIEW_AUTHORITY, review_when_satisfied=True)
    response = redirect(answer["url"], code=303)
    response.headers["Cache-Control"] = "no-store"
    return response  # type: ignore[return-value]


@bp.route("/preview/<name>/restart", methods=["POST"])
def restart(name: str) -> Response:
    """Enroll the preview learner in the package again: a new registration, nothing done yet."""
    package = _package(name)
    enrollment_registration(_learner(), _course(package)["id"], renew=True)
    return redirect(url_for("preview.index"), code=303)  # type: ignore[return-value]


@bp.route("/preview/<name>/files/<path:member>")
def files(name: str, member: str) -> Response:
    """Serve one file listed in the zip, streamed (with Range support, so videos can seek).

    Memory stays at about :data:`CHUNK_BYTES` whatever the member's size: the
    member is decompressed chunk by chunk as it is sent, and a Range start is
    reached by reading and discarding chunks (a zip member cannot be seeked
    into without decompressing what precedes it).
    """
    package = _package(name)
    with zipfile.ZipFile(package) as archive:
        try:
            info = archive.getinfo(member)
        except KeyError:
            abort(404)
    if info.is_dir():
        abort(404)
    mimetype = mimetypes.guess_type(member)[0] or "application/octet-stream"
    if member.endswith(".vtt"):
        mimetype = "text/vtt"
    size = info.file_size
    etag = f"{info.CRC:08x}-{size:x}"
    response = Response(mimetype=mimetype, direct_passthrough=True)
    response.set_etag(etag)
    response.headers["Accept-Ranges"] = "bytes"
    response.headers["Content-Security-Policy"] = _package_csp()
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    if request.if_none_match.contains(etag):
        response.status_code = 304
        return response
    start, end = 0, size
    byte_range = request.range
    if_range = request.if_range
    if byte_range is not None and (if_range.etag is None and if_range.date is None or if_range.etag == etag):
        bounds = byte_range.range_for_length(size) if len(byte_range.ranges) == 1 else None
        if bounds is None and len(byte_range.ranges) == 1:
            response.status_code = 416
            response.headers["Content-Range"] = f"bytes */{size}"
            return response
        if bounds is not None:
            start, end = bounds
            response.status_code = 206
            response.headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
    response.content_length = end - start
    response.response = _member_bytes(package, member, start, end)
    return response


def _member_bytes(package: Path, member: str, start: int, end: int) -> Iterator[bytes]:
    """Bytes ``start`` to ``end`` of a zip member, in chunks of at most :data:`CHUNK_BYTES`."""
    with zipfile.ZipFile(package) as archive, archive.open(member) as stream:
        position = 0
        while position < start:
            skipped = len(stream.read(min(CHUNK_BYTES, start - position)))
            if not skipped:
                return
            position += skipped
        while position < end:
            chunk = stream.read(min(CHUNK_BYTES, end - position))
            if not chunk:
                return
            position += len(chunk)
            yield chunk
