"""Requests and responses: forms, cookies, security headers, redirects."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlsplit

from chalice.app import Request, Response

from chalicelib import runtime
from chalicelib.settings import Settings

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
# Outside local (https) browsers remember for a year to never try plain HTTP first.
STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"


def origin(url: str) -> str | None:
    """`scheme://host[:port]` of an absolute http(s) URL, else None."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or "@" in parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def form_action(settings: Settings, targets: Iterable[str] = ()) -> str:
    """Forms post to this app and the hub; a page may name the few other places it sends to."""
    sources = ["'self'"]
    for url in (settings.hub_issuer, *targets):
        found = origin(url)
        if found and found not in sources:
            sources.append(found)
    return "form-action " + " ".join(sources)


def security_headers(settings: Settings, form_targets: Iterable[str] = ()) -> dict[str, str]:
    """What every response carries: CSP (form-action restricted), framing, HSTS outside local."""
    headers = {
        "Content-Security-Policy": f"{CONTENT_SECURITY_POLICY}; "
                                   f"{form_action(settings, form_targets)}",
        **SECURITY_HEADERS,
    }
    if settings.cookie_secure:  # an https deployment: never a local plain-HTTP stage
        headers["Strict-Transport-Security"] = STRICT_TRANSPORT_SECURITY
    return headers


def form_lists(request: Request) -> dict[str, list[str]]:
    """The urlencoded form body, every value of each field."""
    raw = request.raw_body or b""
    text = raw if isinstance(raw, str) else raw.decode("utf-8", "replace")
    return parse_qs(text, keep_blank_values=True)


def form(request: Request) -> dict[str, str]:
    """The urlencoded form body (first value of each field)."""
    return {key: values[0] for key, values in form_lists(request).items()}


def query(request: Request) -> dict[str, str]:
    return dict(request.query_params or {})


def cookies(request: Request) -> dict[str, str]:
    header = request.headers.get("cookie", "")
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except Exception:  # a malformed Cookie header is treated as no cookies
        return {}
    return {key: morsel.value for key, morsel in jar.items()}


def actual_path(request: Request) -> str:
    """The requested path (Chalice gives the route pattern; fill in its parameters)."""
    path = request.path
    for key, value in (request.uri_params or {}).items():
        path = path.replace("{" + key + "}", value)
    return path


def user_agent(request: Request) -> str:
    return request.headers.get("user-agent", "")[:200]


def source_address(request: Request) -> str:
    """The caller's address as API Gateway saw it (never a header the caller could forge)."""
    identity = (request.context or {}).get("identity") or {}
    return str(identity.get("sourceIp") or "")[:64]


def cookie(
    name: str, value: str, *, path: str, secure: bool, max_age: int | None = None
) -> str:
    """A Set-Cookie value: HttpOnly, SameSite=Lax, Secure outside local, scoped to a path."""
    parts = [f"{name}={value}", f"Path={path}", "HttpOnly", "SameSite=Lax"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    if secure:
        parts.append("Secure")
    return "; ".join(parts)


def expired_cookie(name: str, *, path: str, secure: bool) -> str:
    return cookie(name, "", path=path, secure=secure, max_age=0)


def response(
    body: str | bytes,
    *,
    status: int = 200,
    content_type: str = "text/html; charset=utf-8",
    headers: Mapping[str, str] | None = None,
    set_cookies: Iterable[str] = (),
    form_targets: Iterable[str] = (),
) -> Response:
    all_headers: dict[str, Any] = security_headers(runtime.current().settings, form_targets)
    all_headers["Content-Type"] = content_type
    all_headers.update(headers or {})
    cookie_list = list(set_cookies)
    if cookie_list:
        all_headers["Set-Cookie"] = cookie_list if len(cookie_list) > 1 else cookie_list[0]
    return Response(body=body, status_code=status, headers=all_headers)


def json_response(
    data: Any, *, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return response(
        json.dumps(data, separators=(",", ":"), default=str),
        status=status,
        content_type="application/json",
        headers=headers,
    )


def redirect(location: str, *, set_cookies: Iterable[str] = (), status: int = 303) -> Response:
    return response("", status=status, headers={"Location": location}, set_cookies=set_cookies)


def local_path(candidate: str | None, default: str) -> str:
    """Only a local absolute path is accepted as a return-to target (no open redirects)."""
    if not candidate:
        return default
    parts = urlsplit(candidate)
    if (
        parts.scheme
        or parts.netloc
        or not candidate.startswith("/")
        or candidate.startswith("//")
        or "\\" in candidate
        or any(ord(ch) < 32 for ch in candidate)
    ):
        return default
    return candidate
