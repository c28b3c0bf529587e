"""Headers every response carries: no caching of learner data, no sniffing, no version banner."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests

V1 = {"X-Experience-API-Version": "1.0.3"}


def test_xapi_responses_are_never_cached_and_never_sniffed(client: Any) -> None:
    for response in (
        client.get("/xapi/statements", headers=V1),
        client.get("/xapi/about", headers=V1),
        client.get("/xapi/statements", headers={}),  # a 400 too
    ):
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"


def test_an_authenticated_request_outside_the_xapi_prefix_is_not_cached(client: Any) -> None:
    response = client.get("/health")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_any_html_page_gets_a_csp_and_frame_denial(app: Any) -> None:
    @app.route("/html-for-test")
    def page() -> str:  # a page that sets nothing itself
        return "<!doctype html><p>hi</p>"

    response = app.test_client().get("/html-for-test")
    assert response.mimetype == "text/html"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.timeout(60)
@pytest.mark.parametrize("kind", ["lrs serve", "gunicorn"])
def test_the_server_header_names_no_versions(kind: str, tmp_path: Path) -> None:
    port = _free_port()
    command = (
        [sys.executable, "-m", "lrs.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
        if kind == "lrs serve"
        else [sys.executable, "-m", "gunicorn", "--workers", "1", "--bind", f"127.0.0.1:{port}", "lrs.cli:wsgi()"]
    )
    env = {**os.environ, "GSOG_LRS_DATABASE_URL": f"sqlite:///{tmp_path / 'lrs.sqlite3'}"}
    log = (tmp_path / "server.log").open("wb")
    proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, (tmp_path / "server.log").read_text()
            try:
                response = requests.get(f"http://127.0.0.1:{port}/xapi/about", headers=V1, timeout=2)
                break
            except (requests.ConnectionError, requests.Timeout):  # not listening yet, or still booting
                assert time.monotonic() < deadline
                time.sleep(0.05)
        banner = response.headers.get("Server", "")
        assert not re.search(r"\d", banner), f"Server: {banner}"
        assert "Python" not in banner and "Werkzeug" not in banner
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()
