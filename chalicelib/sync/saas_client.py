"""The SaaS Protection REST API client (v1), robust to what live clients have observed.

- HTTP Basic with the public/secret key; every request goes through chalicelib.outbound, with a
  timeout above the vendor's own 60 s edge.
- Lists are read by `saas_answers` (bare arrays or envelopes, with the totals an envelope or the
  `X-Total-Pages` header announces). `_page`/`_perPage` are sent (500 a page: fewer requests
  per large customer); a server that pages is followed to its last page, and one that ignores
  `_page` costs one extra request: paging stops at the first page that adds no new id, or at a
  short page. A server may ignore `_perPage` too and serve its default of 100, so only a page
  shorter than that ends an unannounced list.
- The customer list is proven complete or refused (`IncompleteList`): customers are told apart by
  `saasCustomerId`; every announced page must arrive with new ids, the announced totals must
  agree between pages and the distinct ids must add up to them. One bad element (no id, a
  non-finite figure) is skipped and reported (`CustomerList.skipped`), not the whole list.
- 5xx answers and timeouts are retried with exponential back-off; a 429 waits `Retry-After`
  (when it is short enough) and retries, else `RateLimited` tells the run when to come back;
  either holds every thread fetching with the client (`request_gate`).
  `sleep` and `monotonic` are injected, so tests never wait.
- One customer's seats: a 504 (the vendor's answer for large customers) is final for this run,
  a 403 means the key is scoped without that customer, and the whole fetch stops after
  `CUSTOMER_SEATS_SECONDS`; all three are `SeatsUnavailable`, which costs only that customer.
- 401/403 elsewhere is `KeysRefused`; a body that is not the JSON expected is `MalformedResponse`.
- A seat list whose every page came with one strong `ETag` (a server versioning the whole list)
  is answered with it (`SeatList.etag`); sent back as `If-None-Match` on page 1, a 304 means
  the list is as it was (`SeatList.unchanged`). A server without ETags, or with one per page,
  is read in full every time.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from chalicelib import logs
from chalicelib.errors import InvalidInput, UpstreamError
from chalicelib.outbound import HttpResponse, Transport, Unreachable
from chalicelib.sync import saas_answers
from chalicelib.sync.request_gate import RequestGate
from chalicelib.sync.saas_answers import (
    MalformedCustomer,
    MalformedResponse,
    Page,
    RemoteCustomer,
    RemoteSeat,
    SeatList,
)

__all__ = ["ATTEMPTS", "CustomerList", "IncompleteList", "KeysRefused", "MalformedResponse",
           "RateLimited", "RemoteCustomer", "RemoteSeat", "SaasClient", "SeatList",
           "SeatsUnavailable"]

PER_PAGE = 500
# The vendor's own page: a server that ignores `_perPage` serves this many, so a page of this
# many or more is not the last one unless the server announced how many pages there are.
VENDOR_PER_PAGE = 100
MAX_PAGES = 1000
ATTEMPTS = 4
BACKOFF_SECONDS = 1.0
MAX_RETRY_AFTER_SECONDS = 120
TIMEOUT_SECONDS = 75.0  # the vendor gives up at 60 s with a 504: wait for its answer
CUSTOMER_SEATS_SECONDS = 240.0  # no new request for one customer's seats after this long
WORST_CUSTOMER_SECONDS = CUSTOMER_SEATS_SECONDS + TIMEOUT_SECONDS

Sleep = Callable[[float], None]
Timer = Callable[[], float]


class KeysRefused(InvalidInput):
    """The REST API answered 401/403: the public or secret key is wrong or revoked."""

    public_message = (
        "The SaaS Protection API keys were refused. Check the public and secret key in the "
        "Partner Portal (Admin > Integrations > API Keys)."
    )


class IncompleteList(UpstreamError):
    """The customer list cannot be proven complete; nothing may be concluded from it."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"Incomplete answer from SaaS Protection: {detail} Nothing was deleted; "
                         "the next sync tries again.")


