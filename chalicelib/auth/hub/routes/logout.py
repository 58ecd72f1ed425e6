"""/hub/logout: end the hub session (modules hear of it and end the sessions it started)."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.auth.hub import sessions
from chalicelib.auth.hub.oidc import provider
from chalicelib.web.page import Page
from chalicelib.web.routing import page_route

routes = Blueprint(__name__)


@page_route(routes, "/logout", "hub", methods=["POST"])
def logout(page: Page) -> Response:
    page.form()
    provider.log_out(page.runtime, page.read_cookie(sessions.COOKIE))
    page.clear_cookie(sessions.COOKIE)
    return page.redirect("/hub/login")
