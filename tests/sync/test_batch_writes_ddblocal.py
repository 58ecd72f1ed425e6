"""The sync's bulk writer on DynamoDB Local: what real DynamoDB refuses (the same key twice in one
call), items it leaves unprocessed when throttled (answered in place of the lean transport's
call), and a throttled call (answered by a local endpoint in front of DynamoDB Local,
`dynamodb_faults`). Nothing is lost, nothing is written twice, and a write DynamoDB cannot take
ends as "unavailable" (the worker's run is picked up again), never half-reported as done."""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.errors import StorageUnavailable
from chalicelib.runtime import Runtime
from chalicelib.storage import low_level, tables
from chalicelib.storage.itdocs import backup_customers as customer_store
from chalicelib.storage.itdocs import backup_seats as seat_store
from chalicelib.storage.itdocs import batch_writes
from chalicelib.storage.itdocs.backup_customers import BackupCustomer
from chalicelib.storage.itdocs.backup_seats import BackupSeat
from tests.storage.dynamodb_faults import Waits, WireFault, faulty_endpoint, hot_calls_through

pytestmark = pytest.mark.ddblocal


def _seats(count: int, name: str = "Seat") -> list[BackupSeat]:
    return [BackupSeat(seat_key=f"r-{n}", main_id=f"User{n}@Example.com", name=f"{name} {n}",
                       seat_type="User", seat_state="Active", billable="1",
                       date_added="2024-01-01T00:00:00+00:00") for n in range(count)]


