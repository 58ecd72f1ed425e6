"""What the SaaS Protection REST API answers, read strictly: customers, seats and list pages.

Lists arrive as bare arrays, one envelope `{"pagination", "items"}` or an array of envelopes; all
are accepted. Numbers must be finite: `NaN`, `Infinity` and `1e999` (which JSON parsers accept)
make the customer carrying them bad data, skipped and reported rather than stored.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from chalicelib.errors import UpstreamError

LARGEST_COUNT = 10**9  # no partner has a billion seats; anything above is bad data
# A strong entity tag (RFC 9110 section 8.8.3), short enough to keep on the customer's record.
STRONG_TAG = re.compile(r'"[\x21\x23-\x7e]{0,200}"')


class MalformedResponse(UpstreamError):
    """The REST API answered, but not with the JSON the contract describes."""


class MalformedCustomer(UpstreamError):
    """One element of the customer list is bad data; `customer_id` when it has a usable one."""

    def __init__(self, message: str, customer_id: str | None = None) -> None:
        super().__init__(message)
        self.customer_id = customer_id


class _NonFinite:
    """Stands for `NaN`, `Infinity` or `-Infinity` in a parsed body, so no figure takes it."""


NON_FINITE = _NonFinite()


@dataclass(frozen=True)
class RemoteCustomer:
    """One element of GET /saas/domains."""

    customer_id: str
    name: str
    organization_name: str | None
    domain: str
    product: str
    seats_used: int
    active_services: int
    recent_backup_services: int
    backup_percentage: float


@dataclass(frozen=True)
class RemoteSeat:
    """One element of GET /saas/{id}/seats."""

    remote_id: str
    main_id: str
    name: str
    seat_type: str
    seat_state: str
    billable: str
    date_added: str


@dataclass(frozen=True)
class Page:
    """One list page: its items and the totals the server announced (None: not announced)."""

    items: list[dict[str, Any]]
    total_pages: int | None
    total_items: int | None
    announced: bool


def parse_json(body: bytes, path: str) -> Any:
    """The body as JSON, non-finite constants replaced by NON_FINITE; MalformedResponse if not."""
    try:
        return json.loads(body.decode("utf-8"), parse_constant=lambda _name: NON_FINITE)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise MalformedResponse(
            f"The SaaS Protection API returned malformed JSON for GET {path}."
        ) from exc


def whole_number(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def page_of(body: Any, path: str) -> Page:
    """The items (and totals if the server said) from a bare array, an envelope or envelopes."""
    if isinstance(body, dict) and "items" in body:
        body = [body]
    if not isinstance(body, list):
        raise MalformedResponse(f"The SaaS Protection API returned an unexpected body for {path}.")
    if body and all(isinstance(e, dict) and "items" in e for e in body):
        return _envelopes(body, path)
    return Page(body, None, None, False)


def with_headers(page: Page, headers: dict[str, str]) -> Page:
    """A bare array's page count from `X-Total-Pages`, where the server sends it.

    `X-Total-Count` is not read as a customer count: the Partner Portal counts list positions
    there, and a position left empty by a refused duplicate would make a whole list look short.
    """
    total_pages = _header_number(headers, "x-total-pages")
    if page.announced or total_pages is None:
        return page
    return Page(page.items, total_pages, None, True)


def _header_number(headers: dict[str, str], name: str) -> int | None:
    value = headers.get(name, "").strip()
    return int(value) if value.isdigit() and len(value) <= 9 else None


def _envelopes(envelopes: list[dict[str, Any]], path: str) -> Page:
    items: list[Any] = []
    total_pages: int | None = None
    total_items: int | None = None
    announced = False
    for envelope in envelopes:
        if not isinstance(envelope["items"], list):
            raise MalformedResponse(f"Unexpected envelope in the answer to {path}.")
        items.extend(envelope["items"])
        pagination = envelope.get("pagination")
        if isinstance(pagination, dict):
            announced = True
            total_pages = whole_number(pagination.get("totalPages")) or total_pages
            if total_items is None:
                total_items = whole_number(pagination.get("totalItems", pagination.get("total")))
    return Page(items, total_pages, total_items, announced)


def customer_id_of(item: Any) -> str | None:
    """The element's `saasCustomerId` as digits (None when it has no usable one)."""
    raw = item.get("saasCustomerId") if isinstance(item, dict) else None
    if isinstance(raw, bool) or not isinstance(raw, (int, str)):
        return None
    text = str(raw).strip()
    return text if text.isdigit() and len(text) <= 20 else None


