"""Fetching the next customers' seats ahead: the same data, notes and stops as one after another.

On DynamoDB Local, through the fake vendor over real HTTP (tests/upstream.py), which answers
several requests at once as the vendor does.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.itdocs.directory import ItDocsDirectory
from chalicelib.runtime import Runtime
from chalicelib.storage.itdocs import backup_seats as seat_store
from chalicelib.storage.itdocs import integrations as integration_store
from chalicelib.storage.itdocs import sync_checkpoints as checkpoint_store
from chalicelib.storage.itdocs.integrations import IntegrationRecord
from chalicelib.sync import lifecycle, run, seat_lookahead
from tests.sync.vendor import Vendor, synced_vendor
from tests.upstream import Reply, customer, seat

pytestmark = pytest.mark.ddblocal

MORE = list(range(104, 116))  # with the vendor's 101-103: 15 customers


@pytest.fixture
def vendor(ddb: Runtime, frozen_time: object) -> Iterator[Vendor]:
    with synced_vendor(ddb.settings, frozen_time) as shop:
        for n in MORE:
            shop.upstream.customers.append(customer(n, seats_used=n % 4))
            shop.upstream.seats[n] = [seat(n, i) for i in range(n % 4)]
        yield shop


def _sync_both(monkeypatch: pytest.MonkeyPatch, one_by_one: Vendor, ahead: Vendor) -> None:
    """Sync one integration fetching one customer after another, the other fetching ahead;
    both end done with the same stored items and the same summary."""
    monkeypatch.setattr(seat_lookahead, "AHEAD", 0)
    assert one_by_one.sync() == ["done"]
    monkeypatch.setattr(seat_lookahead, "AHEAD", 2)
    assert ahead.sync() == ["done"]
    assert _stored(ahead) == _stored(one_by_one)
    assert _summary(ahead) == _summary(one_by_one)


def _another_integration(shop: Vendor) -> Vendor:
    """A second integration of the same partner's keys, never synced."""
    record = shop.record()
    iid = shop.rt.random.hex(8)
    integration_store.create_integration(IntegrationRecord(
        integration_id=iid, account_id=f"acct-{iid}", public_key="public",
        secret_key=shop.rt.box.encrypt(b"secret", run.secret_context(iid)),
        base_url=record.base_url, sync_enabled=True, accept_automatically=False,
        connected_at=shop.rt.clock.now(), connected_by="tests",
        last_outcome=lifecycle.NEVER_SYNCED))
    return dataclasses.replace(shop, iid=iid)


def _stored(shop: Vendor) -> dict[str, Any]:
    """Everything the sync stored for the integration, without what names the integration."""
    drop = {"integration_id", "account_id", "listed_since_run", "seats_etag"}
    customers = {i: {k: v for k, v in dataclasses.asdict(c).items() if k not in drop}
                 for i, c in shop.stored().items()}
    seats = {i: sorted(map(repr, seat_store.seats_of_customer(shop.iid, i))) for i in customers}
    return {"customers": customers, "seats": seats}


def _summary(shop: Vendor) -> tuple[object, ...]:
    log = shop.log()
    return (shop.status(), log.outcome, log.customers_seen, log.seats_seen,
            log.items_written, log.notes)


def test_fetching_ahead_stores_exactly_what_one_fetch_after_another_stores(vendor, monkeypatch):
    vendor.upstream.seats[105].append(seat(105, 9, state="Frozen"))  # a note, mid-way
    vendor.upstream.script("/saas/108/seats", None, Reply(504, {"code": "timeout"}))
    one_by_one = _another_integration(vendor)
    ahead = _another_integration(vendor)

    _sync_both(monkeypatch, one_by_one, ahead)
    assert len(_stored(ahead)["customers"]) == 15
    # and again after the vendor changed: the same changes, the same notes
    vendor.upstream.seats[103] = [seat(103, 7)]
    vendor.upstream.seats[110].append(seat(110, 8))
    _sync_both(monkeypatch, one_by_one, ahead)


def test_a_customer_failing_mid_way_is_noted_and_the_rest_sync_as_before(vendor):
    for n in (101, 102, 103, *MORE):
        vendor.upstream.seats[n] = [*vendor.upstream.seats[n], seat(n, 20)]
    vendor.upstream.script("/saas/107/seats", None, Reply(504, {"code": "timeout"}))

    assert vendor.sync() == ["done"]

    assert vendor.status() == ("OK", "Seats of 1 customer could not be fetched; see the log.")
    notes = [n for n in vendor.log().notes if n.startswith("Seats of customer")]
    assert len(notes) == 1 and notes[0].startswith("Seats of customer 107 ") and "504" in notes[0]
    assert all(f"r-{n}-20" in vendor.seats(n) for n in (101, 102, 103, *MORE) if n != 107)
    assert "r-107-20" not in vendor.seats(107)
    assert all(vendor.upstream.requests_for(f"/v1/saas/{n}/seats") == 1
               for n in (101, 102, 103, *MORE))


