"""Partner Portal demo data: Northwind Partners (users, organizations, SaaS customers, an API key)
and Contoso Resellers, which shares bob's email.

Idempotent: users are found by username, organizations by name, customers by name, and the API
key by its public key, whose secret is derived from the local key so every run prints the same.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from chalicelib.errors import AlreadyExists
from chalicelib.portal import api_keys, catalog, companies, users
from chalicelib.portal.policy import ADMINISTRATOR, PRIMARY, SECURITY_ADMIN, TECHNICIAN
from chalicelib.runtime import Runtime
from chalicelib.secretbox import derived_secret
from chalicelib.storage.portal import id_sequences
from chalicelib.storage.portal import organizations as organization_store
from chalicelib.storage.portal import saas_customers as customer_store
from chalicelib.storage.portal import saas_seats as seat_store
from chalicelib.storage.portal import users as store
from chalicelib.storage.portal.api_keys import get_api_key
from chalicelib.storage.portal.companies import PortalCompany
from chalicelib.storage.portal.organizations import Organization
from devstack.generate_partner import build_customer, build_seats, with_summary

ORDER = 10  # after the hub's loader
NORTHWIND = "Northwind Partners"
CONTOSO = "Contoso Resellers"
O365, GOOGLE = catalog.OFFICE365, catalog.GOOGLE_WORKSPACE


@dataclass(frozen=True)
class DemoUser:
    username: str
    email: str
    name: str
    role: str
    password: str


# Demo passwords are fixed so every run can print them; this data never leaves the machine.
NORTHWIND_USERS = (
    DemoUser("nadia", "nadia@northwind-partners.example", "Nadia Novak", SECURITY_ADMIN,
             "northwind-nadia-demo"),
    DemoUser("peter", "peter@northwind-partners.example", "Peter Park", PRIMARY,
             "northwind-peter-demo"),
    DemoUser("alice.archer", "alice@acme-msp.example", "Alice Archer", TECHNICIAN,
             "northwind-alice-demo"),
    DemoUser("bob.baker", "bob@acme-msp.example", "Bob Baker", TECHNICIAN,
             "northwind-bob-demo"),
)
CONTOSO_USERS = (
    DemoUser("cody", "cody@contoso-resellers.example", "Cody Cole", SECURITY_ADMIN,
             "contoso-cody-demo"),
    DemoUser("bob.contoso", "bob@acme-msp.example", "Bob Baker", ADMINISTRATOR,
             "contoso-bob-demo"),
)

# (customer name, domain stem, product, organization it is linked to or None, seats).
# Organization names differ from customer names and from one another the way real ones do.
NORTHWIND_CUSTOMERS = (
    ("Integrity Health", "integrityhealth", O365, "Integrity Health Group", 15),
    ("Bluebird Dental", "bluebirddental", O365, "Bluebird Dental, LLC", 8),
    ("Bluebird Dental Mail", "bluebird-dental", GOOGLE, "Bluebird Dental LLC", 4),
    ("Cedar Ridge Veterinary", "cedarridgevet", GOOGLE, "Cedar Ridge Veterinary Clinic", 12),
    ("Harbor Point Logistics", "harborpoint", O365, "Harbor Point Logistics, Inc.", 22),
    ("Harbor Point Warehouse", "harborpoint-wh", GOOGLE, "Harbor Point Logistics Inc", 6),
    ("O'Brien & Sons Plumbing", "obrienplumbing", O365, "O'Brien & Sons Plumbing", 7),
    ("Maple Street Bakery", "maplestreetbakery", GOOGLE, "Maple Street Bakery", 3),
    ("Summit Accounting", "summitcpa", O365, "Summit Accounting Partners LLP", 18),
    ("Greenfield Schools Foundation", "greenfieldfoundation", GOOGLE,
     "Greenfield Schools Foundation", 14),
    ("Northshore Realty", "northshorerealty", O365, "North Shore Realty", 11),
    ("Redwood Legal", "redwoodlegal", O365, "Redwood Legal Group, P.C.", 16),
    ("Pinecrest Medical", "pinecrestmed", O365, "Pinecrest Medical Associates", 20),
    ("Lakeside Auto Repair", "lakesideauto", GOOGLE, "Lakeside Auto Repair", 5),
    ("BrightPath Tutoring", "brightpath", GOOGLE, "Brightpath Tutoring", 6),
    ("Ironwood Construction", "ironwoodbuild", O365, "Ironwood Construction Co.", 13),
    ("Ironwood Field Crews", "ironwood-field", GOOGLE, "Ironwood Construction Company", 9),
    ("Silver Lining Events", "silverliningevents", O365, "Silver Lining Events", 4),
    ("Coastal Insurance Brokers", "coastalins", O365, "Coastal Insurance Brokers, Inc.", 10),
    ("Alder & Finch Architects", "alderfinch", O365, "Alder and Finch Architects", 9),
    ("St. Mary's Parish", "stmarysparish", GOOGLE, "St. Mary's Parish", 5),
    ("Westgate Pharmacy", "westgaterx", O365, "Westgate Pharmacy", 7),
    ("Riverbend Credit Union", "riverbendcu", O365, "Riverbend Credit Union", 24),
    ("Copperleaf Hotels", "copperleafhotels", GOOGLE, "Copperleaf Hotels & Resorts", 17),
    ("Tri-County Landscaping", "tricountyland", GOOGLE, "Tri County Landscaping", 4),
    ("Evergreen Family Practice", "evergreenfp", O365, "Evergreen Family Practice, PLLC", 8),
    ("Blue Heron Marine", "blueheronmarine", O365, "Blue Heron Marine", 6),
    ("Kestrel Engineering", "kestreleng", O365, "Kestrel Engineering Ltd.", 12),
    ("Sunrise Senior Living", "sunriseliving", GOOGLE, "Sunrise Senior Living", 10),
    ("Oakmont Capital", "oakmontcap", O365, "Oakmont Capital Management", 9),
    ("Prairie Wind Farms", "prairiewind", GOOGLE, "Prairie Wind Farms, Inc.", 5),
    ("Metro Dance Academy", "metrodance", GOOGLE, "Metro Dance Academy", 3),
    ("Granite State Movers", "granitemovers", O365, "Granite State Movers LLC", 8),
    ("Hillcrest Animal Hospital", "hillcrestanimal", O365, "Hillcrest Animal Hospital", 7),
    ("Atlas Fitness", "atlasfitness", GOOGLE, "Atlas Fitness Club", 4),
    # Deliberately not linked: IT Docs cannot match these until someone links them here.
    ("Foxglove Florists", "foxgloveflorists", GOOGLE, None, 3),
    ("Vantage Point Consulting", "vantagepoint", O365, None, 6),
    ("Quarry Hill Brewing", "quarryhill", O365, None, 5),
    ("Juniper Home Health", "juniperhh", GOOGLE, None, 9),
    ("Delta Freight Systems", "deltafreight", O365, None, 11),
)
# Organizations with no customer linked yet (two match unlinked customers, one is internal).
EXTRA_ORGANIZATIONS = ("Vantage Point Consulting Group", "Delta Freight Systems, Inc.",
                       "Northwind Partners (internal)")
CONTOSO_CUSTOMERS = (
    ("Fabrikam Studios", "fabrikamstudios", O365, "Fabrikam Studios, Inc.", 9),
    ("Tailspin Toys", "tailspintoys", GOOGLE, "Tailspin Toys", 6),
    ("Wingtip Travel", "wingtiptravel", O365, None, 4),
)
ORGANIZATIONS = tuple(dict.fromkeys(
    [c[3] for c in NORTHWIND_CUSTOMERS if c[3]] + list(EXTRA_ORGANIZATIONS)))


def demo_company(rt: Runtime, name: str) -> PortalCompany:
    existing = companies.company_named(name)
    if existing is not None:
        return existing
    try:
        return companies.create_company(rt, name)
    except AlreadyExists:
        found = companies.company_named(name)
        assert found is not None
        return found


def ensure_user(rt: Runtime, company: PortalCompany, demo: DemoUser) -> None:
    if store.user_id_by_username_key(users.username_key(demo.username)) is not None:
        return
    try:
        users.set_up_user(rt, company, username=demo.username, email=demo.email, name=demo.name,
                          role=demo.role, password=demo.password)
    except AlreadyExists:
        pass


def ensure_organizations(rt: Runtime, company: PortalCompany,
                         names: list[str]) -> dict[str, Organization]:
    """The company's organizations by name, creating the missing ones."""
    by_name = {o.name: o for o in organization_store.organizations_of_company(company.company_id)}
    missing = [n for n in dict.fromkeys(names) if n not in by_name]
    ids = id_sequences.allocate_ids("organization_id", len(missing)) if missing else range(0)
    now = rt.clock.now()
    created = [Organization(company.company_id, i, n, now)
               for i, n in zip(ids, missing, strict=True)]
    organization_store.save_organizations(created)
    by_name.update({o.name: o for o in created})
    return by_name


