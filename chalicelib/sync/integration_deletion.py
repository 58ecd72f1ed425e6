"""Delete a SaaS Protection integration: the request marks it, a sync-queue worker removes it.

1. The request (`request`) marks the integration "Being deleted…" with its audit line in one
   transaction (storage's `integration_removal.mark`): sync is off, nothing is queued or due, a
   running sync loses its lease, and `lifecycle.change` writes nothing to a marked integration,
   so no option, key check or sync attaches to it from here on. With the session's read that is
   two DynamoDB calls, whatever the integration holds. It queues the removal and answers; the
   Integrations page shows "Being deleted…" until the worker is done.
2. The worker (`handle_message`) deletes the checkpoint, the synced customers with their seats,
   the matching (match records and their audit trail) and the sync logs (each delete is
   idempotent), then the integration itself, on condition it is
   still marked. A worker that stops half way raises, so the queue delivers the message again and
   the next one deletes what is left; a message for an integration already gone does nothing.
3. A worker of a sync run the mark interrupted may still write (it checks its lease when it
   starts; a refused progress write does not stop it), so the removal deletes nothing before
   that worker has surely ended (`writes_end`): until then it raises `NotYet` and the message
   comes back later (`workers/sync.py`). Removing sooner would leave what the run writes last
   with nothing pointing to it. The Integrations page shows "Being deleted…" all along.
"""

from __future__ import annotations

import datetime as dt
import json

from chalicelib import logs, queues
from chalicelib.errors import NotFound
from chalicelib.runtime import Runtime
from chalicelib.storage.itdocs import backup_customers as data
from chalicelib.storage.itdocs import integration_removal as removal_store
from chalicelib.storage.itdocs import integrations as integration_store
from chalicelib.storage.itdocs import sync_checkpoints as checkpoint_store
from chalicelib.storage.itdocs import sync_logs as log_store
from chalicelib.storage.itdocs.audit import AuditLine
from chalicelib.storage.itdocs.integrations import IntegrationRecord
from chalicelib.sync.acting import MANAGE_INTEGRATIONS, ActingUser
from chalicelib.sync.lifecycle import BEING_DELETED, LEASE

KIND = "integration_removal"
FIELDS = ("integration_id", "actor")
PAGE = 500  # customers read and deleted at a time


class NotYet(Exception):
    """The integration's removal must wait `seconds` more for the run the mark interrupted."""

    def __init__(self, integration_id: str, seconds: float) -> None:
        super().__init__(f"removal of {integration_id} waits {seconds:.0f} s")
        self.seconds = seconds


def request(rt: Runtime, user: ActingUser, record: IntegrationRecord) -> None:
    """Mark the user's account's integration as being deleted (audited) and queue its removal;
    NotFound when it is gone or another account's. `record`: as the page read it."""
    user.require(MANAGE_INTEGRATIONS)
    if record.account_id != user.account_id:
        raise NotFound("No such integration.")
    removal_store.mark(record.integration_id, user.account_id, BEING_DELETED,
                       _line(rt, user, record))
    logs.event("integration_deletion_requested", integration_id=record.integration_id,
               actor=user.name)
    rt.queues.sync.send(json.dumps({"kind": KIND, "integration_id": record.integration_id,
                                    "actor": user.name}))


def _line(rt: Runtime, user: ActingUser, record: IntegrationRecord) -> AuditLine:
    """The account's audit line of the deletion (keys sort by time, a random suffix apart)."""
    now = rt.clock.now()
    return AuditLine(user.account_id, f"{now.isoformat()}#{rt.random.hex(4)}", user.name,
                     "integration.deleted",
                     f"SaaS Protection integration (public key {record.public_key})"[:500], now)


def handle_message(rt: Runtime, body: str) -> bool:
    """The worker: remove the integration the message names; False when there was nothing to
    do (a malformed message, logged and dropped, or one for an integration already gone)."""
    fields = queues.text_fields(body, FIELDS)
    if fields is None:
        logs.event("removal_message_dropped", kind=KIND, reason="malformed")
        return False
    integration_id = fields["integration_id"]
    record = _marked(integration_id)
    if record is None:
        return False
    _wait_for_run(rt, record)
    customers = _remove_synced_data(integration_id)
    removal_store.delete_marked(integration_id, BEING_DELETED)
    logs.event("integration_deleted", integration_id=integration_id, actor=fields["actor"],
               customers=customers)
    return True


def _marked(integration_id: str) -> IntegrationRecord | None:
    """The integration if it is there and being deleted (else None, why not logged)."""
    try:
        record = integration_store.get_integration(integration_id)
    except NotFound:
        logs.event("integration_removal_done_already", integration_id=integration_id)
        return None
    if record.last_outcome != BEING_DELETED:
        logs.event("removal_message_dropped", kind=KIND, reason="not marked",
                   integration_id=integration_id)
        return None
    return record


def writes_end(record: IntegrationRecord) -> dt.datetime | None:
    """When no worker of the run the mark interrupted can write any more (None: no mark).

    A worker writes only after finding the lease live, so it started before the mark and before
    the lease's end, and it lives at most `LEASE` (its function's timeout): past the earlier of
    the two plus `LEASE`, it is gone. With no lease at the mark, that moment is long past."""
    if record.removal_marked_at is None or record.removal_lease_until is None:
        return None
    return min(record.removal_marked_at, record.removal_lease_until) + LEASE


def _wait_for_run(rt: Runtime, record: IntegrationRecord) -> None:
    """NotYet while a worker of the interrupted run may still write (logged)."""
    end = writes_end(record)
    seconds = (end - rt.clock.now()).total_seconds() if end is not None else 0.0
    if seconds > 0:
        logs.event("integration_removal_waits", integration_id=record.integration_id,
                   until=end.isoformat() if end else "", seconds=round(seconds))
        raise NotYet(record.integration_id, seconds)


def _remove_synced_data(integration_id: str) -> int:
    """Delete the checkpoint, the customers with their seats, the matching and the logs;
    customers removed. The customers are read a page at a time with strongly consistent
    Queries, so one written just before the mark is among them."""
    checkpoint_store.delete_checkpoint(integration_id)
    removed, after = 0, ""
    while page := [c.customer_id for c in data.customers_after(integration_id, after, PAGE)]:
        data.write_customers([], page, integration_id=integration_id)
        removed, after = removed + len(page), page[-1]
    removal_store.delete_matching(integration_id)
    log_store.delete_logs(integration_id)
    return removed
