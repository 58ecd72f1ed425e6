"""IT Docs' logout, `POST /itdocs/logout`: the session ends, back to the login page."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.itdocs import sessions
from chalicelib.web.page import Page
from chalicelib.web.routing import page_route

routes = Blueprint(__name__)


@page_route(routes, "/logout", "itdocs", methods=["POST"])
def logout(page: Page) -> Response:
    page.form()
    sessions.end(page.read_cookie(sessions.COOKIE))
    page.clear_cookie(sessions.COOKIE)
    return page.redirect("/itdocs/login")
