"""SaaS Protection integrations: the encrypted secret key, the schedule, the manual-sync lock.

An integration record carries its encrypted secret key, its schedule (next automatic sync, queued
sync), the manual-sync lock (`manual_sync_started_at`), the lease of the run holding it
(`lease_token`, `lease_until`) and `due_at`: the earliest moment the tick must look at it (the next
automatic or queued sync, or the end of a running sync's lease). `due_at` lives in a sparse index
(`by_due`, spread over a few shards) so the tick finds due integrations with Queries, never a Scan.

Every write but the manual-sync claim is a full put conditional on `version` (read, decide, write);
the manual-sync claim is one conditional update so concurrent requests start exactly one sync.
A run also keeps on the record what the integration pages show while it goes: how many times a
worker of it was started after one died (`run_attempts`), a pause the vendor's rate limit asked for
(`run_resumes_at`, `run_note`, `run_pauses`) and its progress, customers done of total
(`sync_done` of `sync_total`, 0 of 0 while the customer list is being fetched), which the run
updates alone, without a version bump, conditional on still holding the lease.
The deletion's mark records when it was made and the lease as it stood (`removal_marked_at`,
`removal_lease_until`, the epoch when no run held it): the removal waits for that run to stop.
Run checkpoints, sync logs and the synced customers and seats have modules of their own.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from pynamodb.attributes import (
    BooleanAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import DeleteError, PutError, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.errors import ConcurrentChange, NotFound
from chalicelib.storage.base import is_condition_failure, translated
from chalicelib.storage.transactions import Build, Transaction, write_transaction

DUE_SHARDS = 4


class IntegrationByAccount(GlobalSecondaryIndex):  # type: ignore[type-arg]
    class Meta:
        index_name = "by_account"
        projection = AllProjection()

    account_id = UnicodeAttribute(hash_key=True)


class IntegrationByDue(GlobalSecondaryIndex):  # type: ignore[type-arg]
    class Meta:
        index_name = "by_due"
        projection = AllProjection()

    due_shard = UnicodeAttribute(hash_key=True)
    due_at = NumberAttribute(range_key=True)


class IntegrationModel(Model):
    class Meta:
        logical_name = "itdocs_integrations"
        table_name = "itdocs_integrations"

    integration_id = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute()
    public_key = UnicodeAttribute()
    secret_key = UnicodeAttribute()  # encrypted with the secret box
    base_url = UnicodeAttribute()
    sync_enabled = BooleanAttribute(default=False)
    accept_automatically = BooleanAttribute(default=False)
    connected_at = UTCDateTimeAttribute()
    connected_by = UnicodeAttribute()
    last_outcome = UnicodeAttribute()
    last_reason = UnicodeAttribute(default="")
    last_sync_at = UTCDateTimeAttribute(null=True)
    next_sync_at = UTCDateTimeAttribute(null=True)
    queued_sync_at = UTCDateTimeAttribute(null=True)
    queued_reason = UnicodeAttribute(null=True)
    manual_sync_started_at = UTCDateTimeAttribute(null=True)
    lease_token = UnicodeAttribute(null=True)
    lease_until = UTCDateTimeAttribute(null=True)
    run_id = UnicodeAttribute(null=True)
    run_trigger = UnicodeAttribute(null=True)
    run_started_at = UTCDateTimeAttribute(null=True)
    run_attempts = NumberAttribute(default=0)
    run_pauses = NumberAttribute(default=0)
    run_resumes_at = UTCDateTimeAttribute(null=True)
    run_note = UnicodeAttribute(default="")
    sync_done = NumberAttribute(default=0)
    sync_total = NumberAttribute(default=0)
    key_check_ends_by = UTCDateTimeAttribute(null=True)
    due_shard = UnicodeAttribute(null=True)
    due_at = NumberAttribute(null=True)
    removal_marked_at = UTCDateTimeAttribute(null=True)
    removal_lease_until = UTCDateTimeAttribute(null=True)
    version = NumberAttribute()
    by_account = IntegrationByAccount()
    by_due = IntegrationByDue()


@dataclass(frozen=True)
class IntegrationRecord:
    """An integration as stored (the secret key still encrypted)."""

    integration_id: str
    account_id: str
    public_key: str
    secret_key: str
    base_url: str
    sync_enabled: bool
    accept_automatically: bool
    connected_at: dt.datetime
    connected_by: str
    last_outcome: str
    last_reason: str = ""
    last_sync_at: dt.datetime | None = None
    next_sync_at: dt.datetime | None = None
    queued_sync_at: dt.datetime | None = None
    queued_reason: str | None = None
    manual_sync_started_at: dt.datetime | None = None
    lease_token: str | None = None
    lease_until: dt.datetime | None = None
    run_id: str | None = None
    run_trigger: str | None = None
    run_started_at: dt.datetime | None = None
    run_attempts: int = 0
    run_pauses: int = 0
    run_resumes_at: dt.datetime | None = None
    run_note: str = ""
    sync_done: int = 0
    sync_total: int = 0
    key_check_ends_by: dt.datetime | None = None  # a key check still waited for by then was lost
    due_shard: str | None = None
    due_at: int | None = None
    removal_marked_at: dt.datetime | None = None  # set by the deletion's mark
    removal_lease_until: dt.datetime | None = None  # the lease as the mark found it
    version: int = 1


_INTEGRATION_FIELDS = [f.name for f in dataclasses.fields(IntegrationRecord)]


def due_shard_of(integration_id: str) -> str:
    """The due-index shard an integration lives in (stable per integration)."""
    return f"due#{sum(integration_id.encode()) % DUE_SHARDS}"


def integration_from(m: IntegrationModel) -> IntegrationRecord:
    """The plain integration of a stored item."""
    values = {name: getattr(m, name) for name in _INTEGRATION_FIELDS}
    values["due_at"] = int(m.due_at) if m.due_at is not None else None
    for name in ("version", "run_attempts", "run_pauses", "sync_done", "sync_total"):
        values[name] = int(values[name] or 0)
    values["run_note"] = values["run_note"] or ""
    return IntegrationRecord(**values)


def _integration_model(record: IntegrationRecord) -> IntegrationModel:
    values = {name: getattr(record, name) for name in _INTEGRATION_FIELDS}
    return IntegrationModel(**values)


def create_integration(record: IntegrationRecord) -> None:
    try:
        with translated():
            _integration_model(record).save(IntegrationModel.integration_id.does_not_exist())
    except PutError as exc:
        if is_condition_failure(exc):
            raise ConcurrentChange("That integration already exists.") from exc
        raise


def get_integration(integration_id: str) -> IntegrationRecord:
    try:
        with translated():
            return integration_from(IntegrationModel.get(integration_id, consistent_read=True))
    except IntegrationModel.DoesNotExist as exc:
        raise NotFound("No such integration.") from exc


def integrations_of_account(account_id: str) -> list[IntegrationRecord]:
    """The account's integrations (one index Query), oldest first."""
    with translated():
        found = [integration_from(m) for m in IntegrationModel.by_account.query(account_id)]
    return sorted(found, key=lambda r: (r.connected_at, r.integration_id))


