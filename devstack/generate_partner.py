"""Generate a large Partner Portal partner (customers, seats, organizations, an API key) fast.

    python -m devstack.generate_partner --customers 2000 --seats 100000

writes into the local stack's database (start it with `make run` first) with batch writes from a
few threads, and prints the partner's API key. The builders here (`build_customer`, `build_seats`)
also make the demo data, so both look alike: seat types of both products, every seat state, and
per-service backup results that are mostly fresh and sometimes late.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from chalicelib.portal import api_keys, catalog, companies, organizations, seat_summary
from chalicelib.runtime import Runtime
from chalicelib.storage import tables
from chalicelib.storage.portal import id_sequences
from chalicelib.storage.portal import organizations as organization_store
from chalicelib.storage.portal import saas_customers as customer_store
from chalicelib.storage.portal import saas_seats as seat_store
from chalicelib.storage.portal.companies import PortalCompany
from chalicelib.storage.portal.organizations import Organization
from chalicelib.storage.portal.saas_customers import SaasCustomer
from chalicelib.storage.portal.saas_seats import Seat
from devstack.environment import install_dev_runtime

FIRST = ("Ada", "Ben", "Carla", "Dev", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kira",
         "Liam", "Maya", "Noah", "Olga", "Priya", "Quinn", "Rosa", "Sam", "Tariq", "Uma", "Victor",
         "Wen", "Ximena", "Yusuf", "Zoe", "Johnny", "Moira", "David", "Alexis", "Stevie", "Ted")
LAST = ("Rose", "Schitt", "Budd", "Nguyen", "Okafor", "Patel", "Kowalski", "Garcia", "Larsen",
        "Haddad", "Tanaka", "Murphy", "Silva", "Novak", "Fischer", "Dubois", "Rossi", "Khan",
        "Meyer", "Jensen", "Walsh", "Ortiz", "Cohen", "Ivanova", "Brooks", "Lindqvist")
WORDS = ("Acorn", "Beacon", "Cobalt", "Driftwood", "Ember", "Falcon", "Granite", "Harbor", "Indigo",
         "Juniper", "Keystone", "Lantern", "Meridian", "Northgate", "Orchard", "Pioneer", "Quartz",
         "Ridgeline", "Sterling", "Timber", "Union", "Valley", "Willow", "Yarrow", "Zenith")
TRADES = ("Dental", "Logistics", "Legal", "Medical", "Realty", "Engineering", "Bakery", "Marine",
          "Accounting", "Construction", "Pharmacy", "Insurance", "Consulting", "Veterinary")
SUFFIXES = ("", " LLC", ", Inc.", " Inc", " Group", " & Co.", " Partners", " Ltd.")
TEAMS = ("Finance", "Operations", "Sales", "Projects", "Leadership", "Support", "Marketing", "HR")
OFFICE365_MIX = (("User", 75), ("SharedMailbox", 10), ("Site", 5), ("TeamSite", 5), ("Team", 5))
GOOGLE_MIX = (("User", 85), ("SharedDrive", 15))
STATE_MIX = ((catalog.ACTIVE, 80), (catalog.PAUSED, 7), (catalog.ARCHIVED, 8),
             (catalog.UNPROTECTED, 5))
STATUS_MIX = (("Perfect", 80), ("Good", 10), ("Fair", 5), ("Poor", 5))
HOUR_MS = 3600 * 1000


def _pick(rng: random.Random, mix: Sequence[tuple[str, int]]) -> str:
    return rng.choices([v for v, _ in mix], weights=[w for _, w in mix])[0]


def domain_for(stem: str, product_type: str) -> str:
    return f"{stem}.onmicrosoft.com" if product_type == catalog.OFFICE365 else f"{stem}.com"


def build_customer(company_id: str, saas_customer_id: int, name: str, *, product_type: str,
                   domain_stem: str, retention_type: str, now: dt.datetime,
                   organization: Organization | None) -> SaasCustomer:
    prefix = catalog.SUBSCRIPTION_PREFIX[product_type]
    return SaasCustomer(
        company_id=company_id, saas_customer_id=saas_customer_id, name=name,
        domain=domain_for(domain_stem, product_type),
        product_type=product_type, retention_type=retention_type,
        external_subscription_id=f"{prefix}{saas_customer_id + 400_000}", created_at=now,
        organization_id=organization.organization_id if organization else None,
        organization_name=organization.name if organization else None,
    )


def _services(rng: random.Random, apps: tuple[str, ...], state: str,
              now_ms: int) -> dict[str, dict[str, object]]:
    if state == catalog.UNPROTECTED:
        return {}
    results: dict[str, dict[str, object]] = {}
    for app in apps:
        if state == catalog.ACTIVE:
            late = rng.random() < 0.06
            at: int | None = now_ms - rng.randint(30 if late else 1, 120 if late else 20) * HOUR_MS
            if rng.random() < 0.02:
                at = None  # discovered, never backed up yet
        else:  # Paused / Archived: backups stopped some time ago
            at = now_ms - rng.randint(3, 90) * 24 * HOUR_MS
        status = _pick(rng, STATUS_MIX) if at else "Unknown"
        results[app] = {"at": at, "status": status, "bytes": rng.randint(1, 40_000) * 1_000_000}
    return results


def _seat_identity(rng: random.Random, seat_type: str, domain: str, n: int) -> tuple[str, str]:
    base = domain.split(".")[0]
    if seat_type == "User":
        first, last = rng.choice(FIRST), rng.choice(LAST)
        return f"{first}.{last}{n}@{domain}".lower(), f"{first} {last}"
    if seat_type == "SharedMailbox":
        team = rng.choice(TEAMS)
        return f"{team.lower()}{n}@{domain}", f"{team} mailbox"
    if seat_type in {"Site", "TeamSite"}:
        team = rng.choice(TEAMS)
        return f"https://{base}.sharepoint.com/sites/{team.lower()}{n}", f"{team} site"
    team = rng.choice(TEAMS)
    return f"{team.lower()}-{n}@{domain}", f"{team} {seat_type} {n}"


def build_seats(rng: random.Random, customer: SaasCustomer, count: int,
                now: dt.datetime) -> list[Seat]:
    """`count` seats of a customer across its product's seat types and every seat state."""
    mix = OFFICE365_MIX if customer.product_type == catalog.OFFICE365 else GOOGLE_MIX
    now_ms = int(now.timestamp() * 1000)
    built = []
    for n in range(count):
        seat_type = _pick(rng, mix)
        state = catalog.ACTIVE if n == 0 else _pick(rng, STATE_MIX)
        main_id, name = _seat_identity(rng, seat_type, customer.domain, n)
        apps = catalog.seat_apps(customer.product_type, seat_type)
        built.append(Seat(
            saas_customer_id=customer.saas_customer_id,
            remote_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            main_id=main_id, name=name, seat_type=seat_type, seat_state=state,
            billable="1" if state in (catalog.ACTIVE, catalog.PAUSED) else "",
            date_added=now - dt.timedelta(days=rng.randint(1, 900), seconds=rng.randint(0, 86399)),
            services=_services(rng, apps, state, now_ms),
        ))
    return built


