"""The partner's REST API served from a process of its own, for the sync bench.

The vendor's API is another service: served in the sync's own process (tests/loopback.py), every
answer it computes competes with the sync for one interpreter. Here it runs as `chalice local`
runs it (a thread per request), on the same DynamoDB tables, with its clock frozen at the
moment the sync starts; requests reach it over local HTTP, a connection each, no proxy.

    python -m bench.sync_api_process '<settings and port as JSON>'   # serves until stopped
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from chalicelib.outbound import HttpResponse, Unreachable


@contextmanager
def api_process(chosen: Any, now: dt.datetime) -> Iterator[int]:
    """The app serving on a free local port (yielded) for the duration, in another process."""
    from devstack import dynamodb_local

    port = dynamodb_local.free_port()
    wanted = {"endpoint": chosen.dynamodb_endpoint, "prefix": chosen.table_prefix,
              "key": chosen.local_key_hex, "now": now.isoformat(), "port": str(port)}
    process = subprocess.Popen([sys.executable, "-m", "bench.sync_api_process",  # noqa: S603
                                json.dumps(wanted)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        _wait_for(port, process)
        _warm(port)
        yield port
    finally:
        process.terminate()
        process.wait(10)


def _wait_for(port: int, process: subprocess.Popen[bytes]) -> None:
    """Until the API process accepts connections (it imports the app first)."""
    for _ in range(600):
        if process.poll() is not None:
            raise RuntimeError("the REST API process stopped before serving")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the REST API process did not start serving within 30 seconds")


def _warm(port: int) -> None:
    """One request unsigned (a 401), so the REST API's code is loaded before the clock starts,
    as in a vendor's API that is already serving."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", "/api/v1/saas/domains")
        connection.getresponse().read()
    finally:
        connection.close()


class ProcessTransport:
    """Sends requests for `base_url` to the API process on `port` instead."""

    def __init__(self, base_url: str, port: int) -> None:
        self._base, self._port = base_url.rstrip("/"), port

    def request(self, method: str, url: str, *, headers: dict[str, str] | None = None,
                body: bytes | None = None, timeout: float = 10.0) -> HttpResponse:
        if not url.startswith(self._base + "/"):
            raise Unreachable(f"{urlsplit(url).netloc} could not be reached: no network here")
        connection = http.client.HTTPConnection("127.0.0.1", self._port, timeout=timeout)
        try:
            connection.request(method, url[len(self._base):], body=body, headers=headers or {})
            answer = connection.getresponse()
            return HttpResponse(answer.status, answer.read(),
                                {k.lower(): v for k, v in answer.getheaders()})
        finally:
            connection.close()


def serve(wanted: dict[str, str]) -> None:
    """Serve the app on the port given, with the bench's settings and clock."""
    from chalice.config import Config
    from chalice.local import LocalDevServer

    from bench.portal_api import quiet_request_log
    from chalicelib import runtime, settings
    from chalicelib.clock import FrozenClock

    chosen = settings.from_environment().with_overrides(
        dynamodb_endpoint=wanted["endpoint"], table_prefix=wanted["prefix"],
        local_key_hex=wanted["key"])
    runtime.install(runtime.build(chosen, clock=FrozenClock(dt.datetime.fromisoformat(
        wanted["now"]))))
    from app import app

    server = LocalDevServer(app, Config.create(), "127.0.0.1", int(wanted["port"]))
    with quiet_request_log():
        server.server.serve_forever()


if __name__ == "__main__":
    serve(json.loads(sys.argv[1]))
