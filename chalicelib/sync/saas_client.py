"""The SaaS Protection REST API client (v1), robust to what live clients have observed.

- HTTP Basic with the public/secret key; every request goes through chalicelib.outbound.
- Lists arrive as bare arrays, one envelope `{"pagination", "items"}` or an array of envelopes; all
  are accepted. `_page`/`_perPage` are sent; a server that pages is followed to its last page.
- The customer list is proven complete or refused (`IncompleteList`): customers are told apart by
  `saasCustomerId`; paging stops at the first page that adds no new id (a server that ignores
  `_page` answers page 2 with page 1 again); every announced page must arrive with new ids, the
  announced totals must agree between pages and the distinct ids must add up to them.
- 5xx answers and timeouts are retried with exponential back-off; a 429 waits `Retry-After`
  (when it is short enough) and retries. `sleep` is injected, so tests never wait.
- 401/403 is `KeysRefused`; a body that is not the JSON expected is `MalformedResponse`.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from chalicelib import logs
from chalicelib.errors import InvalidInput, UpstreamError
from chalicelib.outbound import HttpResponse, Transport, Unreachable

PER_PAGE = 500
MAX_PAGES = 1000
ATTEMPTS = 4
BACKOFF_SECONDS = 1.0
MAX_RETRY_AFTER_SECONDS = 120
TIMEOUT_SECONDS = 60.0

Sleep = Callable[[float], None]


class KeysRefused(InvalidInput):
    """The REST API answered 401/403: the public or secret key is wrong or revoked."""

    public_message = (
        "The SaaS Protection API keys were refused. Check the public and secret key in the "
        "Partner Portal (Admin > Integrations > API Keys)."
    )


class MalformedResponse(UpstreamError):
    """The REST API answered, but not with the JSON the contract describes."""


class IncompleteList(UpstreamError):
    """The customer list cannot be proven complete; nothing may be concluded from it."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"Incomplete answer from SaaS Protection: {detail} Nothing was deleted; "
                         "the next sync tries again.")


@dataclass
class _Paging:
    """What the pages of one list announced so far (None: not announced)."""

    total_pages: int | None = None
    total_items: int | None = None
    announced: bool = False  # some page came in an envelope with pagination
    trouble: str = ""

    def note(self, page: int, found: _Page) -> None:
        for name, seen, value in (("pages", self.total_pages, found.total_pages),
                                  ("customers", self.total_items, found.total_items)):
            if value is not None and seen is not None and value != seen and not self.trouble:
                self.trouble = (f"page {page} announced {value} {name} where an earlier page "
                                f"announced {seen}.")
        self.total_pages = found.total_pages if found.total_pages is not None else self.total_pages
        self.total_items = found.total_items if found.total_items is not None else self.total_items
        self.announced = self.announced or found.announced


@dataclass(frozen=True)
class _Page:
    items: list[dict[str, Any]]
    total_pages: int | None
    total_items: int | None
    announced: bool


