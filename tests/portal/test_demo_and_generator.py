"""Demo data (idempotent, realistic) and the large-partner generator."""

from __future__ import annotations

import random

import pytest

from chalicelib.errors import LoginFailed
from chalicelib.portal import catalog, companies, portal_login
from chalicelib.storage.portal import organizations as organization_store
from chalicelib.storage.portal import saas_customers as customer_store
from chalicelib.storage.portal import saas_seats as seat_store
from chalicelib.storage.portal import users as store
from chalicelib.storage.portal.api_keys import get_api_key
from devstack import generate_partner
from devstack.demo import portal as demo


def _snapshot(rt):
    northwind = companies.company_named(demo.NORTHWIND)
    customers = list(customer_store.customers_of_company(northwind.company_id))
    seats = {c.saas_customer_id: list(seat_store.seats_of_customer(c.saas_customer_id))
             for c in customers}
    return (
        sorted((c.saas_customer_id, c.name, c.organization_name) for c in customers),
        sorted((s.remote_id, s.seat_state, s.date_added) for v in seats.values() for s in v),
        sorted(o.name for o in organization_store.organizations_of_company(northwind.company_id)),
        sorted(u.username for u in store.users_of_company(northwind.company_id)),
    )


def test_demo_loads_a_realistic_partner_and_a_second_run_changes_nothing(aws, frozen_time):
    lines = demo.load(aws)
    first = _snapshot(aws)
    frozen_time.advance(hours=5)
    assert demo.load(aws) == lines
    assert _snapshot(aws) == first
    customers, seats, organizations, usernames = first
    assert 35 <= len(customers) <= 45 and 200 <= len(seats) <= 600
    assert sum(1 for c in customers if c[2] is None) >= 3
    assert {"Bluebird Dental, LLC", "Bluebird Dental LLC"} <= set(organizations)
    assert {s[1] for s in seats} == set(catalog.SEAT_STATES)
    northwind = companies.company_named(demo.NORTHWIND)
    products = {c.product_type for c in customer_store.customers_of_company(northwind.company_id)}
    assert products == {catalog.OFFICE365, catalog.GOOGLE_WORKSPACE}
    assert {"nadia", "peter", "alice.archer", "bob.baker"} <= set(usernames)


def test_demo_logins_and_api_key_work(aws, client):
    lines = demo.load(aws)
    public = next(line.split()[-1] for line in lines if "public key" in line)
    secret = next(line.split()[-1] for line in lines if "secret key" in line)
    from tests.portal.helpers import basic

    reply = client.get("/api/v1/saas/domains", headers={"authorization": basic(public, secret)})
    assert reply.status == 200 and len(reply.json) == len(demo.NORTHWIND_CUSTOMERS)
    assert secret not in get_api_key(public).secret_hash
    assert public.startswith(companies.company_named(demo.NORTHWIND).company_id)  # names it
    for user in demo.NORTHWIND_USERS + demo.CONTOSO_USERS:
        assert portal_login.check_password(aws, user.username, user.password)
    with pytest.raises(LoginFailed):  # an email of two accounts names neither: bob logs in by
        portal_login.check_password(aws, "bob@acme-msp.example", "contoso-bob-demo")  # username
    assert len(store.users_by_email_key("bob@acme-msp.example")) == 2


def test_generator_makes_the_requested_partner(aws):
    made = generate_partner.generate(aws, customers=30, seat_total=700, threads=2)
    customers = list(customer_store.customers_of_company(made.company.company_id))
    assert len(customers) == 30
    seat_total = sum(len(list(seat_store.seats_of_customer(c.saas_customer_id)))
                     for c in customers)
    assert seat_total == sum(made.seat_counts) == 700
    unlinked = [c for c in customers if c.organization_id is None]
    assert 0 < len(unlinked) < 30
    assert all(c.seats_used <= len(list(seat_store.seats_of_customer(c.saas_customer_id)))
               for c in customers)


def test_seat_counts_are_uneven_but_exact():
    counts = generate_partner.seat_counts(random.Random(1), 2000, 100_000)
    assert sum(counts) == 100_000 and min(counts) >= 1 and max(counts) > 10 * min(counts)


@pytest.mark.parametrize("load", ["generator", "demo"])
def test_bulk_loads_create_each_customer_only_once_its_seats_are_stored(aws, monkeypatch, load):
    """A customer's seat list (and its ETag) is served once the customer exists; the bulk loads
    write no version bump, so every seat must be stored by then."""
    seen: list[tuple[int, int]] = []

    def checked(real):
        def create(customers):
            for customer in customers if isinstance(customers, list) else [customers]:
                stored = len(list(seat_store.seats_of_customer(customer.saas_customer_id)))
                seen.append((customer.saas_customer_id, stored))
            return real(customers)
        return create

    monkeypatch.setattr(customer_store, "save_customers",
                        checked(customer_store.save_customers))
    monkeypatch.setattr(customer_store, "create_customer",
                        checked(customer_store.create_customer))
    if load == "generator":
        generate_partner.generate(aws, customers=12, seat_total=300, threads=2)
    else:
        demo.load(aws)
    assert seen
    # each customer had, when created, every seat it has now: none was added behind its ETag
    assert [stored for _, stored in seen] == [
        len(list(seat_store.seats_of_customer(cid))) for cid, _ in seen]
