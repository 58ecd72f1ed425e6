"""DynamoDB calls of a sync run, counted per table: bounded per page of customers, not per customer
or per seat; an unchanged re-sync writes nothing and reads no stored seat; a run picked up after
a worker died reads the stored seats it might have left behind; seats DynamoDB will not take
stop the worker before its checkpoint passes them, and the run picked up again stores them."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from chalicelib.errors import StorageUnavailable
from chalicelib.itdocs.directory import ItDocsDirectory
from chalicelib.portal import catalog
from chalicelib.runtime import Runtime
from chalicelib.storage import tables
from chalicelib.storage.itdocs import backup_seats as seat_store
from chalicelib.storage.itdocs import batch_writes
from chalicelib.storage.itdocs import integrations as integration_store
from chalicelib.storage.itdocs import sync_checkpoints as checkpoint_store
from chalicelib.storage.itdocs import sync_logs as log_store
from chalicelib.sync import customer_seats, lifecycle, run, scheduled
from chalicelib.sync.saas_answers import RemoteSeat
from tests.fakes import use_transport
from tests.sync.helpers import FailingTransport, Setup, connected, seat_requests

PAGE = 5
# Twelve customers, every third with 30 seats (two batches of seats), the rest with 3.
TWELVE = tuple((catalog.OFFICE365, 30 if n % 3 == 0 else 3, n % 2 == 0) for n in range(12))


@contextmanager
def calls_by_table() -> Iterator[Counter[tuple[str, str]]]:
    """(operation, table without its prefix) of every DynamoDB call made meanwhile."""
    seen: Counter[tuple[str, str]] = Counter()

    def on_call(params: dict[str, Any], model: Any, **_: Any) -> None:
        for table in _tables(params):
            seen[(model.name, table.split("-", 1)[-1])] += 1

    client = tables.connection().client
    client.meta.events.register("before-parameter-build.dynamodb", on_call)
    try:
        yield seen
    finally:
        client.meta.events.unregister("before-parameter-build.dynamodb", on_call)


def _tables(params: dict[str, Any]) -> set[str]:
    if "TableName" in params:
        return {params["TableName"]}
    if "RequestItems" in params:
        return set(params["RequestItems"])
    return {next(iter(item.values()))["TableName"] for item in params.get("TransactItems", [])}


def _of(seen: Counter[tuple[str, str]], table: str) -> dict[str, int]:
    return {operation: n for (operation, name), n in seen.items() if name == table}


def _sync(aws: Runtime, setup: Setup) -> str:
    """One manual run, worker by worker, on a timer that never moves (so pending customers
    are stored once per page of customers, never on time)."""
    still = dataclasses.replace(aws, monotonic=lambda: 0.0)
    iid = setup.integration.integration_id
    now = aws.clock.now()
    token = aws.random.token(16)
    integration_store.claim_manual_sync(
        iid, account_id=setup.account_id, now=now, lock_hours=6, lease_token=token,
        lease_until=now + lifecycle.LEASE, run_id=aws.random.hex(8))
    return run.work(still, iid, token, directory=ItDocsDirectory(still), page_size=PAGE).state


def _pages(setup: Setup) -> list[list[int]]:
    """Seat counts of the customers, page by page in the walk's (key) order."""
    ordered = sorted(setup.partner.customers, key=lambda c: str(c.saas_customer_id))
    counts = [len(setup.partner.seats[c.saas_customer_id]) for c in ordered]
    return [counts[n:n + PAGE] for n in range(0, len(counts), PAGE)]


