"""The sync lifecycle's rules on an integration record: schedule, lease, due time, shown status.

Every change but the manual-sync claim goes through `change()`: read, decide, write conditional on
the version read, retried a few times when another writer got there first. `with_due()` keeps the
due-index entry right: a leased integration is due when its lease ends (so a dead worker's run is
picked up again), an idle one at its next automatic or queued sync, a disabled one never.

The lease bounds one worker: its time budget plus its slowest customer stays under `LEASE`
(`run.WORKER_BUDGET_SECONDS`, `saas_client.WORST_CUSTOMER_SECONDS`), as under the worker's own
timeout. A run the vendor's rate limit pauses holds a lease that ends when it may go on
(`run_resumes_at`), and shows Syncing... with the reason (`run_note`) meanwhile.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

from chalicelib.errors import ConcurrentChange
from chalicelib.storage.itdocs import integrations as store
from chalicelib.storage.itdocs.integrations import IntegrationRecord

LEASE = dt.timedelta(minutes=15)
MANUAL_LOCK_HOURS = 6
QUEUE_DELAY = dt.timedelta(hours=1)
AUTOMATIC_EVERY = dt.timedelta(hours=24)
CHANGE_ATTEMPTS = 8

SYNCING = "Syncing..."
QUEUED = "Queued"
OK = "OK"
ERROR = "Error"
NEVER_SYNCED = "Never synced"
STOPPED_REASON = "The last sync stopped before it finished; it will be picked up again."


def next_automatic(connected_at: dt.datetime, now: dt.datetime) -> dt.datetime:
    """The first moment after `now` that is a whole number of days after `connected_at`."""
    if now < connected_at:
        return connected_at + AUTOMATIC_EVERY
    days = (now - connected_at) // AUTOMATIC_EVERY + 1
    return connected_at + days * AUTOMATIC_EVERY


def leased(record: IntegrationRecord, now: dt.datetime) -> bool:
    """A run holds the integration and its lease has not ended."""
    return bool(record.lease_token and record.lease_until and record.lease_until > now)


def with_due(record: IntegrationRecord) -> IntegrationRecord:
    """The record with `due_at` / `due_shard` matching its lease and schedule."""
    due: dt.datetime | None = None
    if record.lease_token and record.lease_until:
        due = record.lease_until
    elif record.sync_enabled:
        candidates = [t for t in (record.next_sync_at, record.queued_sync_at) if t is not None]
        due = min(candidates) if candidates else None
    return dataclasses.replace(
        record,
        due_at=int(due.timestamp()) if due else None,
        due_shard=store.due_shard_of(record.integration_id) if due else None,
    )


def released(record: IntegrationRecord) -> IntegrationRecord:
    """The record with no run holding it."""
    return dataclasses.replace(
        record, lease_token=None, lease_until=None, run_id=None, run_trigger=None,
        run_started_at=None, run_attempts=0, run_pauses=0, run_resumes_at=None, run_note="",
    )


def paused_until(record: IntegrationRecord, now: dt.datetime) -> dt.datetime | None:
    """When a run the rate limit paused goes on (None: it is not paused)."""
    if record.run_resumes_at is not None and leased(record, now):
        return record.run_resumes_at
    return None


def change(
    integration_id: str,
    decide: Callable[[IntegrationRecord], IntegrationRecord | None],
    seen: IntegrationRecord | None = None,
    save: Callable[[IntegrationRecord, int], IntegrationRecord] | None = None,
) -> IntegrationRecord | None:
    """Apply `decide` (None: nothing to write) to a fresh read, conditional on its version.

    `seen` is the record as read earlier in this request (e.g. with the session): it is tried
    first, saving the read; its write is conditional on its version, so a record changed since
    is read again. "Nothing to write" is trusted only from a fresh read: a run may have taken a
    queued sync meanwhile (a change made after that run read its input must queue one again).
    `save(record, version)`: how the record is written (default `store.save_integration`)."""
    if seen is not None and seen.integration_id != integration_id:
        seen = None
    for _ in range(CHANGE_ATTEMPTS):
        current = seen or store.get_integration(integration_id)
        # Nothing changes an integration being deleted (a fresh read confirms the mark).
        wanted = None if current.last_outcome == BEING_DELETED else decide(current)
        if wanted is None and seen is None:
            return None
        seen = None
        if wanted is None:
            continue
        try:
            return (save or store.save_integration)(with_due(wanted), current.version)
        except ConcurrentChange:
            continue
    raise ConcurrentChange()


CHECKING_KEYS = "Checking keys..."
BEING_DELETED = "Being deleted…"  # set with the deletion's mark (sync/integration_deletion.py)
KEY_CHECK_LOST_REASON = ("The check of the API keys did not finish. Enter the keys again with "
                         "Change API keys to check them.")


def shown_status(record: IntegrationRecord, now: dt.datetime) -> tuple[str, str]:
    """(status, reason) as users see it; never `Syncing...` once the lease has ended."""
    if leased(record, now):
        return SYNCING, record.run_note if paused_until(record, now) else ""
    if record.lease_token:
        return ERROR, STOPPED_REASON
    if record.queued_sync_at is not None and record.sync_enabled:
        return QUEUED, record.queued_reason or ""
    if (record.last_outcome == CHECKING_KEYS and record.key_check_ends_by is not None
            and now > record.key_check_ends_by):
        return ERROR, KEY_CHECK_LOST_REASON
    return record.last_outcome, record.last_reason


def manual_sync_available_at(record: IntegrationRecord, now: dt.datetime) -> dt.datetime | None:
    """When the next manual sync may start (None: now)."""
    if record.manual_sync_started_at is None:
        return None
    available = record.manual_sync_started_at + dt.timedelta(hours=MANUAL_LOCK_HOURS)
    return available if available > now else None
