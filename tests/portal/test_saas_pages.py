"""The SaaS Protection customers page: each customer's organization, link and unlink, seats."""

from __future__ import annotations

import re

from chalicelib.portal import catalog, companies
from chalicelib.portal.policy import READ_ONLY, TECHNICIAN
from chalicelib.storage.portal import saas_customers as saas_store
from tests.portal.helpers import log_in, make_partner, make_user


def _row(page, customer) -> str:
    return re.search(rf'data-customer-id="{customer.saas_customer_id}">(.*?)</tr>', page.text,
                     re.S).group(1)


def test_customers_page_shows_each_customers_organization_or_not_linked(client, aws):
    partner = make_partner("Linky Partner")
    log_in(client, partner.admin.username)
    page = client.get("/portal/saas")
    linked, unlinked = partner.customers
    assert partner.organizations[0].name in _row(page, linked)
    assert "Not linked" in _row(page, unlinked)
    assert "1 not linked to an organization" in page.text
    only = client.get("/portal/saas?show=unlinked")
    assert unlinked.name in only.text and linked.name not in only.text


def test_link_and_unlink_are_one_action_each(client, aws):
    partner = make_partner("Linky Partner")
    log_in(client, partner.admin.username)
    linked, unlinked = partner.customers
    org = partner.organizations[0]
    client.get("/portal/saas")
    reply = client.post(f"/portal/saas/{unlinked.saas_customer_id}/link",
                        {"organization_id": str(org.organization_id)})
    assert reply.status == 303
    stored = saas_store.get_customer(partner.company.company_id, unlinked.saas_customer_id)
    assert (stored.organization_id, stored.organization_name) == (org.organization_id, org.name)
    page = client.get(reply.location)
    assert f"Linked {unlinked.name} to {org.name}" in page.text
    reply = client.post(f"/portal/saas/{linked.saas_customer_id}/unlink", {})
    assert reply.status == 303
    stored = saas_store.get_customer(partner.company.company_id, linked.saas_customer_id)
    assert stored.organization_id is None and stored.organization_name is None
    assert "Not linked" in _row(client.get("/portal/saas"), linked)


def test_linking_to_another_partners_organization_or_customer_is_404(client, aws):
    mine, theirs = make_partner("Mine Partner"), make_partner("Theirs Partner")
    log_in(client, mine.admin.username)
    client.get("/portal/saas")
    reply = client.post(f"/portal/saas/{mine.customers[1].saas_customer_id}/link",
                        {"organization_id": str(theirs.organizations[0].organization_id)})
    assert reply.status == 404
    client.get("/portal/saas")
    reply = client.post(f"/portal/saas/{theirs.customers[0].saas_customer_id}/unlink", {})
    assert reply.status == 404
    assert saas_store.get_customer(theirs.company.company_id,
                                   theirs.customers[0].saas_customer_id).organization_id
    assert client.get(f"/portal/saas/{theirs.customers[0].saas_customer_id}").status == 404


def test_read_only_users_see_customers_but_cannot_link(client, aws):
    partner = make_partner("Viewer Partner")
    make_user(partner.company, "viewer", role=READ_ONLY)
    log_in(client, "viewer")
    page = client.get("/portal/saas")
    assert page.status == 200 and "Unlink" not in page.text
    reply = client.post(f"/portal/saas/{partner.customers[0].saas_customer_id}/unlink",
                        {"csrf_token": page.csrf}, csrf=None)
    assert reply.status == 403


def test_customer_page_lists_seats_with_their_backup_results(client, aws):
    partner = make_partner("Seaty Partner")
    make_user(partner.company, "tech", role=TECHNICIAN)
    log_in(client, "tech")
    customer = partner.customers[0]
    page = client.get(f"/portal/saas/{customer.saas_customer_id}")
    assert page.status == 200
    for seat in partner.seats[customer.saas_customer_id]:
        assert seat.main_id in page.text and seat.seat_state in page.text
    for app in catalog.APP_TYPES[catalog.OFFICE365]:
        assert catalog.APP_NAMES[app] in page.text


def test_technician_creates_an_organization(client, aws):
    company = companies.create_company(aws, "Org Maker")
    make_user(company, "maker", role=TECHNICIAN)
    log_in(client, "maker")
    client.get("/portal/organizations")
    reply = client.post("/portal/organizations", {"name": "  Acme   Widgets, Inc. "})
    assert reply.status == 303
    assert "Acme Widgets, Inc." in client.get("/portal/organizations").text
    empty = client.post("/portal/organizations", {"name": "   "})
    assert empty.status == 400