class RateLimited(UpstreamError):
    """The REST API kept answering 429; `retry_after` seconds is its last advice."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class SeatsUnavailable(UpstreamError):
    """One customer's seats cannot be had in this run (504, out of the key's scope, too slow)."""


@dataclass
class CustomerList:
    """The complete customer list; `skipped` says which elements were bad data and why.

    `identified_all` is False when a skipped element had no usable id: then nobody can tell
    which stored customer it was, so no customer may be concluded missing from this list.
    """

    customers: list[RemoteCustomer] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    bad_ids: list[str] = field(default_factory=list)  # listed, but their element was bad data
    identified_all: bool = True

    def skip(self, bad: MalformedCustomer) -> None:
        """Report a bad element (its id, when it has one, still counts as listed)."""
        who = f"Customer {bad.customer_id}" if bad.customer_id else "A customer"
        self.skipped.append(f"{who} in the customer list was skipped: {bad.message}.")
        logs.event("saas_customer_skipped", customer_id=bad.customer_id or "",
                   reason=bad.message[:100])
        if bad.customer_id is None:
            self.identified_all = False
        else:
            self.bad_ids.append(bad.customer_id)


@dataclass
class _Paging:
    """What the pages of one list announced so far (None: not announced)."""

    total_pages: int | None = None
    total_items: int | None = None
    announced: bool = False  # some page came in an envelope with pagination
    trouble: str = ""

    def note(self, page: int, found: Page) -> None:
        for name, seen, value in (("pages", self.total_pages, found.total_pages),
                                  ("customers", self.total_items, found.total_items)):
            if value is not None and seen is not None and value != seen and not self.trouble:
                self.trouble = (f"page {page} announced {value} {name} where an earlier page "
                                f"announced {seen}.")
        self.total_pages = found.total_pages if found.total_pages is not None else self.total_pages
        self.total_items = found.total_items if found.total_items is not None else self.total_items
        self.announced = self.announced or found.announced

    def last(self, page: int, size: int, short_below: int) -> bool:
        """This page ends the list: the last announced one, or short when none was announced."""
        if self.total_pages is not None:
            return page >= self.total_pages
        return size < short_below


class SaasClient:
    """One partner's view of the REST API at `base_url`."""

    def __init__(self, transport: Transport, base_url: str, public_key: str, secret_key: str,
                 *, sleep: Sleep = time.sleep, monotonic: Timer = time.monotonic,
                 attempts: int = ATTEMPTS, per_page: int = PER_PAGE) -> None:
        self._transport = transport
        self._base = base_url.rstrip("/")
        token = base64.b64encode(f"{public_key}:{secret_key}".encode()).decode()
        self._headers = {"authorization": f"Basic {token}", "accept": "application/json"}
        self._sleep = sleep
        self._monotonic = monotonic
        self._attempts = attempts
        self._per_page = per_page
        self._short_below = min(per_page, VENDOR_PER_PAGE)  # a page this short ends a list
        self.gate = RequestGate(sleep, monotonic)  # shared by the threads fetching with it

    # -- endpoints -------------------------------------------------------------------------------
    def customers(self) -> list[RemoteCustomer]:
        """Every well-formed customer the key can see, proven complete (see `customer_list`)."""
        return self.customer_list().customers

    def customer_list(self) -> CustomerList:
        """Every customer the key can see (GET /saas/domains, every page), proven complete.

        Raises `IncompleteList` when the pages do not add up to the whole list.
        """
        found: dict[str, RemoteCustomer | None] = {}
        listed = CustomerList()
        paging = _Paging()
        for page in range(1, MAX_PAGES + 1):
            answer = self._page("/saas/domains", page, None)
            paging.note(page, answer)
            known = set(found)
            ids = [i for i in (self._read_customer(item, found, listed) for item in answer.items)
                   if i is not None]
            if not set(ids) - known:
                _check_no_new(page, paging, ids)
                break
            if paging.last(page, len(answer.items), self._short_below):
                break
        else:
            raise IncompleteList(f"the list did not end within {MAX_PAGES} pages.")
        _check_totals(paging, len(found), listed)
        listed.customers = [c for c in found.values() if c is not None]
        listed.bad_ids = [i for i in listed.bad_ids if found[i] is None]
        return listed

    def seats(self, customer_id: str) -> list[RemoteSeat]:
        """One customer's seats (GET /saas/{id}/seats, every page); SeatsUnavailable if not had."""
        return self.seat_list(customer_id).seats

    def seat_list(self, customer_id: str, if_none_match: str = "") -> SeatList:
        """One customer's seats and their list-wide ETag; with `if_none_match` (an ETag of this
        list) sent on page 1, a 304 answers `unchanged`. SeatsUnavailable if not had."""
        path = f"/saas/{customer_id}/seats"
        deadline = self._monotonic() + CUSTOMER_SEATS_SECONDS
        found: dict[str, RemoteSeat] = {}
        tags: set[str] = set()
        for page in range(1, MAX_PAGES + 1):
            response = self._response(path, page, deadline, if_none_match if page == 1 else "")
            if response.status == 304:
                return _not_modified(path, page, if_none_match)
            tags.add(saas_answers.strong_etag(response.headers))
            if self._last_seat_page(self._parsed(response, path), page, customer_id, found):
                break
        return SeatList(list(found.values()), tags.pop() if len(tags) == 1 else "")

    def _last_seat_page(self, answer: Page, page: int, customer_id: str,
                        found: dict[str, RemoteSeat]) -> bool:
        """Add the page's new seats to `found`; whether the list ends with this page."""
        fresh = [s for s in (saas_answers.seat(item, customer_id) for item in answer.items)
                 if s.remote_id not in found]
        found.update((s.remote_id, s) for s in fresh)
        if not fresh or answer.total_pages is not None and page >= answer.total_pages:
            return True
        return answer.total_pages is None and len(answer.items) < self._short_below

    # -- plumbing --------------------------------------------------------------------------------
    @staticmethod
    def _read_customer(item: Any, found: dict[str, RemoteCustomer | None],
                       listed: CustomerList) -> str | None:
        """The element's id (None: it has none), keeping the customer or noting why it is bad."""
        try:
            customer = saas_answers.customer(item)
        except MalformedCustomer as exc:
            if exc.customer_id not in found:
                listed.skip(exc)
            if exc.customer_id is not None:
                found.setdefault(exc.customer_id, None)
            return exc.customer_id
        if found.get(customer.customer_id) is None:
            found[customer.customer_id] = customer
        return customer.customer_id

    def _page(self, path: str, page: int, deadline: float | None) -> Page:
        return self._parsed(self._response(path, page, deadline), path)

    def _response(self, path: str, page: int, deadline: float | None,
                  if_none_match: str = "") -> HttpResponse:
        query = {"_page": page, "_perPage": self._per_page}
        condition = {"if-none-match": if_none_match} if if_none_match else {}
        return self._get(self._base + path + "?" + urlencode(query), path, deadline, condition)

    @staticmethod
    def _parsed(response: HttpResponse, path: str) -> Page:
        found = saas_answers.page_of(saas_answers.parse_json(response.body, path), path)
        return saas_answers.with_headers(found, response.headers)

    def _get(self, url: str, path: str, deadline: float | None,
             condition: dict[str, str] | None = None) -> HttpResponse:
        """GET with retries: back-off on 5xx and timeouts, Retry-After on 429."""
        last = ""
        headers = {**self._headers, **(condition or {})}
        for attempt in range(1, self._attempts + 1):
            self._check_deadline(path, deadline)
            self.gate.enter()
            try:
                response = self._transport.request("GET", url, headers=headers,
                                                   timeout=TIMEOUT_SECONDS)
            except Unreachable as exc:
                if attempt == self._attempts:
                    raise Unreachable(f"{exc.message} (GET {path}, {attempt} attempts)") from exc
                self._sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
                continue
            if response.status < 400:
                return response
            self._refuse(response, path, attempt, seats=deadline is not None)
            last = f"HTTP {response.status}"
            if attempt < self._attempts:
                self._pause(response, attempt)
        raise UpstreamError(
            f"The SaaS Protection API failed on GET {path} ({last} after {self._attempts} "
            "attempts)."
        )

    def _pause(self, response: HttpResponse, attempt: int) -> None:
        """Before the next attempt: a 429's wait holds every thread of the client; a 5xx's
        back-off only this request."""
        if response.status == 429:
            self.gate.hold(_retry_after(response))
        else:
            self._sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))

    def _check_deadline(self, path: str, deadline: float | None) -> None:
        if deadline is not None and self._monotonic() >= deadline:
            raise SeatsUnavailable(f"GET {path} took longer than {CUSTOMER_SEATS_SECONDS:.0f} "
                                   "seconds in all")

    def _refuse(self, response: HttpResponse, path: str, attempt: int, *, seats: bool) -> None:
        """Raise for an answer not worth retrying; return for one that is (5xx, short 429)."""
        status = response.status
        if seats:
            _refuse_seats(status, path)
        if status in (401, 403):
            raise KeysRefused()
        if status == 429:
            wait = _retry_after(response)
            if attempt == self._attempts or wait > MAX_RETRY_AFTER_SECONDS:
                message = (f"The SaaS Protection API's rate limit was reached (GET {path}); "
                           f"it asked to wait {wait} seconds.")
                self.gate.refuse(lambda: RateLimited(message, retry_after=wait))
                raise RateLimited(message, retry_after=wait)
            logs.event("saas_api_rate_limited", path=path, retry_after=wait)
            return
        if status < 500:
            raise UpstreamError(
                f"The SaaS Protection API answered HTTP {status} to GET {path}: "
                f"{_error_message(response)}"
            )