def customer(item: Any) -> RemoteCustomer:
    """One element of the customer list, or MalformedCustomer saying what is wrong with it."""
    customer_id = customer_id_of(item)
    if customer_id is None or not isinstance(item, dict):
        raise MalformedCustomer("an element of the customer list has no valid saasCustomerId")
    raw_stats = item.get("backupStats")
    stats: dict[str, Any] = raw_stats if isinstance(raw_stats, dict) else {}
    organization = item.get("organizationName")
    figures = {name: _figure(source, key, customer_id) for name, source, key in (
        ("seats", item, "seatsUsed"), ("active", stats, "activeServicesCount"),
        ("recent", stats, "activeServicesWithRecentBackupCount"),
        ("percentage", stats, "backupPercentage"))}
    return RemoteCustomer(
        customer_id=customer_id,
        name=_text(item, "saasCustomerName"),
        organization_name=_text(item, "organizationName") if organization else None,
        domain=_text(item, "domain"),
        product=_text(item, "productType"),
        seats_used=int(figures["seats"]),
        active_services=int(figures["active"]),
        recent_backup_services=int(figures["recent"]),
        backup_percentage=round(figures["percentage"], 2),
    )


def _figure(item: dict[str, Any], key: str, customer_id: str) -> float:
    """A count or percentage: missing or unreadable is 0; non-finite or absurd is bad data."""
    value = item.get(key)
    if value is NON_FINITE or (isinstance(value, float) and not math.isfinite(value)):
        raise MalformedCustomer(f"{key} is not a finite number", customer_id)
    try:
        number = float(value) if value is not None and not isinstance(value, bool) else 0.0
    except (TypeError, ValueError, OverflowError):
        return 0.0
    if not math.isfinite(number) or abs(number) > LARGEST_COUNT:
        raise MalformedCustomer(f"{key} is not a plausible number", customer_id)
    return number


def seat(item: dict[str, Any], customer_id: str) -> RemoteSeat:
    """One element of a customer's seat list (MalformedResponse when it has no id)."""
    main_id = _text(item, "mainId")
    remote_id = _text(item, "remoteId") or main_id
    if not remote_id:
        raise MalformedResponse(f"A seat of customer {customer_id} has no remoteId or mainId.")
    billable = item.get("billable")
    return RemoteSeat(
        remote_id=remote_id,
        main_id=main_id,
        name=_text(item, "name"),
        seat_type=_text(item, "seatType"),
        seat_state=_text(item, "seatState"),
        billable="1" if str(billable) in {"1", "True", "true"} else "",
        date_added=_text(item, "dateAdded"),
    )


def _text(item: dict[str, Any], key: str) -> str:
    value = item.get(key)
    return "" if value is None or value is NON_FINITE else str(value)


@dataclass(frozen=True)
class SeatList:
    """One customer's seats; `etag`: the strong ETag every page came with ("" when a page had
    none or they differed); `unchanged`: a 304 to the ETag sent, so no seats came."""

    seats: list[RemoteSeat]
    etag: str = ""
    unchanged: bool = False


def strong_etag(headers: dict[str, str]) -> str:
    """An answer's strong ETag, or "" (none, weak, malformed or too long to keep)."""
    tag = headers.get("etag", "").strip()
    return tag if STRONG_TAG.fullmatch(tag) else ""
