"""Delete a SaaS Protection integration: the request marks it "Being deleted…" (audited) and the
sync queue's worker removes it with its customers, seats, checkpoint and logs. Until then nothing
is synced, queued or changed on it; a worker stopped half way is finished by the message's next
delivery, and a delivery after completion does nothing."""

from __future__ import annotations

import json

import pytest

from chalicelib.errors import InvalidInput, NotFound
from chalicelib.runtime import Runtime
from chalicelib.storage.itdocs import backup_customers as customer_store
from chalicelib.storage.itdocs import backup_seats as seat_store
from chalicelib.storage.itdocs import integrations as integration_store
from chalicelib.storage.itdocs import sync_checkpoints as checkpoint_store
from chalicelib.storage.itdocs import sync_logs as log_store
from chalicelib.storage.itdocs.audit import itdocs_audit
from chalicelib.sync import integration_deletion, integrations, key_check, scheduled
from chalicelib.sync.lifecycle import BEING_DELETED
from tests.fakes import HeldQueue, hold_sync_queue, use_sleep
from tests.itdocs.deleting import Throttle, throttled
from tests.sync.helpers import Setup, connected
from workers.sync import REMOVAL_WAITS, run_sync_message


def synced(rt: Runtime) -> Setup:
    """An integration after one complete sync: customers, seats and a sync log stored."""
    setup = connected(rt)
    integrations.start_manual_sync(rt, setup.admin, setup.integration.integration_id)
    iid = setup.integration.integration_id
    assert customer_store.customers_of_integration(iid) and log_store.logs_of_integration(iid)
    return setup


def requested(rt: Runtime, setup: Setup) -> HeldQueue:
    """The Administrator's request, its message held as SQS holds it until a worker takes it."""
    held = hold_sync_queue(rt)
    record = integration_store.get_integration(setup.integration.integration_id)
    integration_deletion.request(rt, setup.admin, record)
    assert len(held.bodies) == 1
    return held


def assert_all_gone(setup: Setup, customer_ids: list[str]) -> None:
    iid = setup.integration.integration_id
    with pytest.raises(NotFound):
        integration_store.get_integration(iid)
    assert customer_store.customers_of_integration(iid) == []
    assert all(seat_store.seats_of_customer(iid, c) == [] for c in customer_ids)
    assert log_store.logs_of_integration(iid) == []
    assert checkpoint_store.get_checkpoint(iid) is None


def test_the_request_marks_it_being_deleted_and_the_worker_removes_everything(aws: Runtime):
    setup = synced(aws)
    iid = setup.integration.integration_id
    customer_ids = [c.customer_id for c in customer_store.customers_of_integration(iid)]
    assert any(seat_store.seats_of_customer(iid, c) for c in customer_ids)

    held = requested(aws, setup)

    shown = integrations.get(aws, setup.admin, iid)
    assert (shown.status, shown.sync_enabled, shown.next_sync_at) == (BEING_DELETED, False, None)
    assert customer_store.customers_of_integration(iid)  # still there until the worker runs
    (entry,) = [e for e in itdocs_audit.audit_of(setup.account_id, limit=100)
                if e.action == "integration.deleted"]
    assert entry.actor == "tests" and setup.partner.public_key in entry.detail

    assert held.deliver_all() == 1

    assert_all_gone(setup, customer_ids)
    with pytest.raises(NotFound):
        integrations.get(aws, setup.admin, iid)


