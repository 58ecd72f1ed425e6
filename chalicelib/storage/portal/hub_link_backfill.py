"""Hub link records and hub identity items for links stored before they were kept.

A Log In with Hub callback reads the partner companies linked to a hub company from that hub
link's record, and a hub identity's links from the identity's own item, both by key. A record
written before it listed its companies is read from the settings' index instead, and an identity
linked before its item was kept is found by its first-time read: one call more each, until this
upgrade lists them all at once. It Scans (a one-off upgrade, never a request path) and is
idempotent; each entry is added on the condition that what it names still holds (the company is
still linked to that hub company, the identity's marker still names that user), and every link
and unlink since the code kept them wrote itself, so the lists come out exact.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from chalicelib import settings
from chalicelib.clock import SystemClock
from chalicelib.storage import tables
from chalicelib.storage.base import translated
from chalicelib.storage.portal import insights as insight_store
from chalicelib.storage.portal.hub_identities import PortalHubIdentityModel, links_key
from chalicelib.storage.portal.security_settings import PortalSecuritySettingsModel, hub_link_key
from chalicelib.storage.transactions import Transaction, write_transaction


def list_hub_links(now: dt.datetime) -> int:
    """Give every hub link's record the partner companies linked to it and call the list
    complete (their insights due); returns how many companies were listed."""
    linked: dict[tuple[str, str], set[str]] = defaultdict(set)
    m = PortalSecuritySettingsModel
    with translated():
        for item in m.scan(filter_condition=m.hub_link_key.exists()):
            linked[(item.hub_issuer or "", item.hub_company_id or "")].add(item.company_id)
    return sum(_list(issuer, hub_company_id, sorted(companies), now)
               for (issuer, hub_company_id), companies in linked.items())


def _list(issuer: str, hub_company_id: str, companies: list[str], now: dt.datetime) -> int:
    """List the companies still linked (each checked in the transaction) on their hub link's
    record; returns how many."""
    key = hub_link_key(issuer, hub_company_id)
    m = PortalSecuritySettingsModel
    for _ in range(ATTEMPTS):
        if not companies:
            return 0

        def write(tx: Transaction, listed: list[str] = companies) -> None:
            insight_store.link_in(tx, key, issuer, hub_company_id, set(listed), now)
            for company_id in listed:
                tx.condition_check(m, company_id, condition=m.hub_link_key == key)

        failed = write_transaction(write)
        if not failed:
            return len(companies)
        companies = [c for n, c in enumerate(companies, 1) if n not in failed]
    return 0


ATTEMPTS = 3  # companies unlinked while the upgrade lists them are left out


def list_identities() -> int:
    """Add each link to its hub identity's own item; returns how many were added."""
    m = PortalHubIdentityModel
    with translated():
        markers = [(item.link_key, item.user_id, item.member_company_id or "", item.issuer,
                    item.subject) for item in m.scan(filter_condition=m.subject_key.exists())]
    return sum(_add_link(*marker) for marker in markers)


def _add_link(marker: str, user_id: str, company_id: str, issuer: str, subject: str) -> int:
    """1 when the link was added, 0 when its marker no longer names that user."""
    m = PortalHubIdentityModel

    def write(tx: Transaction) -> None:
        tx.condition_check(m, marker, condition=m.user_id == user_id)
        tx.update(m(links_key(issuer, subject)), actions=[
            m.issuer.set(issuer), m.subject.set(subject),
            m.links.add({f"{company_id}#{user_id}"})])

    return 0 if write_transaction(write) else 1


def main() -> None:
    """`python -m chalicelib.storage.portal.hub_link_backfill`: upgrade the stage named."""
    tables.configure(settings.from_environment())
    companies = list_hub_links(SystemClock().now())
    print(f"{companies} partner companies listed on their hub links, "
          f"{list_identities()} hub identity links listed on their identities")


if __name__ == "__main__":
    main()
