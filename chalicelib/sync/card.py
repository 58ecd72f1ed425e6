"""The SaaS Protection card of an organization and a contact's protection, from synced data.

`saas_card` reads the customers the organization lists as matched to it (the page read the
organization with its session) with their match records, stored summaries and integrations' last
sync times in one BatchGetItem; an organization that lists none yet is listed from matching's
index once. Protected
seats are Active seats only: Paused, Archived and Unprotected seats are listed apart as not
counted. `contact_protection` looks each email up in the matched customers' seats through the
seats' email index (case-insensitive).

Both return None / [] when nothing is matched, so the page simply shows no card. Both act for an
IT Docs user, who must be allowed to see organizations (the card) or contacts (their protection).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from chalicelib.runtime import Runtime
from chalicelib.storage.itdocs import backup_customers as customer_store
from chalicelib.storage.itdocs import backup_seats as seat_store
from chalicelib.storage.itdocs import card_reads
from chalicelib.storage.itdocs.integrations import IntegrationRecord
from chalicelib.storage.itdocs.match_decisions import MATCHED, CustomerMatch
from chalicelib.storage.itdocs.organization_items import list_matched
from chalicelib.sync import matching_screen, vocabulary
from chalicelib.sync.acting import VIEW_CONTACTS, VIEW_ORGANIZATIONS, ActingUser

Listed = Sequence[tuple[str, str]] | None
"""(integration id, customer id) an organization lists as matched to it; None: it lists none yet."""


@dataclass(frozen=True)
class ServiceCount:
    """How many protected (Active) seats are backed up through one service."""

    service: str
    protected_seats: int


@dataclass(frozen=True)
class CardSection:
    """One backup customer matched to the organization (usually the only one)."""

    integration_id: str
    customer_id: str
    customer_name: str
    domain: str
    product: str
    product_name: str
    protected_seats: int | None
    """Active seats; None when the seats were never fetched (see `seats_used`, `seats_note`)."""
    seats_used: int
    seats_not_counted: dict[str, int]
    """Seats in any other state (Paused, Archived, Unprotected, unknown) -> how many."""
    services: list[ServiceCount]
    active_services: int
    recent_backup_services: int
    backup_percentage: float
    backup_status: str
    seats_note: str
    synced_at: dt.datetime | None


@dataclass(frozen=True)
class SaasCard:
    """What an organization's SaaS Protection card shows."""

    organization_id: str
    sections: list[CardSection] = field(default_factory=list)

    @property
    def protected_seats(self) -> int:
        """Active seats across the matched customers (seatsUsed where seats are unknown)."""
        return sum(
            s.protected_seats if s.protected_seats is not None else s.seats_used
            for s in self.sections
        )

    @property
    def products(self) -> list[str]:
        return sorted({s.product_name for s in self.sections})

    @property
    def synced_at(self) -> dt.datetime | None:
        times = [s.synced_at for s in self.sections if s.synced_at is not None]
        return max(times) if times else None


@dataclass(frozen=True)
class SeatProtection:
    """A contact's seat found by email, and which services it protects."""

    email: str
    main_id: str
    name: str
    customer_name: str
    product_name: str
    seat_type: str
    seat_state: str
    protected: bool
    services: tuple[str, ...]


def saas_card(rt: Runtime, user: ActingUser, organization_id: str,
              listed: Listed = None) -> SaasCard | None:
    """The organization's card, or None when no synced customer is matched to it. `listed`:
    the customers the organization's item lists as matched (None: it lists none yet)."""
    user.require(VIEW_ORGANIZATIONS)
    sections = [
        _section(customer, integration.last_sync_at)
        for customer, integration in _matched(rt, user, organization_id, listed)
    ]
    if not sections:
        return None
    sections.sort(key=lambda s: (s.product_name, s.customer_name, s.customer_id))
    return SaasCard(organization_id=organization_id, sections=sections)