def test_nothing_syncs_queues_or_changes_an_integration_being_deleted(aws: Runtime):
    setup = synced(aws)
    iid = setup.integration.integration_id
    stale_check = key_check.checking(integration_store.get_integration(iid), aws.clock.now())
    held = requested(aws, setup)
    aws.clock.advance(seconds=48 * 3600)  # anything due would be due by now

    with pytest.raises(InvalidInput, match="Turn on"):
        integrations.start_manual_sync(aws, setup.admin, iid)
    integrations.save_options(aws, setup.admin, iid, sync_enabled=True, matching="accept")
    assert scheduled.tick(aws) == []
    # A key check sent before the mark arrives after it: it writes nothing.
    key_check.handle_message(aws, json.dumps({"kind": key_check.KIND, "integration_id": iid,
                                              "keys": key_check.fingerprint(stale_check)}))

    record = integration_store.get_integration(iid)
    assert (record.last_outcome, record.sync_enabled, record.accept_automatically) == (
        BEING_DELETED, False, False)
    assert (record.due_at, record.queued_sync_at, record.lease_token) == (None, None, None)
    assert held.bodies and all(json.loads(b)["kind"] == integration_deletion.KIND
                               for b in held.bodies)


def test_another_accounts_integration_is_not_marked(aws: Runtime):
    mine, theirs = connected(aws), connected(aws)
    record = integration_store.get_integration(theirs.integration.integration_id)

    with pytest.raises(NotFound):
        integration_deletion.request(aws, mine.admin, record)

    assert integration_store.get_integration(record.integration_id).last_outcome != BEING_DELETED


def test_a_worker_stopped_half_way_is_finished_by_the_next_delivery(
    aws: Runtime, monkeypatch: pytest.MonkeyPatch
):
    setup = synced(aws)
    iid = setup.integration.integration_id
    customer_ids = [c.customer_id for c in customer_store.customers_of_integration(iid)]
    held = requested(aws, setup)
    body = held.bodies.pop()

    def killed(integration_id: str) -> None:
        raise RuntimeError("the worker's Lambda was stopped")

    monkeypatch.setattr(log_store, "delete_logs", killed)
    with pytest.raises(RuntimeError):  # the queue keeps the message and delivers it again
        run_sync_message(body)
    assert customer_store.customers_of_integration(iid) == []  # done before it stopped
    assert integration_store.get_integration(iid).last_outcome == BEING_DELETED
    monkeypatch.undo()

    run_sync_message(body)

    assert_all_gone(setup, customer_ids)


def test_a_delivery_after_completion_does_nothing(aws: Runtime, caplog: pytest.LogCaptureFixture):
    setup = synced(aws)
    held = requested(aws, setup)
    body = held.bodies[0]
    held.deliver_all()

    assert integration_deletion.handle_message(aws, body) is False
    run_sync_message(body)  # through the worker: no error, so the queue drops it

    assert '"integration_removal_done_already"' in caplog.text


def test_an_integration_not_marked_is_never_removed_by_a_stray_message(
    aws: Runtime, caplog: pytest.LogCaptureFixture
):
    setup = synced(aws)
    iid = setup.integration.integration_id
    body = json.dumps({"kind": integration_deletion.KIND, "integration_id": iid, "actor": "x"})

    assert integration_deletion.handle_message(aws, body) is False

    assert integration_store.get_integration(iid).last_outcome == "OK"
    assert customer_store.customers_of_integration(iid)
    assert '"reason":"not marked"' in caplog.text


def test_a_throttled_table_makes_the_worker_wait_and_try_again(aws: Runtime):
    setup = synced(aws)
    iid = setup.integration.integration_id
    customer_ids = [c.customer_id for c in customer_store.customers_of_integration(iid)]
    (body,) = requested(aws, setup).bodies
    waits: list[float] = []
    use_sleep(aws, waits.append)

    with throttled(Throttle("Query", "itdocs_backup_customers", times=1)) as throttle:
        run_sync_message(body)

    assert throttle.answered == 1 and waits == [REMOVAL_WAITS[0]]
    assert_all_gone(setup, customer_ids)


def test_customers_are_removed_a_page_at_a_time(aws: Runtime, monkeypatch: pytest.MonkeyPatch):
    setup = synced(aws)
    iid = setup.integration.integration_id
    customer_ids = [c.customer_id for c in customer_store.customers_of_integration(iid)]
    assert len(customer_ids) > 1
    monkeypatch.setattr(integration_deletion, "PAGE", 1)

    assert requested(aws, setup).deliver_all() == 1

    assert_all_gone(setup, customer_ids)
