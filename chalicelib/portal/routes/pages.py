"""What every Partner Portal page shares: who is signed in, the banner, the flash sentences."""

from __future__ import annotations

from chalice.app import Response

from chalicelib.auth.sso import hub_services, relying_party
from chalicelib.portal import security_settings, sessions, users
from chalicelib.portal.policy import can
from chalicelib.portal.users import PortalUser
from chalicelib.runtime import Runtime
from chalicelib.web.banner import Banner, NavLink, visible_links
from chalicelib.web.page import Page
from chalicelib.web.signin import SignIn, show_banner

HOME = "/portal/"
SECURITY = "/portal/admin/security"
NAV = (
    NavLink("Home", "/portal/"),
    NavLink("Organizations", "/portal/organizations"),
    NavLink("SaaS Protection", "/portal/saas"),
    NavLink("Admin > Users", "/portal/admin/users", "user.list"),
    NavLink("Admin > Integrations › API Keys", "/portal/admin/api-keys", "user.list"),
    NavLink("Admin > Security Settings", "/portal/admin/security", "security.manage"),
)
FLASHES = {
    "user_created": "Created {name}",
    **{f"user_{status}": f"{{name}} is now {status}" for status in users.STATUSES},
    "organization_created": "Created {name}",
    "customer_linked": "Linked {customer} to {organization}",
    "customer_unlinked": "Unlinked {customer}",
    "key_revoked": "Revoked {key}",
    "key_scope_saved": "Saved the customers {key} can see",
    "hub_linked": "Login with Hub is enabled: linked to {company}",
    "hub_unlinked": "Login with Hub is disabled",
    "security_saved": "Saved the Security Settings",
    "exception_added": "Added the user exception",
    "exception_deleted": "Deleted the user exception",
}


def _user(rt: Runtime, token: str | None) -> PortalUser:
    _, user = sessions.resume(rt, token)
    return user


def _banner(rt: Runtime, user: PortalUser) -> Banner:
    linked = security_settings.linked_to_hub(rt, user)
    launcher = hub_services.app_launcher(rt, "portal") if linked else []
    return Banner(user_name=user.name, tenant_name=user.company_name, role=user.role,
                  nav=visible_links(NAV, lambda action: can(user, action)),
                  logout_path="/portal/logout", app_launcher=tuple(launcher))


PORTAL: SignIn[PortalUser] = SignIn(cookie=sessions.COOKIE, resume=_user, banner=_banner)


def signed_in_about(page: Page, user_id: str) -> tuple[PortalUser, PortalUser | None]:
    """The page's signed-in user (banner shown) and the user the page is about, read in the
    same call as the session (None when there is no such user)."""
    _, actor, other = sessions.resume_about(page.runtime, page.read_cookie(sessions.COOKIE),
                                            user_id)
    show_banner(page, PORTAL, actor)
    return actor, other


def signed_in_with_key_uses(page: Page) -> PortalUser:
    """The page's signed-in user (banner shown), carrying the company's API key uses read in
    the same call as the session (the API keys page)."""
    _, actor, _ = sessions.resume_about(page.runtime, page.read_cookie(sessions.COOKIE), None,
                                        key_uses=True)
    show_banner(page, PORTAL, actor)
    return actor


def to_hub(page: Page, hub_start: tuple[str, str]) -> Response:
    """Send the browser to the hub's authorize URL, its state sealed in a cookie."""
    url, state_cookie = hub_start
    page.set_cookie(relying_party.STATE_COOKIE, state_cookie, max_age=relying_party.STATE_MAX_AGE)
    return page.redirect(url)