class RateLimited(UpstreamError):
    """The REST API kept answering 429; `retry_after` seconds is its last advice."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


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


class SaasClient:
    """One partner's view of the REST API at `base_url`."""

    def __init__(self, transport: Transport, base_url: str, public_key: str, secret_key: str,
                 *, sleep: Sleep = time.sleep, attempts: int = ATTEMPTS,
                 per_page: int = PER_PAGE) -> None:
        self._transport = transport
        self._base = base_url.rstrip("/")
        token = base64.b64encode(f"{public_key}:{secret_key}".encode()).decode()
        self._headers = {"authorization": f"Basic {token}", "accept": "application/json"}
        self._sleep = sleep
        self._attempts = attempts
        self._per_page = per_page

    # -- endpoints -------------------------------------------------------------------------------
    def customers(self) -> list[RemoteCustomer]:
        """Every customer the key can see (GET /saas/domains, every page), proven complete.

        Raises `IncompleteList` when the pages do not add up to the whole list.
        """
        found: dict[str, RemoteCustomer] = {}
        paging = _Paging()
        for page in range(1, MAX_PAGES + 1):
            answer = _items(self._get_json("/saas/domains",
                                           {"_page": page, "_perPage": self._per_page}),
                            "/saas/domains")
            paging.note(page, answer)
            customers = [_customer(item) for item in answer.items]
            fresh = [c for c in customers if c.customer_id not in found]
            found.update((c.customer_id, c) for c in fresh)
            if not fresh:
                _check_no_new(page, paging, [c.customer_id for c in customers])
                break
            if paging.total_pages is not None and page >= paging.total_pages:
                break
            if paging.total_pages is None and len(answer.items) < self._per_page:
                break
        else:
            raise IncompleteList(f"the list did not end within {MAX_PAGES} pages.")
        _check_totals(paging, len(found))
        return list(found.values())

    def seats(self, customer_id: str) -> list[RemoteSeat]:
        """One customer's seats (GET /saas/{id}/seats)."""
        path = f"/saas/{customer_id}/seats"
        return [_seat(item, customer_id) for item in _items(self._get_json(path, {}), path).items]

    # -- plumbing --------------------------------------------------------------------------------
    def _get_json(self, path: str, query: dict[str, Any]) -> Any:
        url = self._base + path + ("?" + urlencode(query) if query else "")
        response = self._get(url, path)
        try:
            return json.loads(response.body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise MalformedResponse(
                f"The SaaS Protection API returned malformed JSON for GET {path}."
            ) from exc

    def _get(self, url: str, path: str) -> HttpResponse:
        """GET with retries: back-off on 5xx and timeouts, Retry-After on 429."""
        last = ""
        for attempt in range(1, self._attempts + 1):
            try:
                response = self._transport.request("GET", url, headers=self._headers,
                                                   timeout=TIMEOUT_SECONDS)
            except Unreachable as exc:
                last = exc.message
                if attempt == self._attempts:
                    raise Unreachable(
                        f"{last} (GET {path}, {attempt} attempts)"
                    ) from exc
                self._sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
                continue
            if response.status < 400:
                return response
            if response.status in (401, 403):
                raise KeysRefused()
            if response.status == 429:
                wait = _retry_after(response)
                if attempt == self._attempts or wait > MAX_RETRY_AFTER_SECONDS:
                    raise RateLimited(
                        f"The SaaS Protection API's rate limit was reached (GET {path}); "
                        f"it asked to wait {wait} seconds.",
                        retry_after=wait,
                    )
                logs.event("saas_api_rate_limited", path=path, retry_after=wait)
                self._sleep(wait)
                continue
            if response.status >= 500:
                last = f"HTTP {response.status}"
                if attempt == self._attempts:
                    break
                self._sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
                continue
            raise UpstreamError(
                f"The SaaS Protection API answered HTTP {response.status} to GET {path}: "
                f"{_error_message(response)}"
            )
        raise UpstreamError(
            f"The SaaS Protection API failed on GET {path} ({last} after {self._attempts} "
            "attempts)."
        )


def _retry_after(response: HttpResponse) -> int:
    value = response.headers.get("retry-after", "")
    return int(value) if value.strip().isdigit() else 60


def _error_message(response: HttpResponse) -> str:
    try:
        body = response.json()
    except (ValueError, UnicodeDecodeError):
        return "no details"
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return str(body["message"])[:200]
    return "no details"


def _check_no_new(page: int, paging: _Paging, ids: list[str]) -> None:
    """A page that added no new id ends the list; refused unless it can only be the end.

    Before the last announced page it is a fault. Otherwise an empty page is the end (after full
    pages), and without any pagination a page 2 holding only page 1's customers is a server that
    ignores `_page` (page 1 was the whole list). A later page repeating earlier ones is a fault.
    """
    if paging.trouble:
        raise IncompleteList(paging.trouble)
    if paging.total_pages is not None and page <= paging.total_pages:
        what = "was empty" if not ids else "repeated customers already received"
        raise IncompleteList(f"page {page} of {paging.total_pages} {what}.")
    if not ids or (page == 2 and not paging.announced):
        return
    raise IncompleteList(f"page {page} repeated customers already received.")


def _check_totals(paging: _Paging, received: int) -> None:
    if paging.trouble:
        raise IncompleteList(paging.trouble)
    if paging.total_items is not None and received != paging.total_items:
        raise IncompleteList(f"{received} distinct customers arrived where "
                             f"{paging.total_items} were announced.")


def _whole_number(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _items(body: Any, path: str) -> _Page:
    """The items (and totals if the server said) from a bare array, an envelope or envelopes."""
    if isinstance(body, dict) and "items" in body:
        body = [body]
    if not isinstance(body, list):
        raise MalformedResponse(f"The SaaS Protection API returned an unexpected body for {path}.")
    total_pages: int | None = None
    total_items: int | None = None
    announced = False
    if body and all(isinstance(e, dict) and "items" in e for e in body):
        items: list[Any] = []
        for envelope in body:
            if not isinstance(envelope["items"], list):
                raise MalformedResponse(f"Unexpected envelope in the answer to {path}.")
            items.extend(envelope["items"])
            pagination = envelope.get("pagination")
            if isinstance(pagination, dict):
                announced = True
                total_pages = _whole_number(pagination.get("totalPages")) or total_pages
                total_items = _whole_number(pagination.get("totalItems", pagination.get(
                    "total"))) if total_items is None else total_items
        body = items
    if not all(isinstance(item, dict) for item in body):
        raise MalformedResponse(f"The SaaS Protection API returned a non-object item for {path}.")
    return _Page(body, total_pages, total_items, announced)


def _text(item: dict[str, Any], key: str) -> str:
    value = item.get(key)
    return "" if value is None else str(value)


def _number(item: dict[str, Any], key: str) -> float:
    value = item.get(key)
    try:
        return float(value) if value is not None else 0.0
    except (TypeError, ValueError):
        return 0.0


def _customer(item: dict[str, Any]) -> RemoteCustomer:
    customer_id = item.get("saasCustomerId")
    if isinstance(customer_id, bool) or not isinstance(customer_id, (int, str)) or \
            not str(customer_id).strip().isdigit():
        raise MalformedResponse("A customer in GET /saas/domains has no valid saasCustomerId.")
    raw_stats = item.get("backupStats")
    stats: dict[str, Any] = raw_stats if isinstance(raw_stats, dict) else {}
    organization = item.get("organizationName")
    return RemoteCustomer(
        customer_id=str(customer_id).strip(),
        name=_text(item, "saasCustomerName"),
        organization_name=str(organization) if organization else None,
        domain=_text(item, "domain"),
        product=_text(item, "productType"),
        seats_used=int(_number(item, "seatsUsed")),
        active_services=int(_number(stats, "activeServicesCount")),
        recent_backup_services=int(_number(stats, "activeServicesWithRecentBackupCount")),
        backup_percentage=round(_number(stats, "backupPercentage"), 2),
    )


def _seat(item: dict[str, Any], customer_id: str) -> RemoteSeat:
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
