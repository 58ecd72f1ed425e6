"""Sync storage: SaaS Protection integrations, the due-sync index, run checkpoints and sync logs.

An integration record carries its encrypted secret key, its schedule (next automatic sync, queued
sync), the manual-sync lock (`manual_sync_started_at`), the lease of the run holding it
(`lease_token`, `lease_until`) and `due_at`: the earliest moment the tick must look at it (the next
automatic or queued sync, or the end of a running sync's lease). `due_at` lives in a sparse index
(`by_due`, spread over a few shards) so the tick finds due integrations with Queries, never a Scan.

Every write but the manual-sync claim is a full put conditional on `version` (read, decide, write);
the manual-sync claim is one conditional update so concurrent requests start exactly one sync.
Synced customers and seats live in `itdocs_sync_data.py`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import DeleteError, PutError, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.errors import ConcurrentChange, NotFound
from chalicelib.storage.base import is_condition_failure, translated, ttl_after

DUE_SHARDS = 4
LOG_RETENTION_SECONDS = 400 * 24 * 3600

# --------------------------------------------------------------------------------------------------
# Models


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
    due_shard = UnicodeAttribute(null=True)
    due_at = NumberAttribute(null=True)
    version = NumberAttribute()
    by_account = IntegrationByAccount()
    by_due = IntegrationByDue()


class SyncCheckpointModel(Model):
    """Where a run that spans several worker runs has got to (one per integration at most)."""

    class Meta:
        logical_name = "itdocs_sync_checkpoints"
        table_name = "itdocs_sync_checkpoints"

    integration_id = UnicodeAttribute(hash_key=True)
    run_id = UnicodeAttribute()
    cursor = NumberAttribute()
    customer_ids = ListAttribute(of=UnicodeAttribute, default=list)  # type: ignore[var-annotated]
    seats_used = ListAttribute(of=NumberAttribute, default=list)  # type: ignore[var-annotated]
    seats_seen = NumberAttribute(default=0)
    items_written = NumberAttribute(default=0)
    notes = ListAttribute(of=UnicodeAttribute, default=list)  # type: ignore[var-annotated]
    attempts = NumberAttribute(default=1)


class SyncLogModel(Model):
    class Meta:
        logical_name = "itdocs_sync_logs"
        table_name = "itdocs_sync_logs"
        ttl_attribute = "expires_ttl"

    integration_id = UnicodeAttribute(hash_key=True)
    entry_key = UnicodeAttribute(range_key=True)  # start time ISO + "#" + run id: newest last
    account_id = UnicodeAttribute()
    run_id = UnicodeAttribute()
    trigger = UnicodeAttribute()
    started_at = UTCDateTimeAttribute()
    ended_at = UTCDateTimeAttribute()
    customers_seen = NumberAttribute()
    seats_seen = NumberAttribute()
    matches_made = NumberAttribute()
    items_written = NumberAttribute()
    outcome = UnicodeAttribute()
    reason = UnicodeAttribute(default="")
    notes = ListAttribute(of=UnicodeAttribute, default=list)  # type: ignore[var-annotated]
    expires_ttl = NumberAttribute()


# --------------------------------------------------------------------------------------------------
# Plain records


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
    due_shard: str | None = None
    due_at: int | None = None
    version: int = 1


@dataclass(frozen=True)
class Checkpoint:
    """A run's progress: the customers to fetch seats for and how far it has got."""

    integration_id: str
    run_id: str
    cursor: int
    customer_ids: list[str]
    seats_used: list[int]
    seats_seen: int = 0
    items_written: int = 0
    notes: list[str] = field(default_factory=list)
    attempts: int = 1


@dataclass(frozen=True)
class SyncLogEntry:
    """One sync run as its integration's Logs page shows it."""

    integration_id: str
    account_id: str
    run_id: str
    trigger: str
    started_at: dt.datetime
    ended_at: dt.datetime
    customers_seen: int
    seats_seen: int
    matches_made: int
    items_written: int
    outcome: str
    reason: str = ""
    notes: list[str] = field(default_factory=list)


_INTEGRATION_FIELDS = [f.name for f in dataclasses.fields(IntegrationRecord)]
_CHECKPOINT_FIELDS = [f.name for f in dataclasses.fields(Checkpoint)]
_LOG_FIELDS = [f.name for f in dataclasses.fields(SyncLogEntry)]


def due_shard_of(integration_id: str) -> str:
    """The due-index shard an integration lives in (stable per integration)."""
    return f"due#{sum(integration_id.encode()) % DUE_SHARDS}"


