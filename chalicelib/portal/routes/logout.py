"""Logging out of the Partner Portal (`/portal/logout`): the session ends on the server."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.portal import sessions
from chalicelib.web.page import Page
from chalicelib.web.routing import page_route

routes = Blueprint(__name__)


@page_route(routes, "/logout", "portal", methods=["POST"])
def logout(page: Page) -> Response:
    page.form()
    sessions.end(page.read_cookie(sessions.COOKIE))
    page.clear_cookie(sessions.COOKIE)
    return page.redirect("/portal/login")
