"""A customer's seat summary kept from the changed seats alone: after any bulk change, at any
later time, the stored summary is exactly what counting every seat at that moment gives, and
the seats are counted again (one Query) only when the stored clock cannot tell."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from chalicelib import runtime
from chalicelib.portal import catalog, seat_summary, seats
from chalicelib.storage import tables
from chalicelib.storage.portal import saas_customers as customer_store
from chalicelib.storage.portal import saas_seats as seat_store
from chalicelib.storage.portal.saas_customers import SaasCustomer
from tests.portal.helpers import Partner, make_partner

HOUR = dt.timedelta(hours=1)


def _customer(partner: Partner) -> SaasCustomer:
    first = partner.customers[0]
    return customer_store.get_customer(first.company_id, first.saas_customer_id, consistent=True)


def _counted_now(partner: Partner, now: dt.datetime) -> tuple[int, int, int]:
    """What counting every stored seat at `now` gives."""
    every = seat_store.seats_of_customer(partner.customers[0].saas_customer_id, consistent=True)
    summary = seat_summary.summarize(every, catalog.OFFICE365, now)
    return summary.seats_used, summary.active_services, summary.recent_backup_services


def _stored(partner: Partner) -> tuple[int, int, int]:
    customer = _customer(partner)
    return customer.seats_used, customer.active_services, customer.recent_backup_services


def _change(partner: Partner, rng: random.Random, now: dt.datetime) -> dict[str, int]:
    """One random bulk change at `now`; the DynamoDB calls it made."""
    of_type = [s for s in partner.seats[partner.customers[0].saas_customer_id]
               if s.seat_type == "User"]
    ids = [s.remote_id for s in rng.sample(of_type, rng.randint(1, min(6, len(of_type))))]
    change = seats.BulkChange("User", rng.choice(list(seats.ACTIONS)), ids)
    customer = _customer(partner)
    with tables.counting_calls() as calls:
        results = seats.bulk_change(customer, change, now)
    assert {r["status"] for r in results} == {"Success"}
    return dict(calls.calls)


@pytest.mark.parametrize("kept", [3, seat_summary.KEPT_TIMES])
def test_changes_over_two_days_keep_the_summary_exact(aws, monkeypatch, kept: int):
    monkeypatch.setattr(seat_summary, "KEPT_TIMES", kept)
    partner = make_partner(customers=((catalog.OFFICE365, 60, True),))
    rng = random.Random(kept)
    now = runtime.current().clock.now()
    assert _stored(partner) == _counted_now(partner, now)
    counted_again = from_changed_seats = 0
    for _ in range(40):
        now += rng.choice([dt.timedelta(0), dt.timedelta(minutes=7), HOUR, 3 * HOUR])
        calls = _change(partner, rng, now)
        assert _stored(partner) == _counted_now(partner, now), now
        counted_again += "Query" in calls
        from_changed_seats += "Query" not in calls
    # Both ways were taken: with 3 kept times the clock runs out as backups age (then every
    # seat is counted again); with 100 it never does for this customer.
    assert from_changed_seats > 0
    assert (counted_again > 0) == (kept == 3), (counted_again, from_changed_seats)


def test_a_change_reads_the_customer_and_its_seats_once_and_writes_once(aws):
    partner = make_partner(customers=((catalog.OFFICE365, 30, True),))
    now = runtime.current().clock.now() + 2 * HOUR
    assert _change(partner, random.Random(1), now) == {"BatchGetItem": 1,
                                                       "TransactWriteItems": 1}
    assert _stored(partner) == _counted_now(partner, now)


def test_a_clock_behind_the_count_counts_every_seat(aws):
    partner = make_partner(customers=((catalog.OFFICE365, 30, True),))
    behind = runtime.current().clock.now() - dt.timedelta(minutes=5)
    calls = _change(partner, random.Random(2), behind)
    assert calls["Query"] == 1
    assert _stored(partner) == _counted_now(partner, behind)


def test_a_summary_from_before_the_clock_is_counted_again_then_kept(aws):
    partner = make_partner(customers=((catalog.OFFICE365, 30, True),))
    customer = _customer(partner)
    customer_store.SaasCustomerModel(customer.company_id, customer.saas_customer_id).update(
        actions=[customer_store.SaasCustomerModel.recent_cutoff_ms.remove(),
                 customer_store.SaasCustomerModel.recent_oldest_ms.remove(),
                 customer_store.SaasCustomerModel.recent_backup_services.set(0)])
    now = runtime.current().clock.now() + HOUR
    rng = random.Random(3)
    assert _change(partner, rng, now)["Query"] == 1
    assert _stored(partner) == _counted_now(partner, now)
    assert "Query" not in _change(partner, rng, now + HOUR)
    assert _stored(partner) == _counted_now(partner, now + HOUR)


def test_writers_that_do_not_count_take_the_clock_away(aws):
    """A single seat's change (the sync's tests) and seats loaded for an existing customer bump
    the version without counting: the next bulk change counts every seat, and is exact."""
    partner = make_partner(customers=((catalog.OFFICE365, 30, True),))
    first = partner.customers[0]
    now = runtime.current().clock.now()
    seat = next(s for s in partner.seats[first.saas_customer_id]
                if s.seat_type == "User" and s.seat_state == catalog.ACTIVE)
    assert seat_store.update_seat(first.company_id, first.saas_customer_id, seat.remote_id,
                                  "User", catalog.PAUSED, None, now)
    assert _customer(partner).recent_cutoff_ms is None
    rng = random.Random(4)
    assert _change(partner, rng, now)["Query"] == 1
    assert _stored(partner) == _counted_now(partner, now)
    extra = seat_store.Seat(first.saas_customer_id, "extra-1", "extra@c.example", "Extra",
                            "User", catalog.ACTIVE, "1", now,
                            {"Exchange": {"at": int(now.timestamp() * 1000), "status": "Perfect"}})
    seat_store.save_seats([extra], first.company_id, now)
    assert _customer(partner).recent_cutoff_ms is None
    assert _change(partner, rng, now)["Query"] == 1
    assert _stored(partner) == _counted_now(partner, now)


def _seat(remote_id: str, at: int | None, state: str = catalog.ACTIVE) -> seat_store.Seat:
    """A User seat (two services: Exchange and OneDrive), both last backed up at `at`."""
    added = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    return seat_store.Seat(1, remote_id, "m", "n", "User", state, "1", added,
                           {app: {"at": at} for app in ("Office365Exchange", "Office365OneDrive")})


def test_the_clock_tells_between_its_cutoff_and_the_oldest_time_it_left_out(monkeypatch):
    monkeypatch.setattr(seat_summary, "KEPT_TIMES", 2)
    now = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
    cutoff = seat_summary.cutoff_ms(now)
    counted = seat_summary.summarize([_seat("a", cutoff + 10), _seat("b", cutoff + 20),
                                      _seat("c", cutoff - 1)], catalog.OFFICE365, now)
    assert (counted.seats_used, counted.active_services, counted.recent_backup_services) == (
        3, 6, 4)
    assert counted.clock == seat_summary.RecentClock(cutoff, (cutoff + 10, cutoff + 10),
                                                     cutoff + 20)

    def at(ms: int, before: list[seat_store.Seat] | None = None,
           after: list[seat_store.Seat] | None = None) -> seat_summary.SeatSummary | None:
        return seat_summary.changed(counted, before or [], after or [], catalog.OFFICE365,
                                    now + dt.timedelta(milliseconds=ms))

    assert at(-1) is None  # counted later than now: the services before then are unknown
    aged = at(15)  # both kept times aged out, the others (at cutoff + 20) still recent
    assert aged is not None and aged.recent_backup_services == 2
    assert aged.clock == seat_summary.RecentClock(cutoff + 15, (), cutoff + 20)
    assert at(20) is not None and at(21) is None  # past a time left out: count every seat
    paused = at(5, [_seat("b", cutoff + 20)], [_seat("b", cutoff + 20, catalog.PAUSED)])
    assert paused is not None and (paused.active_services, paused.recent_backup_services) == (
        4, 2)
    licensed = at(5, [_seat("c", cutoff - 1, catalog.PAUSED)], [_seat("c", cutoff + 30)])
    assert licensed is not None and licensed.recent_backup_services == 6
    assert seat_summary.changed(seat_summary.SeatSummary(1, 2, 2), [], [], catalog.OFFICE365,
                                now) is None  # written without a clock
