"""Every fault the vendor was seen to make, served over real HTTP through the real transport.

Each test scripts the fake vendor (tests/upstream.py), runs a sync the way the queue worker does
and checks what a user would notice: what is stored, the status shown and the sync log's line.
Slow answers move a virtual clock that the runtime's `monotonic` and `sleep` read.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterator

import pytest

from chalicelib import runtime
from chalicelib.itdocs.directory import ItDocsDirectory
from chalicelib.runtime import Runtime
from chalicelib.storage.itdocs import integrations as integration_store
from chalicelib.storage.itdocs import sync_checkpoints as checkpoint_store
from chalicelib.storage.itdocs.integrations import IntegrationRecord
from chalicelib.sync import lifecycle, run, scheduled
from chalicelib.sync.saas_client import ATTEMPTS, WORST_CUSTOMER_SECONDS
from chalicelib.sync.seat_lookahead import AHEAD
from infra.functions import TUNING
from tests.sync.vendor import CUSTOMERS, Vendor, synced_vendor
from tests.upstream import Reply, customer, seat

INCOMPLETE = "Incomplete answer from SaaS Protection"


@pytest.fixture
def vendor(aws: Runtime, frozen_time: object) -> Iterator[Vendor]:
    """A fake vendor over real HTTP and an integration already synced once from it."""
    with synced_vendor(aws.settings, frozen_time) as shop:
        yield shop


def _unchanged(vendor: Vendor) -> None:
    """Every customer and seat of the first sync is still stored, none marked missing."""
    stored = vendor.stored()
    assert set(stored) == {"101", "102", "103"}
    assert all(c.missing_since_run is None for c in stored.values())
    assert all(vendor.seats(n) == {f"r-{n}-1", f"r-{n}-2"} for n in (101, 102, 103))


# -- the customer list ----------------------------------------------------------------------------
def _enveloped(vendor: Vendor) -> None:
    vendor.upstream.envelope_size = 1  # one customer a page, totals announced


def test_a_repeated_page_ends_in_error_and_deletes_nothing(vendor):
    _enveloped(vendor)
    vendor.upstream.script("/saas/domains", 2, lambda page: vendor.upstream._page(
        vendor.upstream.customers, 1, 100))

    assert vendor.sync() == ["done"]

    status, reason = vendor.status()
    assert status == "Error" and "page 2 of 3 repeated customers already received" in reason
    assert (vendor.log().outcome, vendor.log().items_written) == ("Error", 0)
    assert INCOMPLETE in vendor.log().reason
    _unchanged(vendor)


def test_an_empty_page_mid_list_ends_in_error_and_deletes_nothing(vendor):
    _enveloped(vendor)
    vendor.upstream.script("/saas/domains", 2, Reply(body={
        "pagination": {"page": 2, "perPage": 1, "totalPages": 3, "totalItems": 3},
        "items": []}))

    vendor.sync()

    assert vendor.status()[0] == "Error" and "page 2 of 3 was empty" in vendor.status()[1]
    _unchanged(vendor)


def test_a_customer_vanishing_between_pages_ends_in_error_and_deletes_nothing(vendor):
    _enveloped(vendor)
    shrunk = [vendor.upstream.customers[0], vendor.upstream.customers[2]]
    vendor.upstream.script("/saas/domains", 2, Reply(body={
        "pagination": {"page": 2, "perPage": 1, "totalPages": 2, "totalItems": 2},
        "items": shrunk[1:]}))

    vendor.sync()

    assert vendor.status()[0] == "Error" and INCOMPLETE in vendor.status()[1]
    _unchanged(vendor)


def test_a_server_ignoring_paging_costs_one_extra_request_and_syncs_everything(vendor):
    many = [seat(101, i) for i in range(150)]
    vendor.upstream.seats[101] = many
    vendor.upstream.ignore_paging = True

    assert vendor.sync() == ["done"]

    assert vendor.status() == ("OK", "")
    assert vendor.upstream.requests_for("/v1/saas/domains") == 1  # 3 < 100: one short page
    assert vendor.upstream.requests_for("/v1/saas/101/seats") == 2  # page 2 added nothing new
    assert vendor.seats(101) == {s["remoteId"] for s in many}
    assert vendor.log().seats_seen == 150 + 2 + 2


def test_the_customer_list_is_followed_page_by_page(vendor):
    vendor.upstream.customers.extend(customer(n) for n in range(200, 350))
    vendor.upstream.seats.update({n: [seat(n, 1)] for n in range(200, 350)})

    vendor.sync()

    assert vendor.status() == ("OK", "")
    assert vendor.upstream.requests_for("/v1/saas/domains") == 2  # 153 customers, 100 a page
    assert len(vendor.stored()) == 153
    assert vendor.log().customers_seen == 153


# -- bytes that are not the answer --------------------------------------------------------------
def test_a_truncated_body_is_unreachable_retried_then_an_error_with_nothing_lost(vendor):
    vendor.upstream.script("/saas/domains", None, Reply(body=CUSTOMERS, truncate=True))

    assert vendor.sync() == ["done"]

    status, reason = vendor.status()
    assert status == "Error"
    assert "did not answer in HTTP: IncompleteRead" in reason and f"{ATTEMPTS} attempts" in reason
    assert vendor.upstream.requests_for("/v1/saas/domains") == ATTEMPTS
    assert vendor.time.slept == [1.0, 2.0, 4.0]  # the back-off, on the virtual clock
    assert vendor.log().outcome == "Error" and vendor.log().reason == reason
    _unchanged(vendor)


def test_garbage_bytes_are_unreachable_and_end_in_error_with_nothing_lost(vendor):
    vendor.upstream.script("/saas/domains", None, Reply(raw=b"\x00\xffgarbage\r\n\r\n"))

    vendor.sync()

    status, reason = vendor.status()
    assert status == "Error" and "did not answer in HTTP: BadStatusLine" in reason
    assert vendor.log().outcome == "Error"
    _unchanged(vendor)


def test_a_truncated_seat_list_costs_only_that_customer(vendor):
    vendor.upstream.seats[102] = [seat(102, 1)]
    vendor.upstream.seats[103] = [seat(103, 9)]
    vendor.upstream.script("/saas/102/seats", None, Reply(body=[], truncate=True))

    vendor.sync()

    assert vendor.status() == ("OK", "Seats of 1 customer could not be fetched; see the log.")
    assert vendor.seats(102) == {"r-102-1", "r-102-2"}  # kept as stored before
    assert vendor.seats(103) == {"r-103-9"}  # the rest synced
    assert any(n.startswith("Seats of customer 102") and "IncompleteRead" in n
               for n in vendor.log().notes)


def test_non_finite_figures_skip_their_customer_and_the_rest_syncs(vendor):
    bad = {101: b'"seatsUsed": NaN', 102: b'"seatsUsed": 1e999'}
    body = b"[" + b",".join(
        (b'{"saasCustomerId": %d, "saasCustomerName": "Changed", "productType": "Office365", '
         b'%s, "backupStats": {"backupPercentage": %s}}'
         % (n, bad.get(n, b'"seatsUsed": 5'), b"Infinity" if n == 103 else b"50"))
        for n in (101, 102, 103)) + b"]"
    vendor.upstream.customers.append(customer(104, seats_used=7))
    vendor.upstream.script("/saas/domains", 1, lambda page: Reply(
        body=body[:-1] + b"," + json.dumps(customer(104, 7)).encode() + b"]"))

    vendor.sync()

    assert vendor.status()[0] == "OK"
    stored = vendor.stored()
    assert all(stored[c].name == f"Customer {c}" for c in ("101", "102", "103"))  # kept
    assert stored["104"].seats_used == 7 and stored["104"].missing_since_run is None
    notes = vendor.log().notes
    for n, field in ((101, "seatsUsed"), (102, "seatsUsed"), (103, "backupPercentage")):
        assert f"Customer {n} in the customer list was skipped: {field} is not a" in " ".join(
            notes)
    assert all(vendor.seats(n) == {f"r-{n}-1", f"r-{n}-2"} for n in (101, 102, 103))


def test_a_customer_without_an_id_is_skipped_and_nothing_is_taken_as_removed(vendor):
    vendor.upstream.script("/saas/domains", 1, Reply(body=[
        CUSTOMERS[0], {"saasCustomerId": "x", "saasCustomerName": "Broken"}]))

    vendor.sync()

    assert vendor.status()[0] == "OK"
    assert any("A customer in the customer list was skipped" in n for n in vendor.log().notes)
    assert any("none is taken as removed" in n for n in vendor.log().notes)
    _unchanged(vendor)


# -- seats: slow, 504, out of scope ---------------------------------------------------------------
def test_a_504_on_seats_is_final_for_that_customer_and_says_so(vendor):
    vendor.upstream.script("/saas/102/seats", None, Reply(504, {"code": "timeout"}, seconds=60))

    assert vendor.sync() == ["done"]

    assert vendor.upstream.requests_for("/v1/saas/102/seats") == 1  # not retried four times
    assert vendor.status() == ("OK", "Seats of 1 customer could not be fetched; see the log.")
    (note,) = [n for n in vendor.log().notes if n.startswith("Seats of customer 102")]
    assert "HTTP 504" in note and "not retried in this run" in note and "seatsUsed (2)" in note
    assert vendor.seats(102) == {"r-102-1", "r-102-2"}
    assert "could not be fetched" in vendor.stored()["102"].seats_note


def test_slow_seats_hand_the_run_on_per_customer_within_the_lease(vendor):
    extra = list(range(200, 212))
    vendor.upstream.customers.extend(customer(n) for n in extra)
    for n in extra:
        vendor.upstream.seats[n] = [seat(n, 1)]
    for n in [101, 102, 103, *extra]:  # every seat list takes 45 s
        vendor.upstream.script(f"/saas/{n}/seats", None, lambda page, n=n: Reply(
            body=vendor.upstream.seats[n], seconds=45))
    vendor.clock.advance(hours=7)  # type: ignore[attr-defined]
    claim = scheduled.claim_due(vendor.rt, _queued(vendor), vendor.rt.clock.now())
    assert claim is not None
    started = vendor.time.now

    first = run.work(vendor.rt, vendor.iid, claim.lease_token,
                     directory=ItDocsDirectory(vendor.rt))

    # a 480 s budget checked per customer, then the run is handed on. The virtual clock adds up
    # every answer, also those fetched ahead at once (which overlap in real time).
    assert first.state == "continue"
    checkpoint = checkpoint_store.get_checkpoint(vendor.iid)
    assert checkpoint is not None and checkpoint.total == 15
    worked = ["101", "102", "103", *map(str, extra)][:checkpoint.done]
    assert 9 <= len(worked) <= 11  # 11 in a row; up to AHEAD answers of 45 s fetched ahead
    fetched_first = sum(r.split("?")[0].endswith("/seats") for r in vendor.upstream.requests)
    assert len(worked) <= fetched_first <= len(worked) + AHEAD
    assert vendor.time.now - started == fetched_first * 45
    assert vendor.time.now - started <= (run.WORKER_BUDGET_SECONDS + WORST_CUSTOMER_SECONDS)
    worst_worker = run.WORKER_BUDGET_SECONDS + WORST_CUSTOMER_SECONDS
    assert worst_worker < lifecycle.LEASE.total_seconds()
    assert worst_worker < TUNING["sync_worker"].timeout
    assert (vendor.record().sync_done, vendor.record().sync_total) == (len(worked), 15)
    assert vendor.status() == ("Syncing...", "")
    assert first.lease_token is not None

    assert vendor.drive(first.lease_token) == ["done"]

    assert vendor.status() == ("OK", "")
    assert vendor.log().customers_seen == 15
    twice = [n for n in [101, 102, 103, *extra]
             if vendor.upstream.requests_for(f"/v1/saas/{n}/seats") != 1]
    # nothing worked on is fetched again; only what the first worker fetched ahead of its end
    assert all(vendor.upstream.requests_for(f"/v1/saas/{n}/seats") == 2 for n in twice)
    assert len(twice) == fetched_first - len(worked) and str(min(twice, default=999)) > worked[-1]
    assert (vendor.record().sync_done, vendor.record().sync_total) == (15, 15)


def _queued(vendor: Vendor) -> IntegrationRecord:
    """The integration with an automatic sync due now (as the tick finds it)."""
    record = vendor.record()
    due = dataclasses.replace(record, next_sync_at=vendor.rt.clock.now())
    return integration_store.save_integration(due, record.version)


def test_a_403_on_one_customers_seats_skips_that_customer_only(vendor):
    vendor.upstream.seats[101] = [seat(101, 7)]
    vendor.upstream.script("/saas/102/seats", None, Reply(403, {"code": "forbidden"}))

    vendor.sync()

    assert vendor.status() == ("OK", "Seats of 1 customer could not be fetched; see the log.")
    assert any(n.startswith("Seats of customer 102") and "HTTP 403" in n
               for n in vendor.log().notes)
    assert vendor.seats(101) == {"r-101-7"} and vendor.seats(102) == {"r-102-1", "r-102-2"}


def test_a_403_on_the_customer_list_is_still_keys_refused(vendor):
    vendor.upstream.script("/saas/domains", None, Reply(403, {"code": "forbidden"}))

    vendor.sync()

    status, reason = vendor.status()
    assert status == "Error" and "API keys were refused" in reason
    _unchanged(vendor)


# -- the rate limit --------------------------------------------------------------------------------
def test_a_long_retry_after_mid_run_pauses_and_resumes_from_the_checkpoint(vendor):
    vendor.upstream.seats[103] = [seat(103, 5)]
    vendor.upstream.script("/saas/102/seats", None, lambda page: Reply(
        429, {"code": "rate"}, {"Retry-After": "1800"})
        if vendor.upstream.requests_for("/v1/saas/102/seats") == 1 else None)
    start = vendor.rt.clock.now() + dt.timedelta(hours=7)
    resumes = (start + dt.timedelta(seconds=1800)).strftime("%H:%M")

    assert vendor.sync() == ["paused"]

    note = f"Rate limited by SaaS Protection; continuing at {resumes} UTC."
    assert vendor.status() == ("Syncing...", note)
    record = vendor.record()
    assert scheduled.claim_due(vendor.rt, record, vendor.rt.clock.now()) is None  # not yet
    vendor.clock.advance(minutes=30)  # type: ignore[attr-defined]
    claim = scheduled.claim_due(vendor.rt, vendor.record(), vendor.rt.clock.now())
    assert claim is not None and vendor.record().run_attempts == 1  # a pause is no attempt

    assert vendor.drive(claim.lease_token) == ["done"]

    assert vendor.status() == ("OK", "")
    assert note in vendor.log().notes and vendor.log().outcome == "OK"
    assert vendor.upstream.requests_for("/v1/saas/101/seats") == 1  # resumed, not redone
    assert vendor.upstream.requests_for("/v1/saas/domains") == 1
    assert vendor.seats(103) == {"r-103-5"}


# -- a worker that dies ----------------------------------------------------------------------------
class _Dies:
    """A transport whose worker dies on every request (a crash before any checkpoint)."""

    def request(self, *args: object, **kwargs: object) -> object:
        raise RuntimeError("worker killed")


def test_a_run_dying_before_its_first_checkpoint_ends_in_a_logged_error(vendor, aws):
    vendor.clock.advance(hours=7)  # type: ignore[attr-defined]
    now = vendor.rt.clock.now()
    integration_store.claim_manual_sync(
        vendor.iid, account_id=vendor.record().account_id, now=now, lock_hours=6,
        lease_token="t0", lease_until=now + lifecycle.LEASE, run_id="deadrun")
    dying = runtime.install(runtime.build(aws.settings, clock=vendor.clock,  # type: ignore[arg-type]
                                          transport=_Dies(), sleep=vendor.time.sleep))
    token = "t0"
    for attempt in (1, 2, 3):
        with pytest.raises(RuntimeError):
            run.work(dying, vendor.iid, token, directory=ItDocsDirectory(dying))
        assert vendor.record().run_attempts == attempt
        assert checkpoint_store.get_checkpoint(vendor.iid) is None
        assert vendor.status()[0] == "Syncing..."
        vendor.clock.advance(minutes=15)  # type: ignore[attr-defined]
        claim = scheduled.claim_due(dying, vendor.record(), dying.clock.now())
        if attempt < 3:
            assert claim is not None
            token = claim.lease_token

    assert claim is None  # given up
    status, reason = vendor.status()
    assert status == "Error" and reason == "The sync stopped unexpectedly 3 times and was given up."
    assert (vendor.log().outcome, vendor.log().reason) == ("Error", reason)
    _unchanged(vendor)
