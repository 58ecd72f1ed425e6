"""The SaaS Protection REST API v1, mounted at /api/v1: routing, auth order and response headers.

Order per the contract: the route (path and method) first, so an unknown route is 404 even without
credentials; then HTTP Basic credentials (401); then the partner's hourly budget (429); then the
endpoint. Every response, errors included, carries X-Request-Id and the rate-limit headers.

API Gateway and `chalice local` answer paths no route matches themselves (403 "Missing
Authentication Token"), so catch-all routes (see `unknown_paths`) cover the unknown paths around
the real ones, up to six segments deep.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from chalice.app import Blueprint, Response

from chalicelib import errors, logs, runtime
from chalicelib.portal import rate_limit, rest_api
from chalicelib.portal.rate_limit import Usage
from chalicelib.runtime import Runtime
from chalicelib.web import http
from chalicelib.web.errors import status_of

api_routes = Blueprint(__name__)

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]
CONTENT_TYPES = ["application/json", "application/x-www-form-urlencoded", "text/plain",
                 "application/octet-stream", "multipart/form-data"]
Endpoint = Callable[[Runtime, rest_api.Caller], Any]


def _request_id(rt: Runtime) -> str:
    context = api_routes.current_request.context or {}
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


def serve(method: str, endpoint: str | None, call: Endpoint | None) -> Response:
    """Answer one API request; `endpoint` None (or another method) means an unknown route."""
    rt = runtime.current()
    request = api_routes.current_request
    request_id = _request_id(rt)
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


def _query() -> dict[str, str]:
    return http.query(api_routes.current_request)


def _route(path: str) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    return api_routes.route(path, methods=METHODS, content_types=CONTENT_TYPES)


@_route("/saas/domains")
def saas_domains() -> Response:
    return serve("GET", "domains", lambda rt, caller: rest_api.domains(rt, caller, _query()))


@_route("/saas/{saasCustomerId}/seats")
def saas_seats(saasCustomerId: str) -> Response:  # noqa: N803 (the contract's name)
    return serve("GET", "seats", lambda rt, caller: rest_api.seat_list(
        rt, caller, unquote(saasCustomerId), _query()))


@_route("/saas/{saasCustomerId}/applications")
def saas_applications(saasCustomerId: str) -> Response:  # noqa: N803
    return serve("GET", "applications", lambda rt, caller: rest_api.applications(
        rt, caller, unquote(saasCustomerId), _query()))


@_route("/saas/{saasCustomerId}/{externalSubscriptionId}/bulkSeatChange")
def saas_bulk_seat_change(saasCustomerId: str,  # noqa: N803
                          externalSubscriptionId: str) -> Response:  # noqa: N803
    raw = api_routes.current_request.raw_body
    body = raw.encode() if isinstance(raw, str) else raw
    return serve("PUT", "bulkSeatChange", lambda rt, caller: rest_api.bulk_seat_change(
        rt, caller, unquote(saasCustomerId), unquote(externalSubscriptionId), body))


KNOWN_PATHS = (
    "saas/domains",
    "saas/{saasCustomerId}/seats",
    "saas/{saasCustomerId}/applications",
    "saas/{saasCustomerId}/{externalSubscriptionId}/bulkSeatChange",
)
MAX_DEPTH = 6


def unknown_paths(known: tuple[str, ...] = KNOWN_PATHS, max_depth: int = MAX_DEPTH) -> list[str]:
    """Routes that answer every other path up to `max_depth` segments with the contract's 404.

    Every resource on the way to a real endpoint gets one; below a resource with no variable
    child, a chain of variables `{pN}` covers each further depth. One variable name per level
    keeps the tree valid for API Gateway, and unlike a greedy `{proxy+}` it works the same in
    `chalice local` (which matches segment by segment) and in Lambda (whose greedy parameter name
    Chalice would look up with its `+`).
    """
    nodes = {tuple(path.split("/")[:depth]) for path in known
             for depth in range(len(path.split("/")) + 1)}
    endpoints = {tuple(path.split("/")) for path in known}
    found = []
    for node in sorted(nodes):
        if node not in endpoints:
            found.append(node)
        children = [n[-1] for n in nodes if len(n) == len(node) + 1 and n[:-1] == node]
        if not any(child.startswith("{") for child in children):
            found += [node + tuple(f"{{p{d}}}" for d in range(len(node) + 1, depth + 1))
                      for depth in range(len(node) + 1, max_depth + 1)]
    return ["/" + "/".join(segments) for segments in found]


def unknown_route(**_: str) -> Response:
    """Any path or method the contract does not have: its 404 body, before any auth."""
    return serve("", None, None)


for _path in unknown_paths():
    api_routes.route(_path, methods=METHODS, content_types=CONTENT_TYPES,
                     name="unknown" + re.sub(r"\W+", "_", _path).rstrip("_"))(unknown_route)