def _integration(m: IntegrationModel) -> IntegrationRecord:
    values = {name: getattr(m, name) for name in _INTEGRATION_FIELDS}
    values["due_at"] = int(m.due_at) if m.due_at is not None else None
    values["version"] = int(m.version)
    return IntegrationRecord(**values)


def _integration_model(record: IntegrationRecord) -> IntegrationModel:
    values = {name: getattr(record, name) for name in _INTEGRATION_FIELDS}
    return IntegrationModel(**values)


# --------------------------------------------------------------------------------------------------
# Integrations


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
            return _integration(IntegrationModel.get(integration_id, consistent_read=True))
    except IntegrationModel.DoesNotExist as exc:
        raise NotFound("No such integration.") from exc


def integrations_of_account(account_id: str) -> list[IntegrationRecord]:
    """The account's integrations (one index Query), oldest first."""
    with translated():
        found = [_integration(m) for m in IntegrationModel.by_account.query(account_id)]
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
    return _integration(model)


def due_integrations(shard: str, now: dt.datetime, limit: int = 100) -> list[IntegrationRecord]:
    """Integrations in `shard` whose due time has come (one index Query)."""
    with translated():
        return [
            _integration(m)
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


# --------------------------------------------------------------------------------------------------
# Checkpoints


def _checkpoint(m: SyncCheckpointModel) -> Checkpoint:
    values = {name: getattr(m, name) for name in _CHECKPOINT_FIELDS}
    values["seats_used"] = [int(n) for n in values["seats_used"]]
    for name in ("cursor", "seats_seen", "items_written", "attempts"):
        values[name] = int(values[name])
    return Checkpoint(**values)


def get_checkpoint(integration_id: str) -> Checkpoint | None:
    try:
        with translated():
            return _checkpoint(SyncCheckpointModel.get(integration_id, consistent_read=True))
    except SyncCheckpointModel.DoesNotExist:
        return None


def put_checkpoint(checkpoint: Checkpoint) -> None:
    """Start (or restart) a run's checkpoint; replaces any left by an older run."""
    values = {name: getattr(checkpoint, name) for name in _CHECKPOINT_FIELDS}
    with translated():
        SyncCheckpointModel(**values).save()


def advance_checkpoint(checkpoint: Checkpoint, expected_cursor: int) -> bool:
    """Store the run's progress if still at `expected_cursor` (False: someone else moved it)."""
    values = {name: getattr(checkpoint, name) for name in _CHECKPOINT_FIELDS}
    try:
        with translated():
            SyncCheckpointModel(**values).save(
                (SyncCheckpointModel.run_id == checkpoint.run_id)
                & (SyncCheckpointModel.cursor == expected_cursor)
            )
    except PutError as exc:
        if is_condition_failure(exc):
            return False
        raise
    return True


def delete_checkpoint(integration_id: str, run_id: str | None = None) -> None:
    """Drop the checkpoint (only the given run's, when one is named)."""
    condition = SyncCheckpointModel.run_id == run_id if run_id else None
    try:
        with translated():
            SyncCheckpointModel(integration_id).delete(condition=condition)
    except DeleteError as exc:
        if not is_condition_failure(exc):
            raise


# --------------------------------------------------------------------------------------------------
# Sync logs


def log_key(entry: SyncLogEntry) -> str:
    return f"{entry.started_at.isoformat()}#{entry.run_id}"


def put_log(entry: SyncLogEntry) -> None:
    """Write a run's log entry (keyed by run, so writing it again changes nothing)."""
    values = {name: getattr(entry, name) for name in _LOG_FIELDS}
    with translated():
        SyncLogModel(
            entry_key=log_key(entry),
            expires_ttl=ttl_after(entry.ended_at, LOG_RETENTION_SECONDS),
            **values,
        ).save()


def logs_of_integration(integration_id: str, limit: int = 100) -> list[SyncLogEntry]:
    """The newest `limit` entries, newest first (one Query)."""
    with translated():
        found = SyncLogModel.query(integration_id, scan_index_forward=False, limit=limit)
        entries = []
        for m in found:
            values = {name: getattr(m, name) for name in _LOG_FIELDS}
            for name in ("customers_seen", "seats_seen", "matches_made", "items_written"):
                values[name] = int(getattr(m, name))
            entries.append(SyncLogEntry(**values))
    return entries


def delete_logs(integration_id: str) -> None:
    with translated(), SyncLogModel.batch_write() as batch:
        for m in SyncLogModel.query(integration_id):
            batch.delete(m)
