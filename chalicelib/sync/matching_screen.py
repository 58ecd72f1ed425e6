"""The matching screen's state: each backup customer's row and the counts, and the card's index.

`customers_for_organization` is what the SaaS Protection card asks (one index Query); `screen`
gives the matching screen one tab's rows, filtered by its search box, with every tab's count.
Customers the last sync no longer received are left out of both.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.runtime import Runtime
from chalicelib.storage.itdocs import match_decisions as store
from chalicelib.storage.itdocs.match_decisions import (
    IGNORED,
    MATCHED,
    STATUSES,
    UNMATCHED,
    CustomerMatch,
)

TABS = {"unmatched": UNMATCHED, "matched": MATCHED, "ignored": IGNORED}


@dataclass(frozen=True)
class MatchingScreen:
    """One tab of an integration's matching screen."""

    tab: str
    query: str
    rows: list[CustomerMatch]
    counts: dict[str, int]
    """status -> customers in it (whatever the search box holds)."""


def customers_for_organization(
    rt: Runtime, account_id: str, organization_id: str
) -> list[tuple[str, str]]:
    """(integration id, customer id) of every customer matched to the organization, via an index."""
    return store.customers_of_organization(account_id, organization_id)


def current_records(integration_id: str) -> list[CustomerMatch]:
    """The integration's customers the last sync received."""
    return [r for r in store.matches_of_integration(integration_id) if r.absent_since is None]


def counts(records: list[CustomerMatch]) -> dict[str, int]:
    """Customers per status."""
    tally = dict.fromkeys(STATUSES, 0)
    for record in records:
        tally[record.status] += 1
    return tally


def screen(
    rt: Runtime,
    integration_id: str,
    *,
    tab: str,
    query: str = "",
    organization_names: dict[str, str] | None = None,
) -> MatchingScreen:
    """A tab's rows (customer name order) matching the search box, and the count of each tab."""
    names = organization_names or {}
    status = TABS.get(tab, UNMATCHED)
    tab = next(name for name, value in TABS.items() if value == status)
    records = current_records(integration_id)
    wanted = " ".join(query.split()).casefold()
    rows = [
        r for r in records if r.status == status and (not wanted or _mentions(r, wanted, names))
    ]
    rows.sort(key=lambda r: (r.customer_name.casefold(), r.customer_id))
    return MatchingScreen(tab=tab, query=query.strip(), rows=rows, counts=counts(records))


def _mentions(record: CustomerMatch, wanted: str, names: dict[str, str]) -> bool:
    """Whether the search box text is in the customer's name, domain or organization's name."""
    organization = names.get(record.organization_id or "", "")
    parts = (record.customer_name, record.domain, record.suggested_organization_name, organization)
    haystack = " ".join(part for part in parts if part).casefold()
    return wanted in haystack
