"""Our real LRS (lrs.app) behind the player tests' loopback server, with what the tests need around it.

The packages and the LRS are served by ONE WSGI app on one origin:

* ``/xapi/...`` (``LrsConfig.xapi_prefix``) goes to the real LRS app
  (:func:`lrs.app.create_app` on a temporary SQLite file), untouched: the
  cmi5 launches endpoint builds the ``endpoint`` and ``fetch`` URLs from the
  request, so the LRS is not mounted under another path;
* everything else is a static file of the site directory, served with
  ``werkzeug.utils.send_file`` (conditional requests and HTTP ranges, so
  videos seek like on a real web server).

:class:`OurLrs` wraps the LRS app: it logs every request the player makes
(:attr:`OurLrs.requests`, with the raw body), can take the LRS down
(:meth:`OurLrs.down`: every request answered 503, or its connection
dropped), and offers the LMS side a test needs: a cmi5 launch through the
real launches endpoint (:meth:`OurLrs.launch_cmi5`), a TinCan launch link
(:meth:`OurLrs.launch_xapi`), the stored statements
(:meth:`OurLrs.statements`) and a replay of what the player sent
(:meth:`OurLrs.replay`).

Requests the harness itself makes (launches, replays) carry
:data:`HARNESS_HEADER`; they are neither logged nor refused while the LRS is
down.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import io
import json
import mimetypes
import socket
import threading
import urllib.error
import urllib.request
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, quote, urlencode

from flask import Flask
from werkzeug.security import safe_join
from werkzeug.utils import send_file
from werkzeug.wrappers import Request, Response

from lrs.app import create_app
from lrs.auth import add_client
from lrs.config import LrsConfig
from lrs.store.interface import StatementQuery, Store

# the static part serves WebVTT captions and scripts with the types browsers expect
mimetypes.add_type("text/vtt", ".vtt")
mimetypes.add_type("text/javascript", ".js")
mimetypes.add_type("video/mp4", ".mp4")

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

#: Marks a request made by the harness itself (not logged, not refused when the LRS is down).
HARNESS_HEADER = "X-Gsog-Test-Harness"
#: The learner every launch uses unless a test names another (a pseudonymous LMS account).
DEFAULT_ACTOR: dict[str, Any] = {
    "objectType": "Agent",
    "name": "Lies Peeters",
    "account": {"homePage": "https://lms.example.org", "name": "lp-42"},
}
#: Where the test LMS side lives: LMS-generated AU activity ids are under it (cmi5 8.1.5).
LMS_HOME = "https://lms.gsog-tests.invalid"
#: Scopes of the client whose credentials a TinCan (xAPI) launch link carries: what the package
#: does (statements, its suspend state) and ``define`` as README.md advises for a package's client.
XAPI_PACKAGE_SCOPES = ("statements/write", "statements/read/mine", "state", "define")
CMI5_NS = "https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"
#: How :meth:`OurLrs.down` fails requests: HTTP 503, or the connection closed without an answer.
Outage = Literal["503", "drop"]


@dataclass
class LrsRequest:
    """One request the player (or anyone but the harness) made to the LRS, as it arrived."""

    method: str
    #: path after the xAPI prefix, e.g. ``statements``, ``activities/state``, ``extensions/cmi5/fetch/<id>``
    resource: str
    query: dict[str, list[str]]
    #: the X-Experience-API-Version header (None when absent)
    version: str | None
    authorization: str | None
    content_type: str | None
    body: bytes
    #: the HTTP status answered; None while in flight, 0 when the connection was dropped (outage "drop")
    status: int | None = None

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)

    def statements(self) -> list[dict[str, Any]]:
        """The statements of a POST /statements body (one statement or a list)."""
        data = self.json()
        return data if isinstance(data, list) else [data]


@dataclass(frozen=True)
class Cmi5Au:
    """One AU of the served cmi5 package's cmi5.xml."""

    id: str
    module: str
    url: str
    move_on: str
    mastery_score: float | None
    launch_method: str


