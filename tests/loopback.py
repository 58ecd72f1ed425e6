"""A transport that serves requests for the app's own base URL in-process, as API Gateway would.

Requests may arrive on several threads at once (the sync fetches a few customers ahead): each is
served on its caller's thread by chalice's local gateway, which keeps no state per request (the
app keeps its current request per thread, `PerThreadChalice`). chalice.test.Client is not used:
it swaps `os.environ` for each request, which concurrent requests would leave swapped.
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urlsplit

from chalice.config import Config
from chalice.local import LocalGateway, LocalGatewayException

from chalicelib.outbound import HttpResponse, Unreachable
from chalicelib.storage import tables


class LoopbackTransport:
    """Sends `base_url` requests to the app; anything else is unreachable, as with no network."""

    def __init__(self, app: Any, base_url: str) -> None:
        self._gateway = LocalGateway(app, Config.create())
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
        try:
            raw = self._gateway.handle_request(method=method.upper(), path=path,
                                               headers=headers or {}, body=body or b"")
        except LocalGatewayException as exc:  # what API Gateway itself answers
            return HttpResponse(exc.CODE, exc.body or b"", {k.lower(): v for k, v in
                                                            exc.headers.items()})
        return _answer(raw)


def _answer(raw: dict[str, Any]) -> HttpResponse:
    """The gateway's Lambda-shaped answer as an HTTP response (headers in lower case)."""
    body = (base64.b64decode(raw["body"]) if raw.get("isBase64Encoded")
            else (raw["body"] or "").encode())
    headers = {**raw["headers"], **raw.get("multiValueHeaders", {})}
    return HttpResponse(raw["statusCode"], body, {k.lower(): v for k, v in headers.items()})


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
