"""Log In with Hub for IT Docs, `/itdocs/sso/...`: start, the hub's callback, and the hub's launch.

The callback also finishes linking the account to a hub company (purpose "link", started from
Account > Single Sign-on). An existing user the hub identity may not claim on the hub's word gets
the "Link your accounts" page (`/itdocs/sso/link`), which explains and links nothing.
"""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.auth.sso import linking, relying_party
from chalicelib.auth.sso.accounts import LinkRequired, NoAccount, NotLinked
from chalicelib.errors import Forbidden, InvalidInput, LoginFailed, NotAuthenticated
from chalicelib.itdocs import hub_sign_in, sessions
from chalicelib.itdocs.routes.pages import HOME, ITDOCS, MODULE
from chalicelib.web import flash, http
from chalicelib.web.page import Page
from chalicelib.web.routing import page_route
from chalicelib.web.signin import signed_in

routes = Blueprint(__name__)
SSO_COOKIE = relying_party.STATE_COOKIE


def _login_page(page: Page, error: str) -> Response:
    """Back to the login page, which tells why (a refresh does not replay the hub's answer)."""
    return page.redirect_with_problem("/itdocs/login", error)


@page_route(routes, "/sso/start", "itdocs")
def sso_start(page: Page) -> Response:
    """Send the browser to the hub's authorization endpoint with a sealed state cookie."""
    return_to = relying_party.safe_return_to(MODULE, page.query().get("next"))
    url, cookie = relying_party.start(page.runtime, MODULE, return_to=return_to)
    page.set_cookie(SSO_COOKIE, cookie, max_age=relying_party.STATE_MAX_AGE)
    return page.redirect(url)


@page_route(routes, "/sso/launch", "itdocs")
def sso_launch(page: Page) -> Response:
    """The hub's My Modules tile: open IT Docs, signing in with the hub if needed."""
    try:
        signed_in(page, ITDOCS)
    except NotAuthenticated:
        return page.redirect("/itdocs/sso/start?next=/itdocs/organizations")
    return page.redirect(HOME)


@page_route(routes, "/sso/callback", "itdocs")
def sso_callback(page: Page) -> Response:
    """Finish Log In with Hub: sign the user in, or complete linking the account to the hub."""
    state_cookie = page.read_cookie(SSO_COOKIE)
    page.clear_cookie(SSO_COOKIE)
    try:
        identity = relying_party.finish(page.runtime, MODULE, query=page.query(),
                                        state_cookie=state_cookie)
        if identity.purpose == "link":
            actor = signed_in(page, ITDOCS)
            hub_sign_in.link_account(page.runtime, actor, identity)
            return page.redirect(flash.location("/itdocs/account/sso", "linked"))
        token, _ = hub_sign_in.sign_in(page.runtime, identity, hub_sign_in.Starting(
            identity.sid or None, page.read_cookie(sessions.COOKIE)))
    except LinkRequired as required:
        page.set_cookie(linking.COOKIE,
                        hub_sign_in.seal_link(page.runtime, identity, required.account_ids),
                        max_age=linking.MAX_AGE)
        return page.redirect("/itdocs/sso/link")
    except (LoginFailed, InvalidInput, NotLinked, NoAccount) as error:
        return _login_page(page, error.message)
    except Forbidden as error:  # linking by someone the hub says may not: told on Single Sign-on
        return page.redirect_with_problem("/itdocs/account/sso", error.message)
    page.set_cookie(sessions.COOKIE, token)
    return page.redirect(http.local_path(identity.return_to, HOME))


@page_route(routes, "/sso/link", "itdocs")
def sso_link(page: Page) -> Response:
    """"Link your accounts": an IT Docs user has the hub user's email but no proof links it."""
    identity, users = hub_sign_in.link_candidates(page.runtime, page.read_cookie(linking.COOKIE))
    return page.render("itdocs/sso_link.html", status=403, users=users,
                       email_verified=identity.email_verified)
