"""Bulk seat changes on DynamoDB Local: parallel changes of one customer all land and leave the
summary its seats give, and a throttled write answers 503 with nothing half-written, after which the
same request works."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.portal import catalog, seats
from chalicelib.storage.portal import saas_customers as customer_store
from chalicelib.storage.portal import saas_seats as seat_store
from tests.portal.helpers import Partner, make_partner
from tests.portal.test_bulk_seat_change import _bulk, _stored, _summary_is_recomputed, _users
from tests.storage.test_transactions_ddblocal import (  # noqa: F401 (inject: a fixture)
    THROTTLED,
    Fault,
    cancelled,
    inject,
)
from tests.web_client import WebClient

pytestmark = pytest.mark.ddblocal

RACERS = 4


def _customer(partner: Partner) -> customer_store.SaasCustomer:
    first = partner.customers[0]
    return customer_store.get_customer(first.company_id, first.saas_customer_id, consistent=True)


def test_parallel_changes_of_one_customer_all_land_with_a_true_summary(ddb):
    partner = make_partner(customers=((catalog.OFFICE365, 80, True),))
    users = _users(partner)
    assert len(users) >= RACERS * 3
    groups = [users[n * 3:(n + 1) * 3] for n in range(RACERS)]
    actions = ["Unlicense", "Pause", "License", "Unlicense"]
    start = threading.Barrier(RACERS)
    version = _customer(partner).seats_version

    def change(n: int) -> list[object]:
        start.wait()
        results = seats.bulk_change(_customer(partner), seats.BulkChange(
            "User", actions[n], groups[n]), ddb.clock.now())
        return [r["status"] for r in results]

    with ThreadPoolExecutor(RACERS) as pool:
        outcomes = list(pool.map(change, range(RACERS)))
    assert outcomes == [["Success"] * 3] * RACERS
    stored = _stored(partner)
    for group, action in zip(groups, actions, strict=True):
        assert {stored[i].seat_state for i in group} == {seats.ACTIONS[action][0]}, action
    _summary_is_recomputed(partner)
    assert _customer(partner).seats_version == version + RACERS


def test_a_throttled_write_answers_503_changes_nothing_and_then_works(ddb_client: WebClient,
                                                                     inject):  # noqa: F811 (the imported fixture)
    partner = make_partner(customers=((catalog.OFFICE365, 30, True),))
    licensed = [i for i in _users(partner) if i not in _users(partner, catalog.UNPROTECTED)][:2]
    before, customer = _stored(partner), _customer(partner)
    fault = inject(Fault("TransactWriteItems", seat_store.SaasSeatModel.Meta.table_name,
                         **cancelled(THROTTLED)))
    reply = _bulk(ddb_client, partner, licensed)
    assert reply.status == 503, reply
    assert reply.json["code"] == "unavailable" and fault.seen >= 1
    assert _stored(partner) == before
    assert _customer(partner) == customer  # neither the summary nor its version moved
    fault.times = 0  # DynamoDB serves again
    again = _bulk(ddb_client, partner, licensed)
    assert again.status == 200 and [r["status"] for r in again.json] == ["Success"] * 2
    assert {_stored(partner)[i].seat_state for i in licensed} == {catalog.UNPROTECTED}
    _summary_is_recomputed(partner)


def test_a_hundred_seats_read_with_the_customer_and_counted_from_them(ddb):
    """101 items across two tables in two BatchGetItems, 100 seats in two transactions, and the
    summary with its clock (a list of times) as DynamoDB itself stores it."""
    partner = make_partner(customers=((catalog.OFFICE365, 320, True),))
    licensed = [i for i in _users(partner) if i not in _users(partner, catalog.UNPROTECTED)]
    before = _customer(partner)
    assert before.recent_cutoff_ms is not None
    results = seats.bulk_change(before, seats.BulkChange("User", "Unlicense", licensed[:100]),
                                ddb.clock.now())
    assert [r["status"] for r in results] == ["Success"] * 100
    assert {_stored(partner)[i].seat_state for i in licensed[:100]} == {catalog.UNPROTECTED}
    _summary_is_recomputed(partner)
    after = _customer(partner)
    assert after.seats_version == before.seats_version + 2
    assert after.recent_oldest_ms == sorted(after.recent_oldest_ms)


def test_changes_racing_a_writer_that_does_not_count_stay_exact(ddb):
    """A single seat's update takes the summary's clock away while bulk changes run: whichever
    lands first, the summary ends as counting every seat gives it."""
    partner = make_partner(customers=((catalog.OFFICE365, 60, True),))
    first = partner.customers[0]
    users = _users(partner)
    start = threading.Barrier(3)

    def change(n: int) -> None:
        start.wait()
        if n == 2:
            assert seat_store.update_seat(first.company_id, first.saas_customer_id, users[9],
                                          "User", catalog.PAUSED, None, ddb.clock.now())
            return
        results = seats.bulk_change(_customer(partner), seats.BulkChange(
            "User", "Unlicense", users[n * 3:(n + 1) * 3]), ddb.clock.now())
        assert {r["status"] for r in results} == {"Success"}

    with ThreadPoolExecutor(3) as pool:
        list(pool.map(change, range(3)))
    _summary_is_recomputed(partner)
    seats.bulk_change(_customer(partner), seats.BulkChange("User", "License", users[:1]),
                      ddb.clock.now())
    _summary_is_recomputed(partner)
