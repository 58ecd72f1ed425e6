"""The SaaS Protection REST API v1 (the vendor-compatible contract), independent of HTTP framing.

api_routes.py resolves the route, then calls `authenticate`, `rate_limit.charge` and one endpoint
function here. Every function is scoped to the caller's partner: another partner's customer is
NotFound, exactly like a customer that does not exist.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.errors import Forbidden, InvalidInput, NotFound
from chalicelib.portal import api_keys, backup_report, catalog, seats, vendor_realism
from chalicelib.portal.paging import PagedList, Paging
from chalicelib.runtime import Runtime
from chalicelib.storage.portal import saas_customers as customer_store
from chalicelib.storage.portal import saas_seats as seat_store
from chalicelib.storage.portal.saas_customers import SaasCustomer
from chalicelib.storage.portal.saas_seats import Seat

NO_SUCH_CUSTOMER = "No such SaaS Protection customer."  # the words of a customer read alone


@dataclass(frozen=True)
class Caller:
    """Who is calling: the partner company the key belongs to, and the customers it may see."""

    company_id: str
    public_key: str
    customers: frozenset[int] | None = None  # None: every customer of the partner
    read_with_key: api_keys.CustomerRead | None = None  # the path's customer, read with the key

    def sees(self, saas_customer_id: int) -> bool:
        """Whether the key's scope includes this customer."""
        return self.customers is None or saas_customer_id in self.customers


def authenticate(rt: Runtime, authorization: str | None, saas_customer_id: int | None = None,
                 listing: str | None = None) -> Caller:
    """The partner whose live key the Basic Authorization header carries, or NotAuthenticated;
    the path's customer (`saas_customer_id`) and the sizes of the list the endpoint pages
    (`listing`) are read with the key when they can be."""
    public_key, secret = api_keys.basic_credentials(authorization)
    key, read = api_keys.verify(rt, public_key, secret, saas_customer_id, listing)
    return Caller(key.company_id, key.public_key, key.customers, read)


def _customer(caller: Caller, saas_customer_id: int) -> SaasCustomer:
    """The caller's company's customer: as read with the key, else one GetItem."""
    read = caller.read_with_key
    if read is None or read.saas_customer_id != saas_customer_id:
        return customer_store.get_customer(caller.company_id, saas_customer_id)
    if read.customer is None:
        raise NotFound(NO_SUCH_CUSTOMER)
    return read.customer


def visible_customer(caller: Caller, saas_customer_id: int) -> SaasCustomer:
    """The caller's customer by the id in the path (read with the key, or one GetItem).

    Another partner's customer is NotFound, as one that does not exist (nothing leaks across
    partners); the partner's own customer outside the key's scope is Forbidden.
    """
    customer = _customer(caller, saas_customer_id)
    if not caller.sees(customer.saas_customer_id):
        raise Forbidden("This API key is not allowed to access this customer.")
    return customer


# -- GET /saas/domains -----------------------------------------------------------------------------
def domain_entry(customer: SaasCustomer) -> dict[str, Any]:
    summary = seats.SeatSummary(customer.seats_used, customer.active_services,
                                customer.recent_backup_services)
    return {
        "saasCustomerId": customer.saas_customer_id,
        "saasCustomerName": customer.name,
        "organizationId": customer.organization_id,
        "organizationName": customer.organization_name,
        "domain": customer.domain,
        "productType": customer.product_type,
        "seatsUsed": customer.seats_used,
        "retentionType": customer.retention_type,
        "externalSubscriptionId": customer.external_subscription_id,
        "backupStats": {
            "activeServicesCount": summary.active_services,
            "activeServicesWithRecentBackupCount": summary.recent_backup_services,
            "backupPercentage": summary.backup_percentage,
        },
    }


def domains(rt: Runtime, caller: Caller, paging: Paging) -> PagedList:
    """One page of the customers the key sees, in creation order (a scoped key: by id)."""
    if caller.customers is not None:
        chosen = customer_store.chosen_customers(caller.company_id, sorted(caller.customers))
        shown = chosen[paging.offset:paging.offset + paging.per_page]
        return PagedList([domain_entry(c) for c in shown], paging, len(chosen))
    read = caller.read_with_key
    page = customer_store.customer_page(caller.company_id, paging.offset, paging.per_page,
                                        read.list_sizes if read is not None else None)
    return PagedList([domain_entry(c) for c in page.customers], paging, page.total)


