"""The matching screen's state: each backup customer's row and the counts, and the card's index.

`screen` gives the matching screen one tab's rows, filtered by its search box, with every tab's
count, the organizations' names and the recent changes (kept on the records themselves, so the
screen reads the integration's records and, for the Matched tab, the organizations' names);
`customers_for_organization` is what the SaaS Protection card asks (one index Query). Customers
the last sync no longer received are left out of both. Each acts for an IT Docs user and first
requires what they may see.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chalicelib.errors import NotFound
from chalicelib.matching.suggestions import Candidate, search
from chalicelib.runtime import Runtime
from chalicelib.storage.itdocs import match_decisions as store
from chalicelib.storage.itdocs.match_decisions import (
    IGNORED,
    MATCHED,
    STATUSES,
    UNMATCHED,
    AuditEntry,
    CustomerMatch,
)
from chalicelib.sync import integrations
from chalicelib.sync.acting import (
    MANAGE_MATCHING,
    VIEW_INTEGRATIONS,
    VIEW_ORGANIZATIONS,
    ActingUser,
)

TABS = {"unmatched": UNMATCHED, "matched": MATCHED, "ignored": IGNORED}
TRAIL_LENGTH = store.RECENT_CHANGES


@dataclass(frozen=True)
class MatchingScreen:
    """One tab of an integration's matching screen."""

    tab: str
    query: str
    rows: list[CustomerMatch]
    counts: dict[str, int]
    """status -> customers in it (whatever the search box holds)."""
    organization_names: dict[str, str] = field(default_factory=dict)
    """organization id -> name, for the account's organizations (read only for a tab whose
    rows are matched to some)."""
    trail: list[AuditEntry] = field(default_factory=list)
    """The integration's most recent matching changes, newest first."""
    customer_names: dict[str, str] = field(default_factory=dict)
    """customer id -> name, for every customer the last sync received (for notices)."""

    def customer_name(self, customer_id: str) -> str:
        """The name of a customer of the integration ("" when it has none)."""
        return self.customer_names.get(customer_id, "")


def require_access(rt: Runtime, user: ActingUser, integration_id: str, *,
                   to_change: bool = False) -> None:
    """Forbidden unless the user may see (and, `to_change`, change) matches; NotFound unless the
    integration is their account's. Pages ask before reading a form, so that is refused first."""
    user.require(VIEW_INTEGRATIONS)
    if to_change:
        user.require(MANAGE_MATCHING)
    integrations.reached(user, integration_id)


def screen(rt: Runtime, user: ActingUser, integration_id: str, *, tab: str,
           query: str = "") -> MatchingScreen:
    """A tab's rows (customer name order) matching the search box, and the count of each tab.

    The account's organizations are listed only when a row of the tab is matched to one (the
    Matched tab shows, and searches, their names); the other tabs read none."""
    require_access(rt, user, integration_id)
    status = TABS.get(tab, UNMATCHED)
    tab = next(name for name, value in TABS.items() if value == status)
    stored = store.matches_of_integration(integration_id)
    records = [r for r in stored if r.absent_since is None]
    in_tab = [r for r in records if r.status == status]
    names = _organization_names(user, in_tab)
    wanted = " ".join(query.split()).casefold()
    rows = [r for r in in_tab if not wanted or _mentions(r, wanted, names)]
    rows.sort(key=lambda r: (r.customer_name.casefold(), r.customer_id))
    return MatchingScreen(tab=tab, query=query.strip(), rows=rows, counts=counts(records),
                          organization_names=names, trail=recent_changes(integration_id, stored),
                          customer_names={r.customer_id: r.customer_name for r in records})


def recent_changes(integration_id: str, stored: list[CustomerMatch]) -> list[AuditEntry]:
    """The newest changes, from those the records keep (the Query already read); the audit
    trail is queried only while a record stored before records kept them remains."""
    kept = store.recent_changes(stored, TRAIL_LENGTH)
    if kept is None:
        return store.audit_trail(integration_id, limit=TRAIL_LENGTH)
    return kept


def _organization_names(user: ActingUser, rows: list[CustomerMatch]) -> dict[str, str]:
    """organization id -> name, when some row is matched to an organization (else none read)."""
    if not any(r.organization_id for r in rows):
        return {}
    return {o.organization_id: o.name for o in user.organizations()}


