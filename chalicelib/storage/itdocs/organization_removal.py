"""Deleting an IT Docs organization: its matches back to Unmatched, its contacts and it, audited.

`mark` is what the Administrator's request writes: the organization marked as being deleted and
its audit line, one transaction. The removal worker then calls `remove`, which writes everything
in one transaction when it fits DynamoDB's 100 items; otherwise in ordered steps, each a
transaction holding its own audit lines: the customers' decisions, then the contacts, the
organization and its name last. A step that fails its condition raises
ConcurrentChange and leaves what earlier steps wrote; the organization, still marked as being
deleted, is read again by the caller, whose next pass finds only what is left (nothing is written
twice, since each item is conditional on the state it was read in).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from chalicelib.errors import ConcurrentChange, NotFound
from chalicelib.storage.itdocs import audit
from chalicelib.storage.itdocs import contacts as contact_store
from chalicelib.storage.itdocs import organizations as organization_store
from chalicelib.storage.itdocs.audit import ItDocsAuditModel
from chalicelib.storage.itdocs.contacts import ContactRecord
from chalicelib.storage.itdocs.match_decisions import TRANSACTION_ITEMS, Decision, add_decision
from chalicelib.storage.itdocs.organization_items import ItDocsOrganizationModel
from chalicelib.storage.itdocs.organizations import OrganizationRecord
from chalicelib.storage.transactions import Transaction, write_transaction

ONE_TRANSACTION = "one transaction"
IN_STEPS = "in steps"


@dataclass(frozen=True)
class AuditLine:
    """A line of the account's IT Docs audit log, written in the same transaction as its change."""

    entry_key: str
    actor: str
    action: str
    detail: str
    at: dt.datetime


@dataclass(frozen=True)
class Removal:
    """What deleting one organization writes."""

    organization: OrganizationRecord
    name_key: str
    deleted: AuditLine
    """The organization's own audit line ("organization.deleted")."""
    contacts: Sequence[tuple[ContactRecord, AuditLine]] = field(default_factory=tuple)
    unmatched: Sequence[Decision] = field(default_factory=tuple)
    """Each matched customer back to Unmatched, with its matching audit entry."""

    @property
    def items(self) -> int:
        """Transaction items: organization, name marker, its audit line, two per contact and two
        per customer."""
        return 3 + 2 * len(self.contacts) + 2 * len(self.unmatched)


Step = Callable[[Transaction], None]


def mark(account_id: str, organization_id: str, now: dt.datetime, line: audit.AuditLine) -> None:
    """Mark the organization as being deleted (an earlier mark's time is kept) with its audit
    `line`, in one transaction; NotFound when it is gone. From here on `organization_guard`
    refuses every match or contact written to it."""
    model = ItDocsOrganizationModel(account_id, organization_id)
    since = ItDocsOrganizationModel.deleting_since

    def write(tx: Transaction) -> None:
        tx.update(model, actions=[since.set(since | now)],
                  condition=ItDocsOrganizationModel.organization_id.exists())
        audit.add_line(tx, line)

    if write_transaction(write):
        raise NotFound("No such organization.")


def remove(removal: Removal) -> str:
    """Write the removal; returns ONE_TRANSACTION or IN_STEPS. ConcurrentChange when an item
    changed since it was read (the caller reads again and calls once more)."""
    if removal.items <= TRANSACTION_ITEMS:
        _write([*_decision_steps(removal.unmatched), *_contact_steps(removal),
                _organization_step(removal)])
        return ONE_TRANSACTION
    pairs = TRANSACTION_ITEMS // 2
    for start in range(0, len(removal.unmatched), pairs):
        _write(_decision_steps(removal.unmatched[start : start + pairs]))
    contact_steps = _contact_steps(removal)
    for start in range(0, len(contact_steps), pairs):
        _write(contact_steps[start : start + pairs])
    _write([_organization_step(removal)])
    return IN_STEPS


def _write(steps: Sequence[Step]) -> None:
    def build(tx: Transaction) -> None:
        for step in steps:
            step(tx)

    if steps and write_transaction(build):
        raise ConcurrentChange("Something changed while the organization was being deleted.")


def _decision_steps(decisions: Sequence[Decision]) -> list[Step]:
    def step(decision: Decision) -> Step:
        return lambda tx: add_decision(tx, decision)

    return [step(decision) for decision in decisions]


def _contact_steps(removal: Removal) -> list[Step]:
    account_id = removal.organization.account_id

    def step(contact: ContactRecord, line: AuditLine) -> Step:
        def add(tx: Transaction) -> None:
            contact_store.add_contact_delete(tx, contact)
            _add_line(tx, account_id, line)

        return add

    return [step(contact, line) for contact, line in removal.contacts]


def _organization_step(removal: Removal) -> Step:
    def add(tx: Transaction) -> None:
        organization_store.add_organization_delete(tx, removal.organization, removal.name_key)
        _add_line(tx, removal.organization.account_id, removal.deleted)

    return add


def _add_line(tx: Transaction, account_id: str, line: AuditLine) -> None:
    model = ItDocsAuditModel(account_id, line.entry_key, actor=line.actor, action=line.action,
                             detail=line.detail[:500], at=line.at)
    tx.save(model, condition=ItDocsAuditModel.entry_key.does_not_exist())
