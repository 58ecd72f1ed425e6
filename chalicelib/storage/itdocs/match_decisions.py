"""IT Docs matching storage: one record per (integration, backup customer) and the audit trail.

A record holds the customer as the last sync saw it, its status (Unmatched / Matched / Ignored),
the organization it is matched to, the suggested organization with its score, and who decided
what and when. Every write is conditional on the record's `version` (a new record on its absence),
so a sync and a person editing the same customer never overwrite each other. Matched records carry
`organization_key` ("<account>#<organization>"), a sparse index the organization's SaaS
Protection card reads.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from pynamodb.attributes import (
    BooleanAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from chalicelib.errors import NotFound
from chalicelib.storage.base import translated
from chalicelib.storage.itdocs.organization_items import add_matched, matched_key
from chalicelib.storage.together import MAX_ITEMS, Wanted, read_together
from chalicelib.storage.transactions import Transaction, write_transaction

UNMATCHED = "Unmatched"
MATCHED = "Matched"
IGNORED = "Ignored"
STATUSES = (UNMATCHED, MATCHED, IGNORED)

TRANSACTION_ITEMS = 100
"""DynamoDB's limit of items in one transaction: reconcile writes changed records in such chunks."""


# --------------------------------------------------------------------------------------------------
# Models


class CustomerMatchByOrganization(GlobalSecondaryIndex):  # type: ignore[type-arg]
    class Meta:
        index_name = "by_organization"
        projection = KeysOnlyProjection()

    organization_key = UnicodeAttribute(hash_key=True)
    integration_id = UnicodeAttribute(range_key=True)


class CustomerMatchModel(Model):
    class Meta:
        logical_name = "itdocs_customer_matches"
        table_name = "itdocs_customer_matches"

    integration_id = UnicodeAttribute(hash_key=True)
    customer_id = UnicodeAttribute(range_key=True)
    account_id = UnicodeAttribute()
    customer_name = UnicodeAttribute()
    domain = UnicodeAttribute(default="")
    product = UnicodeAttribute(default="")
    status = UnicodeAttribute()
    organization_id = UnicodeAttribute(null=True)
    organization_key = UnicodeAttribute(null=True)
    matched_by = UnicodeAttribute(null=True)
    suggested_organization_id = UnicodeAttribute(null=True)
    suggested_organization_name = UnicodeAttribute(null=True)
    suggested_score = NumberAttribute(null=True)
    decided_by = UnicodeAttribute(null=True)
    decided_at = UTCDateTimeAttribute(null=True)
    held = BooleanAttribute(default=False)
    absent_since = UTCDateTimeAttribute(null=True)
    updated_at = UTCDateTimeAttribute()
    version = NumberAttribute()
    by_organization = CustomerMatchByOrganization()


class MatchingAuditModel(Model):
    """Who changed which customer's match, how and when; newest last in key order."""

    class Meta:
        logical_name = "itdocs_matching_audit"
        table_name = "itdocs_matching_audit"

    integration_id = UnicodeAttribute(hash_key=True)
    entry_key = UnicodeAttribute(range_key=True)  # ISO time + "#" + random, unique and ordered
    account_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    customer_name = UnicodeAttribute()
    action = UnicodeAttribute()
    actor = UnicodeAttribute()
    organization_id = UnicodeAttribute(null=True)
    organization_name = UnicodeAttribute(null=True)
    previous_organization_id = UnicodeAttribute(null=True)
    at = UTCDateTimeAttribute()


# --------------------------------------------------------------------------------------------------
# Plain records


@dataclass(frozen=True)
class CustomerMatch:
    """One backup customer of one integration and what it is matched to."""

    integration_id: str
    customer_id: str
    account_id: str
    customer_name: str
    domain: str
    product: str
    status: str
    organization_id: str | None
    matched_by: str | None
    """"exact", "suggestion" (accepted automatically) or "person"; None unless Matched."""
    suggested_organization_id: str | None
    suggested_organization_name: str | None
    suggested_score: int | None
    decided_by: str | None
    decided_at: dt.datetime | None
    held: bool
    """Unmatched by a person: syncs leave it Unmatched (they still refresh the suggestion)."""
    absent_since: dt.datetime | None
    """Set when a sync no longer received the customer; hidden and not counted while set."""
    updated_at: dt.datetime
    version: int
    """1 for a new record; each write stores the next version and expects the one before."""


