"""Sync checkpoints: where a run that spans several worker runs has got to (one per integration).

A checkpoint is a cursor, not a list: the customers of the run are the stored customers the
run's complete list holds, walked in key order, and `after_customer` is the last one whose seats
are done. It stays a few hundred bytes whatever the number of customers (DynamoDB refuses items
over 400 KB); only `notes` grows, and the run caps them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DeleteError, PutError
from pynamodb.models import Model

from chalicelib.storage.base import is_condition_failure, translated


class SyncCheckpointModel(Model):
    """Where a run that spans several worker runs has got to (one per integration at most)."""

    class Meta:
        logical_name = "itdocs_sync_checkpoints"
        table_name = "itdocs_sync_checkpoints"

    integration_id = UnicodeAttribute(hash_key=True)
    run_id = UnicodeAttribute()
    after_customer = UnicodeAttribute(default="")
    done = NumberAttribute(default=0)
    total = NumberAttribute(default=0)
    seats_seen = NumberAttribute(default=0)
    items_written = NumberAttribute(default=0)
    fallbacks = NumberAttribute(default=0)
    notes = ListAttribute(of=UnicodeAttribute, default=list)  # type: ignore[var-annotated]


@dataclass(frozen=True)
class Checkpoint:
    """A run's progress: `done` of `total` customers, the last being `after_customer`."""

    integration_id: str
    run_id: str
    total: int
    after_customer: str = ""
    done: int = 0
    seats_seen: int = 0
    items_written: int = 0
    fallbacks: int = 0  # customers whose seats could not be fetched (notes are capped)
    notes: list[str] = field(default_factory=list)


_CHECKPOINT_FIELDS = [f.name for f in dataclasses.fields(Checkpoint)]


def _checkpoint(m: SyncCheckpointModel) -> Checkpoint:
    values = {name: getattr(m, name) for name in _CHECKPOINT_FIELDS}
    for name in ("done", "total", "seats_seen", "items_written", "fallbacks"):
        values[name] = int(values[name])
    return Checkpoint(**values)


def _model(checkpoint: Checkpoint) -> SyncCheckpointModel:
    return SyncCheckpointModel(**{name: getattr(checkpoint, name) for name in _CHECKPOINT_FIELDS})


def get_checkpoint(integration_id: str) -> Checkpoint | None:
    try:
        with translated():
            return _checkpoint(SyncCheckpointModel.get(integration_id, consistent_read=True))
    except SyncCheckpointModel.DoesNotExist:
        return None


def put_checkpoint(checkpoint: Checkpoint) -> None:
    """Start (or restart) a run's checkpoint; replaces any left by an older run."""
    with translated():
        _model(checkpoint).save()


def advance_checkpoint(checkpoint: Checkpoint, expected_done: int) -> bool:
    """Store the run's progress if still at `expected_done` (False: someone else moved it)."""
    try:
        with translated():
            _model(checkpoint).save(
                (SyncCheckpointModel.run_id == checkpoint.run_id)
                & (SyncCheckpointModel.done == expected_done)
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
