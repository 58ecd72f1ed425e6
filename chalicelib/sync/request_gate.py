"""What every request one SaaS client sends waits for, whichever thread sends it.

The sync fetches a few customers' seats at once (`seat_lookahead`), on one client. The vendor's
rate limit is per partner, so a 429 answered to one request holds them all: its `Retry-After` is
slept by the thread it answered, and every other thread waits out what is left of it before its
next request, so a rate limit never multiplies requests. A rate limit the client gives up on
(`RateLimited`) refuses every later request of the client without sending it, and a client
whose walk has stopped (`stop`) sends nothing more.
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class Stopped(Exception):
    """The walk this client fetched for has stopped: no request is sent any more."""


class RequestGate:
    """The pause a 429 asked for, the rate limit given up on, and the stop, for all threads."""

    def __init__(self, sleep: Callable[[float], None], monotonic: Callable[[], float]) -> None:
        self._sleep, self._monotonic = sleep, monotonic
        self._lock = threading.Lock()
        self._resume_at = float("-inf")
        self._refusal: Callable[[], Exception] | None = None
        self._stopped = False
        self._waited = threading.local()  # the pause this thread has already waited out

    def enter(self) -> None:
        """Before a request: wait out a pause another thread's 429 asked for, then raise if
        the client gave up on the rate limit or was stopped meanwhile."""
        self._check()
        with self._lock:
            resume_at = self._resume_at
        if resume_at <= getattr(self._waited, "until", float("-inf")):
            return
        self._waited.until = resume_at
        remaining = resume_at - self._monotonic()
        if remaining > 0:
            self._sleep(remaining)
            self._check()

    def hold(self, seconds: float) -> None:
        """A 429 asked for `seconds`: this thread sleeps them; every other waits them out."""
        with self._lock:
            self._resume_at = max(self._resume_at, self._monotonic() + seconds)
            self._waited.until = self._resume_at
        self._sleep(seconds)

    def refuse(self, refusal: Callable[[], Exception]) -> None:
        """The client gave up on the rate limit: every later request raises what `refusal`
        makes (a fresh exception per thread)."""
        with self._lock:
            self._refusal = self._refusal or refusal

    def stop(self) -> None:
        """No request is sent any more (those under way end as they end)."""
        with self._lock:
            self._stopped = True

    def _check(self) -> None:
        with self._lock:
            refusal, stopped = self._refusal, self._stopped
        if stopped:
            raise Stopped()
        if refusal is not None:
            raise refusal()
