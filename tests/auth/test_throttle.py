"""Per-account throttling: delays after 5 failures, doubling, capped, never permanent."""

from __future__ import annotations

import datetime as dt

from chalicelib.auth import throttle

T0 = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)


def test_first_five_failures_cost_nothing():
    assert [throttle.delay_after(n) for n in range(5)] == [0, 0, 0, 0, 0]


def test_delay_starts_at_a_minute_doubles_and_caps_at_fifteen():
    assert [throttle.delay_after(n) for n in range(5, 11)] == [60, 120, 240, 480, 900, 900]
    assert throttle.delay_after(10_000) == 900


def test_a_lock_always_ends():
    last = T0
    assert throttle.is_locked(50, last, T0 + dt.timedelta(minutes=14))
    assert not throttle.is_locked(50, last, T0 + dt.timedelta(minutes=15))


def test_an_attacker_gets_fewer_than_100_failures_an_hour_on_one_account():
    now, failures, last = T0, 0, None
    attempts = 0
    while now < T0 + dt.timedelta(hours=1):
        if not throttle.is_locked(failures, last, now):
            failures, last = failures + 1, now
            attempts += 1
        now += dt.timedelta(seconds=1)
    assert attempts < 100


def test_the_gate_opens_exactly_when_the_lock_ends():
    gate = throttle.gate(T0)
    assert gate.free == 5 and gate.now == T0
    assert [int((T0 - cutoff).total_seconds()) for cutoff in gate.cutoffs] == [
        60, 120, 240, 480, 900]  # the last one holds for every count above 9
    for failures, cutoff in zip(range(5, 10), gate.cutoffs, strict=True):
        assert not throttle.is_locked(failures, cutoff, T0)
        assert throttle.is_locked(failures, cutoff + dt.timedelta(microseconds=1), T0)
