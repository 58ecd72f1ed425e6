"""A sync run writes its log entry in the transaction that releases its lease, so nothing of the
run is written after the release: an integration deleted right after it (the mark sees no lease,
so its removal waits for nothing) is removed whole, log entry included. And the entry is never
lost: when the release cannot be written, neither is the entry, and the run is not ended."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

from chalicelib import queues
from chalicelib.errors import StorageUnavailable
from chalicelib.runtime import Runtime
from chalicelib.storage.itdocs import integrations as integration_store
from chalicelib.storage.itdocs import sync_logs as log_store
from chalicelib.storage.itdocs.integrations import IntegrationRecord
from chalicelib.sync import integration_deletion, integrations, lifecycle
from tests.fakes import hold_sync_queue
from tests.itdocs.removal_race import NOTHING, left_of
from tests.sync.helpers import Setup, connected


def _after_release(monkeypatch: pytest.MonkeyPatch, then: Callable[[], None]) -> list[int]:
    """Run `then` once, right after the write that releases the run's lease (whichever of the
    integration's writes does it); the list counts how often it ran."""
    ran: list[int] = []

    def wrapped(original: Callable[..., IntegrationRecord]) -> Callable[..., IntegrationRecord]:
        def save(record: IntegrationRecord, *args: Any, **kwargs: Any) -> IntegrationRecord:
            stored = original(record, *args, **kwargs)
            if stored.lease_token is None and stored.last_outcome == lifecycle.OK and not ran:
                ran.append(1)
                then()
            return stored
        return save

    for name in ("save_integration", "save_integration_with"):
        monkeypatch.setattr(integration_store, name, wrapped(getattr(integration_store, name)))
    return ran


def deleted_right_after_the_release(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    setup: Setup = connected(rt)
    iid = setup.integration.integration_id
    ids = [str(c.saas_customer_id) for c in setup.partner.customers]
    held = hold_sync_queue(rt)
    integrations.start_manual_sync(rt, setup.admin, iid)

    def delete_and_remove() -> None:
        integration_deletion.request(rt, setup.admin, integration_store.get_integration(iid))
        queues.SYNC_INLINE.send(held.bodies.pop())  # no lease at the mark: removes at once

    ran = _after_release(monkeypatch, delete_and_remove)
    assert held.deliver_all() == 1  # the run
    assert ran == [1], "the race was not staged"
    assert left_of(iid, ids) == NOTHING
    assert integrations.list_for_account(rt, setup.admin) == []
    assert held.delayed == []  # the removal waited for nothing


def test_a_deletion_right_after_the_run_released_its_lease_leaves_no_log_entry(
        aws: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    deleted_right_after_the_release(aws, monkeypatch)


@pytest.mark.ddblocal
def test_a_deletion_right_after_the_run_released_its_lease_leaves_no_log_entry_ddblocal(
        ddb: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    deleted_right_after_the_release(ddb, monkeypatch)


def test_a_release_that_cannot_be_written_writes_no_log_entry_and_the_run_goes_on(
        aws: Runtime, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    setup = connected(aws)
    iid = setup.integration.integration_id
    held = hold_sync_queue(aws)
    integrations.start_manual_sync(aws, setup.admin, iid)

    def throttled(build: object) -> frozenset[int]:
        raise StorageUnavailable()  # DynamoDB throttled the run's last transaction

    monkeypatch.setattr(integration_store, "write_transaction", throttled)
    caplog.set_level(logging.INFO, logger="linkhub")
    held.deliver_all()

    assert '"event":"queue_message_failed"' in caplog.text  # the queue delivers it again
    assert '"event":"sync_run"' not in caplog.text
    assert log_store.logs_of_integration(iid) == []
    shown = integrations.get(aws, setup.admin, iid)
    assert shown.status == lifecycle.SYNCING  # still leased: the tick resumes it when it ends
