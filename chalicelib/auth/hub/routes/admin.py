"""/hub/admin/...: a Master user's administration of their company's users and OIDC clients."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.auth.hub import accounts
from chalicelib.auth.hub.oidc import clients
from chalicelib.auth.hub.policy import MODULES, ROLES
from chalicelib.auth.hub.routes.pages import FLASHES, HUB
from chalicelib.errors import AlreadyExists, InvalidInput
from chalicelib.web import flash
from chalicelib.web.page import Page
from chalicelib.web.routing import page_route
from chalicelib.web.signin import signed_in

routes = Blueprint(__name__)


# -- users -----------------------------------------------------------------------------------------
@page_route(routes, "/admin/users", "hub")
def users_page(page: Page) -> Response:
    user = signed_in(page, HUB)
    return page.render("hub/users.html", users=accounts.company_users(user), roles=ROLES,
                       modules=MODULES, error=None, created=None,
                       flash=flash.message(FLASHES, page.query()))


@page_route(routes, "/admin/users", "hub", methods=["POST"])
def users_create(page: Page) -> Response:
    form = page.form()
    actor = signed_in(page, HUB)
    try:
        created = accounts.create_user(
            page.runtime, actor, username=form.get("username", ""), email=form.get("email", ""),
            name=form.get("name", ""), password=form.get("password", ""),
            role=form.get("role", "User"),
            modules=[m for m in MODULES if form.get(f"module_{m}") == "on"])
    except (InvalidInput, AlreadyExists) as error:
        return page.render("hub/users.html", status=400, users=accounts.company_users(actor),
                           roles=ROLES, modules=MODULES, error=error.message, created=None,
                           flash="")
    return page.redirect(flash.location("/hub/admin/users", "user_created", name=created.username))


@page_route(routes, "/admin/users/{user_id}", "hub", methods=["POST"])
def users_change(page: Page, user_id: str) -> Response:
    form = page.form()
    actor = signed_in(page, HUB)
    action = form.get("action", "")
    target = accounts.change_user(page.runtime, actor, user_id, action, form.get("module", ""))
    return page.redirect(flash.location("/hub/admin/users", action, name=target.username))


# -- OIDC clients ----------------------------------------------------------------------------------
@page_route(routes, "/admin/clients", "hub")
def clients_page(page: Page) -> Response:
    actor = signed_in(page, HUB)
    return page.render("hub/clients.html", clients=clients.company_clients(page.runtime, actor),
                       error=None, values={})


@page_route(routes, "/admin/clients", "hub", methods=["POST"])
def clients_register(page: Page) -> Response:
    form = page.form()
    actor = signed_in(page, HUB)
    try:
        client, secret = clients.register(page.runtime, actor, form.get("name", ""),
                                          form.get("redirect_uris", ""),
                                          form.get("post_logout_redirect_uris", ""))
    except InvalidInput as error:
        listed = clients.company_clients(page.runtime, actor)
        return page.render("hub/clients.html", status=400, clients=listed, error=error.message,
                           values=form)
    return page.render("hub/clients_created.html", status=201, client=client, secret=secret,
                       issuer=page.runtime.settings.hub_issuer)