def organization_names(user: ActingUser) -> dict[str, str]:
    """The organizations a customer may be matched to, id -> name."""
    return {o.organization_id: o.name for o in user.organizations()}


def search_organizations(user: ActingUser, query: str) -> list[Candidate]:
    """The "Match To" search: the account's organizations whose names fit what was typed."""
    may_change(user)
    return search(query, organization_names(user))


def match_to_choices(
    user: ActingUser, query: str, current_id: str | None
) -> tuple[list[Candidate], str | None]:
    """The "Match To" search, and the name of the organization the customer is matched to now
    (`current_id`; None when not matched), from one listing of the account's organizations."""
    may_change(user)
    names = organization_names(user)
    current = None
    if current_id:
        current = names.get(current_id) or NOT_LISTED
    return search(query, names), current


NOT_LISTED = "(organization not found)"
"""What a customer is shown matched to when its organization is gone or being deleted."""


def may_change(user: ActingUser) -> None:
    """Forbidden unless the user may see the matching screen and change matches."""
    user.require(VIEW_INTEGRATIONS)
    user.require(MANAGE_MATCHING)


def customer(rt: Runtime, user: ActingUser, integration_id: str, customer_id: str, *,
             fresh: bool = False) -> CustomerMatch:
    """One customer of the integration, as the last sync received it (NotFound otherwise); as
    read with the session unless `fresh` (after a change failed: as it stands now)."""
    user.require(VIEW_INTEGRATIONS)
    if fresh:
        return stored_customer(user.account_id, integration_id, customer_id)
    return reached_customer(user, integration_id, customer_id)


def reached_customer(user: ActingUser, integration_id: str, customer_id: str) -> CustomerMatch:
    """The customer's record as read with the user's session when it was (else read now), when
    it is the account's and the last sync received it."""
    carried = user.customer_read(integration_id, customer_id)
    if carried is None:
        return stored_customer(user.account_id, integration_id, customer_id)
    return _current_for(user.account_id, carried)


def customers_for_organization(
    rt: Runtime, user: ActingUser, organization_id: str
) -> list[tuple[str, str]]:
    """(integration id, customer id) of every customer matched to the organization, via an index."""
    user.require(VIEW_ORGANIZATIONS)
    return store.customers_of_organization(user.account_id, organization_id)


def stored_customer(account_id: str, integration_id: str, customer_id: str) -> CustomerMatch:
    """The customer's record when it is the account's and the last sync received it."""
    return _current_for(account_id, store.get_match(integration_id, customer_id))


def current_customers(user: ActingUser, integration_id: str,
                      customer_ids: list[str]) -> dict[str, CustomerMatch]:
    """Those of the customers that are the account's and the last sync received, by id (as
    read with the session, the rest in one read for up to a hundred)."""
    found = {c: r for c in customer_ids
             if (r := user.customer_read(integration_id, c)) is not None}
    unread = [c for c in customer_ids
              if c not in found and not user.customer_asked(integration_id, c)]
    if unread:
        found |= store.matches_by_id(integration_id, unread)
    return {cid: r for cid, r in found.items()
            if r.account_id == user.account_id and r.absent_since is None}


def _current_for(account_id: str, record: CustomerMatch) -> CustomerMatch:
    if record.account_id != account_id or record.absent_since is not None:
        raise NotFound("No such customer in this integration.")
    return record


def current_records(integration_id: str) -> list[CustomerMatch]:
    """The integration's customers the last sync received."""
    return [r for r in store.matches_of_integration(integration_id) if r.absent_since is None]


def counts(records: list[CustomerMatch]) -> dict[str, int]:
    """Customers per status."""
    tally = dict.fromkeys(STATUSES, 0)
    for record in records:
        tally[record.status] += 1
    return tally


def _mentions(record: CustomerMatch, wanted: str, names: dict[str, str]) -> bool:
    """Whether the search box text is in the customer's name, domain or organization's name."""
    organization = names.get(record.organization_id or "", "")
    parts = (record.customer_name, record.domain, record.suggested_organization_name, organization)
    haystack = " ".join(part for part in parts if part).casefold()
    return wanted in haystack
