"""Log In with Hub for the Partner Portal (`/portal/sso/...`): start, callback, account choice,
and "Link your accounts" (the portal password, once, links an existing user to the hub identity).

The callback also answers a sign-in started by Enable Login with Hub (Admin > Security
Settings): it shows whom the hub session belongs to and links only on Continue.
"""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.auth.sso import accounts, linking, relying_party, tenant_choice
from chalicelib.errors import (
    InvalidInput,
    LoginFailed,
    NotAuthenticated,
    UpstreamError,
)
from chalicelib.portal import enable_login, hub_linking, hub_login, sessions
from chalicelib.portal.routes.pages import HOME, PORTAL, to_hub
from chalicelib.portal.users import PortalUser
from chalicelib.web import http, params
from chalicelib.web.page import Page
from chalicelib.web.routing import page_route
from chalicelib.web.signin import signed_in

routes = Blueprint(__name__)
MODULE = hub_login.MODULE
LINK = "/portal/sso/link"
CONFIRM_LINK = "/portal/admin/security/link"  # "You are signed in to the hub as ... Link?"


@page_route(routes, "/sso/start", "portal")
def sso_start(page: Page) -> Response:
    return_to = http.local_path(page.query().get("next"), HOME)
    return to_hub(page, relying_party.start(page.runtime, MODULE, return_to=return_to))


@page_route(routes, "/sso/launch", "portal")
def sso_launch(page: Page) -> Response:
    """From the hub's My Modules: straight to the hub's authorize (a hub session types nothing)."""
    return to_hub(page, relying_party.start(page.runtime, MODULE, return_to=HOME))


LOGIN = "/portal/login"


def _login_error(page: Page, message: str) -> Response:
    """Back to the login page with the message: a refresh never replays the hub's answer."""
    return page.redirect_with_problem(LOGIN, message)


def _signed_in_as(page: Page, user: PortalUser, return_to: str, hub_sid: str) -> Response:
    token, _ = hub_login.complete(page.runtime, user, page.read_cookie(sessions.COOKIE),
                                  hub_sid)
    return _with_session(page, token, return_to)


def _with_session(page: Page, token: str, return_to: str) -> Response:
    page.clear_cookie(tenant_choice.COOKIE)
    page.clear_cookie(linking.COOKIE)
    page.set_cookie(sessions.COOKIE, token)
    return page.redirect(relying_party.safe_return_to(MODULE, return_to))


def _finish_link(page: Page, identity: relying_party.HubIdentity) -> Response:
    try:
        actor = signed_in(page, PORTAL)
    except NotAuthenticated:
        return _login_error(page, "Log in to the Partner Portal as a Security Admin first.")
    page.set_cookie(enable_login.COOKIE, enable_login.seal(page.runtime, actor, identity),
                    max_age=enable_login.MAX_AGE)
    return page.redirect(CONFIRM_LINK)


@page_route(routes, "/sso/callback", "portal")
def sso_callback(page: Page) -> Response:
    state_cookie = page.read_cookie(relying_party.STATE_COOKIE)
    page.clear_cookie(relying_party.STATE_COOKIE)
    try:
        identity = relying_party.finish(page.runtime, MODULE, query=page.query(),
                                        state_cookie=state_cookie)
    except (LoginFailed, InvalidInput, UpstreamError) as error:
        return _login_error(page, error.message)
    if identity.purpose == "link":
        return _finish_link(page, identity)
    return _open_accounts(page, identity)


def _open_accounts(page: Page, identity: relying_party.HubIdentity) -> Response:
    """Sign in to the one account the identity opens, or offer its choice, or say why not."""
    try:
        found = hub_login.sign_in(page.runtime, identity, hub_login.Starting(
            identity.sid, page.read_cookie(sessions.COOKIE)))
    except accounts.LinkRequired as required:
        page.set_cookie(linking.COOKIE,
                        hub_linking.seal(page.runtime, identity, required.account_ids),
                        max_age=linking.MAX_AGE)
        return page.redirect(LINK)
    except (accounts.NoAccount, accounts.NotLinked) as error:
        return page.render("portal/sso_no_account.html", status=403, message=error.message,
                           hub_name=identity.hub_company_name)
    except LoginFailed as error:
        return _login_error(page, error.message)
    return _to_account(page, identity, found)


def _to_account(page: Page, identity: relying_party.HubIdentity,
                found: hub_login.Found) -> Response:
    if found.started:  # a just-in-time user, created signed in
        return _with_session(page, found.started[0], identity.return_to)
    if len(found.users) == 1:
        return _signed_in_as(page, found.users[0], identity.return_to, identity.sid)
    page.set_cookie(tenant_choice.COOKIE, hub_login.seal_choice(page.runtime, found.users,
                                                                identity),
                    max_age=tenant_choice.MAX_AGE)
    return page.redirect("/portal/sso/choose")


@page_route(routes, "/sso/choose", "portal")
def sso_choose_form(page: Page) -> Response:
    choices = hub_login.accounts_offered(page.runtime, page.read_cookie(tenant_choice.COOKIE))
    return page.render("portal/sso_choose.html", accounts=choices, error=None)


@page_route(routes, "/sso/choose", "portal", methods=["POST"])
def sso_choose_submit(page: Page) -> Response:
    form = page.form()
    chosen = hub_login.choose(page.runtime, page.read_cookie(tenant_choice.COOKIE),
                              params.optional(params.USER_ID, form.get("user_id", "")))
    return _signed_in_as(page, chosen.user, chosen.return_to, chosen.hub_sid)


def _link_page(page: Page, error: str | None = None, status: int = 200) -> Response:
    offered = hub_linking.accounts_offered(page.runtime, page.read_cookie(linking.COOKIE))
    return page.render("portal/sso_link.html", status=status, accounts=offered, error=error)


@page_route(routes, "/sso/link", "portal")
def sso_link_form(page: Page) -> Response:
    return _link_page(page)


@page_route(routes, "/sso/link", "portal", methods=["POST"])
def sso_link_submit(page: Page) -> Response:
    form = page.form()
    try:
        linked = hub_linking.link_with_password(page.runtime, page.read_cookie(linking.COOKIE),
                                                params.optional(params.USER_ID,
                                                                form.get("user_id", "")),
                                                form.get("password", ""),
                                                page.read_cookie(sessions.COOKIE))
    except LoginFailed as error:
        return _link_page(page, error.message, status=401)
    return _with_session(page, linked.token, linked.return_to)