@dataclass(frozen=True)
class AuditEntry:
    """One matching change: who did what to which customer, and when."""

    integration_id: str
    entry_key: str
    account_id: str
    customer_id: str
    customer_name: str
    action: str
    actor: str
    organization_id: str | None
    organization_name: str | None
    previous_organization_id: str | None
    at: dt.datetime


_MATCH_FIELDS = [name for name in CustomerMatch.__dataclass_fields__]
_AUDIT_FIELDS = [name for name in AuditEntry.__dataclass_fields__]


def organization_key(account_id: str, organization_id: str) -> str:
    """The index key of an organization's matched customers."""
    return f"{account_id}#{organization_id}"


def match_from(m: CustomerMatchModel) -> CustomerMatch:
    """The plain record of a stored item."""
    values = {name: getattr(m, name) for name in _MATCH_FIELDS}
    values["version"] = int(m.version)
    values["held"] = bool(m.held)
    values["domain"] = m.domain or ""
    values["product"] = m.product or ""
    if m.suggested_score is not None:
        values["suggested_score"] = int(m.suggested_score)
    return CustomerMatch(**values)


def _match_model(record: CustomerMatch) -> CustomerMatchModel:
    values = {name: getattr(record, name) for name in _MATCH_FIELDS}
    listed = record.status == MATCHED and record.organization_id and record.absent_since is None
    values["organization_key"] = (
        organization_key(record.account_id, record.organization_id)  # type: ignore[arg-type]
        if listed
        else None
    )
    return CustomerMatchModel(**values)


def _audit(m: MatchingAuditModel) -> AuditEntry:
    return AuditEntry(**{name: getattr(m, name) for name in _AUDIT_FIELDS})


def _audit_model(entry: AuditEntry) -> MatchingAuditModel:
    return MatchingAuditModel(**{name: getattr(entry, name) for name in _AUDIT_FIELDS})


def _write_condition(record: CustomerMatch):  # type: ignore[no-untyped-def]
    """A new record must not exist yet; a changed one must still have the version read."""
    if record.version == 1:
        return CustomerMatchModel.customer_id.does_not_exist()
    return CustomerMatchModel.version == record.version - 1


# --------------------------------------------------------------------------------------------------
# Reading


def matches_of_integration(integration_id: str) -> list[CustomerMatch]:
    """Every customer record of an integration (one Query, paged), absent ones included."""
    with translated():
        return [match_from(m) for m in CustomerMatchModel.query(integration_id)]


def get_match(integration_id: str, customer_id: str) -> CustomerMatch:
    try:
        with translated():
            return match_from(CustomerMatchModel.get(integration_id, customer_id))
    except CustomerMatchModel.DoesNotExist as exc:
        raise NotFound("No such customer in this integration.") from exc


def matches_by_id(integration_id: str, customer_ids: list[str]) -> dict[str, CustomerMatch]:
    """The integration's records of these customers, by id (those that exist), read with one
    BatchGetItem per hundred."""
    wanted = [Wanted(CustomerMatchModel, integration_id, c) for c in dict.fromkeys(customer_ids)]
    found: dict[str, CustomerMatch] = {}
    for start in range(0, len(wanted), MAX_ITEMS):
        for item in read_together(wanted[start:start + MAX_ITEMS]):
            if item is not None:
                record = match_from(item)  # type: ignore[arg-type]
                found[record.customer_id] = record
    return found


def customers_of_organization(account_id: str, organization_id: str) -> list[tuple[str, str]]:
    """(integration id, customer id) of the customers matched to an organization (the index)."""
    key = organization_key(account_id, organization_id)
    with translated():
        found = CustomerMatchModel.by_organization.query(key)
        return sorted((m.integration_id, m.customer_id) for m in found)


