"""One sync's matching decisions, as a pure function: what each customer's record should become.

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

`reconcile` returns only the standings that changed (a second reconcile with nothing new returns
none), each with the audit action it calls for: automatic acceptances and un-matches caused by a
deleted organization are audited as "sync"; exact matches are recorded on the standing itself
(`matched_by="exact"`). Writing them, and what to do when a person changed a record meanwhile, is
the caller's business; `tally` counts what the sync's matching left once they are written.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from chalicelib.matching.exact import match_exactly
from chalicelib.matching.suggestions import CustomerSuggestions, suggest_matches

UNMATCHED = "Unmatched"
MATCHED = "Matched"
IGNORED = "Ignored"
STATUSES = (UNMATCHED, MATCHED, IGNORED)

SYNC_ACTOR = "sync"
ACCEPTED_AUTOMATICALLY = "Suggested match accepted automatically"
ORGANIZATION_GONE = "Unmatched: the organization no longer exists"


@dataclass(frozen=True)
class SyncedCustomer:
    """A backup customer as the REST API returned it (only customers linked to an organization)."""

    customer_id: str
    name: str
    domain: str
    product: str


@dataclass(frozen=True)
class Standing:
    """Where one backup customer stands: its details as received, its status and who decided it."""

    customer_id: str
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


@dataclass(frozen=True)
class Change:
    """A standing to write, and the action of the audit entry it calls for (None: no entry)."""

    standing: Standing
    audit_action: str | None


class Decided(Protocol):
    """What `tally` reads of a customer's record."""

    @property
    def customer_id(self) -> str: ...

    @property
    def status(self) -> str: ...

    @property
    def organization_id(self) -> str | None: ...


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
    customers: Sequence[SyncedCustomer],
    organizations: Mapping[str, str],
    standings: Mapping[str, Standing],
    *,
    accept_automatically: bool,
    now: dt.datetime,
) -> dict[str, Change]:
    """The standings that change (customer id -> change) when `customers` meet `organizations`."""
    received = {c.customer_id: c for c in customers}
    desired = _decided(received, organizations, standings, accept_automatically, now)
    for customer_id, before in standings.items():
        if customer_id not in received and before.absent_since is None:
            desired[customer_id] = dataclasses.replace(before, absent_since=now)
    return {
        customer_id: Change(standing, audit_action(standings.get(customer_id), standing))
        for customer_id, standing in desired.items()
        if standing != standings.get(customer_id)
    }


def tally(
    current: Sequence[Decided], before: Mapping[str, Decided], *, writes: int
) -> ReconcileOutcome:
    """The counts of the received customers' records as they now stand (`before`: as read)."""
    organizations = {r.customer_id: r.organization_id for r in current if r.status == MATCHED}
    matches = {cid: oid for cid, oid in organizations.items() if oid}
    newly = sum(1 for cid in matches if cid not in before or before[cid].status != MATCHED)
    return ReconcileOutcome(
        matches=matches,
        matched=len(matches),
        unmatched=sum(1 for r in current if r.status == UNMATCHED),
        ignored=sum(1 for r in current if r.status == IGNORED),
        newly_matched=newly,
        writes=writes,
    )


def audit_action(before: Standing | None, after: Standing) -> str | None:
    """The sync's audit entry for a change: an automatic acceptance or a deleted organization."""
    was_matched = before is not None and before.status == MATCHED
    if after.status == MATCHED and after.matched_by == "suggestion" and not was_matched:
        return ACCEPTED_AUTOMATICALLY
    if was_matched and after.status == UNMATCHED:
        return ORGANIZATION_GONE
    return None


def _decided(
    received: dict[str, SyncedCustomer],
    names: Mapping[str, str],
    standings: Mapping[str, Standing],
    accept_automatically: bool,
    now: dt.datetime,
) -> dict[str, Standing]:
    """Each received customer's standing: kept, matched exactly, or reviewed with a suggestion."""
    to_decide = [cid for cid in received if not _decision_stands(standings.get(cid), names)]
    exact = match_exactly(
        {cid: received[cid].name for cid in to_decide if not _held(standings.get(cid))}, names
    )
    review = {cid: received[cid].name for cid in to_decide if cid not in exact.matched}
    suggestions = suggest_matches(review, names) if review else {}
    desired: dict[str, Standing] = {}
    for customer_id, customer in received.items():
        standing = _refreshed(standings.get(customer_id), customer)
        if customer_id in exact.matched:
            standing = _matched(standing, exact.matched[customer_id], "exact", now)
        elif customer_id in review:
            found = suggestions.get(customer_id)
            standing = _reviewed(standing, found, accept_automatically, now)
        desired[customer_id] = standing
    return desired


def _held(standing: Standing | None) -> bool:
    return standing is not None and standing.held


def _decision_stands(standing: Standing | None, names: Mapping[str, str]) -> bool:
    """Ignored stays Ignored; Matched stays Matched while its organization exists."""
    if standing is None:
        return False
    if standing.status == IGNORED:
        return True
    return standing.status == MATCHED and standing.organization_id in names


def _refreshed(before: Standing | None, customer: SyncedCustomer) -> Standing:
    """The standing with the customer's details as received (a new Unmatched one if none)."""
    if before is None:
        return Standing(
            customer_id=customer.customer_id,
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
        )
    return dataclasses.replace(
        before,
        customer_name=customer.name,
        domain=customer.domain,
        product=customer.product,
        absent_since=None,
    )


def _matched(standing: Standing, organization_id: str, how: str, now: dt.datetime) -> Standing:
    return dataclasses.replace(
        standing,
        status=MATCHED,
        organization_id=organization_id,
        matched_by=how,
        decided_by=SYNC_ACTOR,
        decided_at=now,
        held=False,
    )


def _reviewed(
    standing: Standing,
    found: CustomerSuggestions | None,
    accept_automatically: bool,
    now: dt.datetime,
) -> Standing:
    """Unmatched with the current suggestion, or matched to it when it may be accepted."""
    suggested = found.suggested if found else None
    standing = dataclasses.replace(
        standing,
        suggested_organization_id=suggested.organization_id if suggested else None,
        suggested_organization_name=suggested.name if suggested else None,
        suggested_score=suggested.score if suggested else None,
    )
    acceptable = found is not None and found.auto_acceptable
    if suggested is not None and acceptable and accept_automatically and not standing.held:
        return _matched(standing, suggested.organization_id, "suggestion", now)
    if standing.status == MATCHED:  # its organization was deleted
        return dataclasses.replace(
            standing,
            status=UNMATCHED,
            organization_id=None,
            matched_by=None,
            decided_by=SYNC_ACTOR,
            decided_at=now,
        )
    return standing
