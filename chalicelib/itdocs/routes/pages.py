"""What every IT Docs page shares: who is signed in, the banner, the flash sentences."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.auth.sso import hub_services
from chalicelib.itdocs import accounts, acting, contacts, organizations, sessions, signed_in
from chalicelib.itdocs.accounts import ItDocsUser
from chalicelib.itdocs.acting import SyncUser
from chalicelib.itdocs.contacts import Contact
from chalicelib.itdocs.organizations import Organization
from chalicelib.itdocs.policy import ROLES, can
from chalicelib.runtime import Runtime
from chalicelib.web.banner import Banner, NavLink, visible_links
from chalicelib.web.page import Page
from chalicelib.web.signin import SignIn, show_banner

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
    "deleting": "{name} is being deleted: its contacts go with it, and its matches go back to "
                "Unmatched",
    **{f"now_{role}": f"{{name}} is now {role}" for role in ROLES},
    "key_revoked": "Revoked the key",
    "sso_saved": "Saved",
    "linked": "Linked to the hub company",
    "unlinked": "Unlinked from the hub",
    "integration_saved": "Saved the SaaS Protection integration",
    "keys_saved": "Saved the new API keys",
    "sync_started": "Manual sync started",
    "integration_deleting": "The SaaS Protection integration is being deleted",
    "integration_deleted": "The SaaS Protection integration was deleted",
    "organization_deleted": "{name} was deleted, with its contacts",
}


def _user(rt: Runtime, token: str | None) -> ItDocsUser:
    return _actor(signed_in.resume_page(rt, token))


def _actor(resumed: signed_in.Resumed) -> ItDocsUser:
    """The signed-in user, carrying the account read with the session (the banner's)."""
    return ItDocsUser.of(resumed.user, resumed.read.account if resumed.read else None)


def _banner(rt: Runtime, user: ItDocsUser) -> Banner:
    account = accounts.account_of(user)
    launcher = hub_services.app_launcher(rt, "itdocs") if account.linked_to_hub else []
    return Banner(user_name=user.name, tenant_name=account.name, role=user.role,
                  nav=visible_links(NAV, lambda action: can(user, action)),
                  logout_path="/itdocs/logout", app_launcher=tuple(launcher))


ITDOCS: SignIn[ItDocsUser] = SignIn(cookie=sessions.COOKIE, resume=_user, banner=_banner)


def signed_in_for_sync(page: Page, integration_id: str = "", customer_id: str = "",
                       customer_ids: tuple[str, ...] = ()) -> SyncUser:
    """The signed-in user (banner shown), as the sync services act for them, carrying the
    integration (and customer, or selected customers) the page names as read with the session."""
    return _for_sync(page, integration_id, customer_id, customer_ids, banner=True)


def session_for_sync(page: Page, integration_id: str) -> SyncUser:
    """The signed-in user as the sync services act for them, for a JSON answer (no banner)."""
    return _for_sync(page, integration_id, "", (), banner=False)


def _for_sync(page: Page, integration_id: str, customer_id: str, customer_ids: tuple[str, ...],
              *, banner: bool) -> SyncUser:
    resumed = signed_in.resume_page(page.runtime, page.read_cookie(ITDOCS.cookie),
                                   integration_id=integration_id, customer_id=customer_id,
                                   customer_ids=customer_ids)
    user = _actor(resumed)
    if banner:
        show_banner(page, ITDOCS, user)
    if resumed.read is None:
        return acting.for_page(page.runtime, user)
    read = resumed.read
    unique = list(dict.fromkeys(customer_ids))[:signed_in.MAX_CUSTOMERS]
    asked = frozenset((integration_id, c) for c in unique)
    return acting.for_page(page.runtime, user, read.integration,
                           *([read.customer] if read.customer else []), *read.customers,
                           asked=asked)


@dataclass(frozen=True)
class OrganizationVisit:
    """A page of one organization (and maybe one of its contacts): who is signed in, and what
    the URL names, read with the session in one call."""

    user: ItDocsUser
    organization: Organization
    contact: Contact | None = None


def organization_for_json(page: Page, organization_id: str) -> Organization:
    """The organization the URL names, read with the signed-in user's session (no banner);
    NotFound once it is gone, or for another account's."""
    rt = page.runtime
    resumed = signed_in.resume_page(rt, page.read_cookie(ITDOCS.cookie), organization_id)
    user = _actor(resumed)
    if resumed.read is None:  # an old token: read on its own
        return organizations.get(rt, user, organization_id)
    return organizations.from_read(user, resumed.read.organization)


def signed_in_at(page: Page, organization_id: str, contact_id: str = "") -> OrganizationVisit:
    """The signed-in user (banner shown) and the organization (and contact) the page is about;
    NotFound for another account's or a missing one."""
    rt = page.runtime
    resumed = signed_in.resume_page(rt, page.read_cookie(ITDOCS.cookie), organization_id,
                                   contact_id)
    user = _actor(resumed)
    show_banner(page, ITDOCS, user)
    if resumed.read is None:  # an old token: each read on its own
        organization = organizations.get(rt, user, organization_id)
        found = contacts.get(rt, user, organization_id, contact_id) if contact_id else None
        return OrganizationVisit(user, organization, found)
    organization = organizations.from_read(user, resumed.read.organization)
    found = contacts.from_read(user, resumed.read.contact) if contact_id else None
    return OrganizationVisit(user, organization, found)
