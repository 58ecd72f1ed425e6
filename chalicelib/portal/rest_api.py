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

from chalicelib.errors import InvalidInput, NotFound
from chalicelib.portal import api_keys, backup_report, catalog, seats
from chalicelib.runtime import Runtime
from chalicelib.storage.portal import saas_customers as customer_store
from chalicelib.storage.portal import saas_seats as seat_store
from chalicelib.storage.portal.saas_customers import SaasCustomer
from chalicelib.storage.portal.saas_seats import Seat

MAX_DAYS = 90


@dataclass(frozen=True)
class Caller:
    """Who is calling: the partner company the key belongs to."""

    company_id: str
    public_key: str


def authenticate(rt: Runtime, authorization: str | None) -> Caller:
    """The partner whose live key the Basic Authorization header carries, or NotAuthenticated."""
    public_key, secret = api_keys.basic_credentials(authorization)
    key = api_keys.verify(rt, public_key, secret)
    return Caller(key.company_id, key.public_key)


def visible_customer(caller: Caller, saas_customer_id: int) -> SaasCustomer:
    """The caller's customer by the id in the path (one GetItem); anything else is NotFound."""
    return customer_store.get_customer(caller.company_id, saas_customer_id)


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


def domains(rt: Runtime, caller: Caller, query: Mapping[str, str]) -> list[dict[str, Any]]:
    """Every customer of the partner as a bare array (one Query; _page/_perPage are ignored)."""
    return [domain_entry(c) for c in customer_store.customers_of_company(caller.company_id)]


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


def seat_list(rt: Runtime, caller: Caller, saas_customer_id: int,
              query: Mapping[str, str]) -> list[dict[str, Any]]:
    """The customer's seats as a bare array (one GetItem, one Query through its pages)."""
    wanted = seat_types_filter(query.get("seatType"))
    customer = visible_customer(caller, saas_customer_id)
    return [seat_entry(s) for s in seat_store.seats_of_customer(customer.saas_customer_id, wanted)]


# -- GET /saas/{id}/applications -------------------------------------------------------------------
def applications(rt: Runtime, caller: Caller, saas_customer_id: int, days: int,
                 include_remote_ids: bool) -> list[dict[str, Any]]:
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput(f"daysUntil must be a whole number from 1 to {MAX_DAYS}.",
                           field="daysUntil")
    customer = visible_customer(caller, saas_customer_id)
    seat_list_ = list(seat_store.seats_of_customer(customer.saas_customer_id))
    return backup_report.applications(customer, seat_list_, rt.clock.now(), days,
                                      include_remote_ids)


# -- PUT /saas/{id}/{externalSubscriptionId}/bulkSeatChange ----------------------------------------
def bulk_request(customer: SaasCustomer, body: bytes | None) -> tuple[str, str, list[str]]:
    """(seat_type, action_type, ids) from the body, or InvalidInput saying what is wrong."""
    try:
        data = json.loads(body or b"")
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # RecursionError: deep nesting
        raise InvalidInput("The body must be a JSON object.") from exc
    if not isinstance(data, dict):
        raise InvalidInput("The body must be a JSON object.")
    seat_type, action_type, ids = data.get("seat_type"), data.get("action_type"), data.get("ids")
    product_types = catalog.SEAT_APPS[customer.product_type]
    if not isinstance(seat_type, str) or seat_type not in product_types:
        raise InvalidInput(f"seat_type must be one of: {', '.join(product_types)}.",
                           field="seat_type")
    if not isinstance(action_type, str) or action_type not in seats.ACTIONS:
        raise InvalidInput(f"action_type must be one of: {', '.join(seats.ACTIONS)}.",
                           field="action_type")
    if not isinstance(ids, list) or not 1 <= len(ids) <= seats.MAX_IDS:
        raise InvalidInput(f"ids must be a list of 1 to {seats.MAX_IDS} remote ids.", field="ids")
    if not all(isinstance(i, str) and 0 < len(i) <= 200 for i in ids):
        raise InvalidInput("Every id must be a non-empty string.", field="ids")
    if len(set(ids)) != len(ids):
        raise InvalidInput("ids must not repeat.", field="ids")
    return seat_type, action_type, ids


def bulk_seat_change(rt: Runtime, caller: Caller, saas_customer_id: int,
                     external_subscription_id: str, body: bytes | None) -> list[dict[str, Any]]:
    customer = visible_customer(caller, saas_customer_id)
    if external_subscription_id != customer.external_subscription_id:
        raise NotFound("No such subscription for this customer.")
    seat_type, action_type, ids = bulk_request(customer, body)
    return seats.bulk_change(customer, seat_type, action_type, ids, rt.clock.now())
