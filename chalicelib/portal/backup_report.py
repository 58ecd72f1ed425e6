"""The backup report of /saas/{id}/applications, computed from a customer's seats.

Each service keeps its last backup time and status. A service whose last backup is at T is taken
to have been backed up every day up to T, so a daily window counts it as backed up when T falls
on or after the window's earlier edge. A seat counts in a window once it was added by the window's
later edge. The words, the order of each window's times and `lastFullyProtectedTime` follow what
public clients of the vendor's API record from live answers (docs/rest-api.md).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from chalicelib.portal import catalog
from chalicelib.storage.portal.saas_customers import SaasCustomer
from chalicelib.storage.portal.saas_seats import Seat

DAY_MS = 24 * 3600 * 1000
PER_PAGE = 100
# daysUntil has no upper limit, but the vendor's history holds 30 days (a public client notes that
# more returns no more data): windows stop there, so a huge daysUntil costs what 30 do.
HISTORY_DAYS = 30
PERFECT, WITH_ISSUES, INSUFFICIENT = "Perfect", "Backup With Issues", "Insufficient History"
HISTORY_STATUSES = (PERFECT, WITH_ISSUES, INSUFFICIENT)
# lastFullyProtectedTime: epoch milliseconds within this many days, else the bucket's name.
BUCKET_DAYS = 10
OVER_BUCKET = "OVER_10_DAYS_AGO"


@dataclass(frozen=True)
class Service:
    """One seat's service of one application: when its seat was added, its last backup."""

    added_ms: int
    active: bool
    backed_up_ms: int | None
    perfect: bool
    used_bytes: int


def window_status(present: int, perfect: int) -> str:
    """Perfect when every active service had a perfect backup; no active service: no history."""
    if not present:
        return INSUFFICIENT
    return PERFECT if perfect == present else WITH_ISSUES


def history_window(day: int, services: list[Service], now_ms: int) -> dict[str, Any]:
    """Window `Between{day}dAnd{day+1}d`: `startTime` is its later edge, as the vendor sends."""
    later, earlier = now_ms - day * DAY_MS, now_ms - (day + 1) * DAY_MS
    there = [s for s in services if s.added_ms <= later]
    active = [s for s in there if s.active]
    with_backup = [s for s in active if (s.backed_up_ms or 0) >= earlier]
    perfect = [s for s in with_backup if s.perfect]
    return {
        "timeWindow": f"Between{day}dAnd{day + 1}d",
        "status": window_status(len(active), len(perfect)),
        "startTime": later,
        "endTime": earlier,
        "totalServiceCount": len(there),
        "activeServiceCount": len(active),
        "activeServiceWithBackupCount": len(with_backup),
        "activeServiceWithPerfectBackupCount": len(perfect),
    }


def last_fully_protected(services: list[Service], now_ms: int) -> int | str | None:
    """When every active service had last been backed up: epoch ms, the bucket, or None."""
    times = [s.backed_up_ms for s in services if s.active]
    if not times or None in times:
        return None
    oldest = min(t for t in times if t is not None)
    return OVER_BUCKET if now_ms - oldest > BUCKET_DAYS * DAY_MS else oldest


def services_of(app: str, seats: list[Seat], product: str) -> list[Service]:
    """The services of one application across the customer's seats."""
    found = []
    for seat in seats:
        if app not in catalog.seat_apps(product, seat.seat_type):
            continue
        result = seat.services.get(app, {})
        found.append(Service(int(seat.date_added.timestamp() * 1000),
                             seat.seat_state == catalog.ACTIVE, _ms(result.get("at")),
                             result.get("status") == PERFECT, int(result.get("bytes") or 0)))
    return found


def _ms(value: Any) -> int | None:
    return int(value) if value else None


def app_report(app: str, services: list[Service], now_ms: int, days: int) -> dict[str, Any]:
    """One application's entry: last fully protected time and its daily windows, newest first."""
    active = [s for s in services if s.active]
    return {
        "appType": app,
        "lastFullyProtectedTime": last_fully_protected(services, now_ms),
        "uningestedServiceCount": sum(s.backed_up_ms is None for s in active),
        "usedBytes": sum(s.used_bytes for s in services),
        "backupHistory": [history_window(day, services, now_ms)
                          for day in range(min(days, HISTORY_DAYS))],
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
    product = customer.product_type
    apps = [app_report(app, services_of(app, seats, product), now_ms, days_until)
            for app in catalog.APP_TYPES.get(product, ())]
    item: dict[str, Any] = {
        "customerId": customer.saas_customer_id,
        "customerName": customer.name,
        "usedBytes": sum(a["usedBytes"] for a in apps),
        "suites": [{"suiteType": product, "appTypes": apps}],
    }
    if include_remote_ids:
        item["remoteIds"] = _remote_ids(customer, seats)
    pagination = {"page": 1, "perPage": PER_PAGE, "totalPages": 1, "count": 1}
    return [{"pagination": pagination, "items": [item]}]
