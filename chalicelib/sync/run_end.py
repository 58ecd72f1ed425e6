"""The end of a sync run: its log entry written in the transaction that releases its lease.

Nothing of a run is written after its release, so a deletion marked once the lease is gone (which
waits for no run) finds the entry and removes it. Notes are capped, so the checkpoint and the log
stay small items.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from chalicelib import logs
from chalicelib.runtime import Runtime
from chalicelib.storage.itdocs import integrations as integration_store
from chalicelib.storage.itdocs import sync_checkpoints as checkpoint_store
from chalicelib.storage.itdocs import sync_logs as log_store
from chalicelib.storage.itdocs.integrations import IntegrationRecord
from chalicelib.storage.itdocs.sync_checkpoints import Checkpoint
from chalicelib.storage.itdocs.sync_logs import SyncLogEntry
from chalicelib.sync import lifecycle

MAX_NOTES = 40
NOTE_CHARS = 500


def complete(rt: Runtime, record: IntegrationRecord, outcome: str, reason: str,
             checkpoint: Checkpoint | None, matches: int, written: int,
             notes: list[str]) -> None:
    """Release the lease with the outcome (only if still ours) and write the log entry in the
    same transaction: nothing of the run is written after its release, so a deletion marked
    once the lease is gone (which waits for no run) finds the entry and removes it."""
    now = rt.clock.now()
    entries: list[SyncLogEntry] = []

    def decide(current: IntegrationRecord) -> IntegrationRecord | None:
        if current.lease_token != record.lease_token:
            return None
        pauses = [current.run_note] if current.run_note else []
        entries[:] = [_log_entry(record, now, outcome, reason, checkpoint, matches, written,
                                 [*pauses, *notes])]
        return lifecycle.released(dataclasses.replace(
            current, last_outcome=outcome, last_reason=reason,
            last_sync_at=now if outcome == lifecycle.OK else current.last_sync_at))

    def save(released: IntegrationRecord, version: int) -> IntegrationRecord:
        return integration_store.save_integration_with(
            released, version, lambda tx: log_store.add_log(tx, entries[-1]))

    if lifecycle.change(record.integration_id, decide, save=save) is None:
        return
    entry = entries[-1]
    checkpoint_store.delete_checkpoint(record.integration_id, record.run_id)
    logs.event("sync_run", integration_id=record.integration_id, run_id=entry.run_id,
               trigger=entry.trigger, outcome=outcome, customers=entry.customers_seen,
               seats=entry.seats_seen, matches=matches, written=written)


def _log_entry(record: IntegrationRecord, now: dt.datetime, outcome: str, reason: str,
               checkpoint: Checkpoint | None, matches: int, written: int,
               notes: list[str]) -> SyncLogEntry:
    """The run's log entry as it ends `now` with `outcome`."""
    return SyncLogEntry(
        integration_id=record.integration_id, account_id=record.account_id,
        run_id=record.run_id or "", trigger=record.run_trigger or "automatic",
        started_at=record.run_started_at or now, ended_at=now,
        customers_seen=checkpoint.total if checkpoint else 0,
        seats_seen=checkpoint.seats_seen if checkpoint else 0, matches_made=matches,
        items_written=written, outcome=outcome, reason=reason, notes=capped(notes))


def capped(notes: list[str]) -> list[str]:
    """At most MAX_NOTES notes of NOTE_CHARS each: the checkpoint and log stay small items."""
    short = [note if len(note) <= NOTE_CHARS else note[: NOTE_CHARS - 3] + "..." for note in notes]
    if len(short) <= MAX_NOTES:
        return short
    return [*short[: MAX_NOTES - 1], f"... and {len(short) - MAX_NOTES + 1} more notes."]
