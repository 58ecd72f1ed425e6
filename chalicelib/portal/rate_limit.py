"""The REST API's weighted hourly budget per partner: the hour's spend on the partner's access item.

Each call costs its endpoint's weight; every key of a partner spends the same budget. The charge,
the key's liveness and its last use are one conditional write (`admit`); the budget it checks is
a copy on the access item written with the company's, so no call reads it and a change binds the
next call. A call that would pass the budget is refused with 429 and Retry-After (seconds until
the next hour) and spends nothing; a call let in is charged whatever it answers.
`X-API-Limit-Resets` is the UTC time the budget refills, in ISO 8601.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from dataclasses import dataclass

from chalicelib.errors import TooManyRequests
from chalicelib.portal.companies import DEFAULT_HOURLY_BUDGET
from chalicelib.runtime import Runtime
from chalicelib.storage.portal import api_usage as usage_store
from chalicelib.storage.portal import companies as store

COSTS = {"domains": 1, "seats": 1, "applications": 2, "bulkSeatChange": 5}


@dataclass(frozen=True)
class Usage:
    """What the rate-limit headers say about one call."""

    limit: int
    remaining: int
    resets_at: dt.datetime
    cost: int

    def headers(self) -> dict[str, str]:
        return {
            "X-API-Limit-Remaining": str(max(0, self.remaining)),
            "X-API-Limit-Resets": self.resets_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "X-API-Limit-Cost": str(self.cost),
        }


class BudgetExceeded(TooManyRequests):
    """The partner's hourly API budget cannot pay for this call."""

    public_message = "The hourly API limit for this partner is used up."

    def __init__(self, usage: Usage, retry_after: int) -> None:
        super().__init__(None, retry_after=retry_after)
        self.usage = usage


def hour_window(now: dt.datetime) -> tuple[str, dt.datetime]:
    """The counter's key for this hour and when the next hour starts."""
    start = now.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
    return start.strftime("%Y-%m-%dT%H"), start + dt.timedelta(hours=1)


def unmetered(rt: Runtime) -> Usage:
    """Headers for a call charged to nobody (unknown route, missing or bad credentials)."""
    _, resets_at = hour_window(rt.clock.now())
    return Usage(DEFAULT_HOURLY_BUDGET, DEFAULT_HOURLY_BUDGET, resets_at, 0)


class HoursSeen:
    """Per partner, the spend attributes this process last saw on the access item: its next
    admission for that partner removes those that are stale by then, so idle hours do not pile
    up (a process that saw none yet leaves them to its next call)."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[str, ...]] = {}
        self._lock = threading.Lock()

    def of(self, company_id: str) -> tuple[str, ...]:
        with self._lock:
            return self._entries.get(company_id, ())

    def note(self, company_id: str, hours: tuple[str, ...]) -> None:
        with self._lock:
            self._entries[company_id] = hours


def hours_seen(rt: Runtime) -> HoursSeen:
    return rt.cache(HoursSeen, lambda _: HoursSeen())


def set_hourly_budget(company_id: str, budget: int) -> None:
    """Change a partner's budget: the next call anywhere is admitted by it (the access item's
    copy is written in the same transaction)."""
    if budget < 1:
        raise ValueError("An hourly API budget is positive.")
    store.set_company_budget(company_id, budget)


def admit(rt: Runtime, company_id: str, public_key: str, endpoint: str,
          stamp: str | None) -> Usage | None:
    """Spend this endpoint's cost from the partner's hour if the key's `stamp` is live, in one
    conditional write that also notes the key's use: None when it is not (revoked or changed:
    the caller reads the key again), BudgetExceeded when the hour cannot pay. `stamp` None: a
    key checked by its record, only the budget is checked."""
    now = rt.clock.now()
    cost = COSTS[endpoint]
    _, resets_at = hour_window(now)
    seen = hours_seen(rt)
    admitted = usage_store.admit(
        usage_store.Call(company_id, public_key, stamp, cost, now, seen.of(company_id)),
        lambda: store.get_company(company_id).api_hourly_budget)
    seen.note(company_id, admitted.hours)
    if not admitted.key_live:
        return None
    usage = Usage(admitted.budget, admitted.budget - admitted.used, resets_at, cost)
    if not admitted.charged:
        raise BudgetExceeded(usage, max(1, math.ceil((resets_at - now).total_seconds())))
    return usage


def has_stamp(company_id: str, public_key: str) -> bool:
    """Whether the key has a stamp at all (a live key without one was made before stamps)."""
    return usage_store.has_stamp(company_id, public_key)

