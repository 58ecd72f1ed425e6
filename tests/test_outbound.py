"""The standard-library transport: statuses come back as responses, dead hosts as Unreachable."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from chalicelib.outbound import Unreachable, UrllibTransport
from devstack.dynamodb_local import free_port


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        status = 503 if self.path == "/down" else 200
        self.send_response(status)
        self.send_header("X-Answer", "yes")
        self.end_headers()
        self.wfile.write(b'{"ok": true}')

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_ok_and_error_statuses_are_responses(server: str) -> None:
    ok = UrllibTransport().request("GET", server + "/")
    assert ok.status == 200 and ok.json() == {"ok": True} and ok.headers["x-answer"] == "yes"
    assert UrllibTransport().request("GET", server + "/down").status == 503


def test_a_closed_port_is_unreachable_and_says_which_host() -> None:
    port = free_port()
    with pytest.raises(Unreachable, match=f"127.0.0.1:{port}"):
        UrllibTransport().request("GET", f"http://127.0.0.1:{port}/", timeout=2)


def test_only_http_urls_are_fetched() -> None:
    with pytest.raises(Unreachable):
        UrllibTransport().request("GET", "file:///etc/passwd")
