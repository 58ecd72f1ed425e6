"""SaaS Protection customers as the portal shows them: the list, one customer, link and unlink."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from chalicelib.errors import Forbidden
from chalicelib.portal.policy import can
from chalicelib.runtime import Runtime
from chalicelib.storage.portal import organizations as organization_store
from chalicelib.storage.portal import saas_customers as customer_store
from chalicelib.storage.portal import saas_seats as seat_store
from chalicelib.storage.portal.saas_customers import SaasCustomer
from chalicelib.storage.portal.saas_seats import Seat
from chalicelib.storage.portal.users import PortalUser


@dataclass
class CustomerList:
    customers: list[SaasCustomer]
    unlinked_count: int


def customers_for(actor: PortalUser, only_unlinked: bool = False) -> CustomerList:
    """The actor's company's customers by name (one Query), with how many are unlinked."""
    if not can(actor, "saas.view"):
        raise Forbidden()
    found = sorted(customer_store.customers_of_company(actor.company_id),
                   key=lambda c: (c.name.casefold(), c.saas_customer_id))
    unlinked = [c for c in found if c.organization_id is None]
    return CustomerList(unlinked if only_unlinked else found, len(unlinked))


def customer_with_seats(actor: PortalUser, saas_customer_id: int) -> tuple[SaasCustomer,
                                                                               list[Seat]]:
    if not can(actor, "saas.view"):
        raise Forbidden()
    customer = customer_store.get_customer(actor.company_id, saas_customer_id)
    seats = sorted(seat_store.seats_of_customer(saas_customer_id),
                   key=lambda s: (s.seat_type, s.main_id.casefold()))
    return customer, seats


def backup_cells(seat: Seat, apps: tuple[str, ...]) -> list[tuple[str, str]]:
    """(last backup status, when) per application column of the seats table ("—" if none)."""
    cells = []
    for app in apps:
        result = seat.services.get(app)
        if result is None:
            cells.append(("—", ""))
            continue
        at = result.get("at")
        when = (dt.datetime.fromtimestamp(at / 1000, tz=dt.UTC).strftime(
            "%Y-%m-%d %H:%M UTC") if at else "never backed up")
        cells.append((str(result.get("status", "Unknown")), when))
    return cells


def link(rt: Runtime, actor: PortalUser, saas_customer_id: int,
         organization_id: int) -> SaasCustomer:
    """Link a customer to one of the company's organizations (replacing any earlier link)."""
    if not can(actor, "saas.link"):
        raise Forbidden()
    organization = organization_store.get_organization(actor.company_id, organization_id)
    return customer_store.set_customer_organization(actor.company_id, saas_customer_id,
                                                    organization.organization_id, organization.name)


def unlink(rt: Runtime, actor: PortalUser, saas_customer_id: int) -> SaasCustomer:
    """Remove a customer's organization link (it then cannot be matched in IT Docs)."""
    if not can(actor, "saas.link"):
        raise Forbidden()
    return customer_store.set_customer_organization(actor.company_id, saas_customer_id, None, None)
