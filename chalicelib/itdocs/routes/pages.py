"""What every IT Docs page shares: who is signed in, the banner, the flash sentences."""

from __future__ import annotations

from chalicelib.auth.sso import hub_services
from chalicelib.itdocs import accounts, acting, sessions
from chalicelib.itdocs.accounts import ItDocsUser
from chalicelib.itdocs.acting import SyncUser
from chalicelib.itdocs.policy import ROLES, can
from chalicelib.runtime import Runtime
from chalicelib.web.banner import Banner, NavLink, visible_links
from chalicelib.web.page import Page
from chalicelib.web.signin import SignIn, signed_in

MODULE = "itdocs"
HOME = "/itdocs/organizations"
NAV = (
    NavLink("Organizations", "/itdocs/organizations"),
    NavLink("Account › Integrations", "/itdocs/account/integrations", "integration.manage"),
    NavLink("Account › Users", "/itdocs/account/users", "account.manage"),
    NavLink("Account › API Keys", "/itdocs/account/api-keys", "account.manage"),
    NavLink("Account › Single Sign-on", "/itdocs/account/sso", "account.manage"),
)
FLASHES = {
    "created": "Created {name}",
    "saved": "Saved {name}",
    "deleted": "Deleted {name}: its contacts too, and its matches are back in Unmatched",
    **{f"now_{role}": f"{{name}} is now {role}" for role in ROLES},
    "key_revoked": "Revoked the key",
    "sso_saved": "Saved",
    "linked": "Linked to the hub company",
    "unlinked": "Unlinked from the hub",
    "integration_saved": "Saved the SaaS Protection integration",
    "keys_saved": "Saved the new API keys",
    "sync_started": "Manual sync started",
    "integration_deleted": "Deleted the SaaS Protection integration",
}


def _user(rt: Runtime, token: str | None) -> ItDocsUser:
    _, user = sessions.resume(rt, token)
    return ItDocsUser.of(user)


def _banner(rt: Runtime, user: ItDocsUser) -> Banner:
    account = accounts.account_of(user)
    launcher = hub_services.app_launcher(rt, "itdocs") if account.linked_to_hub else []
    return Banner(user_name=user.name, tenant_name=account.name, role=user.role,
                  nav=visible_links(NAV, lambda action: can(user, action)),
                  logout_path="/itdocs/logout", app_launcher=tuple(launcher))


ITDOCS: SignIn[ItDocsUser] = SignIn(cookie=sessions.COOKIE, resume=_user, banner=_banner)


def signed_in_for_sync(page: Page) -> SyncUser:
    """The signed-in user, as the sync services act for them."""
    return acting.for_page(page.runtime, signed_in(page, ITDOCS))
