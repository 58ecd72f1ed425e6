"""IT Docs demo data: the hub demo company's IT Docs account, its users, organizations and contacts.

The account is linked to the hub's "Acme MSP", and alice, bob and carol's IT Docs users are
created linked to their hub users (the hub verifies no email yet, and an Administrator is never
linked by email), so they open it with Log In with Hub; the hub lists IT Docs under My Modules.
Organization names follow the demo partner's Partner Portal organizations, which is what the
SaaS Protection API reports as each customer's organizationName: most are exactly equal, a few
differ slightly (suggestions on the matching screen), a few are missing. Some contacts carry the
email of a demo seat, so their page shows what is protected.

Idempotent: the account is found through its hub-company link, users by email, organizations and
contacts by name.
"""

from __future__ import annotations

from chalicelib.auth import names
from chalicelib.errors import AlreadyExists
from chalicelib.itdocs import accounts, contacts, organizations
from chalicelib.itdocs.accounts import ItDocsUser
from chalicelib.itdocs.contacts import ContactDetails
from chalicelib.itdocs.policy import ADMINISTRATOR, EDITOR, MANAGER, READ_ONLY
from chalicelib.portal import companies
from chalicelib.runtime import Runtime
from chalicelib.storage.hub import companies as hub_store
from chalicelib.storage.hub import users as hub_users
from chalicelib.storage.itdocs import accounts as account_store
from chalicelib.storage.itdocs import users as user_store
from chalicelib.storage.itdocs.accounts import Account
from chalicelib.storage.portal import saas_customers as customer_store
from chalicelib.storage.portal import saas_seats as seat_store
from devstack.demo import hub as hub_demo
from devstack.demo import portal as portal_demo

ORDER = 20  # after the hub (its company) and the portal (its organizations and seats)
ROLES = {"alice": ADMINISTRATOR, "bob": MANAGER, "carol": EDITOR}

# Portal organization name -> the IT Docs name: a near miss the matching screen suggests.
NEAR_MISSES = {
    "Harbor Point Logistics, Inc.": "Harbor Point Logistics",
    "Summit Accounting Partners LLP": "Summit Accounting Partners",
    "Copperleaf Hotels & Resorts": "Copperleaf Hotels and Resorts",
    "Redwood Legal Group, P.C.": "Redwood Legal Group",
    "Kestrel Engineering Ltd.": "KESTREL ENGINEERING",
}
# Portal organizations IT Docs does not have (they stay Unmatched, with no good suggestion).
ABSENT = ("Atlas Fitness Club", "Metro Dance Academy", "Oakmont Capital Management")
# IT Docs organizations no SaaS Protection customer reports.
OWN_ONLY = ("Acme MSP (internal)", "Pelican Bay Marina")
# Customers whose first seats become contacts of the organization they are matched to.
CONTACT_CUSTOMERS = ("Integrity Health", "Bluebird Dental", "Maple Street Bakery",
                     "Harbor Point Logistics", "Riverbend Credit Union")
CONTACTS_PER_CUSTOMER = 2


def organization_names() -> list[str]:
    portal_names = [n for n in portal_demo.ORGANIZATIONS if n not in ABSENT]
    return [NEAR_MISSES.get(n, n) for n in portal_names] + list(OWN_ONLY)


def demo_account(rt: Runtime) -> Account:
    """The account linked to the hub's demo company, created (and linked) on first use."""
    company = hub_store.company_by_name_key(names.name_key(hub_demo.COMPANY))
    if company is None:
        company = hub_demo.demo_company(rt)
    issuer = rt.settings.hub_issuer
    existing = account_store.account_for_hub_company(issuer, company.company_id)
    if existing is not None:
        return existing
    try:
        account = accounts.create_account(rt, company.name, hub_issuer=issuer,
                                          hub_company_id=company.company_id,
                                          hub_company_name=company.name, jit_enabled=True)
    except AlreadyExists:
        found = account_store.account_for_hub_company(issuer, company.company_id)
        assert found is not None
        return found
    hub_store.set_company_module(company.company_id, "itdocs", {
        "launch_url": rt.settings.base_url.rstrip("/") + "/itdocs/sso/launch",
        "linked_at": rt.clock.now().isoformat(), "linked_by": "demo",
    })
    return account


