"""One sync's matching: bring each customer's record up to date and say which are matched.

For every customer the sync received:

- an **Ignored** customer stays Ignored, and a **Matched** one stays matched to its organization
  (a person's or an earlier sync's decision is kept) while that organization exists;
- any other (new, Unmatched, or matched to an organization since deleted) is matched when its
  organizationName is exactly one organization's name (`exact.py`; never for a customer a person
  unmatched), else left **Unmatched** with the best suggestion and its score; an integration set to
  "Accept All Automatically" accepts a suggestion at or above the threshold that no other
  organization ties, while "Leave for Review" never accepts one;
- customers no longer received are marked absent (hidden, not counted) rather than deleted, so an
  Ignored or matched customer that comes back keeps its decision.

Only records that changed are written (a second reconcile with nothing new writes nothing), each
conditional on the version read: a person's change made during the sync wins and is reported as
it stands. Automatic acceptances and un-matches caused by a deleted organization are audited as
"sync"; exact matches are recorded on the record itself (`matched_by="exact"`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from chalicelib import logs
from chalicelib.matching.exact import match_exactly
from chalicelib.matching.suggestions import CustomerSuggestions, suggest_matches
from chalicelib.runtime import Runtime
from chalicelib.storage import itdocs_matching as store
from chalicelib.storage.itdocs_matching import (
    IGNORED,
    MATCHED,
    UNMATCHED,
    AuditEntry,
    CustomerMatch,
)

SYNC_ACTOR = "sync"


@dataclass(frozen=True)
class SyncedCustomer:
    """A backup customer as the REST API returned it (only customers linked to an organization)."""

    customer_id: str
    name: str
    domain: str
    product: str


class NamedOrganization(Protocol):
    """What reconcile needs of an IT Docs organization."""

    @property
    def organization_id(self) -> str: ...

    @property
    def name(self) -> str: ...


@dataclass(frozen=True)
class ReconcileOutcome:
    """What one sync's matching left: matched customers and the counts the sync log shows."""

    matches: dict[str, str]
    """customer id -> organization id, for every matched customer received."""
    matched: int
    unmatched: int
    ignored: int
    newly_matched: int
    writes: int


def reconcile(
    rt: Runtime,
    *,
    account_id: str,
    integration_id: str,
    customers: list[SyncedCustomer],
    organizations: Sequence[NamedOrganization],
    accept_automatically: bool,
    now: dt.datetime,
) -> ReconcileOutcome:
    """Match the customers a sync received against the account's organizations; write changes."""
    existing = {r.customer_id: r for r in store.matches_of_integration(integration_id)}
    names = {o.organization_id: o.name for o in organizations}
    received = {c.customer_id: c for c in customers}
    to_decide = {
        customer_id: customer
        for customer_id, customer in received.items()
        if not _decision_stands(existing.get(customer_id), names)
    }
    exact = match_exactly(
        {cid: c.name for cid, c in to_decide.items() if not _held(existing.get(cid))}, names
    )
    review = {cid: c.name for cid, c in to_decide.items() if cid not in exact.matched}
    suggestions = suggest_matches(review, names) if review else {}

    desired: dict[str, CustomerMatch] = {}
    for customer_id, customer in received.items():
        before = existing.get(customer_id)
        record = _refreshed(before, customer, account_id, integration_id, now)
        if customer_id in exact.matched:
            record = _matched(record, exact.matched[customer_id], "exact", now)
        elif customer_id in to_decide:
            record = _reviewed(record, suggestions.get(customer_id), accept_automatically, now)
        desired[customer_id] = record
    for customer_id, before in existing.items():
        if customer_id not in received and before.absent_since is None:
            desired[customer_id] = dataclasses.replace(before, absent_since=now)

    changed = [
        _next_version(record, existing.get(cid), now)
        for cid, record in desired.items()
        if _differs(record, existing.get(cid))
    ]
    lost = set(store.write_reconciled(changed))
    final = {r.customer_id: r for r in changed if r.customer_id not in lost}
    for customer_id in lost:
        final[customer_id] = store.get_match(integration_id, customer_id)
    store.add_audit_entries(
        _audit_entries(rt, existing, [final[cid] for cid in final if cid not in lost], names, now)
    )
    current = [final.get(cid, existing.get(cid)) for cid in received]
    outcome = _outcome(
        [r for r in current if r is not None], existing, writes=len(changed) - len(lost)
    )
    logs.event(
        "matching_reconciled",
        integration_id=integration_id,
        matched=outcome.matched,
        unmatched=outcome.unmatched,
        ignored=outcome.ignored,
        newly_matched=outcome.newly_matched,
        writes=outcome.writes,
        lost_to_concurrent_changes=len(lost),
    )
    return outcome


def _held(record: CustomerMatch | None) -> bool:
    return record is not None and record.held


