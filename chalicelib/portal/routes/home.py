"""The Partner Portal's home page (`/portal/`): the company, its customers, what to do next."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.portal import companies, saas
from chalicelib.portal.policy import can
from chalicelib.portal.routes.pages import PORTAL
from chalicelib.web.page import Page
from chalicelib.web.routing import page_route
from chalicelib.web.signin import signed_in

routes = Blueprint(__name__)


@page_route(routes, "/", "portal")
def home(page: Page) -> Response:
    user = signed_in(page, PORTAL)
    listing = saas.customers_for(user)
    return page.render("portal/home.html", user=user, company=companies.company_of(user),
                       customer_count=len(listing.customers),
                       unlinked_count=listing.unlinked_count,
                       can_list_keys=can(user, "api_key.list"))
