"""A scriptable fake SaaS Protection REST API served over real HTTP, for fault-injection tests.

`Upstream` runs a `http.server` in a thread on a free port and serves `/saas/domains` and
`/saas/{id}/seats` from plain lists, paged by `_page`/`_perPage` as bare arrays (or, with
`envelope_size`, in envelopes announcing `totalPages`/`totalItems`, `envelope_size` items each).
A test scripts any path and page: `upstream.script("/saas/domains", 2, Reply(...))`, or a
function of the page. A `Reply` can be an ordinary answer, bytes that are not HTTP at all
(`raw`), a body cut off before its announced length (`truncate`), or slow (`seconds`: added to
the shared `VirtualTime`, which the runtime's `monotonic` and `sleep` read, so slow answers cost
no real time).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


class VirtualTime:
    """A monotonic clock and a sleep that only move when told (no real waiting)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@dataclass(frozen=True)
class Reply:
    """One scripted answer."""

    status: int = 200
    body: Any = None  # JSON-able, or bytes sent as they are
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None  # written instead of an HTTP response
    truncate: bool = False  # announce the whole body, send half of it, close
    seconds: float = 0.0  # how long the answer takes, on the virtual clock

    def payload(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body).encode()


Script = Callable[[int], Reply | None]  # page -> answer (None: the default answer)


def customer(n: int, seats_used: int = 1, **extra: Any) -> dict[str, Any]:
    """A /saas/domains element for customer `n`, linked to organization `Org n`."""
    return {"saasCustomerId": n, "saasCustomerName": f"Customer {n}", "organizationId": n,
            "organizationName": f"Org {n}", "domain": f"c{n}.example.com",
            "productType": "Office365", "seatsUsed": seats_used, "retentionType": "ICR",
            "externalSubscriptionId": f"Classic:Office365:{n}",
            "backupStats": {"activeServicesCount": 2, "activeServicesWithRecentBackupCount": 2,
                            "backupPercentage": 100.0}, **extra}


def seat(n: int, i: int, state: str = "Active") -> dict[str, Any]:
    return {"mainId": f"user{i}@c{n}.example.com", "name": f"User {i}", "seatType": "User",
            "seatState": state, "billable": "1", "dateAdded": "2024-01-01T00:00:00+00:00",
            "remoteId": f"r-{n}-{i}"}


class Upstream:
    """The fake vendor: its customers, their seats, the scripts and every request received."""

    def __init__(self, customers: list[dict[str, Any]], seats: dict[int, list[dict[str, Any]]],
                 time: VirtualTime, *, envelope_size: int = 0, ignore_paging: bool = False) -> None:
        self.customers = customers
        self.seats = seats
        self.time = time
        self.envelope_size = envelope_size
        self.ignore_paging = ignore_paging
        self.scripts: dict[str, Script] = {}
        self.requests: list[str] = []
        self.url = ""

    def script(self, path: str, page: int | None, reply: Reply | Script) -> None:
        """Answer `path` (every page when `page` is None) with `reply`."""
        def answer(asked: int) -> Reply | None:
            if page is not None and asked != page:
                return None
            return reply(asked) if callable(reply) else reply
        previous = self.scripts.get(path)
        self.scripts[path] = lambda asked: answer(asked) or (previous(asked) if previous else None)

    def requests_for(self, path: str) -> int:
        return sum(1 for r in self.requests if r.split("?")[0] == path)

    def answer(self, target: str) -> Reply:
        split = urlsplit(target)
        query = parse_qs(split.query)
        page = int(query.get("_page", ["1"])[0])
        per_page = int(query.get("_perPage", ["100"])[0])
        scripted = self.scripts.get(split.path.removeprefix("/v1"))
        reply = scripted(page) if scripted else None
        return reply or self._listed(split.path.removeprefix("/v1"), page, per_page)

    def _listed(self, path: str, page: int, per_page: int) -> Reply:
        if path == "/saas/domains":
            return self._page(self.customers, page, per_page)
        parts = path.strip("/").split("/")
        if len(parts) == 3 and parts[2] == "seats" and parts[1].isdigit() \
                and int(parts[1]) in self.seats:
            return self._page(self.seats[int(parts[1])], page, per_page)
        return Reply(404, {"code": "not_found", "message": "No such path."})

    def _page(self, items: list[dict[str, Any]], page: int, per_page: int) -> Reply:
        if self.ignore_paging:
            return Reply(body=items)
        if not self.envelope_size:
            return Reply(body=items[(page - 1) * per_page:page * per_page])
        size = self.envelope_size
        pages = max(1, -(-len(items) // size))
        return Reply(body={"pagination": {"page": page, "perPage": size, "totalPages": pages,
                                          "totalItems": len(items)},
                           "items": items[(page - 1) * size:page * size]})


def _handler(upstream: Upstream) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            upstream.requests.append(self.path)
            reply = upstream.answer(self.path)
            upstream.time.now += reply.seconds
            if reply.raw is not None:
                self.wfile.write(reply.raw)
                self.close_connection = True
                return
            body = reply.payload()
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body[: len(body) // 2] if reply.truncate else body)
            self.close_connection = reply.truncate

        def log_message(self, *args: Any) -> None:
            return

    return Handler


@contextmanager
def serving(upstream: Upstream) -> Iterator[Upstream]:
    """Serve `upstream` on a free local port for the duration (its `url` ends in /v1)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(upstream))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    upstream.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        yield upstream
    finally:
        server.shutdown()
        server.server_close()
