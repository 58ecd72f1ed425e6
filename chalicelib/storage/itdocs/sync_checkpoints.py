"""Sync checkpoints: where a run that spans several worker runs has got to (one per integration)."""

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
    cursor = NumberAttribute()
    customer_ids = ListAttribute(of=UnicodeAttribute, default=list)  # type: ignore[var-annotated]
    seats_used = ListAttribute(of=NumberAttribute, default=list)  # type: ignore[var-annotated]
    seats_seen = NumberAttribute(default=0)
    items_written = NumberAttribute(default=0)
    notes = ListAttribute(of=UnicodeAttribute, default=list)  # type: ignore[var-annotated]
    attempts = NumberAttribute(default=1)


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


_CHECKPOINT_FIELDS = [f.name for f in dataclasses.fields(Checkpoint)]


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
