"""`GET /api/v1/openapi.json`: the REST API as an OpenAPI 3.1 document, without credentials.

The document is generated from the route declarations (`saas.PATHS`) and the descriptions kept
with them (`openapi_schemas.OPERATIONS`); the two must name the same paths or this module refuses
to load, so the published contract cannot drift from what is routed. The answer carries the
headers of every /api/v1 answer and is charged to nobody.
"""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Request, Response

from chalicelib import runtime
from chalicelib.portal import rate_limit
from chalicelib.portal.api_routes import openapi_schemas, saas
from chalicelib.portal.api_routes.serving import PREFIX, api_route, serve
from chalicelib.web import http

routes = Blueprint(__name__)
PATH = "openapi.json"
VERSION = "1.0.0"


def check_paths(declared: tuple[str, ...], described: set[str]) -> None:
    """Refuse a routed path without a description, or a description of no routed path."""
    if set(declared) != described:
        raise RuntimeError(f"OpenAPI descriptions differ from the routes: "
                           f"{sorted(set(declared) ^ described)}")


check_paths(saas.PATHS, set(openapi_schemas.OPERATIONS))


def document(paths: tuple[str, ...] = saas.PATHS) -> dict[str, Any]:
    """The OpenAPI 3.1 document of /api/v1."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "SaaS Protection REST API (as served by linkhub)", "version": VERSION,
                 "description": "The vendor-compatible API; docs/rest-api.md in the repository "
                                "says where each choice comes from."},
        "servers": [{"url": PREFIX}],
        "security": [{"basicAuth": []}],
        "paths": {f"/{p}": openapi_schemas.OPERATIONS[p] for p in paths} | {
            f"/{PATH}": {"get": self_description()}},
        "components": {
            "schemas": openapi_schemas.SCHEMAS,
            "securitySchemes": {"basicAuth": {
                "type": "http", "scheme": "basic",
                "description": "The API key's public key and secret, as user and password."}},
        },
    }


def self_description() -> dict[str, Any]:
    """This document's own operation: no credentials, no charge."""
    return {"operationId": "getOpenApi", "summary": "This document.", "security": [],
            "responses": {"200": openapi_schemas.answer("The OpenAPI document.",
                                                        {"type": "object"})}}


def published(request: Request) -> Response:
    """The document with X-Request-Id and the rate-limit headers of an uncharged call."""
    rt = runtime.current()
    request_id = str((request.context or {}).get("requestId") or rt.random.hex(16))
    headers = {"X-Request-Id": request_id, **rate_limit.unmetered(rt).headers()}
    return http.json_response(document(), status=200, headers=headers)


@api_route(routes, f"/{PATH}")
def openapi_json() -> Response:
    """GET answers the document; any other method is the contract's 404 for unknown routes."""
    request = routes.current_request
    if request.method != "GET":
        return serve(request, "GET", None, None)
    return published(request)
