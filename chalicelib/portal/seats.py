"""Seats: their summaries on the customer, and bulk seat changes (License, Pause, Unlicense)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from chalicelib.portal import catalog
from chalicelib.storage.portal import saas_customers as customer_store
from chalicelib.storage.portal import saas_seats as seat_store
from chalicelib.storage.portal.saas_customers import SaasCustomer
from chalicelib.storage.portal.saas_seats import Seat

RECENT_BACKUP = dt.timedelta(hours=24)
MAX_IDS = 100
# action_type -> (new seatState, new billable flag or None to leave it as it is)
ACTIONS: dict[str, tuple[str, str | None]] = {
    "License": (catalog.ACTIVE, "1"),
    "Pause": (catalog.PAUSED, None),
    "Unlicense": (catalog.UNPROTECTED, ""),
}


@dataclass(frozen=True)
class SeatSummary:
    seats_used: int
    active_services: int
    recent_backup_services: int

    @property
    def backup_percentage(self) -> float:
        if not self.active_services:
            return 0.0
        return round(100 * self.recent_backup_services / self.active_services, 2)


def summarize(seats: Iterable[Seat], product_type: str, now: dt.datetime) -> SeatSummary:
    """Billable seats, services of Active seats, and those backed up in the last 24 hours."""
    cutoff_ms = int((now - RECENT_BACKUP).timestamp() * 1000)
    used = active = recent = 0
    for seat in seats:
        used += seat.billable == "1"
        if seat.seat_state != catalog.ACTIVE:
            continue
        for app in catalog.seat_apps(product_type, seat.seat_type):
            active += 1
            recent += (seat.services.get(app, {}).get("at") or 0) >= cutoff_ms
    return SeatSummary(used, active, recent)


def refresh_summary(customer: SaasCustomer, now: dt.datetime) -> None:
    """Recompute a customer's seat summary after a change (newest change wins)."""
    version = customer_store.bump_seats_version(customer.company_id, customer.saas_customer_id)
    summary = summarize(seat_store.seats_of_customer(customer.saas_customer_id),
                        customer.product_type, now)
    customer_store.write_seat_summary(customer.company_id, customer.saas_customer_id, version,
                                      summary.seats_used, summary.active_services,
                                      summary.recent_backup_services)


def bulk_change(customer: SaasCustomer, seat_type: str, action_type: str, ids: list[str],
                now: dt.datetime) -> list[dict[str, object]]:
    """Apply one action to up to 100 seats of one type; one result per id, in order.

    Inputs are validated by the caller (rest_api); an id that is not a seat of this customer
    with this seat type fails on its own without stopping the others.
    """
    state, billable = ACTIONS[action_type]
    apps = catalog.seat_apps(customer.product_type, seat_type)
    results: list[dict[str, object]] = []
    changed = False
    for remote_id in ids:
        ok = seat_store.update_seat(customer.saas_customer_id, remote_id, seat_type, state,
                                    billable)
        changed = changed or ok
        results.append({"action": action_type, "appType": apps[0] if apps else seat_type,
                        "customerId": customer.saas_customer_id, "id": remote_id,
                        "status": "Success" if ok else "Failed"})
    if changed:
        refresh_summary(customer, now)
    return results
