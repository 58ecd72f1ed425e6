"""The SaaS Protection REST API client (v1), robust to what live clients have observed.

- HTTP Basic with the public/secret key; every request goes through chalicelib.outbound.
- Lists arrive as bare arrays, one envelope `{"pagination", "items"}` or an array of envelopes; all
  are accepted. `_page`/`_perPage` are sent; a server that pages is followed to its last page.
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
                 *, sleep: Sleep = time.sleep, attempts: int = ATTEMPTS) -> None:
        self._transport = transport
        self._base = base_url.rstrip("/")
        token = base64.b64encode(f"{public_key}:{secret_key}".encode()).decode()
        self._headers = {"authorization": f"Basic {token}", "accept": "application/json"}
        self._sleep = sleep
        self._attempts = attempts

    # -- endpoints -------------------------------------------------------------------------------
    def customers(self) -> list[RemoteCustomer]:
        """Every customer the key can see (GET /saas/domains, every page)."""
        return [_customer(item) for item in self._list("/saas/domains", paged=True)]

    def seats(self, customer_id: str) -> list[RemoteSeat]:
        """One customer's seats (GET /saas/{id}/seats)."""
        return [_seat(item, customer_id) for item in self._list(f"/saas/{customer_id}/seats")]

    # -- plumbing --------------------------------------------------------------------------------
    def _list(self, path: str, *, paged: bool = False) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        seen: set[str] = set()
        for page in range(1, MAX_PAGES + 1):
            query = {"_page": page, "_perPage": PER_PAGE} if paged else {}
            body = self._get_json(path, query)
            items, total_pages = _items(body, path)
            fresh = [i for i in items if json.dumps(i, sort_keys=True) not in seen]
            seen.update(json.dumps(i, sort_keys=True) for i in fresh)
            found.extend(fresh)
            if not paged or not fresh:
                break
            if total_pages is not None and page >= total_pages:
                break
            if total_pages is None and len(items) < PER_PAGE:
                break
        return found

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


def _items(body: Any, path: str) -> tuple[list[dict[str, Any]], int | None]:
    """(items, total pages if the server said) from a bare array, an envelope or envelopes."""
    if isinstance(body, dict) and "items" in body:
        body = [body]
    if not isinstance(body, list):
        raise MalformedResponse(f"The SaaS Protection API returned an unexpected body for {path}.")
    total: int | None = None
    if body and all(isinstance(e, dict) and "items" in e for e in body):
        items: list[Any] = []
        for envelope in body:
            if not isinstance(envelope["items"], list):
                raise MalformedResponse(f"Unexpected envelope in the answer to {path}.")
            items.extend(envelope["items"])
            pagination = envelope.get("pagination") or {}
            if isinstance(pagination, dict) and isinstance(pagination.get("totalPages"), int):
                total = pagination["totalPages"]
        body = items
    if not all(isinstance(item, dict) for item in body):
        raise MalformedResponse(f"The SaaS Protection API returned a non-object item for {path}.")
    return body, total


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
