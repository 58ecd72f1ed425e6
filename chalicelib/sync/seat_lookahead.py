"""The seat lists of the next few customers, fetched while the run works on the current one.

The run walks its customers in key order, one at a time. `LookAhead` hands them to it in that
order; when the walk asks for a customer's seats, the next `AHEAD` customers start fetching on
`FETCHERS` threads (so the vendor never sees more than that many requests of a run at once),
as far as the worker expects to work on them within its budget at the pace so far (a worker's
first customer has no pace yet, so nothing is fetched ahead of it). Notes, errors and
checkpoints come out exactly as from one fetch after another, since the walk takes each result
in order. Fetching only reads: the walk writes. A 429 holds every fetcher (`request_gate`).
Closing stops the fetches (no request is sent after it) and waits for those under way, so
nothing of the walk runs on after it. What a worker fetched ahead and did not reach before its
budget ended is fetched again by the next worker.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from chalicelib.storage.itdocs.backup_customers import BackupCustomer
from chalicelib.sync import customer_seats
from chalicelib.sync.saas_client import SaasClient, SeatList

FETCHERS = 2  # requests of one run under way at once: small, the vendor's budget is per partner
AHEAD = 2  # customers fetched ahead of the one the walk works on


@dataclass
class _Queued:
    """A customer handed to the walk (or about to be) and its fetch, once begun."""

    customer: BackupCustomer
    ends_page: bool
    fetch: Future[SeatList] | None = None


class LookAhead:
    """The walk's customers in order (each with whether it ends its page of customers), and
    the current one's seats, the next few fetched meanwhile: the customer `n` places on from
    the current one if `go_on(n)` (the walk expects to work on it within its budget)."""

    def __init__(self, client: SaasClient, customers: Iterator[tuple[BackupCustomer, bool]],
                 go_on: Callable[[int], bool]) -> None:
        self._client, self._customers, self._go_on = client, customers, go_on
        self._ahead = AHEAD  # read here: a test sets 0 for one fetch after another
        self._pool = ThreadPoolExecutor(max_workers=FETCHERS, thread_name_prefix="seat-fetch")
        self._queued: deque[_Queued] = deque()
        self._current: _Queued | None = None

    def __iter__(self) -> Iterator[tuple[BackupCustomer, bool]]:
        return self

    def __next__(self) -> tuple[BackupCustomer, bool]:
        """The next customer; its seats are fetched (if not already) when `seats` asks."""
        if not self._queued and not self._pull():
            raise StopIteration
        self._current = self._queued.popleft()
        return self._current.customer, self._current.ends_page

    def seats(self) -> SeatList:
        """The current customer's seats, waited for; the next few fetch meanwhile."""
        current = self._current
        assert current is not None, "seats asked before a customer"
        fetch = self._fetch(current)
        further = 0
        while further < self._ahead and self._go_on(further + 1):
            if further >= len(self._queued) and not self._pull():
                break
            self._fetch(self._queued[further])
            further += 1
        return fetch.result()

    def close(self) -> None:
        """No fetch begins or sends a request any more; those under way end first."""
        self._client.gate.stop()
        for queued in self._queued:
            if queued.fetch is not None:
                queued.fetch.cancel()
        self._pool.shutdown(wait=True)

    def _pull(self) -> bool:
        """One more customer queued (False: there are no more)."""
        following = next(self._customers, None)
        if following is not None:
            self._queued.append(_Queued(*following))
        return following is not None

    def _fetch(self, queued: _Queued) -> Future[SeatList]:
        """The customer's fetch, begun now if it was not yet."""
        if queued.fetch is None:
            queued.fetch = self._pool.submit(self._client.seat_list, queued.customer.customer_id,
                                             customer_seats.stored_etag(queued.customer))
        return queued.fetch