def contact_protection(
    rt: Runtime, user: ActingUser, organization_id: str, emails: list[str],
    listed: Listed = None,
) -> list[SeatProtection]:
    """Seats whose email is one of the contact's, in the customers matched to the organization."""
    user.require(VIEW_CONTACTS)
    wanted = sorted({e.strip().lower() for e in emails if e and e.strip()})
    if not wanted:
        return []
    found: list[SeatProtection] = []
    for customer, _ in _matched(rt, user, organization_id, listed):
        for email in wanted:
            seats = seat_store.seats_with_email(customer.integration_id, customer.customer_id,
                                                email)
            found += [_protection(email, seat, customer) for seat in seats]
    return found


def _matched(
    rt: Runtime, user: ActingUser, organization_id: str, listed: Listed
) -> list[tuple[customer_store.BackupCustomer, IntegrationRecord]]:
    """The stored customers matched to the organization, each with its integration: one
    BatchGetItem of the customers the organization lists (their match records with them, so a
    customer unmatched a moment ago is left out); an organization that lists none yet is listed
    from the index first. Customers of a deleted integration, or of another account, are left
    out."""
    keys = _listed_keys(rt, user, organization_id, listed)
    if not keys:
        return []
    items = card_reads.card_items(keys)
    shown = []
    for match, customer in zip(items.matches, items.customers, strict=True):
        integration = items.integrations.get(customer.integration_id) if customer else None
        if customer is None or integration is None or not _still_matched(match, organization_id):
            continue
        if user.account_id == customer.account_id == integration.account_id:
            shown.append((customer, integration))
    return shown


def _listed_keys(rt: Runtime, user: ActingUser, organization_id: str,
                 listed: Listed) -> Sequence[tuple[str, str]]:
    """The organization's listed customers; for one that lists none yet, the index's, which it
    then lists (one write, once)."""
    if listed is not None:
        return listed
    found = matching_screen.customers_for_organization(rt, user, organization_id)
    list_matched(user.account_id, organization_id, found)
    return found


def _still_matched(match: CustomerMatch | None, organization_id: str) -> bool:
    """Whether the record says Matched to the organization, for a customer the last sync saw."""
    return (match is not None and match.status == MATCHED
            and match.organization_id == organization_id and match.absent_since is None)


def _protection(
    email: str, seat: seat_store.BackupSeat, customer: customer_store.BackupCustomer
) -> SeatProtection:
    return SeatProtection(
        email=email,
        main_id=seat.main_id,
        name=seat.name,
        customer_name=customer.name,
        product_name=vocabulary.product_name(customer.product),
        seat_type=seat.seat_type,
        seat_state=seat.seat_state,
        protected=seat.seat_state == vocabulary.ACTIVE,
        services=vocabulary.seat_services(customer.product, seat.seat_type),
    )


def backup_status(active_services: int, recent_backup_services: int, percentage: float) -> str:
    """The customer list's backup figures in words."""
    if active_services <= 0:
        return "No active services reported"
    return (
        f"{recent_backup_services} of {active_services} services backed up recently "
        f"({percentage:g}%)"
    )


def _section(customer: customer_store.BackupCustomer, synced_at: dt.datetime | None) -> CardSection:
    services = [
        ServiceCount(service, customer.service_seats.get(service, 0))
        for service in vocabulary.SERVICES.get(customer.product, ())
    ]
    not_counted = {
        state: count
        for state, count in sorted(customer.seat_states.items())
        if state != vocabulary.ACTIVE and count
    }
    return CardSection(
        integration_id=customer.integration_id,
        customer_id=customer.customer_id,
        customer_name=customer.name,
        domain=customer.domain,
        product=customer.product,
        product_name=vocabulary.product_name(customer.product),
        protected_seats=customer.protected_seats,
        seats_used=customer.seats_used,
        seats_not_counted=not_counted,
        services=services,
        active_services=customer.active_services,
        recent_backup_services=customer.recent_backup_services,
        backup_percentage=customer.backup_percentage,
        backup_status=backup_status(
            customer.active_services, customer.recent_backup_services, customer.backup_percentage
        ),
        seats_note=customer.seats_note,
        synced_at=synced_at,
    )