# -- GET /saas/{id}/seats --------------------------------------------------------------------------
def seat_entry(seat: Seat) -> dict[str, Any]:
    return {
        "mainId": seat.main_id,
        "name": seat.name,
        "seatType": seat.seat_type,
        "seatState": seat.seat_state,
        "billable": "1" if seat.billable == "1" else "",
        "dateAdded": seat.date_added.isoformat(timespec="seconds"),
        "remoteId": seat.remote_id,
    }


def seat_types_filter(value: str | None) -> list[str]:
    """`seatType=User,SharedMailbox` (case-sensitive); an unknown type is a 400."""
    if value is None:
        return []
    wanted = [part.strip() for part in value.split(",") if part.strip()]
    unknown = [t for t in wanted if t not in catalog.ALL_SEAT_TYPES]
    if unknown or not wanted:
        raise InvalidInput(f"Unknown seatType {', '.join(unknown) or value!r}. Use one of: "
                           f"{', '.join(sorted(catalog.ALL_SEAT_TYPES))}.", field="seatType")
    return wanted


def seat_list(rt: Runtime, caller: Caller, saas_customer_id: int, query: Mapping[str, str],
              paging: Paging) -> PagedList:
    """One page of the customer's seats, by seat type then age (GetItem, then O(page) Queries)."""
    wanted = seat_types_filter(query.get("seatType"))
    customer = visible_customer(caller, saas_customer_id)
    page = seat_store.seat_page(customer.saas_customer_id, wanted, paging.offset, paging.per_page,
                                _sizes_read(caller, customer.saas_customer_id))
    vendor_realism.seats_answered(rt, page.total)
    return PagedList([seat_entry(s) for s in page.seats], paging, page.total)


def _sizes_read(caller: Caller, saas_customer_id: int) -> dict[str, int] | None:
    """The customer's seat list sizes if they were read with the key (with this customer)."""
    read = caller.read_with_key
    if read is None or read.saas_customer_id != saas_customer_id or read.customer is None:
        return None
    return read.list_sizes


# -- GET /saas/{id}/applications -------------------------------------------------------------------
def applications(rt: Runtime, caller: Caller, saas_customer_id: int, days: int,
                 include_remote_ids: bool) -> list[dict[str, Any]]:
    """The backup report: `daysUntil` at least 1, unbounded (history stops at HISTORY_DAYS)."""
    if days < 1:
        raise InvalidInput("daysUntil must be a whole number of at least 1.", field="daysUntil")
    customer = visible_customer(caller, saas_customer_id)
    seat_list_ = list(seat_store.seats_of_customer(customer.saas_customer_id))
    return backup_report.applications(customer, seat_list_, rt.clock.now(), days,
                                      include_remote_ids)


# -- PUT /saas/{id}/{externalSubscriptionId}/bulkSeatChange ----------------------------------------
def bulk_request(customer: SaasCustomer, body: bytes | None) -> seats.BulkChange:
    """The bulk change the body asks for, or InvalidInput saying what is wrong."""
    try:
        data = json.loads(body or b"")
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # RecursionError: deep nesting
        raise InvalidInput("The body must be a JSON object.") from exc
    if not isinstance(data, dict):
        raise InvalidInput("The body must be a JSON object.")
    return seats.change_request(customer.product_type, data)


def bulk_seat_change(rt: Runtime, caller: Caller, saas_customer_id: int,
                     external_subscription_id: str, body: bytes | None) -> list[dict[str, Any]]:
    """License, pause or unlicense seats of a Microsoft 365 customer; one result per id."""
    customer = visible_customer(caller, saas_customer_id)
    if external_subscription_id != customer.external_subscription_id:
        raise NotFound("No such subscription for this customer.")
    seats.check_product(customer.product_type)
    return seats.bulk_change(customer, bulk_request(customer, body), rt.clock.now())
