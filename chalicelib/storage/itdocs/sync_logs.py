"""Sync logs: one entry per sync run, as an integration's Logs page shows them (kept 400 days)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field

from pynamodb.attributes import (
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.models import Model

from chalicelib.storage.base import translated, ttl_after
from chalicelib.storage.transactions import Transaction

LOG_RETENTION_SECONDS = 400 * 24 * 3600


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


_LOG_FIELDS = [f.name for f in dataclasses.fields(SyncLogEntry)]


def log_key(entry: SyncLogEntry) -> str:
    return f"{entry.started_at.isoformat()}#{entry.run_id}"


def _model(entry: SyncLogEntry) -> SyncLogModel:
    values = {name: getattr(entry, name) for name in _LOG_FIELDS}
    return SyncLogModel(entry_key=log_key(entry),
                        expires_ttl=ttl_after(entry.ended_at, LOG_RETENTION_SECONDS), **values)


def put_log(entry: SyncLogEntry) -> None:
    """Write a run's log entry (keyed by run, so writing it again changes nothing)."""
    with translated():
        _model(entry).save()


def add_log(tx: Transaction, entry: SyncLogEntry) -> None:
    """Put a run's log entry in `tx` (the run's end writes it with the lease's release)."""
    tx.save(_model(entry))


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