def matched_to_organization(integration_id: str, organization_id: str) -> list[CustomerMatch]:
    """The integration's customers matched to the organization, by a strongly consistent Query
    of the integration's records (the index could still miss a match written a moment ago)."""
    with translated():
        found = CustomerMatchModel.query(
            integration_id, consistent_read=True,
            filter_condition=CustomerMatchModel.organization_id == organization_id)
        return [match_from(m) for m in found if m.status == MATCHED]


def audit_trail(integration_id: str, limit: int = 50) -> list[AuditEntry]:
    """The integration's latest matching changes, newest first."""
    with translated():
        found = MatchingAuditModel.query(integration_id, scan_index_forward=False, limit=limit)
        return [_audit(m) for m in found]


# --------------------------------------------------------------------------------------------------
# Writing


def write_reconciled(records: Iterable[CustomerMatch]) -> list[str]:
    """Write a sync's changed records in transactions of up to 100 items, each conditional on the
    version it read, with each Matched record listed on its organization (`add_matched`, which
    also checks the organization still exists). Returns the customer ids that lost to a
    concurrent change or to their organization's deletion (left as they are).

    A chunk cancelled by a condition is retried record by record, so one customer a person is
    editing at that moment costs a few extra calls and never loses the others' writes.
    """
    lost: list[str] = []
    for chunk in _chunks(list(records)):
        if write_transaction(functools.partial(_add_reconciled, records=chunk)):
            lost.extend(_write_one_by_one(chunk))
    return lost


def _listed_on(record: CustomerMatch) -> str | None:
    """The organization a written record must be listed on (None: not Matched)."""
    return record.organization_id if record.status == MATCHED else None


def _chunks(records: list[CustomerMatch]) -> list[list[CustomerMatch]]:
    """Records in runs whose items (each record, and each organization listed once) fit one
    transaction."""
    chunks: list[list[CustomerMatch]] = []
    organizations: set[str] = set()
    for record in records:
        listed = _listed_on(record)
        grows = 2 if listed and listed not in organizations else 1
        if not chunks or len(chunks[-1]) + len(organizations) + grows > TRANSACTION_ITEMS:
            chunks.append([])
            organizations = set()
        chunks[-1].append(record)
        organizations |= {listed} if listed else set()
    return chunks


def _add_reconciled(tx: Transaction, records: list[CustomerMatch]) -> None:
    """The records, then one list update per organization they are matched to."""
    listed: dict[tuple[str, str], set[str]] = {}
    for record in records:
        tx.save(_match_model(record), condition=_write_condition(record))
        organization_id = _listed_on(record)
        if organization_id:
            listed.setdefault((record.account_id, organization_id), set()).add(
                matched_key(record.integration_id, record.customer_id))
    for (account_id, organization_id), keys in listed.items():
        add_matched(tx, account_id, organization_id, keys)


def _write_one_by_one(records: list[CustomerMatch]) -> list[str]:
    """Each record in its own transaction; the customer ids whose write failed its condition."""
    return [r.customer_id for r in records
            if write_transaction(functools.partial(_add_reconciled, records=[r]))]


@dataclass(frozen=True)
class Decision:
    """A person's change to a customer's record (conditional on the version before) and its
    audit entry, written together."""

    record: CustomerMatch
    entry: AuditEntry


DecisionFor = Callable[[str, str], Decision]
"""The decision to write for a new organization, given its id and name."""


def add_decision(tx: Transaction, decision: Decision) -> None:
    """Add the changed record and its audit entry to `tx` (two items, in that order)."""
    tx.save(_match_model(decision.record), condition=_write_condition(decision.record))
    tx.save(_audit_model(decision.entry), condition=MatchingAuditModel.entry_key.does_not_exist())


def add_audit_entries(entries: Iterable[AuditEntry]) -> None:
    """Append audit entries (unique keys) in batches."""
    with translated(), MatchingAuditModel.batch_write() as batch:
        for entry in entries:
            batch.save(_audit_model(entry))
