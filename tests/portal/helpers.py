"""Portal test helpers: a partner with an admin, organizations, customers, seats and a key."""

from __future__ import annotations

import base64
import random
import uuid
from dataclasses import dataclass, field

from chalicelib import runtime
from chalicelib.portal import api_keys, catalog, companies, security_settings, users
from chalicelib.portal.policy import SECURITY_ADMIN, TECHNICIAN
from chalicelib.storage.portal import id_sequences
from chalicelib.storage.portal import organizations as organization_store
from chalicelib.storage.portal import saas_customers as customer_store
from chalicelib.storage.portal import saas_seats as seat_store
from chalicelib.storage.portal import security_settings as security_store
from chalicelib.storage.portal.companies import PortalCompany
from chalicelib.storage.portal.organizations import Organization
from chalicelib.storage.portal.saas_customers import SaasCustomer
from chalicelib.storage.portal.saas_seats import Seat
from chalicelib.storage.portal.users import PortalUser
from devstack.generate_partner import build_customer, build_seats, with_summary
from tests.web_client import Reply, WebClient

PASSWORD = "blue-harbour-lantern-42"


@dataclass
class Partner:
    company: PortalCompany
    admin: PortalUser
    public_key: str
    secret: str
    customers: list[SaasCustomer] = field(default_factory=list)
    seats: dict[int, list[Seat]] = field(default_factory=dict)
    organizations: list[Organization] = field(default_factory=list)

    @property
    def auth(self) -> tuple[str, str]:
        return self.public_key, self.secret

    @property
    def authorization(self) -> str:
        return basic(self.public_key, self.secret)


def basic(public_key: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{public_key}:{secret}".encode()).decode()


def unique_name(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:8]}"


def make_user(company: PortalCompany, username: str | None = None, role: str = SECURITY_ADMIN,
              email: str | None = None, password: str = PASSWORD) -> PortalUser:
    username = username or f"user{uuid.uuid4().hex[:10]}"
    return users.set_up_user(runtime.current(), company, username=username,
                             email=email or f"{username}@example.com", name=username.title(),
                             role=role, password=password)


def make_partner(name: str | None = None, *, customers: tuple[tuple[str, int, bool], ...] = (
        (catalog.OFFICE365, 6, True), (catalog.GOOGLE_WORKSPACE, 4, False)),
        budget: int = companies.DEFAULT_HOURLY_BUDGET) -> Partner:
    """A partner with an admin, an API key and customers of (product, seats, linked?)."""
    rt = runtime.current()
    company = companies.create_company(rt, name or unique_name("Partner"), hourly_budget=budget)
    admin = make_user(company)
    key = api_keys.issue(rt, company.company_id, "tests", admin.username)
    partner = Partner(company, admin, key.key.public_key, key.secret)
    now = rt.clock.now()
    ids = id_sequences.allocate_ids("saas_customer_id", len(customers)) if customers else range(0)
    rng = random.Random(company.name)
    for saas_customer_id, (product, seat_count, linked) in zip(ids, customers, strict=True):
        org = None
        if linked:
            (org_id,) = id_sequences.allocate_ids("organization_id", 1)
            org = Organization(company.company_id, org_id, f"Org {saas_customer_id}, Inc.", now)
            organization_store.create_organization(org)
            partner.organizations.append(org)
        customer = build_customer(company.company_id, saas_customer_id,
                                  f"Customer {saas_customer_id}", product_type=product,
                                  domain_stem=f"c{saas_customer_id}", retention_type="ICR",
                                  now=now, organization=org)
        seat_list = build_seats(rng, customer, seat_count, now)
        seat_store.save_seats(seat_list)
        customer_store.create_customer(with_summary(customer, seat_list, now))
        partner.customers.append(customer)
        partner.seats[saas_customer_id] = seat_list
    return partner


def log_in(client: WebClient, identifier: str, password: str = PASSWORD) -> Reply:
    client.get("/portal/login")
    return client.post("/portal/login", {"identifier": identifier, "password": password})


def partner_linked_to_a_hub(rt: runtime.Runtime, label: str) -> tuple[PortalCompany, str]:
    """A partner linked to a new hub company ("<label> Hub"), creating Technicians just in time;
    the partner and the hub company's id."""
    hub_company_id = uuid.uuid4().hex
    partner = companies.create_company(rt, unique_name(f"{label} Partner"))
    admin = make_user(partner, email=f"admin-{hub_company_id[:6]}@example.com")
    security_store.link_company(partner.company_id, issuer=rt.settings.hub_issuer,
                                hub_company_id=hub_company_id, hub_company_name=f"{label} Hub",
                                now=rt.clock.now(), actor="tests")
    security_settings.set_auto_create(rt, admin, True, TECHNICIAN)
    return partner, hub_company_id
