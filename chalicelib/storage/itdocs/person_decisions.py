"""A person's match decisions written: each change with its audit entry and the organizations'
lists of matched customers (`organization_items`), in one transaction.

Every write is conditional on the customers' integration not being marked for deletion
(IntegrationBeingDeleted), so nothing lands that its removal would miss. The organization
matched to gains the customer on condition it exists and is not being deleted
and, when the caller names it as the page showed it, still bears that name (so it need not be
read first); the organization matched before loses it. Each record's write is conditional on the
version read (`match_decisions`).
"""

from __future__ import annotations

from chalicelib.errors import ConcurrentChange
from chalicelib.storage.itdocs.integrations import IntegrationBeingDeleted, check_not_marked
from chalicelib.storage.itdocs.match_decisions import (
    MATCHED,
    AuditEntry,
    CustomerMatch,
    Decision,
    add_decision,
)
from chalicelib.storage.itdocs.organization_items import add_matched, matched_key, remove_matched
from chalicelib.storage.transactions import Transaction, write_transaction


class OrganizationChanged(ConcurrentChange):
    """The organization matched to is gone, being deleted or (when its name was given) renamed."""


def save_decision(record: CustomerMatch, entry: AuditEntry, *, named: bool = False) -> None:
    """A person's change and its audit entry in one transaction, with the organizations' lists
    of matched customers (`organization_items`): the one matched to gains the customer, on
    condition it exists and is not being deleted (and, `named`, still bears the entry's
    organization name); the one matched before loses it. ConcurrentChange if the record changed
    since it was read; OrganizationChanged if the organization matched to failed its condition;
    IntegrationBeingDeleted if the integration is marked for deletion."""
    before = entry.previous_organization_id
    after = record.organization_id if record.status == MATCHED else None
    adding = after if after != before else None
    name = (entry.organization_name or "") if named else None
    if _write_decision(record, entry, (adding, name), before if before != after else None):
        # the organization matched before is gone: nothing lists the customer there
        _write_decision(record, entry, (adding, name), None)


def _write_decision(record: CustomerMatch, entry: AuditEntry,
                    adding: tuple[str | None, str | None], removing: str | None) -> bool:
    """Write the decision; True when only the removal from `removing` failed (it is gone)."""
    key = matched_key(record.integration_id, record.customer_id)
    organization_id, name = adding

    def write(tx: Transaction) -> None:
        add_decision(tx, Decision(record, entry))
        if organization_id:
            add_matched(tx, record.account_id, organization_id, [key], name)
        if removing:
            remove_matched(tx, record.account_id, removing, [key])
        check_not_marked(tx, record.integration_id)

    failed = write_transaction(write)
    if 2 + bool(organization_id) + bool(removing) in failed:
        raise IntegrationBeingDeleted()
    if removing and failed == {3 if organization_id else 2}:
        return True
    if organization_id and 2 in failed:
        raise OrganizationChanged(
            f"{entry.organization_name or 'The organization'} was deleted at the same time, "
            f"so {record.customer_name} was not matched to it."
        )
    if failed:
        raise ConcurrentChange(
            f"{record.customer_name} was changed by someone else at the same time. "
            "Reload the page and try again."
        )
    return False


BULK_DECISIONS = 30
"""Matches `save_decisions` writes in one transaction: with their audit entries, up to one
organization each and the integration's check, at most 91 of DynamoDB's 100 items."""


def save_decisions(decisions: list[Decision]) -> bool:
    """Unmatched customers matched (each entry naming its organization as the page showed it),
    their audit entries and the organizations' lists in one transaction; False, and nothing
    written, when any condition failed (a customer changed, an organization gone or renamed,
    the integration being deleted: the caller's one-by-one writes then say which)."""
    listed: dict[tuple[str, str, str], set[str]] = {}
    for d in decisions:
        where = (d.record.account_id, d.record.organization_id or "",
                 d.entry.organization_name or "")
        listed.setdefault(where, set()).add(
            matched_key(d.record.integration_id, d.record.customer_id))
    if len({(account, organization) for account, organization, _ in listed}) < len(listed):
        return False  # one organization under two names: written one by one

    def write(tx: Transaction) -> None:
        for decision in decisions:
            add_decision(tx, decision)
        for (account_id, organization_id, name), keys in listed.items():
            add_matched(tx, account_id, organization_id, keys, name)
        for integration_id in {d.record.integration_id for d in decisions}:
            check_not_marked(tx, integration_id)

    return not write_transaction(write)
