"""IT Docs organizations, unique by exact name per account (a marker), keyed by account; the item
(`organization_items`) also lists the customers matched to it.

An organization being deleted carries `deleting_since`: every write that attaches something to an
organization (a match, a contact) checks in its own transaction that the organization exists and
carries no such mark (`organization_guard`), so nothing is attached once a deletion has begun.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from pynamodb.exceptions import UpdateError

from chalicelib.errors import AlreadyExists, ConcurrentChange, NotFound
from chalicelib.storage.base import is_condition_failure, translated
from chalicelib.storage.itdocs.audit import AuditLine, add_line
from chalicelib.storage.itdocs.integrations import IntegrationBeingDeleted, check_not_marked
from chalicelib.storage.itdocs.markers import itdocs_markers
from chalicelib.storage.itdocs.match_decisions import DecisionFor, add_decision
from chalicelib.storage.itdocs.organization_items import (
    ItDocsOrganizationModel,
    MatchedKey,
    listed_matches,
    matched_key,
)
from chalicelib.storage.transactions import Transaction, write_transaction


@dataclass
class OrganizationRecord:
    organization_id: str
    account_id: str
    name: str
    created_at: dt.datetime
    updated_at: dt.datetime
    created_by: str = ""
    deleting_since: dt.datetime | None = None
    matched: tuple[MatchedKey, ...] | None = None
    """The customers the item lists as matched to it; None for an organization made before
    it listed them (see `organization_items`)."""


def name_marker(account_id: str, name_key: str) -> str:
    return f"orgname#{account_id}#{name_key}"


def organization_from(m: ItDocsOrganizationModel) -> OrganizationRecord:
    """The plain organization of a stored item."""
    return OrganizationRecord(m.organization_id, m.account_id, m.name, m.created_at,
                              m.updated_at, m.created_by or "", m.deleting_since,
                              listed_matches(m))


def _taken(name: str) -> AlreadyExists:
    return AlreadyExists(f"An organization named {name!r} already exists.")


def create_organization(record: OrganizationRecord, name_key: str,
                        decision: DecisionFor | None = None,
                        line: AuditLine | None = None) -> None:
    """The organization, its name marker and its audit `line` in one transaction; a taken name
    is AlreadyExists.

    With `decision`, the customer's match decision it makes for the new organization is written in
    the same transaction: ConcurrentChange (and no organization) when the customer changed first,
    IntegrationBeingDeleted when the customer's integration is marked for deletion.
    """
    made = decision(record.organization_id, record.name) if decision is not None else None
    matched = {matched_key(made.record.integration_id, made.record.customer_id)} if made else None
    model = ItDocsOrganizationModel(
        record.account_id, record.organization_id, name=record.name, name_key=name_key,
        created_by=record.created_by, created_at=record.created_at, updated_at=record.updated_at,
        matched=matched, matched_listed=True)

    def write(tx: Transaction) -> None:
        itdocs_markers.claim(tx, name_marker(record.account_id, name_key), record.organization_id)
        tx.save(model, condition=ItDocsOrganizationModel.organization_id.does_not_exist())
        if made is not None:
            add_decision(tx, made)
        if line is not None:
            add_line(tx, line)
        if made is not None:  # last: its position is the number of items before it
            check_not_marked(tx, made.record.integration_id)

    failed = write_transaction(write)
    if made is not None and 4 + (line is not None) in failed:
        raise IntegrationBeingDeleted()
    if failed - {0, 1}:  # the decision's condition: someone decided about the customer first
        raise ConcurrentChange("The customer was changed by someone else at the same time.")
    if failed:
        raise _taken(record.name)


def get_organization(account_id: str, organization_id: str) -> OrganizationRecord:
    try:
        with translated():
            return organization_from(ItDocsOrganizationModel.get(account_id, organization_id))
    except ItDocsOrganizationModel.DoesNotExist as exc:
        raise NotFound("No such organization.") from exc


def organizations_of_account(account_id: str) -> list[OrganizationRecord]:
    with translated():
        return [organization_from(m) for m in ItDocsOrganizationModel.query(account_id)]


def organization_by_name_key(account_id: str, name_key: str) -> str | None:
    return itdocs_markers.owner(name_marker(account_id, name_key))


def rename_organization(account_id: str, organization_id: str, old_key: str, new_name: str,
                        new_key: str, now: dt.datetime) -> None:
    """Move the name marker and rename in one transaction, only if nobody renamed it meanwhile."""
    model = ItDocsOrganizationModel(account_id, organization_id)

    def write(tx: Transaction) -> None:
        if new_key != old_key:
            itdocs_markers.release(tx, name_marker(account_id, old_key),
                                   owner_id=organization_id)
            itdocs_markers.claim(tx, name_marker(account_id, new_key),
                                 organization_id)
        tx.update(model, actions=[
            ItDocsOrganizationModel.name.set(new_name),
            ItDocsOrganizationModel.name_key.set(new_key),
            ItDocsOrganizationModel.updated_at.set(now),
        ], condition=ItDocsOrganizationModel.name_key == old_key)

    if write_transaction(write):
        taken = organization_by_name_key(account_id, new_key)
        if taken and taken != organization_id:
            raise _taken(new_name)
        raise ConcurrentChange()


# --------------------------------------------------------------------------------------------------
# Deleting


Guard = Callable[[Transaction], None]


def organization_guard(account_id: str, organization_id: str) -> Guard:
    """Adds to a transaction the check that the organization exists and is not being deleted."""

    def check(tx: Transaction) -> None:
        tx.condition_check(ItDocsOrganizationModel, account_id, organization_id,
                           condition=ItDocsOrganizationModel.organization_id.exists()
                           & ItDocsOrganizationModel.deleting_since.does_not_exist())

    return check


def mark_deleting(account_id: str, organization_id: str, now: dt.datetime) -> OrganizationRecord:
    """Mark the organization as being deleted (keeping an earlier mark); NotFound when it is gone.

    From this write on, `organization_guard` refuses every match or contact written to it.
    """
    model = ItDocsOrganizationModel(account_id, organization_id)
    since = ItDocsOrganizationModel.deleting_since
    try:
        with translated():
            model.update(actions=[since.set(since | now)],
                         condition=ItDocsOrganizationModel.organization_id.exists())
    except UpdateError as exc:
        if is_condition_failure(exc):
            raise NotFound("No such organization.") from exc
        raise
    return organization_from(model)


def add_organization_delete(tx: Transaction, record: OrganizationRecord, name_key: str) -> None:
    """Delete the organization (only once marked as being deleted) and free its name, in `tx`."""
    model = ItDocsOrganizationModel(record.account_id, record.organization_id)
    tx.delete(model, condition=ItDocsOrganizationModel.deleting_since.exists())
    itdocs_markers.release(tx, name_marker(record.account_id, name_key),
                           owner_id=record.organization_id)