def test_a_first_sync_writes_per_page_of_customers_and_reads_no_stored_seat(aws):
    setup = connected(aws, customers=TWELVE)
    pages = _pages(setup)

    with calls_by_table() as seen:
        assert _sync(aws, setup) == "done"

    seats = sum(sum(page) for page in pages)
    log = log_store.logs_of_integration(setup.integration.integration_id)[0]
    assert (log.outcome, log.seats_seen) == ("OK", seats)
    assert log.items_written >= seats + 2 * len(TWELVE)  # every seat, each customer twice
    # the seats of each page in full batches of 25: none read (all first listed in this run)
    assert _of(seen, "itdocs_backup_seats") == {
        "BatchWriteItem": sum(-(-sum(page) // 25) for page in pages)}
    # one Query of the whole list to begin: the walk and the matching go through the
    # customers as stored then (the walk changes only their seat summaries); the list's
    # customers in one batch, then one batch of summaries per page
    assert _of(seen, "itdocs_backup_customers") == {
        "Query": 1, "BatchWriteItem": 1 + len(pages)}
    assert _of(seen, "itdocs_sync_checkpoints") == {
        "GetItem": 1, "PutItem": 1 + len(pages), "DeleteItem": 1}
    assert len(seat_requests(setup.transport)) == len(TWELVE)


def test_an_unchanged_re_sync_writes_nothing_and_reads_no_stored_seat(aws, frozen_time):
    setup = connected(aws, customers=TWELVE)
    assert _sync(aws, setup) == "done"
    frozen_time.advance(hours=7)
    setup.transport.requests.clear()

    with calls_by_table() as seen:
        assert _sync(aws, setup) == "done"

    log = log_store.logs_of_integration(setup.integration.integration_id)[0]
    assert (log.outcome, log.items_written) == ("OK", 0)
    assert _of(seen, "itdocs_backup_seats") == {}
    # no data written: the only write of many items is the run's end, its lease released
    # with its log entry (one transaction over the two tables)
    assert {key: n for key, n in seen.items()
            if key[0] in ("BatchWriteItem", "TransactWriteItems")} == {
        ("TransactWriteItems", "itdocs_integrations"): 1,
        ("TransactWriteItems", "itdocs_sync_logs"): 1}
    assert "PutItem" not in _of(seen, "itdocs_sync_logs")
    assert _of(seen, "itdocs_backup_customers") == {"Query": 1}
    # The vendor's customer list says nothing of which seats changed (a seat renamed, paused
    # or swapped keeps every figure in it), so each customer's seats are still fetched: one
    # page each, compared with the digest of those last written.
    assert len(seat_requests(setup.transport)) == len(TWELVE)


def test_a_run_picked_up_after_its_worker_died_reads_the_seats_it_may_have_stored(aws,
                                                                                 frozen_time):
    setup = connected(aws)
    iid = setup.integration.integration_id
    first, second = sorted(setup.partner.customers, key=lambda c: str(c.saas_customer_id))[:2]
    use_transport(aws, FailingTransport(setup.transport, f"/saas/{second.saas_customer_id}/",
                                        RuntimeError("worker killed")))
    try:
        _sync(aws, setup)
    except RuntimeError:
        pass
    # what a worker that died after storing seats of an older answer would have left
    left = seat_store.BackupSeat("gone-1", "gone@example.com", "Gone", "User", "Active", "1", "")
    seat_store.write_seats(iid, str(first.saas_customer_id), [left])
    use_transport(aws, setup.transport)
    frozen_time.advance(minutes=15)

    (claim,) = scheduled.tick(aws)

    assert integration_store.get_integration(iid).run_id is None  # the run ended
    log = log_store.logs_of_integration(iid)[0]
    assert (claim.trigger, log.outcome) == ("manual", "OK")
    stored = {s.seat_key for s in seat_store.seats_of_customer(iid, str(first.saas_customer_id))}
    assert stored == {s.remote_id for s in setup.partner.seats[first.saas_customer_id]}


def test_the_seats_digest_changes_with_every_field_of_a_seat():
    seat = RemoteSeat("r1", "a@x.com", "A", "User", "Active", "1", "2024-01-01T00:00:00+00:00")
    digest = customer_seats.seats_digest(catalog.OFFICE365, [seat])

    changed = {f.name: customer_seats.seats_digest(catalog.OFFICE365, [
        dataclasses.replace(seat, **{f.name: getattr(seat, f.name) + "x"})])
        for f in dataclasses.fields(RemoteSeat)}

    assert digest not in changed.values() and len(set(changed.values())) == len(changed)
    assert customer_seats.seats_digest(catalog.GOOGLE_WORKSPACE, [seat]) != digest


def test_seats_dynamodb_will_not_take_stop_the_worker_before_the_checkpoint_passes_them(
        aws, frozen_time, monkeypatch):
    setup = connected(aws, customers=TWELVE)
    iid = setup.integration.integration_id
    monkeypatch.setattr(batch_writes, "pause", lambda seconds: None)

    def nothing_processed(params: dict[str, Any], **_: Any) -> Any:
        request = json.loads(params["body"])["RequestItems"]
        if not any(name.endswith("itdocs_backup_seats") for name in request):
            return None
        return _Answer(200), {"UnprocessedItems": request, "ResponseMetadata": {}}

    client = tables.connection().client
    client.meta.events.register_first("before-call.dynamodb.BatchWriteItem", nothing_processed)
    try:
        with pytest.raises(StorageUnavailable):
            _sync(aws, setup)
    finally:
        client.meta.events.unregister("before-call.dynamodb.BatchWriteItem", nothing_processed)

    checkpoint = checkpoint_store.get_checkpoint(iid)
    assert checkpoint is not None and checkpoint.done == 0  # not past a customer left unstored
    frozen_time.advance(minutes=15)
    (claim,) = scheduled.tick(aws)  # the run is picked up again

    log = log_store.logs_of_integration(iid)[0]
    assert (claim.trigger, log.outcome) == ("manual", "OK")
    assert log.seats_seen == sum(len(s) for s in setup.partner.seats.values())
    for customer in setup.partner.customers:
        stored = seat_store.seats_of_customer(iid, str(customer.saas_customer_id))
        assert {s.seat_key for s in stored} == {
            s.remote_id for s in setup.partner.seats[customer.saas_customer_id]}


@dataclasses.dataclass
class _Answer:
    status_code: int
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