def _hub_subject(account: Account, username: str) -> str | None:
    """The demo hub user's id (the subject of its ID tokens)."""
    hub_user = hub_users.user_by_login(names.login_key(account.hub_company_name or "", username))
    return hub_user.user_id if hub_user is not None else None


def ensure_users(rt: Runtime, account: Account) -> dict[str, ItDocsUser]:
    found = {}
    issuer = rt.settings.hub_issuer
    for demo in hub_demo.USERS:
        user = user_store.user_by_email(account.account_id, accounts.email_key(demo.email))
        subject = _hub_subject(account, demo.username)
        if user is None:
            try:
                user = accounts.create_user(rt, account.account_id, email=demo.email,
                                            name=demo.name,
                                            role=ROLES.get(demo.username, READ_ONLY),
                                            hub_issuer=issuer if subject else None,
                                            hub_subject=subject, actor="demo")
            except AlreadyExists:
                user = user_store.user_by_email(account.account_id, accounts.email_key(demo.email))
                assert user is not None
        elif subject and not user.hub_subject:  # created unlinked by an earlier version
            try:
                user_store.link_identity(user.user_id, issuer, subject)
            except AlreadyExists:
                pass
        found[demo.username] = ItDocsUser.of(user)
    return found


def demo_administrator(account: Account) -> ItDocsUser:
    """The demo data's explicit Administrator of the account (the audit log says "demo")."""
    return ItDocsUser(account.account_id, "demo", ADMINISTRATOR, "demo", "Demo data")


def ensure_organizations(rt: Runtime, account: Account) -> dict[str, str]:
    """Organization name -> id, creating the missing ones."""
    admin = demo_administrator(account)
    by_name = {o.name: o.organization_id for o in organizations.list_all(rt, admin)}
    for name in organization_names():
        if name not in by_name:
            try:
                created = organizations.create(rt, admin, name)
                by_name[name] = created.organization_id
            except AlreadyExists:
                pass
    return by_name


def seat_people(customer_name: str) -> list[tuple[str, str]]:
    """(name, email) of the first user seats of a demo partner customer."""
    company_id = _northwind_id()
    if company_id is None:
        return []
    customer = next((c for c in customer_store.customers_of_company(company_id)
                     if c.name == customer_name), None)
    if customer is None:
        return []
    people = [(s.name, s.main_id) for s in seat_store.seats_of_customer(customer.saas_customer_id)
              if s.seat_type == "User" and "@" in s.main_id]
    return sorted(people, key=lambda p: p[1])[:CONTACTS_PER_CUSTOMER]


def _northwind_id() -> str | None:
    found = companies.company_named(portal_demo.NORTHWIND)
    return found.company_id if found else None


def ensure_contacts(rt: Runtime, editor: ItDocsUser, organization_ids: dict[str, str]) -> int:
    """Contacts carrying demo seats' emails (one with a second, personal address)."""
    customers = {row[0]: row[3] for row in portal_demo.NORTHWIND_CUSTOMERS}
    created = 0
    for customer_name in CONTACT_CUSTOMERS:
        portal_org = customers.get(customer_name)
        organization_id = organization_ids.get(NEAR_MISSES.get(portal_org or "", portal_org or ""))
        if organization_id is None:
            continue
        have = {c.name for c in contacts.in_organization(rt, editor, organization_id)}
        for index, (name, email) in enumerate(seat_people(customer_name)):
            if name in have:
                continue
            emails = [email]
            if index == 0:
                emails.append(email.split("@")[0] + "@home.example")
            contacts.create(rt, editor, organization_id, ContactDetails(name, emails))
            have.add(name)
            created += 1
    return created


def load(rt: Runtime) -> list[str]:
    """Create what is missing; returns the lines to print."""
    account = demo_account(rt)
    users = ensure_users(rt, account)
    organization_ids = ensure_organizations(rt, account)
    ensure_contacts(rt, users["alice"], organization_ids)
    base = rt.settings.base_url
    lines = [f"IT Docs ({base}/itdocs/login), Log In with Hub as the hub's {account.name} users:"]
    for username, user in users.items():
        lines.append(f"  {username:<6} {user.role}")
    lines.append(
        f"  {len(organization_ids)} organizations; {len(NEAR_MISSES)} named slightly differently "
        f"from the partner's, {len(ABSENT)} missing. Account > Integrations > + New connects "
        "SaaS Protection with the API key above."
    )
    return lines
