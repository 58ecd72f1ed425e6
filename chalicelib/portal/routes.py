"""Partner Portal pages: local login, home, users, organizations, SaaS customers, API keys."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.errors import AlreadyExists, Forbidden, InvalidInput, LoginFailed, NotFound
from chalicelib.portal import (
    api_keys,
    catalog,
    organizations,
    portal_login,
    saas,
    sessions,
    users,
)
from chalicelib.portal.pages import FLASHES, PORTAL
from chalicelib.portal.policy import ROLES, can
from chalicelib.storage.portal import companies as company_store
from chalicelib.storage.portal import users as user_store
from chalicelib.storage.portal.users import PortalUser
from chalicelib.web import flash, http
from chalicelib.web.page import Page
from chalicelib.web.routing import page_route
from chalicelib.web.signin import signed_in

portal_routes = Blueprint(__name__)
CHOICE_COOKIE = "choice"
HOME = "/portal/"


def _customer_id(text: str) -> int:
    if not text.isdigit() or len(text) > 18:
        raise NotFound("No such SaaS Protection customer.")
    return int(text)


def _start_session(page: Page, token: str, next_path: str) -> Response:
    page.clear_cookie(CHOICE_COOKIE)
    page.set_cookie(sessions.COOKIE, token)
    return page.redirect(http.local_path(next_path, HOME))


# -- login -----------------------------------------------------------------------------------------
@page_route(portal_routes, "/login", "portal")
def login_form(page: Page) -> Response:
    next_path = http.local_path(page.query().get("next"), HOME)
    return page.render("portal/login.html", next=next_path, error=None, identifier="")


@page_route(portal_routes, "/login", "portal", methods=["POST"])
def login_submit(page: Page) -> Response:
    form = page.form()
    next_path = http.local_path(form.get("next"), HOME)
    identifier = form.get("identifier", "")
    try:
        matched = portal_login.check_password(page.runtime, identifier, form.get("password", ""))
    except (LoginFailed, InvalidInput) as error:
        status = 401 if isinstance(error, LoginFailed) else 400
        return page.render("portal/login.html", status=status, next=next_path,
                           error=error.message, identifier=identifier)
    if len(matched) == 1:
        token, _ = portal_login.complete(page.runtime, matched[0],
                                         page.read_cookie(sessions.COOKIE))
        return _start_session(page, token, next_path)
    page.set_cookie(CHOICE_COOKIE, portal_login.seal_choice(page.runtime, matched, next_path),
                    max_age=portal_login.CHOICE_MAX_AGE)
    return page.redirect("/portal/login/choose")


@page_route(portal_routes, "/login/choose", "portal")
def choose_form(page: Page) -> Response:
    user_ids, _ = portal_login.unseal_choice(page.runtime, page.read_cookie(CHOICE_COOKIE))
    accounts = [user_store.get_user(user_id) for user_id in user_ids]
    return page.render("portal/choose.html", accounts=accounts, error=None)


@page_route(portal_routes, "/login/choose", "portal", methods=["POST"])
def choose_submit(page: Page) -> Response:
    form = page.form()
    token, _, next_path = portal_login.choose(page.runtime, page.read_cookie(CHOICE_COOKIE),
                                              form.get("user_id", ""),
                                              page.read_cookie(sessions.COOKIE))
    return _start_session(page, token, next_path)


@page_route(portal_routes, "/logout", "portal", methods=["POST"])
def logout(page: Page) -> Response:
    page.form()
    sessions.end(page.read_cookie(sessions.COOKIE))
    page.clear_cookie(sessions.COOKIE)
    return page.redirect("/portal/login")


# -- home ------------------------------------------------------------------------------------------
@page_route(portal_routes, "/", "portal")
def home(page: Page) -> Response:
    user = signed_in(page, PORTAL)
    company = company_store.get_company(user.company_id)
    listing = saas.customers_for(user)
    return page.render("portal/home.html", user=user, company=company,
                       customer_count=len(listing.customers),
                       unlinked_count=listing.unlinked_count,
                       can_list_keys=can(user, "api_key.list"))


# -- users (admins) --------------------------------------------------------------------------------
def _users_page(page: Page, actor: PortalUser, status: int = 200,
                error: str | None = None) -> Response:
    return page.render("portal/users.html", status=status, users=users.company_users(actor),
                       roles=ROLES, error=error, flash=flash.message(FLASHES, page.query()),
                       can_manage=lambda target: can(actor, "user.manage", target))


@page_route(portal_routes, "/admin/users", "portal")
def users_page(page: Page) -> Response:
    return _users_page(page, signed_in(page, PORTAL))


@page_route(portal_routes, "/admin/users", "portal", methods=["POST"])
def users_create(page: Page) -> Response:
    form = page.form()
    actor = signed_in(page, PORTAL)
    company = company_store.get_company(actor.company_id)
    try:
        created = users.create_user(
            page.runtime, company, username=form.get("username", ""),
            email=form.get("email", ""), name=form.get("name", ""),
            role=form.get("role", ""), password=form.get("password", ""), actor=actor)
    except (InvalidInput, AlreadyExists) as error:
        return _users_page(page, actor, status=400, error=error.message)
    return page.redirect(flash.location("/portal/admin/users", "user_created",
                                        name=created.username))


@page_route(portal_routes, "/admin/users/{user_id}", "portal", methods=["POST"])
def users_change(page: Page, user_id: str) -> Response:
    form = page.form()
    actor = signed_in(page, PORTAL)
    action = form.get("action", "")
    status = {"deactivate": users.DEACTIVATED, "reactivate": users.ACTIVE,
              "delete": users.DELETED}.get(action)
    if status is None:
        raise InvalidInput("Unknown action.")
    try:
        target = users.set_status(page.runtime, actor, user_id, status)
    except InvalidInput as error:
        return _users_page(page, actor, status=400, error=error.message)
    return page.redirect(flash.location("/portal/admin/users", f"user_{status}",
                                        name=target.username))


# -- organizations ---------------------------------------------------------------------------------
def _organizations_page(page: Page, actor: PortalUser, status: int = 200,
                        error: str | None = None) -> Response:
    return page.render("portal/organizations.html", status=status,
                       organizations=organizations.organizations_for(actor), error=error,
                       can_create=can(actor, "organization.create"),
                       flash=flash.message(FLASHES, page.query()))


@page_route(portal_routes, "/organizations", "portal")
def organizations_page(page: Page) -> Response:
    return _organizations_page(page, signed_in(page, PORTAL))


@page_route(portal_routes, "/organizations", "portal", methods=["POST"])
def organizations_create(page: Page) -> Response:
    form = page.form()
    actor = signed_in(page, PORTAL)
    try:
        created = organizations.create_organization(page.runtime, actor, form.get("name", ""))
    except InvalidInput as error:
        return _organizations_page(page, actor, status=400, error=error.message)
    return page.redirect(flash.location("/portal/organizations", "organization_created",
                                        name=created.name))


# -- SaaS Protection customers ---------------------------------------------------------------------
@page_route(portal_routes, "/saas", "portal")
def customers_page(page: Page) -> Response:
    actor = signed_in(page, PORTAL)
    only_unlinked = page.query().get("show") == "unlinked"
    listing = saas.customers_for(actor, only_unlinked=only_unlinked)
    return page.render("portal/customers.html", listing=listing, only_unlinked=only_unlinked,
                       organizations=organizations.organizations_for(actor),
                       products=catalog.PRODUCTS, can_link=can(actor, "saas.link"),
                       flash=flash.message(FLASHES, page.query()))


@page_route(portal_routes, "/saas/{customer_id}", "portal")
def customer_page(page: Page, customer_id: str) -> Response:
    actor = signed_in(page, PORTAL)
    customer, seat_list = saas.customer_with_seats(actor, _customer_id(customer_id))
    apps = catalog.APP_TYPES.get(customer.product_type, ())
    return page.render("portal/customer.html", customer=customer, seats=seat_list,
                       products=catalog.PRODUCTS, app_names=catalog.APP_NAMES, apps=apps,
                       backups=lambda seat: saas.backup_cells(seat, apps))


@page_route(portal_routes, "/saas/{customer_id}/link", "portal", methods=["POST"])
def customer_link(page: Page, customer_id: str) -> Response:
    form = page.form()
    actor = signed_in(page, PORTAL)
    organization_id = form.get("organization_id", "")
    if not organization_id.isdigit():
        raise InvalidInput("Choose an organization to link.")
    customer = saas.link(page.runtime, actor, _customer_id(customer_id), int(organization_id))
    return page.redirect(flash.location("/portal/saas", "customer_linked", customer=customer.name,
                                        organization=customer.organization_name or ""))


@page_route(portal_routes, "/saas/{customer_id}/unlink", "portal", methods=["POST"])
def customer_unlink(page: Page, customer_id: str) -> Response:
    page.form()
    actor = signed_in(page, PORTAL)
    customer = saas.unlink(page.runtime, actor, _customer_id(customer_id))
    return page.redirect(flash.location("/portal/saas", "customer_unlinked",
                                        customer=customer.name))


# -- Admin > Integrations > API Keys ---------------------------------------------------------------
def _api_keys_page(page: Page, actor: PortalUser, status: int = 200,
                   new_key: api_keys.NewApiKey | None = None,
                   error: str | None = None) -> Response:
    return page.render("portal/api_keys.html", status=status, keys=api_keys.keys_for(actor),
                       new_key=new_key, error=error, flash=flash.message(FLASHES, page.query()))


@page_route(portal_routes, "/admin/api-keys", "portal")
def api_keys_page(page: Page) -> Response:
    return _api_keys_page(page, signed_in(page, PORTAL))


@page_route(portal_routes, "/admin/api-keys", "portal", methods=["POST"])
def api_keys_create(page: Page) -> Response:
    form = page.form()
    actor = signed_in(page, PORTAL)
    try:
        new_key = api_keys.create(page.runtime, actor, form.get("label", ""))
    except InvalidInput as error:
        return _api_keys_page(page, actor, status=400, error=error.message)
    # Rendered, not redirected: the secret appears in this one response and nowhere else.
    return _api_keys_page(page, actor, status=201, new_key=new_key)


@page_route(portal_routes, "/admin/api-keys/{public_key}/revoke", "portal", methods=["POST"])
def api_keys_revoke(page: Page, public_key: str) -> Response:
    page.form()
    actor = signed_in(page, PORTAL)
    if not can(actor, "api_key.revoke"):
        raise Forbidden()
    api_keys.revoke(page.runtime, actor, public_key)
    return page.redirect(flash.location("/portal/admin/api-keys", "key_revoked", key=public_key))
