"""The SaaS Protection REST API v1 (the vendor-compatible contract), independent of HTTP framing.

api_routes resolves the route, then calls `authenticate` (the key and the call's charge, one
conditional write) and one endpoint function here. Every function is scoped to the caller's
partner: another partner's customer is NotFound, exactly like a customer that does not exist.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from chalicelib.errors import Forbidden, InvalidInput, NotFound
from chalicelib.portal import (
    api_admission,
    api_keys,
    backup_report,
    catalog,
    seat_summary,
    seats,
    vendor_realism,
)
from chalicelib.portal.paging import PagedList, Paging
from chalicelib.portal.rate_limit import Usage
from chalicelib.runtime import Runtime
from chalicelib.storage.portal import saas_customers as customer_store
from chalicelib.storage.portal import saas_seats as seat_store
from chalicelib.storage.portal.saas_customers import SaasCustomer
from chalicelib.storage.portal.saas_seats import Seat

NO_SUCH_CUSTOMER = "No such SaaS Protection customer."  # the words of a customer read alone


@dataclass(frozen=True)
class Caller:
    """Who is calling: the partner company the key belongs to, and the customers it may see;
    `usage`: what admitting the call spent (None: not admitted through `authenticate`)."""

    company_id: str
    public_key: str
    customers: frozenset[int] | None = None  # None: every customer of the partner
    read_with_key: api_keys.CustomerRead | None = None  # the path's customer, read with the key
    usage: Usage | None = None

    def sees(self, saas_customer_id: int) -> bool:
        """Whether the key's scope includes this customer."""
        return self.customers is None or saas_customer_id in self.customers


def authenticate(rt: Runtime, authorization: str | None, endpoint: str,
                 saas_customer_id: int | None = None, listing: str | None = None) -> Caller:
    """The partner whose live key the Basic Authorization header carries, charged the
    endpoint's cost (NotAuthenticated, BudgetExceeded); the path's customer
    (`saas_customer_id`) and the sizes of the list the endpoint pages (`listing`) are read
    with the key when they can be."""
    public_key, secret = api_keys.basic_credentials(authorization)
    admitted = api_admission.admit(rt, public_key, secret, endpoint,
                                   api_admission.Wanted(saas_customer_id, listing))
    key = admitted.key
    return Caller(key.company_id, key.public_key, key.customers, admitted.read, admitted.usage)


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
    summary = seat_summary.SeatSummary(customer.seats_used, customer.active_services,
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


@dataclass(frozen=True)
class SeatListAnswer:
    """A page of a seat list, its ETag (None: not served, the list changed moments ago) and
    whether the client's copy is current (`not_modified`: a 304, the page's items not read)."""

    page: PagedList
    etag: str | None
    not_modified: bool = False


def seat_list(rt: Runtime, caller: Caller, saas_customer_id: int, query: Mapping[str, str],
              paging: Paging, if_none_match: str | None = None) -> SeatListAnswer:
    """One page of the customer's seats, by seat type then age (GetItem, then O(page) Queries);
    Not Modified, without reading a seat, when `if_none_match` names the list's current ETag."""
    wanted = seat_types_filter(query.get("seatType"))
    customer = visible_customer(_read_consistently(caller, saas_customer_id), saas_customer_id)
    sizes = _sizes_read(caller, customer.saas_customer_id)
    tag = seats.seat_list_tag(customer, wanted, paging.per_page)
    served = tag if seats.tag_settled(customer, rt.clock.now()) else None
    if none_match(if_none_match, tag):
        total = seat_store.seat_total(customer.saas_customer_id, wanted, sizes)
        return SeatListAnswer(PagedList([], paging, total), served, not_modified=True)
    page = seat_store.seat_page(customer.saas_customer_id, wanted, paging.offset, paging.per_page,
                                sizes)
    vendor_realism.seats_answered(rt, page.total)
    return SeatListAnswer(PagedList([seat_entry(s) for s in page.seats], paging, page.total),
                          served)


def _read_consistently(caller: Caller, saas_customer_id: int) -> Caller:
    """The caller with the path's customer read consistently (it is already when read with the
    key): the ETag must name the version of what is served, or one before it."""
    read = caller.read_with_key
    if read is not None and read.saas_customer_id == saas_customer_id:
        return caller
    try:
        customer: SaasCustomer | None = customer_store.get_customer(
            caller.company_id, saas_customer_id, consistent=True)
    except NotFound:
        customer = None
    return replace(caller, read_with_key=api_keys.CustomerRead(saas_customer_id, customer))


# An entity tag of RFC 9110 (section 8.8.3), weak or strong, ending at a comma or the end; and
# what may come between the elements of a list (empty elements are allowed, section 5.6.1).
_ENTITY_TAG = re.compile(r'(?:W/)?("[\x21\x23-\x7e\x80-\xff]*")[ \t]*(?=,|$)')
_BETWEEN = re.compile(r"[ \t,]*")
MAX_CONDITION_CHARS = 4096


def none_match(header: str | None, current: str) -> bool:
    """Whether an If-None-Match field names the current ETag (weak comparison, RFC 9110 section
    13.1.2): `*` or a list of entity tags. A field that is neither is no match (the full answer
    is always right), nor is an over-long one."""
    if header is None or len(header) > MAX_CONDITION_CHARS:
        return False
    if header.strip(" \t") == "*":
        return True
    tags = entity_tags(header)
    return tags is not None and current in tags


def entity_tags(header: str) -> list[str] | None:
    """The opaque tags (quotes included, `W/` dropped) of a list of entity tags; None if the
    field is not such a list."""
    tags: list[str] = []
    at = _BETWEEN.match(header).end()  # type: ignore[union-attr]
    while at < len(header):
        found = _ENTITY_TAG.match(header, at)
        if found is None:
            return None
        tags.append(found.group(1))
        at = _BETWEEN.match(header, found.end()).end()  # type: ignore[union-attr]
    return tags or None


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
def body_object(body: bytes | None) -> dict[str, Any] | None:
    """The body as a JSON object, None when it is not one (refused once the customer is known)."""
    try:
        data = json.loads(body or b"")
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: deep nesting
        return None
    return data if isinstance(data, dict) else None


def bulk_request(customer: SaasCustomer, data: dict[str, Any] | None) -> seats.BulkChange:
    """The bulk change the body asks for, or InvalidInput saying what is wrong."""
    if data is None:
        raise InvalidInput("The body must be a JSON object.")
    return seats.change_request(customer.product_type, data)


def bulk_seat_change(rt: Runtime, caller: Caller, saas_customer_id: int,
                     external_subscription_id: str, body: bytes | None) -> list[dict[str, Any]]:
    """License, pause or unlicense seats of a Microsoft 365 customer; one result per id.

    The customer and the seats the body names are read together (one BatchGetItem), then the
    customer is checked as every endpoint checks it, and the request in full."""
    data = body_object(body)
    ids = seats.prospective_ids(data) if caller.sees(saas_customer_id) else []
    customer, read = seat_store.read_for_change(caller.company_id, saas_customer_id, ids)
    visible = visible_customer(replace(caller, read_with_key=api_keys.CustomerRead(
        saas_customer_id, customer)), saas_customer_id)
    if external_subscription_id != visible.external_subscription_id:
        raise NotFound("No such subscription for this customer.")
    seats.check_product(visible.product_type)
    return seats.bulk_change(visible, bulk_request(visible, data), rt.clock.now(), read)
