"""How every /api/v1 request is answered: auth order, error bodies and response headers.

Order per the contract: the route (path and method) first, so an unknown route is 404 even without
credentials; then the body's size (413) and media type (415), refused before any key is checked;
then HTTP Basic credentials (401) and the partner's hourly budget (429), one conditional write;
then the endpoint (its refusals, 400, 403 and 404, are charged like any answer).
Every response, errors included, carries X-Request-Id and the rate-limit headers, and
`frame_api_answers` gives the few answers Chalice makes itself the same shape.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from chalice.app import Blueprint, Request, Response

from chalicelib import errors, logs, runtime
from chalicelib.portal import rate_limit, rest_api
from chalicelib.portal.rate_limit import Usage
from chalicelib.runtime import Runtime
from chalicelib.web import http
from chalicelib.web.errors import status_of
from chalicelib.web.products import API_PREFIX, is_api_request

PREFIX = API_PREFIX
# Every method API Gateway can route (OPTIONS too: no CORS here), so a wrong method reaches `serve`.
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
# Chalice checks no media type (it would answer 415 in its own shape, even on GETs and unknown
# paths); an endpoint that reads a body names the types it takes in its `Body`.
ANY_CONTENT_TYPE = ["*/*"]
JSON_BODY_TYPES = frozenset({"application/json", "application/x-www-form-urlencoded",
                             "text/plain", "application/octet-stream", "multipart/form-data"})
# Codes for the statuses Chalice or a body check answers with (the rest come from web.errors).
FRAMEWORK_CODES = {400: "invalid_input", 404: "not_found", 405: "method_not_allowed",
                   413: "payload_too_large", 415: "unsupported_media_type"}
Endpoint = Callable[[Runtime, rest_api.Caller], Any]
View = Callable[..., Response]


@dataclass(frozen=True)
class Body:
    """What one endpoint accepts as a request body: at most `max_bytes`, of these media types."""

    max_bytes: int
    media_types: frozenset[str] = frozenset()  # empty: the body is ignored, whatever its type


@dataclass(frozen=True)
class Answered:
    """An endpoint's answer with headers of its own (a list's totals, its ETag); `not_modified`:
    a 304, the same headers without a body."""

    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    not_modified: bool = False


# GETs read no body; a small one is ignored, a large one refused rather than carried along.
NO_BODY = Body(max_bytes=1024)


class BodyRefused(errors.InvalidInput):
    """The request body is too large (413) or of a media type the endpoint does not read (415)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def raw_body(request: Request) -> bytes:
    raw = request.raw_body
    return raw.encode() if isinstance(raw, str) else (raw or b"")


def media_type(request: Request) -> str:
    """`application/json` of `Application/JSON; charset=utf-8`; absent means JSON."""
    header = request.headers.get("content-type") or "application/json"
    return header.split(";", 1)[0].strip().lower()


def check_body(request: Request, body: Body) -> None:
    """Refuse a body over the endpoint's size (413) or of a type it does not read (415)."""
    size = len(raw_body(request))
    if size > body.max_bytes:
        raise BodyRefused(413, f"The request body is {size} bytes; this endpoint takes at most "
                               f"{body.max_bytes}.")
    if body.media_types and media_type(request) not in body.media_types:
        raise BodyRefused(415, "Send the body as application/json.")


def _request_id(rt: Runtime, request: Request) -> str:
    context = request.context or {}
    return str(context.get("requestId") or rt.random.hex(16))


def _respond(body: Any, status: int, usage: Usage, request_id: str,
             extra: dict[str, str] | None = None) -> Response:
    headers = {"X-Request-Id": request_id, **usage.headers(), **(extra or {})}
    return http.json_response(body, status=status, headers=headers)


