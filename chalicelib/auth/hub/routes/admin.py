"""/hub/admin/...: a Master user's administration of their company's users and OIDC clients."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.auth.hub import accounts, email_verification, invitations
from chalicelib.auth.hub.oidc import clients
from chalicelib.auth.hub.policy import MODULES, ROLES
from chalicelib.auth.hub.routes.pages import FLASHES, HUB
from chalicelib.auth.hub.sessions import HubUser
from chalicelib.errors import AlreadyExists, Forbidden, InvalidInput
from chalicelib.runtime import Runtime
from chalicelib.web import flash, http
from chalicelib.web.page import Page
from chalicelib.web.routing import page_route
from chalicelib.web.signin import signed_in

routes = Blueprint(__name__)
USERS = "/hub/admin/users"
SHOW_DELETED = "shown"  # ?deleted=shown: the Users page lists deleted users too
CLIENT_FIELDS = ("name", "redirect_uris", "post_logout_redirect_uris")
CLIENTS = "/hub/admin/clients"
CREATED = f"{CLIENTS}/created"  # the one page that shows a new client's secret
REVEAL_COOKIE = "client_secret"  # sealed, HttpOnly, only sent to CREATED, cleared when read


# -- users -----------------------------------------------------------------------------------------
@page_route(routes, "/admin/users", "hub")
def users_page(page: Page) -> Response:
    """The company's users; deleted ones only behind "Show deleted" (`?deleted=shown`)."""
    user = signed_in(page, HUB)
    everyone = accounts.company_users(user)
    show_deleted = page.query().get("deleted") == SHOW_DELETED
    problem = page.problem
    return page.render("hub/users.html", users=listed_users(everyone, show_deleted),
                       deleted_count=sum(u.status == "deleted" for u in everyone),
                       show_deleted=show_deleted, roles=ROLES, modules=MODULES,
                       error=problem.message if problem else None,
                       values=problem.values if problem else {}, created=None,
                       flash=flash.message(FLASHES, page.query()), now=page.runtime.clock.now())


def listed_users(users: list[HubUser], show_deleted: bool) -> list[HubUser]:
    """The users the list shows: deleted ones only when asked for."""
    return [u for u in users if show_deleted or u.status != "deleted"]


@page_route(routes, "/admin/users", "hub", methods=["POST"])
def users_create(page: Page) -> Response:
    """Create a user; a refusal goes back to the form (its values kept, the password not)."""
    form = page.form()
    actor = signed_in(page, HUB)
    new = accounts.NewUser(
        username=form.get("username", ""), email=form.get("email", ""), name=form.get("name", ""),
        password=form.get("password", ""), role=form.get("role", "User"),
        modules=[m for m in MODULES if form.get(f"module_{m}") == "on"])
    try:
        created = email_verification.add_user(page.runtime, actor, new)
    except (InvalidInput, AlreadyExists) as error:
        kept = {name: form.get(name, "") for name in ("username", "email", "name", "role")}
        return page.redirect_with_problem(f"{USERS}#add-user", error.message, **kept)
    done = "user_invited" if created.status == "invited" else "user_created"
    return page.redirect(flash.location(USERS, done, name=created.username))


@page_route(routes, "/admin/users/{user_id}", "hub", methods=["POST"])
def users_change(page: Page, user_id: str) -> Response:
    """One action on a user; Delete happens only from its confirmation page."""
    form = page.form()
    actor = signed_in(page, HUB)
    action = form.get("action", "")
    if action == "delete" and form.get("confirmed") != "yes":
        return page.redirect(f"{USERS}/{user_id}/delete")
    try:
        target = _user_action(page.runtime, actor, user_id, form)
    except (InvalidInput, Forbidden) as error:
        return page.redirect_with_problem(USERS, error.message)
    names = {"name": target.username}
    if action in ("grant", "revoke"):
        names["module"] = MODULES.get(form.get("module", ""), "")
    if action == "change_email" and target.email_verified and not target.pending_email:
        action = "email_kept"  # the verified address given back: the waiting one was dropped
    return page.redirect(flash.location(USERS, action, **names))


def _user_action(rt: Runtime, actor: HubUser, user_id: str, form: dict[str, str]) -> HubUser:
    """The service for one row action: invitations and email, else status, MFA and modules."""
    action = form.get("action", "")
    if action == "resend_invitation":
        return invitations.resend(rt, actor, user_id)
    if action == "revoke_invitation":
        return invitations.revoke(rt, actor, user_id)
    if action == "change_email":
        return email_verification.change_email(rt, actor, user_id, form.get("email", ""))
    return accounts.change_user(rt, actor, user_id, action, form.get("module", ""))


@page_route(routes, "/admin/users/{user_id}/delete", "hub")
def users_delete_confirm(page: Page, user_id: str) -> Response:
    """Are you sure? Deleting a user ends their sessions everywhere and cannot be undone."""
    actor = signed_in(page, HUB)
    target = accounts.managed_user(actor, user_id, "user.delete")
    if target.status == "deleted":
        return page.redirect_with_problem(USERS, f"{target.username} is already deleted.")
    return page.render("hub/user_delete.html", target=target)


# -- OIDC clients ----------------------------------------------------------------------------------
@page_route(routes, "/admin/clients", "hub")
def clients_page(page: Page) -> Response:
    actor = signed_in(page, HUB)
    problem = page.problem
    return page.render("hub/clients.html", clients=clients.company_clients(page.runtime, actor),
                       error=problem.message if problem else None,
                       values=problem.values if problem else {})


@page_route(routes, "/admin/clients", "hub", methods=["POST"])
def clients_register(page: Page) -> Response:
    """Register a client, then redirect: a refresh registers nothing twice."""
    form = page.form()
    actor = signed_in(page, HUB)
    try:
        client, secret = clients.register(page.runtime, actor, form.get("name", ""),
                                          form.get("redirect_uris", ""),
                                          form.get("post_logout_redirect_uris", ""))
    except InvalidInput as error:
        kept = {name: form.get(name, "") for name in CLIENT_FIELDS}
        return page.redirect_with_problem(CLIENTS, error.message, **kept)
    sealed = clients.seal_secret(page.runtime, actor, client, secret)
    page.set_cookies.append(http.cookie(page.cookie_name(REVEAL_COOKIE), sealed, path=CREATED,
                                        secure=page.runtime.settings.cookie_secure,
                                        max_age=clients.REVEAL_FOR))
    return page.redirect(CREATED)


@page_route(routes, "/admin/clients/created", "hub")
def clients_created(page: Page) -> Response:
    """The new client's secret, once: its cookie is cleared as it is read; else the list."""
    actor = signed_in(page, HUB)
    token = page.read_cookie(REVEAL_COOKIE) or ""
    page.set_cookies.append(http.expired_cookie(page.cookie_name(REVEAL_COOKIE), path=CREATED,
                                                secure=page.runtime.settings.cookie_secure))
    revealed = clients.reveal_secret(page.runtime, actor, token)
    if revealed is None:
        return page.redirect(CLIENTS)
    client, secret = revealed
    return page.render("hub/clients_created.html", client=client, secret=secret,
                       issuer=page.runtime.settings.hub_issuer)
