"""The one table turning domain errors into HTTP statuses, error pages and JSON bodies."""

from __future__ import annotations

import traceback
from typing import Any

from chalice.app import Response

from chalicelib import errors, logs
from chalicelib.web import http

# First match wins, so subclasses come before their bases.
ERROR_STATUS: list[tuple[type[errors.LinkhubError], int, str]] = [
    (errors.CsrfRejected, 403, "csrf_rejected"),
    (errors.NotAuthenticated, 401, "not_authenticated"),
    (errors.Forbidden, 403, "forbidden"),
    (errors.NotFound, 404, "not_found"),
    (errors.AlreadyExists, 409, "already_exists"),
    (errors.ConcurrentChange, 409, "conflict"),
    (errors.StorageRejected, 400, "invalid_input"),
    (errors.InvalidInput, 400, "invalid_input"),
    (errors.LoginFailed, 401, "login_failed"),
    (errors.TooManyRequests, 429, "too_many_requests"),
    (errors.UpstreamError, 502, "upstream_error"),
    (errors.GatewayTimeout, 504, "gateway_timeout"),
    (errors.StorageUnavailable, 503, "unavailable"),
    (errors.LinkhubError, 500, "error"),
]


def status_of(error: errors.LinkhubError) -> tuple[int, str]:
    if isinstance(error, errors.OAuthError):
        return error.status, error.error
    for cls, status, code in ERROR_STATUS:
        if isinstance(error, cls):
            return status, code
    return 500, "error"


# Seconds a client waits before trying again when DynamoDB throttled or did not answer.
STORAGE_RETRY_AFTER = 5


def _headers(error: Exception) -> dict[str, str]:
    if isinstance(error, errors.TooManyRequests):
        return {"Retry-After": str(error.retry_after)}
    if isinstance(error, errors.StorageUnavailable):
        return {"Retry-After": str(STORAGE_RETRY_AFTER)}
    return {}


def error_page(page: Any, error: errors.LinkhubError) -> Response:
    """A page-route error: a friendly page (or a redirect to log in)."""
    status, code = status_of(error)
    if isinstance(error, errors.NotAuthenticated) and page.request.method == "GET":
        from urllib.parse import quote

        login = page.login_url
        target = http.actual_path(page.request)
        if page.request.query_params:
            from urllib.parse import urlencode

            target += "?" + urlencode(page.request.query_params)
        query = [f"next={quote(target, safe='/')}"] if target else []
        query += [error.login_query] if error.login_query else []
        return page.redirect(f"{login}?{'&'.join(query)}" if query else login)
    body_response = page.render("error.html", status=status, message=error.message, code=code)
    body_response.headers.update(_headers(error))
    return body_response


def json_error(error: errors.LinkhubError) -> Response:
    status, code = status_of(error)
    return http.json_response(
        {"code": code, "message": error.message}, status=status, headers=_headers(error)
    )


def unexpected(page: Any, exc: Exception, as_json: bool = False) -> Response:
    """Anything unplanned: logged with its trace, shown as a plain 500 with no details."""
    logs.event(
        "unhandled_error",
        error=type(exc).__name__,
        trace=traceback.format_exc(limit=8),
        path=getattr(getattr(page, "request", None), "path", None),
    )
    if as_json or page is None:
        return http.json_response(
            {"code": "error", "message": "Internal error."}, status=500
        )
    return page.render(
        "error.html", status=500, message="Something went wrong on our side.", code="error"
    )
