"""IT Docs Account pages: Users, API Keys and Single Sign-on (Administrators)."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.auth.sso import relying_party
from chalicelib.errors import Forbidden, InvalidInput, UpstreamError
from chalicelib.itdocs import accounts, api_keys, hub_sign_in
from chalicelib.itdocs.accounts import ItDocsUser
from chalicelib.itdocs.pages import FLASHES, ITDOCS
from chalicelib.itdocs.policy import ROLES, can
from chalicelib.web import flash
from chalicelib.web.page import Page
from chalicelib.web.routing import page_route
from chalicelib.web.signin import signed_in

itdocs_account_routes = Blueprint(__name__)


def _administrator(page: Page) -> ItDocsUser:
    actor = signed_in(page, ITDOCS)
    if not can(actor, "account.manage"):
        raise Forbidden("Only Administrators manage the account.")
    return actor


# -- users ---------------------------------------------------------------------------------------
def _users_page(page: Page, actor: ItDocsUser, error: str | None = None,
                status: int = 200) -> Response:
    return page.render("itdocs/users.html", status=status, users=accounts.users_of(actor),
                       roles=ROLES, error=error, flash=flash.message(FLASHES, page.query()))


@page_route(itdocs_account_routes, "/account/users", "itdocs")
def users_page(page: Page) -> Response:
    return _users_page(page, _administrator(page))


@page_route(itdocs_account_routes, "/account/users/{user_id}", "itdocs", methods=["POST"])
def user_role(page: Page, user_id: str) -> Response:
    form = page.form()
    actor = _administrator(page)
    try:
        changed = accounts.set_role(page.runtime, actor, user_id, form.get("role", ""))
    except InvalidInput as error:
        return _users_page(page, actor, error.message, 400)
    return page.redirect(flash.location("/itdocs/account/users", f"now_{changed.role}",
                                        name=changed.name))


# -- API keys --------------------------------------------------------------------------------------
def _keys_page(page: Page, actor: ItDocsUser, *, created: str | None = None,
               error: str | None = None, status: int = 200) -> Response:
    return page.render("itdocs/api_keys.html", status=status, keys=api_keys.keys_of(actor),
                       created=created, error=error, flash=flash.message(FLASHES, page.query()))


@page_route(itdocs_account_routes, "/account/api-keys", "itdocs")
def api_keys_page(page: Page) -> Response:
    return _keys_page(page, _administrator(page))


@page_route(itdocs_account_routes, "/account/api-keys", "itdocs", methods=["POST"])
def api_keys_create(page: Page) -> Response:
    form = page.form()
    actor = _administrator(page)
    try:
        created = api_keys.create(page.runtime, actor, form.get("label", ""))
    except InvalidInput as error:
        return _keys_page(page, actor, error=error.message, status=400)
    return _keys_page(page, actor, created=created.presented)


@page_route(itdocs_account_routes, "/account/api-keys/{key_id}/revoke", "itdocs",
            methods=["POST"])
def api_keys_revoke(page: Page, key_id: str) -> Response:
    page.form()
    actor = _administrator(page)
    api_keys.revoke(page.runtime, actor, key_id)
    return page.redirect(flash.location("/itdocs/account/api-keys", "key_revoked"))


# -- single sign-on --------------------------------------------------------------------------------
def _sso_page(page: Page, actor: ItDocsUser, error: str | None = None,
              status: int = 200) -> Response:
    return page.render("itdocs/sso.html", status=status,
                       account=accounts.get_account(actor.account_id), roles=ROLES,
                       error=error, flash=flash.message(FLASHES, page.query()))


@page_route(itdocs_account_routes, "/account/sso", "itdocs")
def sso_page(page: Page) -> Response:
    return _sso_page(page, _administrator(page))


@page_route(itdocs_account_routes, "/account/sso", "itdocs", methods=["POST"])
def sso_save(page: Page) -> Response:
    form = page.form()
    actor = _administrator(page)
    accounts.update_sign_in(page.runtime, actor, default_role=form.get("default_role", ""),
                            jit_enabled=form.get("jit_enabled") == "on")
    return page.redirect(flash.location("/itdocs/account/sso", "sso_saved"))


@page_route(itdocs_account_routes, "/account/sso/link", "itdocs")
def sso_link(page: Page) -> Response:
    """Sign in to the hub (as a Master) with purpose "link"; the callback links the account."""
    _administrator(page)
    url, cookie = relying_party.start(page.runtime, "itdocs", return_to="/itdocs/account/sso",
                                      purpose="link")
    page.set_cookie(relying_party.STATE_COOKIE, cookie, max_age=relying_party.STATE_MAX_AGE)
    return page.redirect(url)


@page_route(itdocs_account_routes, "/account/sso/unlink", "itdocs", methods=["POST"])
def sso_unlink(page: Page) -> Response:
    page.form()
    actor = _administrator(page)
    try:
        hub_sign_in.unlink_account(page.runtime, actor)
    except UpstreamError as error:
        return _sso_page(page, actor, error=error.message, status=502)
    return page.redirect(flash.location("/itdocs/account/sso", "unlinked"))
