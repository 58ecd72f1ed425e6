"""Login throttling, derived from the consecutive-failure count and the last failure time.

After 5 consecutive failures each further attempt waits 1 minute, doubling per failure, capped at
15 minutes. An attempt is taken (counted) atomically before its guess is evaluated, and only while
no delay runs (`gate`, storage's one conditional update): parallel guesses cannot exceed the limit
and an attempt refused during a delay is not counted, so nobody can extend a delay for ever. The
cap bounds failures to well under 100 an hour per account. Break-glass accounts (the portal's
Security Admins and Primary users) are throttled per source address instead, so an attacker
elsewhere cannot lock their owner out at all.
"""

from __future__ import annotations

import datetime as dt

from chalicelib.storage.attempts import AttemptGate

FREE_FAILURES = 5
FIRST_DELAY = 60
MAX_DELAY = 15 * 60


def delay_after(failures: int) -> int:
    """Seconds an account must wait after this many consecutive failures."""
    if failures < FREE_FAILURES:
        return 0
    return int(min(FIRST_DELAY * 2 ** (failures - FREE_FAILURES), MAX_DELAY))


def gate(now: dt.datetime) -> AttemptGate:
    """What storage's conditional update needs to take an attempt at `now`."""
    cutoffs = []
    failures = FREE_FAILURES
    while True:
        delay = delay_after(failures)
        cutoffs.append(now - dt.timedelta(seconds=delay))
        if delay >= MAX_DELAY:
            return AttemptGate(now, FREE_FAILURES, tuple(cutoffs))
        failures += 1


def locked_until(failures: int, last_failure_at: dt.datetime | None) -> dt.datetime | None:
    if last_failure_at is None:
        return None
    delay = delay_after(failures)
    return last_failure_at + dt.timedelta(seconds=delay) if delay else None


def is_locked(failures: int, last_failure_at: dt.datetime | None, now: dt.datetime) -> bool:
    until = locked_until(failures, last_failure_at)
    return until is not None and now < until


def seconds_left(failures: int, last_failure_at: dt.datetime | None, now: dt.datetime) -> int:
    until = locked_until(failures, last_failure_at)
    if until is None or now >= until:
        return 0
    return int((until - now).total_seconds()) + 1
