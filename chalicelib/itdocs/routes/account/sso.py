"""Account > Single Sign-on, `/itdocs/account/sso/...`: just-in-time users, and linking the
account to a hub company (Administrators)."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.auth.sso import relying_party
from chalicelib.errors import InvalidInput, UpstreamError
from chalicelib.itdocs import accounts, hub_sign_in
from chalicelib.itdocs.accounts import ItDocsUser
from chalicelib.itdocs.policy import ROLES
from chalicelib.itdocs.routes.pages import FLASHES, ITDOCS
from chalicelib.web import flash
from chalicelib.web.page import Page
from chalicelib.web.routing import page_route
from chalicelib.web.signin import signed_in

routes = Blueprint(__name__)
SSO = "/itdocs/account/sso"


def _sso_page(page: Page, actor: ItDocsUser, error: str | None = None,
              status: int = 200) -> Response:
    return page.render("itdocs/sso.html", status=status,
                       account=accounts.sign_in_settings(actor), roles=ROLES,
                       error=error, flash=flash.message(FLASHES, page.query()))


@page_route(routes, "/account/sso", "itdocs")
def sso_page(page: Page) -> Response:
    return _sso_page(page, signed_in(page, ITDOCS))


@page_route(routes, "/account/sso", "itdocs", methods=["POST"])
def sso_save(page: Page) -> Response:
    form = page.form()
    accounts.update_sign_in(page.runtime, signed_in(page, ITDOCS),
                            default_role=form.get("default_role", ""),
                            jit_enabled=form.get("jit_enabled") == "on")
    return page.redirect(flash.location(SSO, "sso_saved"))


@page_route(routes, "/account/sso/link", "itdocs")
def sso_link_confirm(page: Page) -> Response:
    """What linking does, and a button: opening this URL (a link, an image) links nothing."""
    account = hub_sign_in.link_preview(signed_in(page, ITDOCS))
    return page.render("itdocs/sso_link_hub.html", account=account)


@page_route(routes, "/account/sso/link", "itdocs", methods=["POST"])
def sso_link(page: Page) -> Response:
    """Sign in to the hub (as a Master) with purpose "link"; the callback links the account."""
    page.form()
    actor = signed_in(page, ITDOCS)
    try:
        url, cookie = hub_sign_in.start_link(page.runtime, actor)
    except InvalidInput as error:
        return _sso_page(page, actor, error=error.message, status=400)
    page.set_cookie(relying_party.STATE_COOKIE, cookie, max_age=relying_party.STATE_MAX_AGE)
    return page.redirect(url)


@page_route(routes, "/account/sso/unlink", "itdocs", methods=["POST"])
def sso_unlink(page: Page) -> Response:
    page.form()
    actor = signed_in(page, ITDOCS)
    try:
        hub_sign_in.unlink_account(page.runtime, actor)
    except UpstreamError as error:
        return _sso_page(page, actor, error=error.message, status=502)
    return page.redirect(flash.location(SSO, "unlinked"))