def save_integration(record: IntegrationRecord, expected_version: int) -> IntegrationRecord:
    """Write the whole record if nobody wrote it since `expected_version` was read."""
    stored = dataclasses.replace(record, version=expected_version + 1)
    try:
        with translated():
            _integration_model(stored).save(IntegrationModel.version == expected_version)
    except PutError as exc:
        if is_condition_failure(exc):
            raise ConcurrentChange() from exc
        raise
    return stored


def save_integration_with(record: IntegrationRecord, expected_version: int,
                          also: Build) -> IntegrationRecord:
    """`save_integration` with the items `also` adds, in one transaction: all or none, so no
    write of them follows the integration's (a run's log entry with its lease's release)."""
    stored = dataclasses.replace(record, version=expected_version + 1)

    def write(tx: Transaction) -> None:
        tx.save(_integration_model(stored), condition=IntegrationModel.version == expected_version)
        also(tx)

    if write_transaction(write):
        raise ConcurrentChange()
    return stored


class IntegrationBeingDeleted(ConcurrentChange):
    """The integration a write is about is being deleted (or gone): nothing more is kept of it."""

    def __init__(self) -> None:
        super().__init__("This integration is being deleted.")


def check_not_marked(tx: Transaction, integration_id: str) -> None:
    """Add to `tx` a check that the integration is there and its deletion not marked, so no
    write about its customers lands after the mark (the removal would miss it)."""
    tx.condition_check(IntegrationModel, integration_id,
                       condition=IntegrationModel.integration_id.exists()
                       & IntegrationModel.removal_marked_at.does_not_exist())