def with_summary(customer: SaasCustomer, customer_seats: list[Seat],
                 now: dt.datetime) -> SaasCustomer:
    return seat_summary.counted(customer, seat_summary.summarize(
        customer_seats, customer.product_type, now))


def seat_counts(rng: random.Random, customers: int, total: int) -> list[int]:
    """Split `total` seats over customers unevenly (a few large tenants, many small), each >= 1."""
    if total < customers:
        raise ValueError("need at least one seat per customer")
    weights = [rng.paretovariate(1.3) for _ in range(customers)]
    scale = (total - customers) / sum(weights)
    counts = [1 + int(w * scale) for w in weights]
    counts[counts.index(max(counts))] += total - sum(counts)
    return counts


def company_name(rng: random.Random) -> str:
    return f"{rng.choice(WORDS)} {rng.choice(WORDS)} {rng.choice(TRADES)}"


@dataclass
class GeneratedPartner:
    company: PortalCompany
    public_key: str
    secret: str
    customer_ids: list[int]
    seat_counts: list[int]
    seconds: float


def _chunks(items: list[Seat], size: int) -> Iterator[list[Seat]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def generate(rt: Runtime, customers: int = 2000, seat_total: int = 100_000, *,
             name: str | None = None, hourly_budget: int = 100_000_000, seed: int = 7,
             threads: int = 8) -> GeneratedPartner:
    """Create one partner with its organizations, customers, seats and an API key."""
    started = time.perf_counter()
    rng = random.Random(seed)
    now = rt.clock.now()
    company = companies.create_company(
        rt, name or f"Generated Partner {rt.random.hex(3)}", hourly_budget=hourly_budget)
    key = api_keys.issue(rt, company.company_id, "benchmark", "generator")
    customer_ids = list(id_sequences.allocate_ids("saas_customer_id", customers))
    org_ids = iter(id_sequences.allocate_ids(organizations.ID_SEQUENCE, customers))
    counts = seat_counts(rng, customers, seat_total)
    orgs: list[Organization] = []
    built_customers: list[SaasCustomer] = []
    all_seats: list[Seat] = []
    for index, saas_customer_id in enumerate(customer_ids):
        label = company_name(rng)
        product = catalog.OFFICE365 if rng.random() < 0.7 else catalog.GOOGLE_WORKSPACE
        organization = None
        if rng.random() < 0.9:  # one in ten is left unlinked
            organization = Organization(company.company_id, next(org_ids),
                                        label + rng.choice(SUFFIXES), now)
            orgs.append(organization)
        stem = f"{label.replace(' ', '').lower()}{index}"
        customer = build_customer(company.company_id, saas_customer_id, label,
                                  product_type=product, domain_stem=stem,
                                  retention_type=rng.choice(catalog.RETENTION_TYPES), now=now,
                                  organization=organization)
        customer_seats = build_seats(rng, customer, counts[index], now)
        built_customers.append(with_summary(customer, customer_seats, now))
        all_seats.extend(customer_seats)
    organization_store.save_organizations(orgs)
    # Seats before their customers: a customer's seat list shows once the customer exists, so
    # no seat list ETag is ever served for a customer whose seats are still being loaded.
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(seat_store.save_seats, _chunks(all_seats, 1000)))
    customer_store.save_customers(built_customers)
    return GeneratedPartner(company, key.key.public_key, key.secret, customer_ids, counts,
                            time.perf_counter() - started)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--seats", type=int, default=100_000)
    parser.add_argument("--name", default=None, help="partner company name (default: generated)")
    args = parser.parse_args(argv)
    rt = install_dev_runtime()
    tables.create_tables()
    made = generate(rt, args.customers, args.seats, name=args.name)
    print(f"Partner   {made.company.name} ({made.company.company_id})")
    print(f"Created   {len(made.customer_ids)} customers, {sum(made.seat_counts)} seats "
          f"in {made.seconds:.1f}s")
    print(f"API key   public {made.public_key}")
    print(f"          secret {made.secret}")
    print(f"Try       curl -u {made.public_key}:{made.secret} "
          f"{rt.settings.base_url}/api/v1/saas/domains")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
