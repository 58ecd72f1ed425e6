"""How every /api/v1 request is answered: auth order, error bodies and response headers.

Order per the contract: the route (path and method) first, so an unknown route is 404 even without
credentials; then HTTP Basic credentials (401); then the partner's hourly budget (429); then the
endpoint. Every response, errors included, carries X-Request-Id and the rate-limit headers.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

from chalice.app import Blueprint, Request, Response

from chalicelib import errors, logs, runtime
from chalicelib.portal import rate_limit, rest_api
from chalicelib.portal.rate_limit import Usage
from chalicelib.runtime import Runtime
from chalicelib.web import http
from chalicelib.web.errors import status_of

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]
CONTENT_TYPES = ["application/json", "application/x-www-form-urlencoded", "text/plain",
                 "application/octet-stream", "multipart/form-data"]
Endpoint = Callable[[Runtime, rest_api.Caller], Any]
View = Callable[..., Response]


def _request_id(rt: Runtime, request: Request) -> str:
    context = request.context or {}
    return str(context.get("requestId") or rt.random.hex(16))


def _respond(body: Any, status: int, usage: Usage, request_id: str,
             extra: dict[str, str] | None = None) -> Response:
    headers = {"X-Request-Id": request_id, **usage.headers(), **(extra or {})}
    return http.json_response(body, status=status, headers=headers)


def _error(error: errors.LinkhubError, usage: Usage, request_id: str) -> Response:
    status, code = status_of(error)
    extra: dict[str, str] = {}
    if isinstance(error, errors.TooManyRequests):
        extra["Retry-After"] = str(error.retry_after)
    if isinstance(error, errors.NotAuthenticated):
        extra["WWW-Authenticate"] = 'Basic realm="SaaS Protection API", charset="UTF-8"'
    return _respond({"code": code, "message": error.message}, status, usage, request_id, extra)


def serve(request: Request, method: str, endpoint: str | None,
          call: Endpoint | None) -> Response:
    """Answer one API request; `endpoint` None (or another method) means an unknown route."""
    rt = runtime.current()
    request_id = _request_id(rt, request)
    usage = rate_limit.unmetered(rt)
    try:
        if endpoint is None or call is None or request.method != method:
            raise errors.NotFound("No such API route.")
        caller = rest_api.authenticate(rt, request.headers.get("authorization"))
        usage = rate_limit.charge(rt, caller.company_id, endpoint)
        return _respond(call(rt, caller), 200, usage, request_id)
    except rate_limit.BudgetExceeded as error:
        return _error(error, error.usage, request_id)
    except errors.LinkhubError as error:
        return _error(error, usage, request_id)
    except Exception as exc:  # the last line of defence: no trace reaches a client
        logs.event("unhandled_error", error=type(exc).__name__, request_id=request_id,
                   trace=traceback.format_exc(limit=8))
        return _respond({"code": "error", "message": "Internal error."}, 500, usage, request_id)


def api_route(bp: Blueprint, path: str, name: str | None = None) -> Callable[[View], View]:
    """Route every method and body type to the view, which answers through `serve`."""
    return bp.route(path, methods=METHODS, content_types=CONTENT_TYPES, name=name)


def query(request: Request) -> dict[str, str]:
    """The request's query string, one value per name."""
    return http.query(request)