def _error(error: errors.LinkhubError, usage: Usage, request_id: str) -> Response:
    status, code = status_of(error)
    if isinstance(error, BodyRefused):
        status, code = error.status, FRAMEWORK_CODES[error.status]
    extra: dict[str, str] = {}
    if isinstance(error, errors.TooManyRequests):
        extra["Retry-After"] = str(error.retry_after)
    if isinstance(error, errors.NotAuthenticated):
        extra["WWW-Authenticate"] = 'Basic realm="SaaS Protection API", charset="UTF-8"'
    return _respond({"code": code, "message": error.message}, status, usage, request_id, extra)


def serve(request: Request, method: str, endpoint: str | None, call: Endpoint | None,
          body: Body = NO_BODY, customer: int | None = None,
          listing: str | None = None) -> Response:
    """Answer one API request; `endpoint` None (or another method) means an unknown route.
    `customer`: the customer the path names, read with the key (the endpoint still checks it);
    `listing`: the paged list whose sizes are read with the key too."""
    rt = runtime.current()
    request_id = _request_id(rt, request)
    usage = rate_limit.unmetered(rt)
    caller: rest_api.Caller | None = None
    try:
        if endpoint is None or call is None or request.method != method:
            raise errors.NotFound("No such API route.")
        check_body(request, body)
        caller = rest_api.authenticate(rt, request.headers.get("authorization"), endpoint,
                                       customer, listing)
        usage = caller.usage or usage
        return _answer(call(rt, caller), usage, request_id)
    except rate_limit.BudgetExceeded as error:
        return _error(error, error.usage, request_id)
    except errors.LinkhubError as error:
        return _error(error, usage, request_id)
    except Exception as exc:  # the last line of defence: no trace reaches a client
        return _unexpected(exc, usage, request_id)


def _answer(result: Any, usage: Usage, request_id: str) -> Response:
    """A 200 of what the endpoint returned; an `Answered` with its headers, or a bodiless 304."""
    if not isinstance(result, Answered):
        return _respond(result, 200, usage, request_id)
    if result.not_modified:
        headers: dict[str, str | list[str]] = {"X-Request-Id": request_id, **usage.headers(),
                                               **result.headers}
        return Response(body="", status_code=304, headers=headers)
    return _respond(result.body, 200, usage, request_id, result.headers)


def _unexpected(exc: Exception, usage: Usage, request_id: str) -> Response:
    logs.event("unhandled_error", error=type(exc).__name__, request_id=request_id,
               trace=traceback.format_exc(limit=8))
    return _respond({"code": "error", "message": "Internal error."}, 500, usage, request_id)


def framed(request: Request, response: Response) -> Response:
    """An answer of Chalice's own (`{Code, Message}`, no X-Request-Id), in the contract's shape."""
    if "X-Request-Id" in response.headers:
        return response
    rt = runtime.current()
    status = response.status_code if response.status_code in FRAMEWORK_CODES else 500
    message = f"{HTTPStatus(status).phrase}." if status != 405 else (
        f"Method {request.method[:16]} is not supported here.")
    return _respond({"code": FRAMEWORK_CODES.get(status, "error"), "message": message}, status,
                    rate_limit.unmetered(rt), _request_id(rt, request))


def frame_api_answers(request: Request, get_response: Callable[[Request], Response]) -> Response:
    """HTTP middleware: every /api/v1 answer in the contract's shape, whoever made it."""
    if not is_api_request(request):
        return get_response(request)
    try:
        return framed(request, get_response(request))
    except Exception as exc:  # Chalice would answer `{Code, Message}` without our headers
        rt = runtime.current()
        return _unexpected(exc, rate_limit.unmetered(rt), _request_id(rt, request))


def api_route(bp: Blueprint, path: str, name: str | None = None) -> Callable[[View], View]:
    """Route every method and body type to the view, which answers through `serve`."""
    return bp.route(path, methods=METHODS, content_types=ANY_CONTENT_TYPE, name=name)


def query(request: Request) -> dict[str, str]:
    """The request's query string, one value per name."""
    return http.query(request)