@dataclass
class Cmi5Launch:
    """What :meth:`OurLrs.launch_cmi5` created: the AU's URL and the launches endpoint's answer."""

    url: str
    #: the JSON answer of POST extensions/cmi5/launches (endpoint, fetch, actor, registration,
    #: activityId, sessionId, launchData, launchedStatement, query, url)
    answer: dict[str, Any]
    au: Cmi5Au

    @property
    def registration(self) -> str:
        return str(self.answer["registration"])

    @property
    def activity_id(self) -> str:
        return str(self.answer["activityId"])

    @property
    def session_id(self) -> str:
        return str(self.answer["sessionId"])

    def __iter__(self) -> Iterator[Any]:
        """``url, answer = lrs.launch_cmi5(...)`` works too."""
        return iter((self.url, self.answer))


class XapiLaunch(str):
    """What :meth:`OurLrs.launch_xapi` made: the TinCan launch link (this string itself, so
    ``page.goto(lrs.launch_xapi())`` works) with its parts as attributes."""

    registration: str
    activity_id: str
    actor: dict[str, Any]
    auth: str

    def __new__(cls, url: str, *, registration: str, activity_id: str, actor: dict[str, Any], auth: str) -> XapiLaunch:
        launch = super().__new__(cls, url)
        launch.registration = registration
        launch.activity_id = activity_id
        launch.actor = actor
        launch.auth = auth
        return launch

    @property
    def url(self) -> str:
        return str(self)


@dataclass
class Replayed:
    """One statement sent again by :meth:`OurLrs.replay`: what was sent and how the LRS answered."""

    original_id: str
    statement: dict[str, Any]
    status: int
    answer: str


