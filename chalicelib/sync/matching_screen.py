"""The matching screen's state: each backup customer's row and the counts, and the card's index.

`screen` gives the matching screen one tab's rows, filtered by its search box, with every tab's
count, the organizations' names and the recent changes; `customers_for_organization` is what the
SaaS Protection card asks (one index Query). Customers the last sync no longer received are left
out of both. Each acts for an IT Docs user and first requires what they may see.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chalicelib.errors import NotFound
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
TRAIL_LENGTH = 20


@dataclass(frozen=True)
class MatchingScreen:
    """One tab of an integration's matching screen."""

    tab: str
    query: str
    rows: list[CustomerMatch]
    counts: dict[str, int]
    """status -> customers in it (whatever the search box holds)."""
    organization_names: dict[str, str] = field(default_factory=dict)
    """organization id -> name, for the account's organizations."""
    trail: list[AuditEntry] = field(default_factory=list)
    """The integration's most recent matching changes, newest first."""


def require_access(rt: Runtime, user: ActingUser, integration_id: str, *,
                   to_change: bool = False) -> None:
    """Forbidden unless the user may see (and, `to_change`, change) matches; NotFound unless the
    integration is their account's. Pages ask before reading a form, so that is refused first."""
    user.require(VIEW_INTEGRATIONS)
    if to_change:
        user.require(MANAGE_MATCHING)
    integrations.of_account(user.account_id, integration_id)


def screen(rt: Runtime, user: ActingUser, integration_id: str, *, tab: str,
           query: str = "") -> MatchingScreen:
    """A tab's rows (customer name order) matching the search box, and the count of each tab."""
    require_access(rt, user, integration_id)
    names = {o.organization_id: o.name for o in user.organizations()}
    status = TABS.get(tab, UNMATCHED)
    tab = next(name for name, value in TABS.items() if value == status)
    records = current_records(integration_id)
    wanted = " ".join(query.split()).casefold()
    rows = [
        r for r in records if r.status == status and (not wanted or _mentions(r, wanted, names))
    ]
    rows.sort(key=lambda r: (r.customer_name.casefold(), r.customer_id))
    return MatchingScreen(tab=tab, query=query.strip(), rows=rows, counts=counts(records),
                          organization_names=names,
                          trail=store.audit_trail(integration_id, limit=TRAIL_LENGTH))


def customer(rt: Runtime, user: ActingUser, integration_id: str,
             customer_id: str) -> CustomerMatch:
    """One customer of the integration, as the last sync received it (NotFound otherwise)."""
    user.require(VIEW_INTEGRATIONS)
    return stored_customer(user.account_id, integration_id, customer_id)


def customer_name(rt: Runtime, user: ActingUser, integration_id: str, customer_id: str) -> str:
    """The name of the customer a notice is about ("" when unknown or not the user's)."""
    if not customer_id:
        return ""
    try:
        return customer(rt, user, integration_id, customer_id).customer_name
    except NotFound:
        return ""


def customers_for_organization(
    rt: Runtime, user: ActingUser, organization_id: str
) -> list[tuple[str, str]]:
    """(integration id, customer id) of every customer matched to the organization, via an index."""
    user.require(VIEW_ORGANIZATIONS)
    return store.customers_of_organization(user.account_id, organization_id)


def stored_customer(account_id: str, integration_id: str, customer_id: str) -> CustomerMatch:
    """The customer's record when it is the account's and the last sync received it."""
    record = store.get_match(integration_id, customer_id)
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
