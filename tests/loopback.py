"""A transport that serves requests for the app's own base URL in-process (chalice.test.Client)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from chalice.test import Client

from chalicelib.outbound import HttpResponse, Unreachable
from chalicelib.storage import tables


class LoopbackTransport:
    """Sends `base_url` requests to the app; anything else is unreachable, as with no network."""

    def __init__(self, app: Any, base_url: str) -> None:
        self._client = Client(app)
        self._base = base_url.rstrip("/")
        self.requests: list[tuple[str, str]] = []

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
        timeout: float = 10.0,
    ) -> HttpResponse:
        if not url.startswith(self._base + "/"):
            raise Unreachable(f"{urlsplit(url).netloc} could not be reached: no network in tests")
        path = url[len(self._base) :]
        self.requests.append((method, path))
        raw = self._client.http.request(method, path, headers=headers or {}, body=body or b"")
        headers_out = {k.lower(): v for k, v in raw.headers.items()}
        return HttpResponse(raw.status_code, raw.body or b"", headers_out)


class CountingTransport:
    """A transport (the loopback one) noting the DynamoDB calls of the hub requests it serves
    (the token endpoint, the JWKS), so a callback's calls split into the hub's and the module's."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.hub_calls = 0

    def request(self, *args: Any, **kwargs: Any) -> Any:
        with tables.counting_calls() as counter:
            reply = self.inner.request(*args, **kwargs)
        self.hub_calls += counter.total
        return reply
