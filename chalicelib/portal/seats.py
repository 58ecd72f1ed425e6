"""Seats: their list's ETag, and bulk seat changes (License, Pause, Unlicense) with the customer's
summary kept exact in the same write (`seat_summary`)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from chalicelib.errors import InvalidInput, NotFound, StorageUnavailable
from chalicelib.portal import catalog
from chalicelib.portal.seat_summary import SeatSummary, changed, stored, summarize, values
from chalicelib.storage.portal import saas_seats as seat_store
from chalicelib.storage.portal.saas_customers import SaasCustomer
from chalicelib.storage.portal.saas_seats import Seat

# A seat list's ETag is served once its version is this old: pages are read from an index that
# DynamoDB updates shortly after the table, so a page read just after a change may still show
# the seats before it. Until then the list is served without an ETag (fetched again next time).
ETAG_SETTLE = dt.timedelta(seconds=30)
# Changed if what every list's pages hold changes at once, so no ETag served before matches.
ETAG_FORMAT = "seats-1"
MAX_IDS = 100
# Reads and writes of one bulk change before it gives up racing other changes (503).
BULK_ATTEMPTS = 5
MAX_ID_LENGTH = 200
# The vendor refuses bulk changes for Google Workspace customers (docs/rest-api.md).
BULK_PRODUCTS = (catalog.OFFICE365,)
# action_type -> (new seatState, new billable flag or None to leave it as it is)
ACTIONS: dict[str, tuple[str, str | None]] = {
    "License": (catalog.ACTIVE, "1"),
    "Pause": (catalog.PAUSED, None),
    "Unlicense": (catalog.UNPROTECTED, ""),
}


def seat_list_tag(customer: SaasCustomer, seat_types: Iterable[str], per_page: int) -> str:
    """The strong ETag of a customer's seat list as paged this way, the same on every page: the
    list's version (bumped in the write of any seat change) and what shapes its pages."""
    shape = "|".join([ETAG_FORMAT, customer.company_id, str(customer.saas_customer_id),
                      customer.created_at.isoformat(), str(customer.seats_version),
                      ",".join(sorted(set(seat_types))), str(per_page)])
    return '"' + hashlib.sha256(shape.encode()).hexdigest()[:32] + '"'


def tag_settled(customer: SaasCustomer, now: dt.datetime) -> bool:
    """Whether the seat list last changed long enough ago for its pages to show that change."""
    changed_at = customer.seats_changed_at
    return changed_at is None or now - changed_at >= ETAG_SETTLE


@dataclass(frozen=True)
class BulkChange:
    """One bulk request: an action for up to MAX_IDS seats of one type, by remote id."""

    seat_type: str
    action_type: str
    ids: list[str]


def check_product(product_type: str) -> None:
    """Refuse a bulk change for a product the vendor takes none for (Google Workspace)."""
    if product_type not in BULK_PRODUCTS:
        raise InvalidInput(f"Bulk seat changes are not available for "
                           f"{catalog.PRODUCTS.get(product_type, product_type)} customers; "
                           "change their seats in the SaaS Protection portal.")


def change_request(product_type: str, data: dict[str, Any]) -> BulkChange:
    """The request's fields (case-sensitive enums, 1-100 distinct ids), or InvalidInput."""
    seat_type, action_type = data.get("seat_type"), data.get("action_type")
    seat_types = catalog.SEAT_APPS[product_type]
    if not isinstance(seat_type, str) or seat_type not in seat_types:
        raise InvalidInput(f"seat_type must be one of: {', '.join(seat_types)}.",
                           field="seat_type")
    if not isinstance(action_type, str) or action_type not in ACTIONS:
        raise InvalidInput(f"action_type must be one of: {', '.join(ACTIONS)}.",
                           field="action_type")
    return BulkChange(seat_type, action_type, checked_ids(data.get("ids")))


def checked_ids(ids: Any) -> list[str]:
    """1 to MAX_IDS distinct non-empty remote ids of at most MAX_ID_LENGTH characters."""
    if not isinstance(ids, list) or not 1 <= len(ids) <= MAX_IDS:
        raise InvalidInput(f"ids must be a list of 1 to {MAX_IDS} remote ids.", field="ids")
    if not all(isinstance(i, str) and 0 < len(i) <= MAX_ID_LENGTH for i in ids):
        raise InvalidInput("Every id must be a non-empty string.", field="ids")
    if len(set(ids)) != len(ids):
        raise InvalidInput("ids must not repeat.", field="ids")
    return ids


