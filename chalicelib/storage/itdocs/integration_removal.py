"""Deleting a SaaS Protection integration: the mark the request writes, and the worker's last step.

`mark` stops the integration in one transaction with its audit line: its status becomes the
given outcome (the sync's "Being deleted…"), sync is off, nothing is queued or due (the tick's
index no longer lists it), the lease is dropped (the run's progress and its hand-on are refused)
and the version moves on (every read-decide-write made from an earlier read fails and reads
again). The mark also keeps when it was made and the lease's end as it stood (copied in the same
update, so a run claimed just before the mark is never missed): a worker of that run may still
write for a while, and the removal waits for it. The worker deletes the synced data with the
modules that own it and the matching (`delete_matching`: the match records, each Matched one
taken off its organization's list first, and the matching audit trail), then `delete_marked`
the integration itself, only while still marked.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from pynamodb.exceptions import DeleteError

from chalicelib.errors import NotFound
from chalicelib.storage.base import is_condition_failure, translated
from chalicelib.storage.itdocs import audit
from chalicelib.storage.itdocs.integrations import IntegrationModel
from chalicelib.storage.itdocs.match_decisions import (
    MATCHED,
    CustomerMatchModel,
    MatchingAuditModel,
)
from chalicelib.storage.itdocs.organization_items import matched_key, remove_matched
from chalicelib.storage.transactions import Transaction, write_transaction

_M = IntegrationModel
_CLEARED = (_M.lease_token, _M.lease_until, _M.queued_sync_at, _M.queued_reason,
            _M.next_sync_at, _M.due_at, _M.due_shard, _M.key_check_ends_by)
NO_LEASE = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
"""`removal_lease_until` of an integration no run held when it was marked."""


def mark(integration_id: str, account_id: str, outcome: str, line: audit.AuditLine) -> None:
    """Mark the account's integration as being deleted (status `outcome`) at `line.at` with its
    audit `line`, in one transaction; NotFound when it is gone or another account's."""
    model = IntegrationModel(integration_id)
    actions = [_M.last_outcome.set(outcome), _M.last_reason.set(""), _M.sync_enabled.set(False),
               _M.version.add(1), _M.removal_marked_at.set(line.at),
               _M.removal_lease_until.set(_M.lease_until | NO_LEASE),
               *(attribute.remove() for attribute in _CLEARED)]

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


def delete_matching(integration_id: str) -> int:
    """Delete the integration's match records and matching audit trail (Queries on its key,
    batch deletes), each Matched customer first taken off its organization's list; how many."""
    with translated():
        matches = list(CustomerMatchModel.query(integration_id, consistent_read=True))
        trail = list(MatchingAuditModel.query(integration_id, consistent_read=True))
    for (account_id, organization_id), keys in _matched_keys(matches).items():
        _unlist(account_id, organization_id, keys)
    with translated(), CustomerMatchModel.batch_write() as matches_batch:
        for match in matches:
            matches_batch.delete(match)
    with translated(), MatchingAuditModel.batch_write() as trail_batch:
        for entry in trail:
            trail_batch.delete(entry)
    return len(matches) + len(trail)


def _unlist(account_id: str, organization_id: str, keys: set[str]) -> None:
    """Take the customers off the organization's list (an organization gone lists nothing)."""

    def write(tx: Transaction) -> None:
        remove_matched(tx, account_id, organization_id, keys)

    write_transaction(write)


def _matched_keys(matches: list[CustomerMatchModel]) -> dict[tuple[str, str], set[str]]:
    """The keys each organization lists of these Matched customers, by (account, organization)."""
    keys: dict[tuple[str, str], set[str]] = defaultdict(set)
    for match in matches:
        if match.status == MATCHED and match.organization_id:
            keys[(match.account_id, match.organization_id)].add(
                matched_key(match.integration_id, match.customer_id))
    return keys