@pytest.fixture
def calls(ddb: Runtime, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """Every BatchWriteItem sent meanwhile (its RequestItems), on the lean transport; pauses do
    not wait."""
    monkeypatch.setattr(batch_writes, "pause", lambda seconds: None)
    assert low_level.wire() is not None  # DynamoDB Local is reached on the lean transport
    sent: list[dict[str, Any]] = []
    real_post = low_level.post

    def post(operation: str, request: dict[str, Any]) -> dict[str, Any]:
        if operation == "BatchWriteItem":
            sent.append(request["RequestItems"])
        return real_post(operation, request)

    monkeypatch.setattr(low_level, "post", post)
    yield sent


def _stored(integration_id: str) -> dict[str, str]:
    return {s.seat_key: s.name for s in seat_store.seats_of_customer(integration_id, "7")}


def test_a_key_given_twice_goes_out_once_and_batches_hold_25_on_several_threads(calls):
    iid = uuid.uuid4().hex
    first, again = _seats(60), _seats(60, name="Again")

    written = seat_store.write_seats(iid, "7", [*first, *again], ["r-0", "r-0"])

    assert written == 60  # 59 puts, the last given for each key, and one delete
    assert _stored(iid) == {f"r-{n}": f"Again {n}" for n in range(1, 60)}
    assert sorted(sum(len(v) for v in batch.values()) for batch in calls) == [10, 25, 25]
    table = seat_store.BackupSeatModel.Meta.table_name
    for batch in calls:  # DynamoDB refuses a call naming a key twice; none was sent
        keys = [_seat_key(request) for request in batch[table]]
        assert len(keys) == len(set(keys))


def _seat_key(request: dict[str, Any]) -> str:
    put = request.get("PutRequest")
    return str((put["Item"] if put else request["DeleteRequest"]["Key"])["seat_key"]["S"])


def test_a_seat_without_an_email_is_stored_and_not_found_by_email(ddb):
    iid = uuid.uuid4().hex
    nameless = dataclasses.replace(_seats(1)[0], main_id="")

    assert seat_store.write_seats(iid, "7", [nameless]) == 1

    assert _stored(iid) == {"r-0": "Seat 0"}
    assert seat_store.seats_with_email(iid, "7", "user0@example.com") == []


class _Unprocessed:
    """Answers the first `times` calls as a throttled DynamoDB does: nothing processed."""

    def __init__(self, times: int) -> None:
        self.times = times
        self.seen = 0

    def answer(self, request: dict[str, Any]) -> dict[str, Any] | None:
        self.seen += 1
        if self.seen > self.times:
            return None
        return {"UnprocessedItems": request["RequestItems"]}


@pytest.fixture
def unprocessed(calls: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Adds a fault answering BatchWriteItem before it is sent (after `calls` saw it)."""
    counted_post = low_level.post

    def add(times: int) -> _Unprocessed:
        fault = _Unprocessed(times)

        def post(operation: str, request: dict[str, Any]) -> dict[str, Any]:
            answer = fault.answer(request) if operation == "BatchWriteItem" else None
            real = counted_post(operation, request) if answer is None else None
            if answer is not None:
                calls.append(request["RequestItems"])
            return answer if answer is not None else real  # type: ignore[return-value]

        monkeypatch.setattr(low_level, "post", post)
        return fault

    yield add


def test_items_left_unprocessed_are_sent_again_until_written(calls, unprocessed):
    iid = uuid.uuid4().hex
    fault = unprocessed(times=3)

    assert seat_store.write_seats(iid, "7", _seats(20)) == 20

    assert fault.seen == 4 and len(calls) == 4  # three throttled answers, then written
    assert _stored(iid) == {f"r-{n}": f"Seat {n}" for n in range(20)}


def test_items_never_processed_end_as_unavailable_and_the_same_write_works_later(calls,
                                                                                  unprocessed):
    iid = uuid.uuid4().hex
    fault = unprocessed(times=len(batch_writes.UNPROCESSED_PAUSES) + 1)

    with pytest.raises(StorageUnavailable):
        seat_store.write_seats(iid, "7", _seats(20))

    assert fault.seen == len(batch_writes.UNPROCESSED_PAUSES) + 1
    assert _stored(iid) == {}
    assert seat_store.write_seats(iid, "7", _seats(20)) == 20
    assert len(_stored(iid)) == 20


def test_a_throttled_call_is_retried_then_unavailable_and_logged(
        ddb, ddblocal_endpoint: str, caplog: pytest.LogCaptureFixture):
    iid = uuid.uuid4().hex
    throttled = {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}
    waits = Waits()
    with (faulty_endpoint(ddblocal_endpoint) as endpoint,
          hot_calls_through(endpoint, waits) as lean):
        fault = endpoint.add(WireFault("BatchWriteItem", "itdocs_backup_seats", error=throttled))
        with pytest.raises(StorageUnavailable):
            seat_store.write_seats(iid, "7", _seats(3))

    assert fault.seen == lean.limits.attempts and len(waits.seconds) == lean.limits.attempts - 1
    assert _stored(iid) == {}
    logged = [json.loads(r.getMessage()) for r in caplog.records if r.getMessage().startswith("{")]
    assert {"event": "storage_unavailable", "operation": "BatchWriteItem",
            "error": throttled["Code"]} in logged


def _raw_items(table: str, hash_key: str, value: str) -> list[dict[str, Any]]:
    """The stored items of one hash key as DynamoDB holds them, the hash key left out."""
    answer = tables.connection().client.query(
        TableName=table, KeyConditionExpression="#k = :v", ConsistentRead=True,
        ExpressionAttributeNames={"#k": hash_key}, ExpressionAttributeValues={":v": {"S": value}})
    return [{k: v for k, v in item.items() if k != hash_key} for item in answer["Items"]]


def _customer(integration_id: str, customer_id: str) -> BackupCustomer:
    return BackupCustomer(
        integration_id, customer_id, "acct", "Contoso", None, "contoso.example", "Office365",
        seats_used=12, active_services=7, recent_backup_services=5, backup_percentage=71.43,
        protected_seats=3, seat_states={"Active": 3, "Paused": 1}, service_seats={"Exchange": 3},
        seats_etag='"v1"', listed_since_run="run-1")


def test_the_lean_transport_stores_the_very_items_botocore_stores(calls):
    lean_id, boto_id = uuid.uuid4().hex, uuid.uuid4().hex
    seats = [*_seats(30), dataclasses.replace(_seats(1)[0], seat_key="r-x", main_id="")]
    customers = [_customer(lean_id, "7"), dataclasses.replace(_customer(lean_id, "8"),
                                                              protected_seats=None)]

    assert seat_store.write_seats(lean_id, "7", seats) == 31
    assert customer_store.write_customers(customers, integration_id=lean_id) == 2
    client = tables.connection().client  # the same writes, serialised and sent by botocore
    writes = [*seat_store.seat_writes(boto_id, "7", seats), *customer_store.customer_writes(
        [dataclasses.replace(c, integration_id=boto_id) for c in customers])]
    for n in range(0, len(writes), batch_writes.BATCH):
        request = batch_writes._request(writes[n:n + batch_writes.BATCH])
        assert not client.batch_write_item(RequestItems=request).get("UnprocessedItems")

    seat_table = seat_store.BackupSeatModel.Meta.table_name
    customer_table = customer_store.BackupCustomerModel.Meta.table_name
    assert len(calls) == 3  # two of seats, one of customers: on the lean transport
    assert _raw_items(seat_table, "customer_key", f"{lean_id}#7") == _raw_items(
        seat_table, "customer_key", f"{boto_id}#7")
    assert _raw_items(customer_table, "integration_id", lean_id) == _raw_items(
        customer_table, "integration_id", boto_id)
    assert len(_raw_items(customer_table, "integration_id", lean_id)) == 2
    assert customer_store.customers_of_integration(lean_id) == customers
