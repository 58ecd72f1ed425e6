"""/hub/: My Modules, the hub's home page."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.auth.hub.dashboard import dashboard
from chalicelib.auth.hub.routes.pages import HUB
from chalicelib.web.page import Page
from chalicelib.web.routing import page_route
from chalicelib.web.signin import signed_in

routes = Blueprint(__name__)


@page_route(routes, "/", "hub")
def my_modules(page: Page) -> Response:
    """The modules the user may open, with the insights their company's modules published."""
    user = signed_in(page, HUB)
    shown = dashboard(user)
    return page.render("hub/dashboard.html", user=user, company=shown.company,
                       modules=shown.modules, insights=shown.insights)
