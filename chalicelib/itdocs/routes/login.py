"""IT Docs' login page, `/itdocs/login`: Log In with Hub."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.auth.sso import relying_party
from chalicelib.itdocs.routes.pages import MODULE
from chalicelib.web.page import Page
from chalicelib.web.routing import page_route

routes = Blueprint(__name__)


@page_route(routes, "/login", "itdocs")
def login(page: Page) -> Response:
    next_path = relying_party.safe_return_to(MODULE, page.query().get("next"))
    return page.render("itdocs/login.html", next=next_path, error=None)
