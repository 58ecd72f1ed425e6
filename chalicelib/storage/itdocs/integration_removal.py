"""Deleting a SaaS Protection integration: the mark the request writes, and the worker's last step.

`mark` stops the integration in one transaction with its audit line: its status becomes the
given outcome (the sync's "Being deleted…"), sync is off, nothing is queued or due (the tick's
index no longer lists it), the lease is dropped (a running worker's next progress or checkpoint
write is refused, so it stops) and the version moves on (every read-decide-write made from an
earlier read fails and reads again). The worker deletes the synced data with the modules that own
it, then `delete_marked` the integration itself, only while it still carries the mark.
"""

from __future__ import annotations

from pynamodb.exceptions import DeleteError

from chalicelib.errors import NotFound
from chalicelib.storage.base import is_condition_failure, translated
from chalicelib.storage.itdocs import audit
from chalicelib.storage.itdocs.integrations import IntegrationModel
from chalicelib.storage.transactions import Transaction, write_transaction

_M = IntegrationModel
_CLEARED = (_M.lease_token, _M.lease_until, _M.queued_sync_at, _M.queued_reason,
            _M.next_sync_at, _M.due_at, _M.due_shard, _M.key_check_ends_by)


def mark(integration_id: str, account_id: str, outcome: str, line: audit.AuditLine) -> None:
    """Mark the account's integration as being deleted (status `outcome`) with its audit `line`,
    in one transaction; NotFound when it is gone or another account's."""
    model = IntegrationModel(integration_id)
    actions = [_M.last_outcome.set(outcome), _M.last_reason.set(""), _M.sync_enabled.set(False),
               _M.version.add(1), *(attribute.remove() for attribute in _CLEARED)]

    def write(tx: Transaction) -> None:
        tx.update(model, actions=actions,
                  condition=_M.integration_id.exists() & (_M.account_id == account_id))
        audit.add_line(tx, line)

    if write_transaction(write):
        raise NotFound("No such integration.")


def delete_marked(integration_id: str, outcome: str) -> bool:
    """Delete the integration if it still carries the mark `outcome`; False when it is gone or
    was not marked."""
    try:
        with translated():
            IntegrationModel(integration_id).delete(condition=_M.last_outcome == outcome)
    except DeleteError as exc:
        if is_condition_failure(exc):
            return False
        raise
    return True
