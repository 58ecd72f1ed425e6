"""A DynamoDB endpoint that misbehaves on demand, for the lean transport (`dynamodb_wire`): a tiny
local HTTP server that passes requests on to DynamoDB Local, except those a `WireFault` matches,
which it answers as DynamoDB does under stress (an error code and status, a cancelled
transaction, a damaged body) or by closing the connection without an answer."""

from __future__ import annotations

import http.client
import json
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from chalicelib.storage import low_level, tables
from chalicelib.storage.dynamodb_wire import Limits, Wire

PREFIX = "com.amazonaws.dynamodb.v20120810#"


@dataclass
class WireFault:
    """Answers the calls of `operation` whose body mentions `table`, for the first `times` of
    them (None: all); counts every matching attempt in `seen`."""

    operation: str
    table: str
    error: dict[str, str] | None = None
    reasons: list[dict[str, str]] | None = None
    status: int = 400
    unreachable: bool = False
    damaged: bool = False
    times: int | None = None
    seen: int = 0

    def matches(self, operation: str, body: bytes) -> bool:
        return operation == self.operation and self.table.encode() in body

    def answer(self) -> tuple[int, bytes, dict[str, str]]:
        """Status, body and headers to answer with."""
        if self.damaged:
            return 200, b'{"Items":[]}', {"x-amz-crc32": "1"}
        parsed: dict[str, Any] = {"__type": PREFIX + (self.error or {}).get("Code", ""),
                                  "message": (self.error or {}).get("Message", "")}
        if self.reasons is not None:
            parsed["CancellationReasons"] = self.reasons
        body = json.dumps(parsed).encode()
        return self.status, body, {"x-amz-crc32": str(zlib.crc32(body))}


@dataclass
class FaultyEndpoint:
    """The server's state: where to pass requests on, the faults, every request's headers."""

    upstream: str | None
    faults: list[WireFault] = field(default_factory=list)
    headers_seen: list[dict[str, str]] = field(default_factory=list)
    url: str = ""

    def add(self, fault: WireFault) -> WireFault:
        self.faults.append(fault)
        return fault

    def fault_for(self, operation: str, body: bytes) -> WireFault | None:
        for fault in self.faults:
            if fault.matches(operation, body):
                fault.seen += 1
                if fault.times is None or fault.seen <= fault.times:
                    return fault
        return None

    def pass_on(self, headers: dict[str, str], body: bytes) -> tuple[int, bytes, dict[str, str]]:
        if self.upstream is None:
            return 200, b"{}", {}
        parts = urlsplit(self.upstream)
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
        try:
            connection.request("POST", "/", body=body, headers=headers)
            reply = connection.getresponse()
            data = reply.read()
            crc = reply.getheader("x-amz-crc32")
        finally:
            connection.close()
        return reply.status, data, {"x-amz-crc32": crc} if crc else {}


def _handler(endpoint: FaultyEndpoint) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802 (the http.server name)
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {name: value for name, value in self.headers.items()}
            endpoint.headers_seen.append(headers)
            operation = headers.get("X-Amz-Target", "").rpartition(".")[2]
            fault = endpoint.fault_for(operation, body)
            if fault is not None and fault.unreachable:
                self.close_connection = True
                self.connection.close()
                return
            status, data, extra = fault.answer() if fault else endpoint.pass_on(headers, body)
            self.send_response(status)
            self.send_header("Content-Type", "application/x-amz-json-1.0")
            self.send_header("Content-Length", str(len(data)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_: Any) -> None:
            return

    return Handler


@contextmanager
def faulty_endpoint(upstream: str | None) -> Iterator[FaultyEndpoint]:
    """The server running on a free local port while the block runs."""
    endpoint = FaultyEndpoint(upstream)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(endpoint))
    server.daemon_threads = True
    endpoint.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield endpoint
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Waits:
    """The waits the wire asked for between attempts (recorded, not slept)."""

    seconds: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


@contextmanager
def hot_calls_through(endpoint: FaultyEndpoint, waits: Waits) -> Iterator[Wire]:
    """The login's hot calls sent to `endpoint` on a wire with the configured connection's
    credentials and limits, waiting through `waits`."""
    connection = tables.connection()
    built = low_level.wire_of(connection)
    lean = Wire(endpoint.url, built.signer.region, built.credentials,
                Limits(connect_timeout=2, read_timeout=5, attempts=built.limits.attempts),
                sleep=waits)
    low_level.use_wire(lean)
    try:
        yield lean
    finally:
        lean.connections.close()
        low_level.use_wire(built)