def ensure_customers(rt: Runtime, company: PortalCompany, rows: tuple, extra_orgs: tuple = ()
                     ) -> int:
    """Create the customers (and their seats) the company does not have yet; returns seats."""
    orgs = ensure_organizations(rt, company, [r[3] for r in rows if r[3]] + list(extra_orgs))
    have = {c.name for c in customer_store.customers_of_company(company.company_id)}
    missing = [r for r in rows if r[0] not in have]
    ids = id_sequences.allocate_ids("saas_customer_id", len(missing)) if missing else range(0)
    now = rt.clock.now()
    seat_total = 0
    for saas_customer_id, (name, stem, product, org_name, count) in zip(ids, missing, strict=True):
        rng = random.Random(f"{company.name}/{name}")
        customer = build_customer(company.company_id, saas_customer_id, name,
                                  product_type=product, domain_stem=stem,
                                  retention_type=rng.choice(catalog.RETENTION_TYPES), now=now,
                                  organization=orgs[org_name] if org_name else None)
        customer_seats = build_seats(rng, customer, count, now)
        seat_store.save_seats(customer_seats)
        customer_store.create_customer(with_summary(customer, customer_seats, now))
        seat_total += count
    return seat_total


def demo_api_key(rt: Runtime, company: PortalCompany) -> tuple[str, str]:
    """A fixed key pair for the demo (the secret derives from the local key, never stored); its
    public key names the company, as every key made now does."""
    named = derived_secret(rt.settings, "portal-demo-api-public-key")[:16]
    public_key = company.company_id + named
    secret = derived_secret(rt.settings, "portal-demo-api-secret-key")
    if get_api_key(public_key) is None:
        try:
            api_keys.issue(rt, company.company_id, "Demo key (IT Docs integration)", "demo",
                           public_key=public_key, secret=secret)
        except AlreadyExists:
            pass
    return public_key, secret


