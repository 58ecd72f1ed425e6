"""Partner Portal pages for Log In with Hub: linking, security settings, callback, tenants."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.auth.sso import accounts, relying_party, tenant_choice
from chalicelib.errors import (
    ConcurrentChange,
    Forbidden,
    InvalidInput,
    LoginFailed,
    NotAuthenticated,
    UpstreamError,
)
from chalicelib.portal import hub_login, security_settings, sessions
from chalicelib.portal.pages import FLASHES, PORTAL
from chalicelib.portal.policy import can
from chalicelib.portal.security_settings import JIT_ROLES
from chalicelib.storage.portal import users as portal_store
from chalicelib.storage.portal.users import PortalUser
from chalicelib.web import flash, http
from chalicelib.web.page import Page
from chalicelib.web.routing import page_route
from chalicelib.web.signin import signed_in

portal_sso_routes = Blueprint(__name__)
MODULE = "portal"
HOME = "/portal/"
SECURITY = "/portal/admin/security"


# -- Log In with Hub -------------------------------------------------------------------------------
def _to_hub(page: Page, return_to: str, purpose: str = "login") -> Response:
    url, cookie = relying_party.start(page.runtime, MODULE, return_to=return_to, purpose=purpose)
    page.set_cookie(relying_party.STATE_COOKIE, cookie, max_age=relying_party.STATE_MAX_AGE)
    return page.redirect(url)


@page_route(portal_sso_routes, "/sso/start", "portal")
def sso_start(page: Page) -> Response:
    return _to_hub(page, http.local_path(page.query().get("next"), HOME))


@page_route(portal_sso_routes, "/sso/launch", "portal")
def sso_launch(page: Page) -> Response:
    """From the hub's My Modules: straight to the hub's authorize (a hub session types nothing)."""
    return _to_hub(page, HOME)


def _login_error(page: Page, message: str, status: int = 401) -> Response:
    return page.render("portal/login.html", status=status, next=HOME, error=message,
                       identifier="")


def _signed_in_as(page: Page, user: PortalUser, return_to: str, hub_sid: str) -> Response:
    token, _ = hub_login.complete(page.runtime, user, page.read_cookie(sessions.COOKIE),
                                  hub_sid)
    page.clear_cookie(tenant_choice.COOKIE)
    page.set_cookie(sessions.COOKIE, token)
    return page.redirect(relying_party.safe_return_to(MODULE, return_to))


@page_route(portal_sso_routes, "/sso/callback", "portal")
def sso_callback(page: Page) -> Response:
    state_cookie = page.read_cookie(relying_party.STATE_COOKIE)
    page.clear_cookie(relying_party.STATE_COOKIE)
    try:
        identity = relying_party.finish(page.runtime, MODULE, query=page.query(),
                                        state_cookie=state_cookie)
    except (LoginFailed, InvalidInput, UpstreamError) as error:
        return _login_error(page, error.message, 502 if isinstance(error, UpstreamError) else 401)
    if identity.purpose == "link":
        return _finish_link(page, identity)
    try:
        found = hub_login.accounts_for(page.runtime, identity)
    except (accounts.NoAccount, accounts.NotLinked) as error:
        return page.render("portal/sso_no_account.html", status=403, message=error.message,
                           hub_name=identity.hub_company_name)
    except LoginFailed as error:
        return _login_error(page, error.message)
    if len(found) == 1:
        return _signed_in_as(page, found[0], identity.return_to, identity.sid)
    sealed = tenant_choice.seal(page.runtime, MODULE, [u.user_id for u in found],
                                identity.return_to, identity.sid)
    page.set_cookie(tenant_choice.COOKIE, sealed, max_age=tenant_choice.MAX_AGE)
    return page.redirect("/portal/sso/choose")


@page_route(portal_sso_routes, "/sso/choose", "portal")
def sso_choose_form(page: Page) -> Response:
    user_ids, _ = tenant_choice.offered(page.runtime, MODULE,
                                        page.read_cookie(tenant_choice.COOKIE))
    choices = [portal_store.get_user(user_id) for user_id in user_ids]
    return page.render("portal/sso_choose.html", accounts=choices, error=None)


@page_route(portal_sso_routes, "/sso/choose", "portal", methods=["POST"])
def sso_choose_submit(page: Page) -> Response:
    form = page.form()
    cookie = page.read_cookie(tenant_choice.COOKIE)
    user_id, return_to = tenant_choice.pick(page.runtime, MODULE, cookie,
                                            form.get("user_id", ""))
    offered, _ = tenant_choice.offered(page.runtime, MODULE, cookie)
    user = hub_login.choose(page.runtime, offered, user_id)
    hub_sid = tenant_choice.hub_session(page.runtime, MODULE, cookie)
    return _signed_in_as(page, user, return_to, hub_sid)


# -- Admin > Security Settings ---------------------------------------------------------------------
def _security_page(page: Page, actor: PortalUser, status: int = 200,
                   error: str | None = None) -> Response:
    rt = page.runtime
    if not can(actor, "security.manage"):
        raise Forbidden("Only a Security Admin can view or change security settings.")
    settings = security_settings.security_settings(rt, actor.company_id)
    rows = security_settings.exception_rows(rt, actor, settings) if settings.linked else []
    return page.render("portal/security.html", status=status, settings=settings, rows=rows,
                       audit=security_settings.audit_trail(rt, actor), jit_roles=JIT_ROLES,
                       error=error, flash=flash.message(FLASHES, page.query()))


@page_route(portal_sso_routes, "/admin/security", "portal")
def security_page(page: Page) -> Response:
    return _security_page(page, signed_in(page, PORTAL))


def _finish_link(page: Page, identity: relying_party.HubIdentity) -> Response:
    try:
        actor = signed_in(page, PORTAL)
    except NotAuthenticated:
        return _login_error(page, "Log in to the Partner Portal as a Security Admin first.")
    try:
        security_settings.complete_link(page.runtime, actor, identity)
    except (Forbidden, InvalidInput, ConcurrentChange, UpstreamError) as error:
        return _security_page(page, actor, status=403 if isinstance(error, Forbidden) else 400,
                              error=error.message)
    return page.redirect(flash.location(SECURITY, "hub_linked",
                                        company=identity.hub_company_name))


@page_route(portal_sso_routes, "/admin/security/link", "portal", methods=["POST"])
def security_link(page: Page) -> Response:
    page.form()
    actor = signed_in(page, PORTAL)
    if not can(actor, "security.manage"):
        return _security_page(page, actor, status=403,
                              error="Only a Security Admin can enable Login with Hub.")
    return _to_hub(page, SECURITY, purpose="link")


def _change(page: Page, change: str, done: str) -> Response:
    form = page.form()
    actor = signed_in(page, PORTAL)
    rt = page.runtime
    on = form.get("enabled") == "on"
    try:
        if change == "unlink":
            security_settings.disable_link(rt, actor)
        elif change == "require":
            security_settings.set_require(rt, actor, on)
        elif change == "auto_create":
            security_settings.set_auto_create(rt, actor, on, form.get("default_role", ""))
        elif change == "auto_deactivate":
            security_settings.set_auto_deactivate(rt, actor, on)
    except (InvalidInput, ConcurrentChange, UpstreamError) as error:
        return _security_page(page, actor, status=400, error=error.message)
    return page.redirect(flash.location(SECURITY, done))


@page_route(portal_sso_routes, "/admin/security/unlink", "portal", methods=["POST"])
def security_unlink(page: Page) -> Response:
    return _change(page, "unlink", "hub_unlinked")


@page_route(portal_sso_routes, "/admin/security/require", "portal", methods=["POST"])
def security_require(page: Page) -> Response:
    return _change(page, "require", "require_saved")


@page_route(portal_sso_routes, "/admin/security/auto-create", "portal", methods=["POST"])
def security_auto_create(page: Page) -> Response:
    return _change(page, "auto_create", "auto_create_saved")


@page_route(portal_sso_routes, "/admin/security/auto-deactivate", "portal", methods=["POST"])
def security_auto_deactivate(page: Page) -> Response:
    return _change(page, "auto_deactivate", "auto_deactivate_saved")


@page_route(portal_sso_routes, "/admin/security/exceptions/{user_id}", "portal",
            methods=["POST"])
def security_exception(page: Page, user_id: str) -> Response:
    form = page.form()
    actor = signed_in(page, PORTAL)
    action = form.get("action", "")
    if action not in {"add", "delete"}:
        raise InvalidInput("Unknown action.")
    try:
        security_settings.set_exception(page.runtime, actor, user_id, action == "add")
    except InvalidInput as error:
        return _security_page(page, actor, status=400, error=error.message)
    return page.redirect(flash.location(SECURITY, "exception_added" if action == "add"
                                        else "exception_deleted"))
