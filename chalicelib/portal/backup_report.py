"""The backup report of /saas/{id}/applications, computed from a customer's seats.

Each service keeps its last backup time and status. A service whose last backup is at T is taken
to have been backed up every day up to T, so a daily window counts it as backed up when T falls
on or after the window's start.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from chalicelib.portal import catalog
from chalicelib.storage.portal.saas_customers import SaasCustomer
from chalicelib.storage.portal.saas_seats import Seat

DAY_MS = 24 * 3600 * 1000
PER_PAGE = 100


def window_status(active: int, with_backup: int, perfect: int) -> str:
    """Perfect, Good, Fair, Poor by the share of active services backed up; Unknown if none."""
    if not active:
        return "Unknown"
    if perfect == active:
        return "Perfect"
    share = with_backup / active
    if share >= 0.95:
        return "Good"
    if share >= 0.8:
        return "Fair"
    return "Poor"


def _app_report(app: str, seats: list[Seat], product: str, now_ms: int,
                days_until: int) -> dict[str, Any]:
    services = [(seat, seat.services.get(app, {})) for seat in seats
                if app in catalog.seat_apps(product, seat.seat_type)]
    active = [result for seat, result in services if seat.seat_state == catalog.ACTIVE]
    backed_up = [int(r["at"]) for r in active if r.get("at")]
    history = []
    for day in range(days_until):
        end, start = now_ms - day * DAY_MS, now_ms - (day + 1) * DAY_MS
        with_backup = [r for r in active if (r.get("at") or 0) >= start]
        perfect = [r for r in with_backup if r.get("status") == "Perfect"]
        history.append({
            "timeWindow": f"Between{day}dAnd{day + 1}d",
            "status": window_status(len(active), len(with_backup), len(perfect)),
            "startTime": start,
            "endTime": end,
            "totalServiceCount": len(services),
            "activeServiceCount": len(active),
            "activeServiceWithBackupCount": len(with_backup),
            "activeServiceWithPerfectBackupCount": len(perfect),
        })
    fully = min(backed_up) if backed_up and len(backed_up) == len(active) else None
    return {
        "appType": app,
        "lastFullyProtectedTime": fully,
        "uningestedServiceCount": len(active) - len(backed_up),
        "usedBytes": sum(int(r.get("bytes") or 0) for _, r in services),
        "backupHistory": history,
    }


def _remote_ids(customer: SaasCustomer, seats: list[Seat]) -> list[dict[str, Any]]:
    rows = []
    for seat_type in catalog.SEAT_APPS.get(customer.product_type, {}):
        of_type = [s for s in seats if s.seat_type == seat_type]
        states = [s.seat_state for s in of_type]
        rows.append({
            "seatType": seat_type,
            "active": states.count(catalog.ACTIVE),
            "paused": states.count(catalog.PAUSED),
            "archived": states.count(catalog.ARCHIVED),
            "unprotected": states.count(catalog.UNPROTECTED),
            "discovered": len(of_type),
            "remoteIds": [s.remote_id for s in of_type],
        })
    return rows


def applications(customer: SaasCustomer, seats: list[Seat], now: dt.datetime, days_until: int,
                 include_remote_ids: bool) -> list[dict[str, Any]]:
    """The report as the API returns it: an array holding one page envelope with one item."""
    now_ms = int(now.timestamp() * 1000)
    apps = [_app_report(app, seats, customer.product_type, now_ms, days_until)
            for app in catalog.APP_TYPES.get(customer.product_type, ())]
    item: dict[str, Any] = {
        "customerId": customer.saas_customer_id,
        "customerName": customer.name,
        "usedBytes": sum(a["usedBytes"] for a in apps),
        "suites": [{"suiteType": customer.product_type, "appTypes": apps}],
    }
    if include_remote_ids:
        item["remoteIds"] = _remote_ids(customer, seats)
    pagination = {"page": 1, "perPage": PER_PAGE, "totalPages": 1, "count": 1}
    return [{"pagination": pagination, "items": [item]}]
