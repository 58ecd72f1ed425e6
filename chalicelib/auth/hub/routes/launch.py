"""/hub/launch/{module}: open a linked module from My Modules."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.auth.hub import modules
from chalicelib.auth.hub.routes.pages import HUB
from chalicelib.web.page import Page
from chalicelib.web.routing import page_route
from chalicelib.web.signin import signed_in

routes = Blueprint(__name__)


@page_route(routes, "/launch/{module}", "hub")
def launch(page: Page, module: str) -> Response:
    user = signed_in(page, HUB)
    return page.redirect(modules.launch_url(user, module))
