"""/hub/.well-known/...: the OpenID Provider metadata modules discover the hub by."""

from __future__ import annotations

from chalice.app import Blueprint, Request, Response

from chalicelib import runtime
from chalicelib.auth.hub.oidc import provider
from chalicelib.auth.hub.routes.pages import PUBLIC_CACHE
from chalicelib.web import http
from chalicelib.web.routing import json_route

routes = Blueprint(__name__)


@json_route(routes, "/.well-known/openid-configuration")
def openid_configuration(request: Request) -> Response:
    return http.json_response(provider.discovery(runtime.current().settings),
                              headers=PUBLIC_CACHE)