def _basic(key: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode("ascii")


def static_app(root: Path) -> WsgiApp:
    """GET/HEAD of the files under ``root`` (``index.html`` for a directory), with HTTP ranges."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        if request.method not in ("GET", "HEAD"):
            response = Response("method not allowed", status=405, headers={"Allow": "GET, HEAD"})
            return response(environ, start_response)
        found = safe_join(str(root), request.path.lstrip("/"))
        path = Path(found) if found is not None else None
        if path is not None and path.is_dir():
            path = path / "index.html"
        if path is None or not path.is_file():
            return Response("not found", status=404)(environ, start_response)
        response = send_file(path, environ, conditional=True, max_age=None)
        response.headers["Accept-Ranges"] = "bytes"
        return response(environ, start_response)

    return app


class OurLrs:
    """The real LRS app with a request log, an outage switch and the LMS side tests need.

    Made once per test session (see the ``lrs`` fixture); tests keep apart by
    using their own registrations. :attr:`base` is set when the loopback
    server starts.
    """

    def __init__(self, database: Path, *, preview_dir: Path | None = None) -> None:
        self.config = LrsConfig(database_url=f"sqlite:///{database}", preview_dir=str(preview_dir or ""))
        self.prefix = self.config.xapi_prefix
        #: base URL of the loopback server (``http://127.0.0.1:<port>``), set by the ``server`` fixture
        self.base = ""
        self.site: Path | None = None
        self._lock = threading.Lock()
        #: every request the player made to the LRS since :meth:`reset`, in arrival order
        self.requests: list[LrsRequest] = []
        self._outage: Outage | None = None
        self._aus: dict[str, Cmi5Au] | None = None
        # The app opens (and migrates) its database on first use, not at start-up: tests that
        # never talk to an LRS (SCORM, offline) do not depend on it.
        self._app: Flask | None = None
        self._app_lock = threading.Lock()
        self._auth: dict[str, str] = {}

    # ----- set-up --------------------------------------------------------

    @property
    def app(self) -> Flask:
        """The LRS's Flask app (lrs.app.create_app), with the harness's API clients in its store."""
        with self._app_lock:
            if self._app is None:
                app = create_app(self.config)
                store: Store = app.extensions["lrs_store"]
                for role, scopes in (
                    ("launcher", ["cmi5/launch"]),
                    ("package", list(XAPI_PACKAGE_SCOPES)),
                    ("replayer", ["statements/write"]),
                ):
                    key, secret = "t-" + uuid.uuid4().hex[:12], uuid.uuid4().hex
                    add_client(store, f"test {role}", scopes, key=key, secret=secret)
                    self._auth[role] = _basic(key, secret)
                self._app = app
            return self._app

    @property
    def store(self) -> Store:
        """The LRS's store (lrs.store.sql.SqlStore on SQLite): query it to see what was stored."""
        store: Store = self.app.extensions["lrs_store"]
        return store

    def _credentials(self, role: str) -> str:
        """``Basic ...`` of one of the harness's clients (launcher, package, replayer)."""
        self.app  # noqa: B018 - creates the app and its clients on first use
        return self._auth[role]

    @property
    def _launcher(self) -> str:
        return self._credentials("launcher")

    @property
    def _package(self) -> str:
        return self._credentials("package")

    @property
    def _replayer(self) -> str:
        return self._credentials("replayer")

    def serve(self, site: Path) -> WsgiApp:
        """The one WSGI app of the loopback server: the LRS at its xAPI prefix (and its /preview/
        and /health), ``site`` for the rest."""
        self.site = site
        files = static_app(site)
        prefix = self.prefix + "/"

        def dispatch(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            path = environ.get("PATH_INFO", "")
            if path.startswith(prefix):
                return self._lrs(environ, start_response)
            if path.startswith("/preview/") or path == "/health":
                return self.app(environ, start_response)
            return files(environ, start_response)

        return dispatch

    @property
    def endpoint(self) -> str:
        """The xAPI endpoint URL (ends with ``/``), e.g. ``http://127.0.0.1:4321/xapi/``."""
        return f"{self.base}{self.prefix}/"

    @property
    def package_auth(self) -> str:
        """``Basic ...`` of the client a TinCan launch link hands to the xAPI package."""
        return self._package

    # ----- the LRS behind the log and the outage switch ------------------

    def _lrs(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("HTTP_" + HARNESS_HEADER.upper().replace("-", "_")):
            return self.app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        environ["wsgi.input"] = io.BytesIO(body)
        entry = LrsRequest(
            method=environ.get("REQUEST_METHOD", ""),
            resource=environ.get("PATH_INFO", "")[len(self.prefix) + 1 :],
            query=parse_qs(environ.get("QUERY_STRING", "")),
            version=environ.get("HTTP_X_EXPERIENCE_API_VERSION"),
            authorization=environ.get("HTTP_AUTHORIZATION"),
            content_type=environ.get("CONTENT_TYPE"),
            body=body,
        )
        with self._lock:
            self.requests.append(entry)
            outage = self._outage
        if outage == "drop":
            sock = environ.get("werkzeug.socket")
            if isinstance(sock, socket.socket):
                # no answer at all: the browser's fetch() rejects with a network error
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            entry.status = 0
            # the server treats this as a connection the client dropped: no answer, no log noise
            raise ConnectionAbortedError("LRS down for a test: connection dropped")
        if outage == "503":
            entry.status = 503
            response = Response(
                json.dumps({"error": {"message": "LRS down for a test"}}),
                status=503,
                mimetype="application/json",
                headers={"X-Experience-API-Version": "1.0.3", "Retry-After": "1"},
            )
            return response(environ, start_response)

        def recording_start_response(status: str, headers: list[Any], *rest: Any) -> Any:
            entry.status = int(status.split(" ", 1)[0])
            return start_response(status, headers, *rest)

        return self.app(environ, recording_start_response)

    @contextlib.contextmanager
    def down(self, mode: Outage = "503") -> Iterator[None]:
        """While inside: every LRS request of the player fails (``"503"``: HTTP 503 Service
        Unavailable; ``"drop"``: the connection is closed without an answer). Requests are still
        logged (status 503, or 0 for dropped)."""
        self.set_down(mode)
        try:
            yield
        finally:
            self.set_down(None)

    def set_down(self, mode: Outage | None) -> None:
        """Switch the outage on (``"503"``, ``"drop"``) or off (None) without a ``with`` block."""
        if mode not in (None, "503", "drop"):
            raise ValueError(f"unknown outage mode {mode!r}")
        with self._lock:
            self._outage = mode

    def reset(self) -> None:
        """Forget the request log and end any outage (the ``page`` fixture does this per test)."""
        with self._lock:
            self.requests.clear()
            self._outage = None

    # ----- what the player sent ------------------------------------------

    def logged(self, method: str | None = None, resource: str | None = None) -> list[LrsRequest]:
        """Logged requests, optionally only one method and/or resource (``resource`` may end with ``*``)."""
        with self._lock:
            found = list(self.requests)

        def match(r: LrsRequest) -> bool:
            if method is not None and r.method != method:
                return False
            if resource is None:
                return True
            if resource.endswith("*"):
                return r.resource.startswith(resource[:-1])
            return r.resource == resource

        return [r for r in found if match(r)]

    def refused(self) -> list[LrsRequest]:
        """Logged requests the LRS did not accept: status 400 and up (a GET answered 404, "no such
        document", is an answer, not a refusal), or no answer at all (status 0)."""
        return [
            r
            for r in self.logged()
            if r.status is not None
            and (r.status == 0 or r.status >= 400)
            and not (r.method == "GET" and r.status == 404)
        ]

    def statement_posts(self) -> list[LrsRequest]:
        """The player's POST /statements requests, in order, with their raw bodies."""
        return self.logged("POST", "statements")

    def posted_statements(self, registration: str | None = None) -> list[dict[str, Any]]:
        """Every statement the player POSTed (first copy per id), optionally of one registration."""
        seen: dict[str, dict[str, Any]] = {}
        for post in self.statement_posts():
            for statement in post.statements():
                if registration is not None and statement.get("context", {}).get("registration") != registration:
                    continue
                seen.setdefault(str(statement.get("id")), statement)
        return list(seen.values())

    @property
    def fetch_calls(self) -> int:
        """How often the player POSTed a cmi5 fetch URL."""
        return len(self.logged("POST", "extensions/cmi5/fetch/*"))

    # ----- what the LRS stored --------------------------------------------

    def statements(self, registration: str) -> list[dict[str, Any]]:
        """The stored (not voided) statements of a registration, in stored order, as the LRS keeps them."""
        found: list[dict[str, Any]] = []
        after = None
        while True:
            page = self.store.query_statements(
                StatementQuery(registration=registration, ascending=True, limit=500, after=after)
            )
            found.extend(s.statement for s in page.statements)
            if page.next_after is None:
                return found
            after = page.next_after

    def verbs(self, registration: str) -> list[str]:
        """The stored statements' verbs (last segment of the verb id), in stored order."""
        return [s["verb"]["id"].rsplit("/", 1)[-1] for s in self.statements(registration)]

    def state(self, activity_id: str, agent: dict[str, Any], registration: str | None, state_id: str) -> Any:
        """A state document as the LRS serves it (parsed JSON), or None (404)."""
        query = {"activityId": activity_id, "agent": json.dumps(agent), "stateId": state_id}
        if registration:
            query["registration"] = registration
        status, text = self.call("GET", "activities/state", query=query, auth=self._package)
        if status == 404:
            return None
        assert status == 200, (status, text)
        return json.loads(text)

    # ----- the LMS side ---------------------------------------------------

    def call(
        self,
        method: str,
        resource: str,
        *,
        query: dict[str, str] | None = None,
        body: Any = None,
        auth: str | None = None,
        version: str = "1.0.3",
    ) -> tuple[int, str]:
        """One request to the LRS over HTTP as the harness (not logged, works while down)."""
        url = self.endpoint + resource + ("?" + urlencode(query) if query else "")
        data = None if body is None else json.dumps(body).encode("utf-8")
        headers = {HARNESS_HEADER: "1", "X-Experience-API-Version": version}
        if data is not None:
            headers["Content-Type"] = "application/json"
        if auth:
            headers["Authorization"] = auth
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return answer.status, answer.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8")

    def aus(self) -> dict[str, Cmi5Au]:
        """The AUs of the served (nl) cmi5 package, by module id, from its cmi5.xml."""
        if self._aus is None:
            assert self.site is not None, "the server has not started"
            root = ET.parse(self.site / "packages" / "cmi5" / "cmi5.xml").getroot()
            aus: dict[str, Cmi5Au] = {}
            for au in root.iter(f"{{{CMI5_NS}}}au"):
                url = au.findtext(f"{{{CMI5_NS}}}url") or ""
                module = parse_qs(url.partition("?")[2]).get("module", [""])[0]
                mastery = au.get("masteryScore")
                aus[module] = Cmi5Au(
                    id=au.get("id", ""),
                    module=module,
                    url=url,
                    move_on=au.get("moveOn", "NotApplicable"),
                    mastery_score=float(mastery) if mastery is not None else None,
                    launch_method=au.get("launchMethod", "AnyWindow"),
                )
            self._aus = aus
        return self._aus

    def lms_activity_id(self, module_id: str) -> str:
        """The LMS-side activity id of an AU (cmi5 8.1.5: the LMS's own, not the publisher's id)."""
        return f"{LMS_HOME}/courses/nl-police/aus/{module_id}"

    def launch_cmi5(
        self,
        module_id: str,
        *,
        registration: str | None = None,
        launch_mode: str = "Normal",
        mastery_score: float | None = None,
        move_on: str | None = None,
        actor: dict[str, Any] | None = None,
        return_url: str | None = "",
        launch_parameters: str | None = None,
    ) -> Cmi5Launch:
        """Create a cmi5 launch of one AU through the real launches endpoint; return its URL and answer.

        As an LMS would: ``publisherId`` is the AU id from the package's cmi5.xml, ``activityId``
        an LMS-generated id (:meth:`lms_activity_id`), ``auUrl`` the served package's
        ``index.html?module=<module_id>``. ``move_on`` and ``mastery_score`` default to the AU's
        values in cmi5.xml; ``registration`` to a new one; ``actor`` to :data:`DEFAULT_ACTOR`;
        ``return_url`` to the test LMS's blank page (None: no returnURL). The LRS writes
        LMS.LaunchData and records "launched" before this returns.
        """
        au = self.aus()[module_id]
        body: dict[str, Any] = {
            "actor": actor or DEFAULT_ACTOR,
            "activityId": self.lms_activity_id(module_id),
            "publisherId": au.id,
            "registration": registration or str(uuid.uuid4()),
            "launchMode": launch_mode,
            "launchMethod": au.launch_method,
            "moveOn": move_on or au.move_on,
            "auUrl": f"{self.base}/packages/cmi5/{au.url}",
        }
        mastery = mastery_score if mastery_score is not None else au.mastery_score
        if mastery is not None:
            body["masteryScore"] = mastery
        if return_url is not None:
            body["returnURL"] = return_url or f"{self.base}/lms/blank.html"
        if launch_parameters is not None:
            body["launchParameters"] = launch_parameters
        status, text = self.call("POST", "extensions/cmi5/launches", body=body, auth=self._launcher)
        assert status == 201, f"the launches endpoint refused the launch: {status} {text}"
        answer: dict[str, Any] = json.loads(text)
        return Cmi5Launch(url=answer["url"], answer=answer, au=au)

    def launch_xapi(
        self,
        module_id: str | None = None,
        *,
        registration: str | None = None,
        actor: dict[str, Any] | None = None,
        auth: str | None = None,
    ) -> XapiLaunch:
        """A TinCan launch link to the served xAPI package (the whole course, or one module).

        Parameters as TinCan launchers send them: ``endpoint``, ``auth`` (``Basic ...`` of a client
        with :data:`XAPI_PACKAGE_SCOPES`), ``actor`` (JSON), ``registration`` (new unless given) and
        ``activity_id`` (the course's or the module's activity from tincan.xml).
        """
        course = self.course_activity_id()
        activity = f"{course}/{module_id}" if module_id else course
        who = actor or DEFAULT_ACTOR
        reg = registration or str(uuid.uuid4())
        params = {
            "endpoint": self.endpoint,
            "auth": auth or self._package,
            "actor": json.dumps(who),
            "registration": reg,
            "activity_id": activity,
        }
        if module_id:
            params = {"module": module_id, **params}
        url = f"{self.base}/packages/xapi/index.html?{urlencode(params, quote_via=quote)}"
        return XapiLaunch(url, registration=reg, activity_id=activity, actor=who, auth=params["auth"])

    def course_activity_id(self) -> str:
        """The course activity of the served xAPI package (tincan.xml's activity with a launch)."""
        assert self.site is not None, "the server has not started"
        root = ET.parse(self.site / "packages" / "xapi" / "tincan.xml").getroot()
        ns = "{http://projecttincan.com/tincan.xsd}"
        for activity in root.iter(f"{ns}activity"):
            if activity.find(f"{ns}launch") is not None:
                return activity.get("id", "")
        raise AssertionError("tincan.xml has no activity with a launch")

    # ----- replay -----------------------------------------------------------

    def replay(self, statements: Iterable[dict[str, Any]], *, version: str = "2.0.0") -> list[Replayed]:
        """POST each statement again, one by one, under a new id and the given xAPI version.

        Sent by a client with scope statements/write (not a launch session), so the answer is
        about the statement itself. Returns every answer; 200 means stored.
        """
        results: list[Replayed] = []
        for original in statements:
            again = copy.deepcopy(original)
            again["id"] = str(uuid.uuid4())
            status, text = self.call("POST", "statements", body=again, auth=self._replayer, version=version)
            results.append(Replayed(str(original.get("id")), again, status, text))
        return results
