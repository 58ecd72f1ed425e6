"""Outbound HTTP (OIDC back-channel, hub services, the SaaS Protection REST API) behind one seam.

The runtime's `transport` port: production and `make run` use the standard library's client; unit
tests build their runtime with a transport that hands requests for the app's own base URL to the
app in-process (tests/loopback.py), so the whole chain runs without a network and without mocks.
Whatever goes wrong below HTTP (no connection, a timeout, a cut-off body, bytes that are not HTTP)
is `Unreachable`; every status is an answer.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Protocol

from chalicelib.errors import UpstreamError

DEFAULT_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class HttpResponse:
    """A received response; header names are lower case."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


class Unreachable(UpstreamError):
    """The remote host could not be reached or did not answer in time."""

    public_message = "The remote service could not be reached."


class Transport(Protocol):
    def request(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> HttpResponse: ...


class UrllibTransport:
    """The standard library's HTTP client; every status is returned, never raised."""

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> HttpResponse:
        if not url.startswith(("http://", "https://")):
            raise Unreachable(f"Not an HTTP URL: {url[:80]}")
        req = urllib.request.Request(url, data=body, method=method, headers=headers or {})  # noqa: S310
        try:
            return _exchange(req, timeout)
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            raise Unreachable(f"{_host(url)} could not be reached: {_reason(exc)}") from exc
        except http.client.HTTPException as exc:  # a cut-off body, or bytes that are not HTTP
            raise Unreachable(
                f"{_host(url)} did not answer in HTTP: {type(exc).__name__}") from exc


def _exchange(req: urllib.request.Request, timeout: float) -> HttpResponse:
    """Send and read the whole answer; an error status is an answer like any other."""
    try:
        with urllib.request.urlopen(req, timeout=timeout) as raw:  # noqa: S310
            return HttpResponse(raw.status, raw.read(), _lower(raw.headers.items()))
    except urllib.error.HTTPError as exc:
        return HttpResponse(exc.code, exc.read(), _lower(exc.headers.items()))


def _lower(items: Any) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in items}


def _host(url: str) -> str:
    return url.split("//", 1)[-1].split("/", 1)[0]


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", exc)
    return str(reason) or type(exc).__name__
