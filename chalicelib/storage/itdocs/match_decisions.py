"""IT Docs matching storage: one record per (integration, backup customer) and the audit trail.

A record holds the customer as the last sync saw it, its status (Unmatched / Matched / Ignored), the
organization it is matched to, the suggested organization with its score, who decided what and when,
and its latest audit entries (written with it: the screen's recent changes). Every write is
conditional on the record's `version` (a new record on its absence), so a sync and a person editing
the same customer never overwrite each other. Matched records carry `organization_key`
("<account>#<organization>"), a sparse index the organization's SaaS Protection card reads.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
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

RECENT_CHANGES = 20
"""Changes each record keeps of its own (newest first): the screen's recent changes are the
newest of all, so no integration's latest twenty is ever missing one."""


# --------------------------------------------------------------------------------------------------
# Models


class CustomerMatchByOrganization(GlobalSecondaryIndex):  # type: ignore[type-arg]
    class Meta:
        index_name = "by_organization"
        projection = KeysOnlyProjection()

    organization_key = UnicodeAttribute(hash_key=True)
    integration_id = UnicodeAttribute(range_key=True)


class RecentChangeMap(MapAttribute):  # type: ignore[type-arg]
    """One of a record's latest changes, as its audit entry (less what the record names), under
    short names: each record keeps up to twenty, and the screen's Query reads them all."""

    entry_key = UnicodeAttribute(attr_name="k")
    customer_name = UnicodeAttribute(attr_name="n")
    action = UnicodeAttribute(attr_name="a")
    actor = UnicodeAttribute(attr_name="by")
    organization_id = UnicodeAttribute(null=True, attr_name="o")
    organization_name = UnicodeAttribute(null=True, attr_name="on")
    previous_organization_id = UnicodeAttribute(null=True, attr_name="po")
    at = UTCDateTimeAttribute(attr_name="t")


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
    recent = ListAttribute(of=RecentChangeMap, null=True)  # type: ignore[var-annotated]
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
    recent: tuple[AuditEntry, ...] | None = ()
    """The record's latest audit entries, newest first, at most RECENT_CHANGES (written with
    each change); None for a record stored before records kept them."""


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


_MATCH_FIELDS = [name for name in CustomerMatch.__dataclass_fields__ if name != "recent"]
_RECENT_FIELDS = [name for name in RecentChangeMap.get_attributes()]
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
    values["recent"] = None if m.recent is None else tuple(_recent_entry(m, c) for c in m.recent)
    return CustomerMatch(**values)


def _recent_entry(m: CustomerMatchModel, change: RecentChangeMap) -> AuditEntry:
    """A kept change as the audit entry it was written with."""
    named = {name: getattr(change, name) for name in _RECENT_FIELDS}
    return AuditEntry(integration_id=m.integration_id, account_id=m.account_id,
                      customer_id=m.customer_id, **named)


def recent_map(entry: AuditEntry) -> RecentChangeMap:
    return RecentChangeMap(**{name: getattr(entry, name) for name in _RECENT_FIELDS})


def with_change(record: CustomerMatch, entry: AuditEntry) -> CustomerMatch:
    """The record keeping `entry` among its latest changes: the newest in the audit trail's key
    order (time, then a random tail), up to the limit (once, however often it is given). A
    record stored before records kept them stays so until the sync fills them (`kept_changes`)."""
    if record.recent is None:
        return record
    older = [e for e in record.recent if e.entry_key != entry.entry_key]
    ordered = sorted((entry, *older), key=newest_first)
    kept = tuple(ordered[:RECENT_CHANGES])
    return dataclasses.replace(record, recent=kept)


def recent_changes(records: list[CustomerMatch], limit: int) -> list[AuditEntry] | None:
    """The newest `limit` changes the records keep, newest first; None when a record was
    stored before records kept them (its changes are only in the audit trail)."""
    if any(r.recent is None for r in records):
        return None
    return sorted((e for r in records for e in r.recent or ()), key=newest_first)[:limit]


def newest_first(entry: AuditEntry) -> tuple[int, ...]:
    """Sorts entries in descending key order, as a Query of the audit trail reads them."""
    return tuple(-byte for byte in entry.entry_key.encode())


def _match_model(record: CustomerMatch) -> CustomerMatchModel:
    values = {name: getattr(record, name) for name in _MATCH_FIELDS}
    listed = record.status == MATCHED and record.organization_id and record.absent_since is None
    key = organization_key(record.account_id, record.organization_id or "")
    values["organization_key"] = key if listed else None
    values["recent"] = None if record.recent is None else [recent_map(e) for e in record.recent]
    return CustomerMatchModel(**values)


def audit_from(m: MatchingAuditModel) -> AuditEntry:
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
        return [audit_from(m) for m in found]


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
    """Add the changed record (keeping the entry among its recent changes) and its audit entry
    to `tx` (two items, in that order)."""
    record = with_change(decision.record, decision.entry)
    tx.save(_match_model(record), condition=_write_condition(record))
    tx.save(_audit_model(decision.entry), condition=MatchingAuditModel.entry_key.does_not_exist())


def add_audit_entries(entries: Iterable[AuditEntry]) -> None:
    """Append audit entries (unique keys) in batches."""
    with translated(), MatchingAuditModel.batch_write() as batch:
        for entry in entries:
            batch.save(_audit_model(entry))
