"""Account > Users, `/itdocs/account/users/...`: the account's users and their roles
(Administrators)."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.errors import InvalidInput
from chalicelib.itdocs import accounts
from chalicelib.itdocs.accounts import ItDocsUser
from chalicelib.itdocs.policy import ROLES
from chalicelib.itdocs.routes.pages import FLASHES, ITDOCS
from chalicelib.web import flash
from chalicelib.web.page import Page
from chalicelib.web.routing import page_route
from chalicelib.web.signin import signed_in

routes = Blueprint(__name__)


def _users_page(page: Page, actor: ItDocsUser, error: str | None = None,
                status: int = 200) -> Response:
    return page.render("itdocs/users.html", status=status, users=accounts.users_of(actor),
                       roles=ROLES, error=error, flash=flash.message(FLASHES, page.query()))


@page_route(routes, "/account/users", "itdocs")
def users_page(page: Page) -> Response:
    return _users_page(page, signed_in(page, ITDOCS))


@page_route(routes, "/account/users/{user_id}", "itdocs", methods=["POST"])
def user_role(page: Page, user_id: str) -> Response:
    form = page.form()
    actor = signed_in(page, ITDOCS)
    try:
        changed = accounts.set_role(page.runtime, actor, user_id, form.get("role", ""))
    except InvalidInput as error:
        return _users_page(page, actor, error.message, 400)
    return page.redirect(flash.location("/itdocs/account/users", f"now_{changed.role}",
                                        name=changed.name))
