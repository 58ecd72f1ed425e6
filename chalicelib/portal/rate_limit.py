"""The REST API's weighted hourly budget per partner: the hour's spend on the partner's access item.

Each call costs its endpoint's weight; every key of a partner spends the same budget. The charge
and the key's liveness are one conditional write (`admit`). A call that would pass the budget is
refused with 429 and Retry-After (seconds until the next hour) and spends nothing; a call let in
is charged whatever it answers. `X-API-Limit-Resets` is the UTC time the budget refills, in ISO
8601.
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
BUDGET_CACHE_SECONDS = 60


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


class BudgetCache:
    """Partner budgets read at most once a minute per process (budgets rarely change)."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[int, dt.datetime]] = {}
        self._lock = threading.Lock()

    def budget(self, company_id: str, now: dt.datetime) -> int:
        with self._lock:
            entry = self._entries.get(company_id)
        if entry and (now - entry[1]).total_seconds() < BUDGET_CACHE_SECONDS:
            return entry[0]
        budget = store.get_company(company_id).api_hourly_budget
        with self._lock:
            self._entries[company_id] = (budget, now)
        return budget

    def forget(self, company_id: str) -> None:
        with self._lock:
            self._entries.pop(company_id, None)


def budgets(rt: Runtime) -> BudgetCache:
    return rt.cache(BudgetCache, lambda _: BudgetCache())


def set_hourly_budget(rt: Runtime, company_id: str, budget: int) -> None:
    """Change a partner's budget (takes effect here at once, elsewhere within a minute)."""
    store.set_company_budget(company_id, budget)
    budgets(rt).forget(company_id)


def admit(rt: Runtime, company_id: str, endpoint: str,
          stamp: tuple[str, str] | None) -> Usage | None:
    """Spend this endpoint's cost from the partner's hour if the key `stamp` (public key, stamp)
    is live, in one conditional write: None when it is not (revoked or changed: the caller reads
    the key again), BudgetExceeded when the hour cannot pay. `stamp` None: a key checked by its
    record, only the budget is checked."""
    now = rt.clock.now()
    cost = COSTS[endpoint]
    limit = budgets(rt).budget(company_id, now)
    hour, resets_at = hour_window(now)
    admitted = usage_store.admit(company_id, hour, cost, limit, stamp)
    if not admitted.key_live:
        return None
    if not admitted.charged:
        retry_after = max(1, math.ceil((resets_at - now).total_seconds()))
        raise BudgetExceeded(Usage(limit, limit - admitted.used, resets_at, cost), retry_after)
    return Usage(limit, limit - admitted.used, resets_at, cost)


def has_stamp(company_id: str, public_key: str) -> bool:
    """Whether the key has a stamp at all (a live key without one was made before stamps)."""
    return usage_store.has_stamp(company_id, public_key)