def _decision_stands(record: CustomerMatch | None, names: dict[str, str]) -> bool:
    """Ignored stays Ignored; Matched stays Matched while its organization exists."""
    if record is None:
        return False
    if record.status == IGNORED:
        return True
    return record.status == MATCHED and record.organization_id in names


def _refreshed(
    before: CustomerMatch | None,
    customer: SyncedCustomer,
    account_id: str,
    integration_id: str,
    now: dt.datetime,
) -> CustomerMatch:
    """The record with the customer's details as received (a new Unmatched one if none)."""
    if before is None:
        return CustomerMatch(
            integration_id=integration_id,
            customer_id=customer.customer_id,
            account_id=account_id,
            customer_name=customer.name,
            domain=customer.domain,
            product=customer.product,
            status=UNMATCHED,
            organization_id=None,
            matched_by=None,
            suggested_organization_id=None,
            suggested_organization_name=None,
            suggested_score=None,
            decided_by=None,
            decided_at=None,
            held=False,
            absent_since=None,
            updated_at=now,
            version=0,
        )
    return dataclasses.replace(
        before,
        customer_name=customer.name,
        domain=customer.domain,
        product=customer.product,
        absent_since=None,
    )


def _matched(
    record: CustomerMatch, organization_id: str, how: str, now: dt.datetime
) -> CustomerMatch:
    return dataclasses.replace(
        record,
        status=MATCHED,
        organization_id=organization_id,
        matched_by=how,
        decided_by=SYNC_ACTOR,
        decided_at=now,
        held=False,
    )


def _reviewed(
    record: CustomerMatch,
    found: CustomerSuggestions | None,
    accept_automatically: bool,
    now: dt.datetime,
) -> CustomerMatch:
    """Unmatched with the current suggestion, or matched to it when it may be accepted."""
    suggested = found.suggested if found else None
    record = dataclasses.replace(
        record,
        suggested_organization_id=suggested.organization_id if suggested else None,
        suggested_organization_name=suggested.name if suggested else None,
        suggested_score=suggested.score if suggested else None,
    )
    if (
        suggested is not None
        and found is not None
        and found.auto_acceptable
        and accept_automatically
        and not record.held
    ):
        return _matched(record, suggested.organization_id, "suggestion", now)
    if record.status == MATCHED:  # its organization was deleted
        return dataclasses.replace(
            record,
            status=UNMATCHED,
            organization_id=None,
            matched_by=None,
            decided_by=SYNC_ACTOR,
            decided_at=now,
        )
    return record


_COMPARED = [f for f in CustomerMatch.__dataclass_fields__ if f not in {"updated_at", "version"}]


def _differs(record: CustomerMatch, before: CustomerMatch | None) -> bool:
    if before is None:
        return True
    return any(getattr(record, f) != getattr(before, f) for f in _COMPARED)


def _next_version(
    record: CustomerMatch, before: CustomerMatch | None, now: dt.datetime
) -> CustomerMatch:
    version = 1 if before is None else before.version + 1
    return dataclasses.replace(record, updated_at=now, version=version)


def _audit_entries(
    rt: Runtime,
    existing: dict[str, CustomerMatch],
    written: list[CustomerMatch],
    names: dict[str, str],
    now: dt.datetime,
) -> list[AuditEntry]:
    """Entries for suggestions the sync accepted and matches a deleted organization undid."""
    entries = []
    for record in written:
        before = existing.get(record.customer_id)
        was_matched = before is not None and before.status == MATCHED
        if record.status == MATCHED and record.matched_by == "suggestion" and not was_matched:
            action = "Suggested match accepted automatically"
        elif was_matched and record.status == UNMATCHED:
            action = "Unmatched: the organization no longer exists"
        else:
            continue
        entries.append(
            AuditEntry(
                integration_id=record.integration_id,
                entry_key=f"{now.isoformat()}#{rt.random.hex(6)}",
                account_id=record.account_id,
                customer_id=record.customer_id,
                customer_name=record.customer_name,
                action=action,
                actor=SYNC_ACTOR,
                organization_id=record.organization_id,
                organization_name=names.get(record.organization_id or ""),
                previous_organization_id=before.organization_id if before else None,
                at=now,
            )
        )
    return entries


def _outcome(
    current: list[CustomerMatch], existing: dict[str, CustomerMatch], *, writes: int
) -> ReconcileOutcome:
    matches = {
        r.customer_id: r.organization_id
        for r in current
        if r.status == MATCHED and r.organization_id
    }
    newly = sum(
        1 for cid in matches if existing.get(cid) is None or existing[cid].status != MATCHED
    )
    return ReconcileOutcome(
        matches=matches,  # type: ignore[arg-type]
        matched=len(matches),
        unmatched=sum(1 for r in current if r.status == UNMATCHED),
        ignored=sum(1 for r in current if r.status == IGNORED),
        newly_matched=newly,
        writes=writes,
    )
