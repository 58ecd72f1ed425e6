"""A seat change racing the sync's read of the seat list, on DynamoDB Local: the ETag the sync
keeps names the version read before the seats, so the race costs at most one more fetch, never
a change missed for good."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from chalicelib.portal import catalog
from chalicelib.runtime import Runtime
from chalicelib.storage.itdocs import backup_customers as customer_store
from chalicelib.storage.itdocs import backup_seats as backup_seat_store
from chalicelib.storage.portal import saas_seats as portal_seats
from chalicelib.sync import card, integrations
from tests.sync.helpers import Setup, connected

pytestmark = pytest.mark.ddblocal

@contextmanager
def changed_around_seat_read(rt: Runtime, setup: Setup, when: str,
                             monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Pause one active user of a linked customer once, `when` ("before" or "after") the
    portal's first Query of that customer's seat pages; yields [remote id] once done."""
    customer = next(c for c in setup.partner.customers if c.organization_id is not None)
    seat = next(s for s in setup.partner.seats[customer.saas_customer_id]
                if s.seat_state == catalog.ACTIVE)
    done: list[str] = []
    real_query = portal_seats._query

    def change() -> None:
        done.append(seat.remote_id)
        assert portal_seats.update_seat(customer.company_id, customer.saas_customer_id,
                                        seat.remote_id, seat.seat_type, catalog.PAUSED, "",
                                        rt.clock.now())

    def racing_query(request: dict[str, Any]) -> dict[str, Any]:
        ours = request["ExpressionAttributeValues"][":customer"]["N"] == str(
            customer.saas_customer_id)
        if ours and not done and when == "before":
            change()
        answer = real_query(request)
        if ours and not done and when == "after":
            change()
        return answer

    monkeypatch.setattr(portal_seats, "_query", racing_query)
    try:
        yield done
    finally:
        monkeypatch.setattr(portal_seats, "_query", real_query)


@pytest.mark.parametrize("when", ["before", "after"])
def test_a_seat_change_racing_the_seat_read_is_shown_by_the_next_sync_at_the_latest(
        ddb: Runtime, frozen_time: Any, when: str, monkeypatch: pytest.MonkeyPatch) -> None:
    setup = connected(ddb)
    iid = setup.integration.integration_id

    with changed_around_seat_read(ddb, setup, when, monkeypatch) as done:  # a full first sync
        integrations.start_manual_sync(ddb, setup.admin, iid)
    assert done, "the race was not staged"
    customer = next(c for c in setup.partner.customers if c.organization_id is not None)
    raced = {s.seat_key: s.seat_state for s in backup_seat_store.seats_of_customer(
        iid, str(customer.saas_customer_id))}
    # read after the change: shown at once; read before it: not yet, with the ETag before it
    assert raced[done[0]] == (catalog.PAUSED if when == "before" else catalog.ACTIVE)
    frozen_time.advance(hours=7)
    integrations.start_manual_sync(ddb, setup.admin, iid)

    stored = {s.seat_key: s for s in backup_seat_store.seats_of_customer(
        iid, str(customer.saas_customer_id))}
    assert stored[done[0]].seat_state == catalog.PAUSED
    org_id = setup.organization_ids[customer.organization_name]
    main_id = stored[done[0]].main_id
    (shown,) = card.contact_protection(ddb, setup.admin, org_id, [main_id])
    assert shown.seat_state == catalog.PAUSED and not shown.protected
    # and once settled, the stored ETag stands for what is stored: the next sync reads nothing
    frozen_time.advance(hours=7)
    integrations.start_manual_sync(ddb, setup.admin, iid)
    newest = integrations.sync_logs(ddb, setup.admin, iid)[0]
    assert newest.items_written == 0
    assert customer_store.get_customer(iid, str(customer.saas_customer_id)).seats_etag