def load(rt: Runtime) -> list[str]:
    """Create what is missing; returns the logins and the API key to print."""
    northwind, contoso = demo_company(rt, NORTHWIND), demo_company(rt, CONTOSO)
    for demo in NORTHWIND_USERS:
        ensure_user(rt, northwind, demo)
    for demo in CONTOSO_USERS:
        ensure_user(rt, contoso, demo)
    ensure_customers(rt, northwind, NORTHWIND_CUSTOMERS, EXTRA_ORGANIZATIONS)
    ensure_customers(rt, contoso, CONTOSO_CUSTOMERS)
    public_key, secret = demo_api_key(rt, northwind)
    base = rt.settings.base_url
    lines = [f"Partner Portal ({base}/portal/login), email or username:"]
    for company, demos in ((northwind, NORTHWIND_USERS), (contoso, CONTOSO_USERS)):
        for demo in demos:
            lines.append(f"  {demo.username:<12} password {demo.password:<22} {demo.role}, "
                         f"{company.name} ({demo.email})")
    unlinked = sum(1 for row in NORTHWIND_CUSTOMERS if row[3] is None)
    lines += [
        f"  {NORTHWIND}: {len(NORTHWIND_CUSTOMERS)} SaaS Protection customers, "
        f"{unlinked} not linked to an organization",
        f"SaaS Protection API ({base}/api/v1), API key of {NORTHWIND}:",
        f"  public key {public_key}",
        f"  secret key {secret}",
        f"  try: curl -u {public_key}:{secret} {base}/api/v1/saas/domains",
    ]
    return lines
