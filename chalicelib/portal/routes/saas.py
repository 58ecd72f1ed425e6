"""SaaS Protection customers (`/portal/saas`): the list, one customer's seats, link and unlink."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.errors import InvalidInput, NotFound
from chalicelib.portal import catalog, organizations, saas
from chalicelib.portal.policy import can
from chalicelib.portal.routes.pages import FLASHES, PORTAL
from chalicelib.web import flash, params
from chalicelib.web.page import Page
from chalicelib.web.routing import page_route
from chalicelib.web.signin import signed_in

routes = Blueprint(__name__)


def _customer_id(text: str) -> int:
    if not text.isdigit() or len(text) > 18:
        raise NotFound("No such SaaS Protection customer.")
    return int(text)


@page_route(routes, "/saas", "portal")
def customers_page(page: Page) -> Response:
    actor = signed_in(page, PORTAL)
    only_unlinked = page.query().get("show") == "unlinked"
    listing = saas.customers_for(actor, only_unlinked=only_unlinked)
    return page.render("portal/customers.html", listing=listing, only_unlinked=only_unlinked,
                       organizations=organizations.organizations_for(actor),
                       products=catalog.PRODUCTS, can_link=can(actor, "saas.link"),
                       flash=flash.message(FLASHES, page.query()))


@page_route(routes, "/saas/{customer_id}", "portal")
def customer_page(page: Page, customer_id: str) -> Response:
    actor = signed_in(page, PORTAL)
    customer, seat_list = saas.customer_with_seats(actor, _customer_id(customer_id))
    apps = catalog.APP_TYPES.get(customer.product_type, ())
    return page.render("portal/customer.html", customer=customer, seats=seat_list,
                       products=catalog.PRODUCTS, app_names=catalog.APP_NAMES, apps=apps,
                       backups=lambda seat: saas.backup_cells(seat, apps))


@page_route(routes, "/saas/{customer_id}/link", "portal", methods=["POST"])
def customer_link(page: Page, customer_id: str) -> Response:
    form = page.form()
    actor = signed_in(page, PORTAL)
    organization_id = params.ascii_int(form.get("organization_id", ""))
    if organization_id is None:
        raise InvalidInput("Choose an organization to link.")
    customer = saas.link(page.runtime, actor, _customer_id(customer_id), organization_id)
    return page.redirect(flash.location("/portal/saas", "customer_linked", customer=customer.name,
                                        organization=customer.organization_name or ""))


@page_route(routes, "/saas/{customer_id}/unlink", "portal", methods=["POST"])
def customer_unlink(page: Page, customer_id: str) -> Response:
    page.form()
    actor = signed_in(page, PORTAL)
    customer = saas.unlink(page.runtime, actor, _customer_id(customer_id))
    return page.redirect(flash.location("/portal/saas", "customer_unlinked",
                                        customer=customer.name))