def _not_modified(path: str, page: int, if_none_match: str) -> SeatList:
    """A 304: the list as it was, if one was asked on page 1; otherwise a broken answer."""
    if page == 1 and if_none_match:
        return SeatList([], if_none_match, unchanged=True)
    raise MalformedResponse(f"GET {path} answered 304 Not Modified to a request that named no "
                            "ETag.")


def _refuse_seats(status: int, path: str) -> None:
    """One customer's seats: a 504 is final for this run, a 403 is a key scoped without it."""
    if status == 504:
        raise SeatsUnavailable(f"the API timed out (HTTP 504) on GET {path}; not retried in "
                               "this run")
    if status == 403:
        raise SeatsUnavailable(f"the API keys may not see this customer (HTTP 403 on GET "
                               f"{path})")


def _retry_after(response: HttpResponse) -> int:
    value = response.headers.get("retry-after", "").strip()
    return min(int(value), 86_400) if value.isdigit() and len(value) <= 9 else 60


def _error_message(response: HttpResponse) -> str:
    try:
        body = response.json()
    except (ValueError, UnicodeDecodeError, RecursionError):
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


def _check_totals(paging: _Paging, received: int, listed: CustomerList) -> None:
    """The distinct ids add up to the announced total (unidentified bad elements aside)."""
    if paging.trouble:
        raise IncompleteList(paging.trouble)
    if paging.total_items is None or received == paging.total_items:
        return
    if not listed.identified_all and received < paging.total_items:
        return  # the skipped elements without an id make up the difference; nothing is deleted
    raise IncompleteList(f"{received} distinct customers arrived where "
                         f"{paging.total_items} were announced.")
