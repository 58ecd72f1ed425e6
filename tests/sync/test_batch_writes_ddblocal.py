"""The sync's bulk writer on DynamoDB Local: what real DynamoDB refuses (the same key twice in one
call), items it leaves unprocessed when throttled, and a throttled call, faults injected through
botocore's event hooks. Nothing is lost, nothing is written twice, and a write DynamoDB cannot
take ends as "unavailable" (the worker's run is picked up again), never half-reported as done."""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.errors import StorageUnavailable
from chalicelib.runtime import Runtime
from chalicelib.storage import tables
from chalicelib.storage.itdocs import backup_seats as seat_store
from chalicelib.storage.itdocs import batch_writes
from chalicelib.storage.itdocs.backup_seats import BackupSeat

pytestmark = pytest.mark.ddblocal


def _seats(count: int, name: str = "Seat") -> list[BackupSeat]:
    return [BackupSeat(seat_key=f"r-{n}", main_id=f"User{n}@Example.com", name=f"{name} {n}",
                       seat_type="User", seat_state="Active", billable="1",
                       date_added="2024-01-01T00:00:00+00:00") for n in range(count)]


@dataclasses.dataclass
class _Answer:
    status_code: int
    headers: dict[str, str] = dataclasses.field(default_factory=dict)


@pytest.fixture
def calls(ddb: Runtime, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """Every BatchWriteItem sent meanwhile (its RequestItems); pauses do not wait."""
    monkeypatch.setattr(batch_writes, "pause", lambda seconds: None)
    sent: list[dict[str, Any]] = []

    def on_call(params: dict[str, Any], **_: Any) -> None:
        sent.append(params["RequestItems"])

    client = tables.connection().client
    client.meta.events.register("before-parameter-build.dynamodb.BatchWriteItem", on_call)
    yield sent
    client.meta.events.unregister("before-parameter-build.dynamodb.BatchWriteItem", on_call)


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

    def __call__(self, params: dict[str, Any], **_: Any) -> Any:
        self.seen += 1
        if self.seen > self.times:
            return None
        request = json.loads(params["body"])["RequestItems"]
        return _Answer(200), {"UnprocessedItems": request, "ResponseMetadata": {}}


@pytest.fixture
def unprocessed(ddb: Runtime) -> Iterator[Any]:
    client = tables.connection().client
    registered: list[_Unprocessed] = []

    def add(times: int) -> _Unprocessed:
        fault = _Unprocessed(times)
        client.meta.events.register_first("before-call.dynamodb.BatchWriteItem", fault)
        registered.append(fault)
        return fault

    yield add
    for fault in registered:
        client.meta.events.unregister("before-call.dynamodb.BatchWriteItem", fault)


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


def test_a_throttled_call_is_unavailable(ddb):
    iid = uuid.uuid4().hex
    client = tables.connection().client

    def throttled(**_: Any) -> Any:
        error = {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}
        return _Answer(400), {"Error": error, "ResponseMetadata": {}}

    client.meta.events.register_first("before-call.dynamodb.BatchWriteItem", throttled)
    try:
        with pytest.raises(StorageUnavailable):
            seat_store.write_seats(iid, "7", _seats(3))
    finally:
        client.meta.events.unregister("before-call.dynamodb.BatchWriteItem", throttled)
    assert _stored(iid) == {}
