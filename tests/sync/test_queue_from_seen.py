"""A queued sync written from the integration as read with the session (`seen`): no read again,
and never a lost change, whatever another writer did since that read."""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib import runtime
from chalicelib.storage import tables
from chalicelib.storage.itdocs import integrations as store
from chalicelib.storage.itdocs.integrations import IntegrationRecord
from chalicelib.sync import integrations, lifecycle, schedule
from tests.sync.helpers import connected


def _failed(record: IntegrationRecord) -> IntegrationRecord:
    """Another writer's change: the last sync failed, with its reason."""
    return dataclasses.replace(record, last_outcome="Error", last_reason="vendor unreachable")


def test_a_queue_from_the_record_read_with_the_session_reads_nothing_again(aws, frozen_time):
    setup = connected(aws)
    iid = setup.integration.integration_id
    seen = store.get_integration(iid)

    with tables.counting_calls() as calls:
        when = schedule.queue_sync(aws, iid, reason="matching: ignored", seen=seen)

    assert dict(calls.calls) == {"PutItem": 1}
    shown = integrations.get(aws, setup.admin, iid)
    assert shown.status == "Queued" and shown.queued_sync_at == when


def test_a_record_changed_since_it_was_read_is_read_again_and_the_change_kept(aws, frozen_time):
    setup = connected(aws)
    iid = setup.integration.integration_id
    seen = store.get_integration(iid)
    lifecycle.change(iid, _failed)  # meanwhile, a sync ends in an error

    when = schedule.queue_sync(aws, iid, reason="matching: ignored", seen=seen)

    stored = store.get_integration(iid)
    assert stored.queued_sync_at == when and stored.queued_reason == "matching: ignored"
    assert stored.last_reason == "vendor unreachable"  # the other writer's change survives


def test_a_queued_sync_a_run_took_since_the_read_is_queued_again(aws, frozen_time):
    """The record read shows a sync already queued, but a run claimed it since (before this
    change was written): the change must queue a new one, or the card would miss it."""
    setup = connected(aws)
    iid = setup.integration.integration_id
    schedule.queue_sync(aws, iid, reason="matching: ignored")
    seen = store.get_integration(iid)
    assert seen.queued_sync_at is not None
    lifecycle.change(iid, lambda r: dataclasses.replace(r, queued_sync_at=None,
                                                        queued_reason=None))

    frozen_time.advance(minutes=5)
    when = schedule.queue_sync(aws, iid, reason="matching: unmatched", seen=seen)

    stored = store.get_integration(iid)
    assert stored.queued_sync_at == when == frozen_time.now() + lifecycle.QUEUE_DELAY
    assert integrations.get(aws, setup.admin, iid).status == "Queued"


def test_a_record_of_another_integration_is_not_taken_for_this_one(aws, frozen_time):
    first, second = connected(aws), connected(aws)
    other = store.get_integration(second.integration.integration_id)
    iid = first.integration.integration_id

    schedule.queue_sync(aws, iid, reason="matching: ignored", seen=other)

    assert store.get_integration(iid).queued_sync_at is not None
    assert store.get_integration(other.integration_id).queued_sync_at is None


@pytest.mark.ddblocal
def test_queues_from_one_stale_read_racing_other_writers_lose_nothing(ddb):
    """Four requests queue from the same record read with their sessions while four other
    writers each count one failed attempt: every write lands, each exactly once."""
    setup = connected(ddb)
    iid = setup.integration.integration_id
    seen = store.get_integration(iid)
    start = seen.run_attempts

    def bump(record: IntegrationRecord) -> IntegrationRecord:
        return dataclasses.replace(record, run_attempts=record.run_attempts + 1)

    def work(n: int) -> None:
        runtime.install(ddb)
        if n % 2:
            lifecycle.change(iid, bump)
        else:
            schedule.queue_sync(ddb, iid, reason=f"matching: change {n}", seen=seen)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(work, range(8)))

    stored = store.get_integration(iid)
    assert stored.run_attempts == start + 4
    assert stored.queued_sync_at is not None and stored.queued_reason.startswith("matching: ")
    assert integrations.get(ddb, setup.admin, iid).status == "Queued"
