"""One sync run end to end against the portal's REST API served in-process."""

from __future__ import annotations

from chalicelib.portal import catalog
from chalicelib.storage import tables
from chalicelib.storage.itdocs import backup_customers as customer_store
from chalicelib.storage.itdocs import backup_seats as seat_store
from chalicelib.storage.portal import saas_seats as portal_seats
from chalicelib.sync import card, integrations
from tests.queried import tables_queried
from tests.sync.helpers import connected, seat_requests


def test_manual_sync_fills_the_card_with_active_seats_only(aws):
    setup = connected(aws)
    iid = setup.integration.integration_id

    after = integrations.start_manual_sync(aws, setup.admin, iid)

    assert after.status == "OK"
    assert after.last_sync_at == aws.clock.now()
    linked = [c for c in setup.partner.customers if c.organization_id is not None]
    for customer in linked:
        seats = setup.partner.seats[customer.saas_customer_id]
        active = [s for s in seats if s.seat_state == catalog.ACTIVE]
        org_id = setup.organization_ids[customer.organization_name]
        shown = card.saas_card(aws, setup.admin, org_id)
        assert shown is not None
        assert shown.protected_seats == len(active)
        (section,) = shown.sections
        assert section.protected_seats == len(active)
        assert sum(section.seats_not_counted.values()) == len(seats) - len(active)
        assert section.synced_at == aws.clock.now()
        assert section.product_name == catalog.PRODUCTS[customer.product_type]
    (log,) = integrations.sync_logs(aws, setup.admin, iid)
    assert log.trigger == "manual"
    assert log.outcome == "OK"
    assert log.customers_seen == len(setup.partner.customers)
    assert log.seats_seen == sum(len(s) for s in setup.partner.seats.values())
    assert log.matches_made == len(linked)
    assert len(seat_requests(setup.transport)) == len(setup.partner.customers)


def test_a_second_sync_with_nothing_changed_writes_no_data(aws, frozen_time):
    setup = connected(aws)
    iid = setup.integration.integration_id
    integrations.start_manual_sync(aws, setup.admin, iid)
    frozen_time.advance(hours=7)

    with tables.counting_calls() as counter, tables_queried() as queried:
        integrations.start_manual_sync(aws, setup.admin, iid)

    newest = integrations.sync_logs(aws, setup.admin, iid)[0]
    assert newest.outcome == "OK"
    assert newest.items_written == 0
    assert counter.calls["BatchWriteItem"] == 0
    # one transaction: the run's end, its lease released with its log entry (no data written)
    assert counter.calls["TransactWriteItems"] == 1
    # Each customer's seat list answers 304 to the ETag stored with its seats: its stored seats
    # are not read, nor does the portal read any seat to answer.
    assert not [name for name in queried if name.endswith("itdocs_backup_seats")]
    assert not [name for name in queried if name.endswith("portal_saas_seats")]


def test_one_changed_seat_is_written_and_shown_while_the_other_customers_are_skipped(
        aws, frozen_time):
    setup = connected(aws)
    iid = setup.integration.integration_id
    integrations.start_manual_sync(aws, setup.admin, iid)
    frozen_time.advance(hours=7)
    customer = next(c for c in setup.partner.customers if c.organization_id is not None)
    seat = next(s for s in setup.partner.seats[customer.saas_customer_id]
                if s.seat_state == catalog.ACTIVE)
    assert portal_seats.update_seat(customer.company_id, customer.saas_customer_id,
                                    seat.remote_id, seat.seat_type, catalog.PAUSED, "",
                                    aws.clock.now())
    org_id = setup.organization_ids[customer.organization_name]
    before = card.saas_card(aws, setup.admin, org_id)
    assert before is not None

    integrations.start_manual_sync(aws, setup.admin, iid)

    newest = integrations.sync_logs(aws, setup.admin, iid)[0]
    assert newest.outcome == "OK"
    assert newest.items_written == 2  # the seat and its customer's summary
    after = card.saas_card(aws, setup.admin, org_id)
    assert after is not None and after.protected_seats == before.protected_seats - 1


def test_contact_protection_finds_seats_by_email_case_insensitively(aws):
    setup = connected(aws)
    integrations.start_manual_sync(aws, setup.admin, setup.integration.integration_id)
    customer = setup.partner.customers[0]
    seat = next(s for s in setup.partner.seats[customer.saas_customer_id]
                if s.seat_type == "User" and "@" in s.main_id)
    org_id = setup.organization_ids[customer.organization_name]

    found = card.contact_protection(aws, setup.admin, org_id,
                                    [seat.main_id.upper(), "nobody@example.com"])

    assert [(p.main_id, p.seat_state) for p in found] == [(seat.main_id, seat.seat_state)]
    assert found[0].protected == (seat.seat_state == catalog.ACTIVE)
    assert found[0].services == ("Exchange", "OneDrive")


def test_customers_removed_upstream_are_deleted_only_after_two_complete_fetches(aws, frozen_time):
    setup = connected(aws)
    iid = setup.integration.integration_id
    integrations.start_manual_sync(aws, setup.admin, iid)
    from chalicelib.storage.portal import saas_customers as portal_customer_store

    gone = setup.partner.customers[2]
    portal_customer_store.SaasCustomerModel(gone.company_id, gone.saas_customer_id).delete()
    frozen_time.advance(hours=6)

    integrations.start_manual_sync(aws, setup.admin, iid)

    kept = customer_store.get_customer(iid, str(gone.saas_customer_id))
    assert kept is not None and kept.missing_since_run  # first miss: recorded, nothing deleted
    assert seat_store.seats_of_customer(iid, str(gone.saas_customer_id)) != []
    frozen_time.advance(hours=6)

    integrations.start_manual_sync(aws, setup.admin, iid)

    assert customer_store.get_customer(iid, str(gone.saas_customer_id)) is None
    assert seat_store.seats_of_customer(iid, str(gone.saas_customer_id)) == []
