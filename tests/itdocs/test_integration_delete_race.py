"""Delete an integration while a sync run still writes: the removal waits until the run that
the mark interrupted can no longer write (its lease as the mark found it), so what the run
stores last is removed too and nothing of the integration is left; "Being deleted…" shows until
it is gone. The message comes back later (SQS's delay; a timer thread locally)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import threading
from typing import Any

import pytest

from chalicelib import queues
from chalicelib.runtime import Runtime
from chalicelib.storage.itdocs import integrations as integration_store
from chalicelib.storage.itdocs import match_decisions as match_store
from chalicelib.storage.itdocs.integration_removal import NO_LEASE
from chalicelib.storage.itdocs.match_decisions import MATCHED
from chalicelib.storage.itdocs.organization_items import ItDocsOrganizationModel
from chalicelib.sync import integration_deletion, integrations, match_actions
from chalicelib.sync.lifecycle import BEING_DELETED, LEASE
from infra.functions import TUNING
from tests.fakes import hold_sync_queue
from tests.itdocs.removal_race import NOTHING, left_of, run_meets_deletion
from tests.sync.helpers import Setup, connected
from workers.sync import run_sync_message


def customer_ids(setup: Setup) -> list[str]:
    return [str(c.saas_customer_id) for c in setup.partner.customers]


def deleted_while_running(rt: Runtime) -> None:
    """The whole story: the run writes after the first delivery, the removal waits, then
    removes everything."""
    setup = connected(rt)
    iid, ids = setup.integration.integration_id, customer_ids(setup)
    marked_at = rt.clock.now()

    held = run_meets_deletion(rt, setup)

    # The first delivery removed nothing and came back delayed until the lease's end; the
    # run's batch landed meanwhile.
    left = left_of(iid, ids)
    assert (left["integration"], left["customers"]) == (1, len(ids)) and left["seats"] > 0
    assert integrations.get(rt, setup.admin, iid).status == BEING_DELETED
    ((body, seconds),) = held.delayed
    assert json.loads(body)["kind"] == integration_deletion.KIND
    assert seconds == LEASE.total_seconds()
    record = integration_store.get_integration(iid)
    assert (record.removal_marked_at, record.removal_lease_until) == (marked_at,
                                                                       marked_at + LEASE)

    rt.clock.advance(seconds=seconds)
    queues.SYNC_INLINE.send(body)  # SQS delivers it again once its delay is over

    assert left_of(iid, ids) == NOTHING
    assert held.bodies == [] and len(held.delayed) == 1


def test_a_batch_the_run_writes_after_the_first_delivery_is_removed_too(aws: Runtime) -> None:
    deleted_while_running(aws)


@pytest.mark.ddblocal
def test_a_batch_the_run_writes_after_the_first_delivery_is_removed_too_ddblocal(
        ddb: Runtime) -> None:
    deleted_while_running(ddb)


def test_a_delivery_before_the_lease_would_end_comes_back_for_the_time_left(
        aws: Runtime, caplog: pytest.LogCaptureFixture) -> None:
    setup = connected(aws)
    iid, ids = setup.integration.integration_id, customer_ids(setup)
    held = run_meets_deletion(aws, setup)
    ((body, _),) = held.delayed
    held.delayed.clear()
    aws.clock.advance(seconds=LEASE.total_seconds() - 60)

    run_sync_message(body)

    assert held.delayed == [(body, 60.0)]
    assert left_of(iid, ids)["customers"] == len(ids)
    assert integrations.get(aws, setup.admin, iid).status == BEING_DELETED
    assert '"integration_removal_waits"' in caplog.text and '"seconds":60' in caplog.text


def test_with_no_run_holding_the_lease_the_removal_does_not_wait(aws: Runtime) -> None:
    setup = connected(aws)
    iid, ids = setup.integration.integration_id, customer_ids(setup)
    integrations.start_manual_sync(aws, setup.admin, iid)  # done: its lease released
    record = integration_store.get_integration(iid)
    assert record.lease_token is None and left_of(iid, ids)["seats"] > 0
    held = hold_sync_queue(aws)
    integration_deletion.request(aws, setup.admin, record)
    marked = integration_store.get_integration(iid)
    assert marked.removal_lease_until == NO_LEASE

    assert held.deliver_all() == 1

    assert held.delayed == [] and left_of(iid, ids) == NOTHING


def test_a_run_whose_lease_ended_before_the_mark_is_waited_for_from_its_end(
        aws: Runtime) -> None:
    """A worker that found the lease live started before it ended: LEASE after that end."""
    setup = connected(aws)
    iid = setup.integration.integration_id
    record = integration_store.get_integration(iid)
    ended = aws.clock.now() - dt.timedelta(minutes=5)
    stale = integration_store.save_integration(
        dataclasses.replace(record, lease_token="t", lease_until=ended), record.version)

    integration_deletion.request(aws, setup.admin, stale)

    marked = integration_store.get_integration(iid)
    assert marked.removal_lease_until == ended
    assert integration_deletion.writes_end(marked) == ended + LEASE


class RecordingSqs:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def send_message(self, **kwargs: Any) -> None:
        self.calls.append(kwargs)


def test_sqs_delays_the_message_at_most_fifteen_minutes() -> None:
    client = RecordingSqs()
    queue = queues.SqsQueue("https://sqs.example/q", "us-east-1", client)

    queues.send_later(queue, "a", 12.2)
    queues.send_later(queue, "b", 3600)

    assert [(c["MessageBody"], c["DelaySeconds"]) for c in client.calls] == [("a", 13),
                                                                              ("b", 900)]


def test_the_local_background_queue_delivers_a_delayed_message_when_its_time_comes() -> None:
    got = threading.Event()
    bodies: list[str] = []
    queue = queues.BackgroundQueue("test-delays", workers=1)
    queue.consume_with(lambda body: (bodies.append(body), got.set()))

    queues.send_later(queue, "later", 0.05)

    assert got.wait(10.0) and bodies == ["later"]
    assert queue.drain(5.0)


def test_a_queue_that_cannot_delay_is_refused() -> None:
    class Plain:
        def send(self, body: str) -> None: ...

    with pytest.raises(TypeError, match="cannot delay"):
        queues.send_later(Plain(), "x", 1.0)


def test_a_sync_worker_never_outlives_the_lease_the_removal_waits_for() -> None:
    """The wait's bound: the sync worker's function is stopped within LEASE of its start."""
    assert TUNING["sync_worker"].timeout <= LEASE.total_seconds()


def test_the_matching_goes_too_and_organizations_no_longer_list_its_customers(
        aws: Runtime) -> None:
    setup = connected(aws)
    iid, ids = setup.integration.integration_id, customer_ids(setup)
    integrations.start_manual_sync(aws, setup.admin, iid)
    first, second = match_store.matches_of_integration(iid)  # matched on their names
    assert second.organization_id  # a person moves the first to the second's organization:
    match_actions.change_match(aws, setup.admin, iid, first.customer_id, second.organization_id)
    matched = [m for m in match_store.matches_of_integration(iid) if m.status == MATCHED]
    assert matched and left_of(iid, ids)["matching_audit"] > 0
    listed = {m.organization_id: listed_of(setup.account_id, m.organization_id)
              for m in matched if m.organization_id}
    assert all(any(key.startswith(f"{iid}#") for key in keys) for keys in listed.values())
    held = hold_sync_queue(aws)

    integration_deletion.request(aws, setup.admin, integration_store.get_integration(iid))
    assert held.deliver_all() == 1

    assert left_of(iid, ids) == NOTHING
    assert all(not any(key.startswith(f"{iid}#") for key in listed_of(setup.account_id, o))
               for o in listed)


def listed_of(account_id: str, organization_id: str) -> set[str]:
    """The customers an organization's item lists as matched to it."""
    return set(ItDocsOrganizationModel.get(account_id, organization_id).matched or ())
