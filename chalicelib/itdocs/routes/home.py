"""IT Docs' home, `/itdocs/`: the signed-in user's organizations."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.itdocs.routes.pages import HOME, ITDOCS
from chalicelib.web.page import Page
from chalicelib.web.routing import page_route
from chalicelib.web.signin import signed_in

routes = Blueprint(__name__)


@page_route(routes, "/", "itdocs")
def home(page: Page) -> Response:
    signed_in(page, ITDOCS)
    return page.redirect(HOME)