def test_a_long_429_stops_every_fetcher_and_the_run_resumes_where_it_was(vendor):
    sent_after: list[str] = []
    limited = threading.Event()

    def note(path: str) -> Any:
        def script(page: int) -> Reply | None:
            if limited.is_set():
                sent_after.append(path)
            if path == "/saas/106/seats" and not limited.is_set():
                limited.set()
                return Reply(429, {"code": "rate"}, {"Retry-After": "1800"})
            return None
        return script

    for n in (101, 102, 103, *MORE):
        vendor.upstream.script(f"/saas/{n}/seats", None, note(f"/saas/{n}/seats"))

    assert vendor.sync() == ["paused"]

    # only fetches already begun before the client read the 429 (at most the few queued after
    # the customer refused) reach the vendor; none of a later customer, none twice
    assert len(sent_after) == len(set(sent_after))
    assert set(sent_after) <= {f"/saas/{n}/seats" for n in range(107, 107 + seat_lookahead.AHEAD)}
    assert vendor.status()[0] == "Syncing..." and "Rate limited" in vendor.status()[1]
    checkpoint = checkpoint_store.get_checkpoint(vendor.iid)
    assert checkpoint is not None and checkpoint.after_customer == "105"
    vendor.clock.advance(minutes=31)
    claim = integration_store.get_integration(vendor.iid)
    from chalicelib.sync import scheduled

    resumed = scheduled.claim_due(vendor.rt, claim, vendor.rt.clock.now())
    assert resumed is not None and vendor.drive(resumed.lease_token) == ["done"]
    assert vendor.status() == ("OK", "")
    assert vendor.log().customers_seen == 15
    assert all(vendor.upstream.requests_for(f"/v1/saas/{n}/seats") == 1
               for n in (101, 102, 103, 104, 105))  # resumed, not redone


def _changed_everywhere(shop: Vendor) -> list[int]:
    order = [101, 102, 103, *MORE]
    for n in order:
        shop.upstream.seats[n] = [*shop.upstream.seats[n], seat(n, 30)]
    return order


def test_a_run_taken_over_mid_way_stops_fetching_and_writes_nothing_more(vendor):
    order = _changed_everywhere(vendor)
    taken = threading.Event()

    def take_over(page: int) -> None:  # another worker moves the checkpoint on meanwhile
        while not taken.is_set():  # (the walk's own advance may come in between)
            current = checkpoint_store.get_checkpoint(vendor.iid)
            assert current is not None
            if checkpoint_store.advance_checkpoint(
                    dataclasses.replace(current, done=current.done + 100), current.done):
                taken.set()

    vendor.upstream.script("/saas/108/seats", None, take_over)
    vendor.clock.advance(hours=7)
    now = vendor.rt.clock.now()
    token = vendor.rt.random.token(16)
    integration_store.claim_manual_sync(
        vendor.iid, account_id=vendor.record().account_id, now=now, lock_hours=6,
        lease_token=token, lease_until=now + lifecycle.LEASE, run_id=vendor.rt.random.hex(8))

    result = run.work(vendor.rt, vendor.iid, token, directory=ItDocsDirectory(vendor.rt),
                      page_size=3)
    sent_when_stopped = len(vendor.upstream.requests)
    threading.Event().wait(0.3)  # nothing of the walk runs on after it returns

    assert taken.is_set() and result.state == "stale"
    assert len(vendor.upstream.requests) == sent_when_stopped
    written = [n for n in order if f"r-{n}-30" in vendor.seats(n)]
    assert written == order[:len(written)] and 0 < len(written) < len(order)  # a prefix
    fetched = [n for n in order if vendor.upstream.requests_for(f"/v1/saas/{n}/seats")]
    assert len(fetched) < len(order)  # fetching stopped with the walk


def test_a_budget_spent_mid_way_hands_on_without_fetching_past_what_it_may_use(vendor):
    order = _changed_everywhere(vendor)
    for n in order:  # every seat list takes 100 s on the virtual clock
        vendor.upstream.script(f"/saas/{n}/seats", None, lambda page, n=n: Reply(
            body=vendor.upstream.seats[n], seconds=100))

    results = vendor.sync(budget=250)

    assert results[-1] == "done" and set(results[:-1]) == {"continue"}
    assert vendor.status() == ("OK", "")
    assert all(f"r-{n}-30" in vendor.seats(n) for n in order)
    fetched = [vendor.upstream.requests_for(f"/v1/saas/{n}/seats") for n in order]
    # fetched ahead only what the pace says the worker reaches: each customer at most twice,
    # a second time only where a worker's budget ended before the customer it fetched ahead
    assert set(fetched) <= {1, 2}
    assert fetched.count(2) <= len(results) - 1
