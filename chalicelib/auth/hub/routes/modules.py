"""/hub/modules/{module}/...: the services a linked module's server calls with its client
credentials (client_secret_basic): link, unlink, publish insights."""

from __future__ import annotations

import json
from typing import Any

from chalice.app import Blueprint, Request, Response

from chalicelib import errors, runtime
from chalicelib.auth.hub import insights, modules
from chalicelib.auth.hub.oidc import clients
from chalicelib.auth.hub.oidc.clients import Client
from chalicelib.auth.hub.routes.pages import NO_STORE
from chalicelib.web import http, params
from chalicelib.web.routing import json_route

routes = Blueprint(__name__)
MAX_BODY = 64 * 1024


def _client(request: Request, form: dict[str, str]) -> Client:
    return clients.authenticate_request(runtime.current(),
                                        request.headers.get("authorization", ""), form)


def _json_body(request: Request) -> dict[str, Any]:
    raw = request.raw_body or b""
    if len(raw) > MAX_BODY:
        raise errors.InvalidInput("The request body is too large.")
    try:
        data = json.loads(raw or b"{}")
    except ValueError as exc:
        raise errors.InvalidInput("The request body is not JSON.") from exc
    if not isinstance(data, dict):
        raise errors.InvalidInput("The request body is not a JSON object.")
    return data


@json_route(routes, "/modules/{module}/link", methods=["POST"])
def link(request: Request, module: str) -> Response:
    form = http.form(request)
    client = _client(request, form)
    linked = modules.link(runtime.current(), client, module,
                          access_token=form.get("access_token", ""),
                          launch_url=form.get("launch_url", ""))
    return http.json_response({"module": linked.module, "hub_company_id": linked.hub_company_id,
                               "hub_company_name": linked.hub_company_name}, headers=NO_STORE)


@json_route(routes, "/modules/{module}/unlink", methods=["POST"])
def unlink(request: Request, module: str) -> Response:
    form = http.form(request)
    client = _client(request, form)
    modules.unlink(runtime.current(), client, module,
                   hub_company_id=params.optional(params.HUB_COMPANY_ID,
                                                  form.get("hub_company_id", "")))
    return http.json_response({"module": module, "linked": False}, headers=NO_STORE)


@json_route(routes, "/modules/{module}/insights", methods=["PUT"])
def publish_insights(request: Request, module: str) -> Response:
    client = _client(request, {})
    body = _json_body(request)
    changed = insights.publish(runtime.current(), client, module,
                               hub_company_id=params.optional(params.HUB_COMPANY_ID,
                                                              str(body.get("hub_company_id", ""))),
                               items=body.get("insights"))
    return http.json_response({"module": module, "changed": changed}, headers=NO_STORE)
