"""The partner's organizations (`/portal/organizations`): the list and a new one."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.errors import InvalidInput
from chalicelib.portal import organizations
from chalicelib.portal.policy import can
from chalicelib.portal.routes.pages import FLASHES, PORTAL
from chalicelib.portal.users import PortalUser
from chalicelib.web import flash
from chalicelib.web.page import Page
from chalicelib.web.routing import page_route
from chalicelib.web.signin import signed_in

routes = Blueprint(__name__)


def _organizations_page(page: Page, actor: PortalUser, status: int = 200,
                        error: str | None = None) -> Response:
    return page.render("portal/organizations.html", status=status,
                       organizations=organizations.organizations_for(actor), error=error,
                       can_create=can(actor, "organization.create"),
                       flash=flash.message(FLASHES, page.query()))


@page_route(routes, "/organizations", "portal")
def organizations_page(page: Page) -> Response:
    return _organizations_page(page, signed_in(page, PORTAL))


@page_route(routes, "/organizations", "portal", methods=["POST"])
def organizations_create(page: Page) -> Response:
    form = page.form()
    actor = signed_in(page, PORTAL)
    try:
        created = organizations.create_organization(page.runtime, actor, form.get("name", ""))
    except InvalidInput as error:
        return _organizations_page(page, actor, status=400, error=error.message)
    return page.redirect(flash.location("/portal/organizations", "organization_created",
                                        name=created.name))
