"""What real DynamoDB refuses and moto accepts: duplicate keys in one batch, big checkpoints.

On DynamoDB Local, through the fake vendor over real HTTP (tests/upstream.py).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator

import pytest
from pynamodb.exceptions import PutError

from chalicelib.itdocs.directory import ItDocsDirectory
from chalicelib.runtime import Runtime
from chalicelib.storage.itdocs import backup_customers as customer_store
from chalicelib.storage.itdocs import backup_seats as seat_store
from chalicelib.storage.itdocs import integrations as integration_store
from chalicelib.storage.itdocs import sync_checkpoints as checkpoint_store
from chalicelib.sync import lifecycle, run
from tests.sync.vendor import Vendor, synced_vendor
from tests.upstream import Reply, customer, seat

pytestmark = pytest.mark.ddblocal

ITEM_LIMIT = 400 * 1024  # DynamoDB refuses a bigger item


@pytest.fixture
def vendor(ddb: Runtime, frozen_time: object) -> Iterator[Vendor]:
    with synced_vendor(ddb.settings, frozen_time) as shop:
        yield shop


def test_dynamodb_refuses_a_batch_naming_a_key_twice_and_storage_never_sends_one(vendor):
    stored = vendor.stored()["101"]
    model = customer_store._customer_model(stored)
    with pytest.raises(PutError), customer_store.BackupCustomerModel.batch_write() as batch:
        batch.save(model)
        batch.save(model)  # what moto accepts and DynamoDB refuses

    renamed = dataclasses.replace(stored, name="Renamed")
    written = customer_store.write_customers([stored, renamed, renamed])

    assert written == 1
    assert vendor.stored()["101"].name == "Renamed"
    seats = seat_store.seats_of_customer(vendor.iid, "101")
    again = [dataclasses.replace(s, name="Again") for s in seats]
    assert seat_store.write_seats(vendor.iid, "101", [*seats, *again], [seats[0].seat_key,
                                                                        seats[0].seat_key]) == 2
    assert {s.name for s in seat_store.seats_of_customer(vendor.iid, "101")} == {"Again"}


def test_the_same_customer_and_seat_twice_in_one_answer_sync_once(vendor):
    changed = customer(101, seats_used=3) | {"saasCustomerName": "Twice"}
    vendor.upstream.script("/saas/domains", 1, Reply(body=[
        changed, changed, *vendor.upstream.customers[1:], changed]))
    vendor.upstream.seats[102] = [seat(102, 1), seat(102, 1), seat(102, 3), seat(102, 3)]

    assert vendor.sync() == ["done"]

    assert vendor.status() == ("OK", "")
    assert vendor.stored()["101"].name == "Twice"
    assert vendor.seats(102) == {"r-102-1", "r-102-3"}
    assert vendor.log().customers_seen == 3 and vendor.log().outcome == "OK"


def _checkpoint_bytes(iid: str) -> int:
    model = checkpoint_store.SyncCheckpointModel.get(iid, consistent_read=True)
    return len(json.dumps(model.serialize()))


def test_the_checkpoint_of_a_big_run_stays_a_small_cursor(vendor):
    def handed_on_after_one_customer(shop: Vendor) -> int:
        shop.clock.advance(hours=7)
        now = shop.rt.clock.now()
        token = shop.rt.random.token(16)
        integration_store.claim_manual_sync(
            shop.iid, account_id=shop.record().account_id, now=now, lock_hours=6,
            lease_token=token, lease_until=now + lifecycle.LEASE, run_id=shop.rt.random.hex(8))
        result = run.work(shop.rt, shop.iid, token, directory=ItDocsDirectory(shop.rt),
                          budget_seconds=0)
        assert result.state == "continue"  # one customer done, the rest handed on
        return _checkpoint_bytes(shop.iid)

    small = handed_on_after_one_customer(vendor)
    vendor.upstream.customers.extend(customer(n) for n in range(100_000, 102_500))
    vendor.upstream.seats.update({n: [seat(n, 1)] for n in range(100_000, 102_500)})

    big = handed_on_after_one_customer(vendor)

    checkpoint = checkpoint_store.get_checkpoint(vendor.iid)
    assert checkpoint is not None and (checkpoint.done, checkpoint.total) == (1, 2503)
    assert len(vendor.stored()) == 2503
    assert big - small <= 16  # nothing grows with the customers but a few numbers' digits
    assert big < 2_000 < ITEM_LIMIT
