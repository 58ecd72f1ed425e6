"""Requests and responses: forms, cookies, security headers, redirects."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlsplit

from chalice.app import Request, Response

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self' http://localhost:* https:; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


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
) -> Response:
    all_headers: dict[str, Any] = dict(SECURITY_HEADERS)
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
