"""The SaaS Protection card and a contact's protection, read in one BatchGetItem for all the
customers the organization lists as matched, their match records and integrations; a deleted
integration's customers are not shown."""

from __future__ import annotations

import dataclasses

from chalicelib import runtime
from chalicelib.storage import tables
from chalicelib.storage.itdocs import backup_customers as customer_store
from chalicelib.storage.itdocs import integrations as integration_store
from chalicelib.storage.itdocs import match_decisions as match_store
from tests.fakes import hold_sync_queue
from tests.itdocs.helpers import sign_in
from tests.itdocs.world import FEW, SEAT_EMAIL, World, admin_of, seed_world
from tests.web_client import WebClient


def _world(client: WebClient) -> World:
    world = seed_world(runtime.current(), FEW)
    hold_sync_queue(runtime.current())
    sign_in(client, admin_of(world))
    return world


def _card(html: str) -> str:
    start = html.find('id="saas-card"')
    return html[start:html.index("</section>", start)] if start >= 0 else ""


def test_two_matched_customers_are_read_in_one_batch_and_both_shown(aws, client):
    world = _world(client)
    integration_id, organization_id = world.values["integration"], world.values["organization"]
    second = match_store.get_match(integration_id, "3")
    match_store.write_reconciled([dataclasses.replace(
        second, status=match_store.MATCHED, organization_id=organization_id,
        version=second.version + 1)])
    stored = customer_store.get_customer(integration_id, "1")
    assert stored is not None
    customer_store.write_customers([dataclasses.replace(
        stored, customer_id="3", name="Tailspin Toys", protected_seats=5)])

    with tables.counting_calls() as calls:
        page = client.get(f"/itdocs/organizations/{organization_id}")

    card = _card(page.text)
    assert 'id="protected-seats">7<' in card  # 2 + 5 Active seats
    assert "Contoso" in card and "Tailspin Toys" in card
    # the session's read (with the organization and its list), the contacts, then the card's
    assert calls.calls == {"BatchGetItem": 2, "Query": 1}


def test_a_deleted_integrations_customers_leave_the_card_and_the_contact(aws, client):
    world = _world(client)
    organization_id = world.values["organization"]
    contact = f"/itdocs/organizations/{organization_id}/contacts/{world.values['contact']}"
    assert 'id="protected-seats">2<' in _card(client.get(
        f"/itdocs/organizations/{organization_id}").text)
    before = client.get(contact).text.split('id="saas-protection"')[1]
    assert SEAT_EMAIL in before and "Protected<" in before

    integration_store.delete_integration(world.values["integration"])

    assert _card(client.get(f"/itdocs/organizations/{organization_id}").text) == ""
    assert "Protected<" not in client.get(contact).text


def test_a_contact_sees_its_protected_seat(aws, client):
    world = _world(client)
    path = (f"/itdocs/organizations/{world.values['organization']}/contacts/"
            f"{world.values['contact']}")

    section = client.get(path).text.split('id="saas-protection"')[1].split("</section>")[0]

    assert SEAT_EMAIL in section and "Protected" in section and "Microsoft 365" in section