def claim_manual_sync(
    integration_id: str,
    *,
    account_id: str,
    now: dt.datetime,
    lock_hours: int,
    lease_token: str,
    lease_until: dt.datetime,
    run_id: str,
) -> IntegrationRecord:
    """Take the manual-sync lock and the lease in ONE conditional update.

    Condition, all of:
      - the integration exists and belongs to `account_id`;
      - sync is enabled;
      - no manual sync started in the last `lock_hours` (never, or at or before now - lock_hours);
      - no live lease (none, or one that ended at or before now).
    Timeline: of fifty simultaneous requests, the first update to reach DynamoDB passes and sets
    manual_sync_started_at = now; the other forty-nine find it within the window and fail.
    Raises ConcurrentChange when the condition fails (the caller reads the record to say why).
    """
    model = IntegrationModel(integration_id)
    window_start = now - dt.timedelta(hours=lock_hours)
    condition = (
        (IntegrationModel.account_id == account_id)
        & (IntegrationModel.sync_enabled == True)  # noqa: E712 (a PynamoDB condition)
        & (
            IntegrationModel.manual_sync_started_at.does_not_exist()
            | (IntegrationModel.manual_sync_started_at <= window_start)
        )
        & (IntegrationModel.lease_until.does_not_exist() | (IntegrationModel.lease_until <= now))
    )
    try:
        with translated():
            model.update(
                actions=[
                    IntegrationModel.manual_sync_started_at.set(now),
                    IntegrationModel.lease_token.set(lease_token),
                    IntegrationModel.lease_until.set(lease_until),
                    IntegrationModel.run_id.set(run_id),
                    IntegrationModel.run_trigger.set("manual"),
                    IntegrationModel.run_started_at.set(now),
                    IntegrationModel.run_attempts.set(1),
                    IntegrationModel.run_pauses.set(0),
                    IntegrationModel.run_resumes_at.remove(),
                    IntegrationModel.run_note.set(""),
                    IntegrationModel.sync_done.set(0),
                    IntegrationModel.sync_total.set(0),
                    IntegrationModel.queued_sync_at.remove(),
                    IntegrationModel.queued_reason.remove(),
                    IntegrationModel.due_shard.set(due_shard_of(integration_id)),
                    IntegrationModel.due_at.set(int(lease_until.timestamp())),
                    IntegrationModel.version.add(1),
                ],
                condition=condition,
            )
    except UpdateError as exc:
        if is_condition_failure(exc):
            raise ConcurrentChange() from exc
        raise
    return integration_from(model)


def record_progress(integration_id: str, lease_token: str, done: int, total: int) -> bool:
    """Show a run's progress, if the run still holds the lease (False: it does not).

    No version bump: progress is advisory and rewritten at every step, so a writer that puts an
    older copy of the record costs at most one step of the progress shown, never a retry.
    """
    try:
        with translated():
            IntegrationModel(integration_id).update(
                actions=[IntegrationModel.sync_done.set(done),
                         IntegrationModel.sync_total.set(total)],
                condition=IntegrationModel.lease_token == lease_token,
            )
    except UpdateError as exc:
        if is_condition_failure(exc):
            return False
        raise
    return True


def due_integrations(shard: str, now: dt.datetime, limit: int = 100) -> list[IntegrationRecord]:
    """Integrations in `shard` whose due time has come (one index Query)."""
    with translated():
        return [
            integration_from(m)
            for m in IntegrationModel.by_due.query(
                shard, IntegrationModel.due_at <= int(now.timestamp()), limit=limit
            )
        ]


def delete_integration(integration_id: str) -> None:
    try:
        with translated():
            IntegrationModel(integration_id).delete()
    except DeleteError as exc:
        raise NotFound("No such integration.") from exc