def change_id(saas_customer_id: int, remote_id: str) -> int:
    """The integer `id` of a seat's change: stable per seat, below 2**48 (exact in JSON)."""
    digest = hashlib.sha256(f"{saas_customer_id}:{remote_id}".encode()).digest()
    return int.from_bytes(digest[:6], "big")


def prospective_ids(data: Any) -> list[str]:
    """The ids a request body names, when they are valid (read with the customer before the
    request is checked in full; nothing is read for a body that is refused anyway)."""
    if not isinstance(data, dict):
        return []
    try:
        return checked_ids(data.get("ids"))
    except InvalidInput:
        return []


def bulk_change(customer: SaasCustomer, change: BulkChange, now: dt.datetime,
                read: dict[str, Seat] | None = None) -> list[dict[str, object]]:
    """Apply one action to up to 100 seats of one type; one result per id, in order.

    The request is checked by `change_request`; an id that is not a seat of this customer with
    this seat type fails on its own without stopping the others. `read`: those seats, read with
    the customer (else they are read here, with it, in one BatchGetItem). The changed seats and
    the customer's summary after them are one transaction (per 99 seats), which holds only while
    no other change came since: a lost race reads again and applies the change to what the
    other left.
    """
    for attempt in range(BULK_ATTEMPTS):
        if attempt or read is None:
            customer, read = _read_again(customer, change.ids)
        found = [i for i in change.ids if i in read and read[i].seat_type == change.seat_type]
        if not found or _written(customer, change, read, found, now):
            return [change_result(customer, change, i, i in found) for i in change.ids]
    raise StorageUnavailable()


def _read_again(customer: SaasCustomer, ids: list[str]) -> tuple[SaasCustomer, dict[str, Seat]]:
    again, read = seat_store.read_for_change(customer.company_id, customer.saas_customer_id, ids)
    if again is None:
        raise NotFound("No such SaaS Protection customer.")
    return again, read


class _Summaries:
    """The customer's summary after each part of a change: from the changed seats and the
    stored summary's clock, or, when that cannot tell, from every seat (one Query, once)."""

    def __init__(self, customer: SaasCustomer, now: dt.datetime) -> None:
        self.saas_customer_id, self.product_type = customer.saas_customer_id, customer.product_type
        self.now = now
        self.summary = stored(customer)
        self.every_seat: dict[str, Seat] | None = None

    def after(self, before: list[Seat], after: list[Seat]) -> SeatSummary:
        """The summary once these seats changed (the earlier parts' changes included)."""
        summary = None if self.every_seat is not None else changed(
            self.summary, before, after, self.product_type, self.now)
        self.summary = summary or self._counted_again(after)
        return self.summary

    def _counted_again(self, after: list[Seat]) -> SeatSummary:
        if self.every_seat is None:
            self.every_seat = {s.remote_id: s for s in seat_store.seats_of_customer(
                self.saas_customer_id, consistent=True)}
        self.every_seat.update((s.remote_id, s) for s in after)
        return summarize(self.every_seat.values(), self.product_type, self.now)


def _written(customer: SaasCustomer, change: BulkChange, read: dict[str, Seat],
             found: list[str], now: dt.datetime) -> bool:
    """The changed seats and the summary after them, in transactions of at most MAX_CHANGES
    seats, each carrying the summary as it stands once that part is written; False on a race."""
    state, billable = ACTIONS[change.action_type]
    changing = [i for i in found if read[i].seat_state != state
                or (billable is not None and read[i].billable != billable)]
    parts = [changing[n:n + seat_store.MAX_CHANGES]
             for n in range(0, len(changing), seat_store.MAX_CHANGES)] or [[]]
    summaries = _Summaries(customer, now)
    version = customer.seats_version
    for part in parts:
        after = [replace(read[i], seat_state=state,
                         billable=read[i].billable if billable is None else billable)
                 for i in part]
        summary = summaries.after([read[i] for i in part], after)
        if not seat_store.write_seat_changes(
                customer.company_id, customer.saas_customer_id, version,
                [seat_store.SeatChange(i, change.seat_type, state, billable) for i in part],
                values(summary), now):
            return False
        version += 1
    return True


def change_result(customer: SaasCustomer, change: BulkChange, remote_id: str,
                  ok: bool) -> dict[str, object]:
    """One id's result as the vendor answers it: `{action, appType, customerId, id, status}`."""
    apps = catalog.seat_apps(customer.product_type, change.seat_type)
    return {"action": change.action_type, "appType": apps[0] if apps else change.seat_type,
            "customerId": customer.saas_customer_id,
            "id": change_id(customer.saas_customer_id, remote_id),
            "status": "Success" if ok else "Failed"}
