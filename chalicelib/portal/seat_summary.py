"""A customer's seat summary: billable seats, active services and those backed up recently.

The first two count seats and never change by themselves; the third depends on the time it is
counted at (a backup is recent for 24 hours). So a stored summary also keeps its `RecentClock`:
the cutoff it was counted at and the oldest backup times it counted. With them, a change of a
few seats updates the summary from those seats alone and stays exactly what counting every seat
at that moment would give: the counted times older than the new cutoff are taken off, and the
changed seats' services counted out and in again. When the clock cannot tell (counted later than
now, more kept times aged out than it keeps, or a summary written without one), every seat is
counted again.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from chalicelib.portal import catalog
from chalicelib.storage.portal.saas_customers import SaasCustomer
from chalicelib.storage.portal.saas_seats import Seat, SeatSummaryValues

RECENT_BACKUP = dt.timedelta(hours=24)
# Oldest counted backup times a summary keeps (about 1 KB on the customer's item): a customer
# with no more recent services than this is never counted again because time passed.
KEPT_TIMES = 100


def cutoff_ms(now: dt.datetime) -> int:
    """Epoch milliseconds from which a backup counts as recent at `now`."""
    return int((now - RECENT_BACKUP).timestamp() * 1000)


@dataclass(frozen=True)
class RecentClock:
    """When a stored count of recent backups is still exact: it was counted at `cutoff_ms`; the
    oldest counted backup times are `oldest_ms` (sorted); every other counted time is at least
    `beyond_ms` (None: none is left out)."""

    cutoff_ms: int
    oldest_ms: tuple[int, ...]
    beyond_ms: int | None

    def holds_at(self, cutoff: int) -> bool:
        """Whether the count can be brought to `cutoff` from the kept times alone."""
        return self.cutoff_ms <= cutoff and (self.beyond_ms is None or cutoff <= self.beyond_ms)


@dataclass(frozen=True)
class SeatSummary:
    seats_used: int
    active_services: int
    recent_backup_services: int
    clock: RecentClock | None = None  # None: not known to be exact at any later time

    @property
    def backup_percentage(self) -> float:
        if not self.active_services:
            return 0.0
        return round(100 * self.recent_backup_services / self.active_services, 2)


def _active_count(seat: Seat, product_type: str) -> int:
    """The seat's services that count as active (an Active seat's applications)."""
    if seat.seat_state != catalog.ACTIVE:
        return 0
    return len(catalog.seat_apps(product_type, seat.seat_type))


def _recent_times(seat: Seat, product_type: str, cutoff: int) -> list[int]:
    """Last backup times of the seat's active services backed up since `cutoff`."""
    if seat.seat_state != catalog.ACTIVE:
        return []
    times = [seat.services.get(app, {}).get("at") or 0
             for app in catalog.seat_apps(product_type, seat.seat_type)]
    return [int(t) for t in times if t >= cutoff]


def _clock(cutoff: int, times: list[int], beyond: int | None = None) -> RecentClock:
    """The clock of counted times (any order), keeping the oldest KEPT_TIMES of them."""
    ordered = sorted(times)
    if len(ordered) > KEPT_TIMES:
        left_out = ordered[KEPT_TIMES]
        beyond = left_out if beyond is None else min(beyond, left_out)
    return RecentClock(cutoff, tuple(ordered[:KEPT_TIMES]), beyond)


def summarize(seats: Iterable[Seat], product_type: str, now: dt.datetime) -> SeatSummary:
    """Billable seats, services of Active seats, and those backed up in the last 24 hours."""
    cutoff = cutoff_ms(now)
    used = active = 0
    times: list[int] = []
    for seat in seats:
        used += seat.billable == "1"
        active += _active_count(seat, product_type)
        times.extend(_recent_times(seat, product_type, cutoff))
    return SeatSummary(used, active, len(times), _clock(cutoff, times))


def changed(summary: SeatSummary, before: list[Seat], after: list[Seat], product_type: str,
            now: dt.datetime) -> SeatSummary | None:
    """The summary once the `before` seats became `after`, as counting every seat at `now`
    would give it; None when the summary's clock cannot tell (count them all)."""
    cutoff = cutoff_ms(now)
    clock = summary.clock
    if clock is None or not clock.holds_at(cutoff):
        return None
    recent, kept = _recent_after(summary.recent_backup_services, clock, cutoff, [
        at for seat in before for at in _recent_times(seat, product_type, cutoff)], [
        at for seat in after for at in _recent_times(seat, product_type, cutoff)])
    active = sum(_active_count(s, product_type) for s in after) - sum(
        _active_count(s, product_type) for s in before)
    return SeatSummary(summary.seats_used + _used(after) - _used(before),
                       summary.active_services + active, recent,
                       _clock(cutoff, list(kept.elements()), clock.beyond_ms))


def _recent_after(recent: int, clock: RecentClock, cutoff: int, removed: list[int],
                  added: list[int]) -> tuple[int, Counter[int]]:
    """The recent count at `cutoff` once the services backed up at `removed` left it and those
    at `added` joined, and the counted times kept (those at least `beyond_ms` are not)."""
    kept = Counter(t for t in clock.oldest_ms if t >= cutoff)
    recent -= len(clock.oldest_ms) - sum(kept.values())  # kept times that aged out
    for at in removed:
        if kept[at]:  # else it was one of those left out (at least beyond_ms)
            kept[at] -= 1
    kept.update(at for at in added if clock.beyond_ms is None or at < clock.beyond_ms)
    return recent - len(removed) + len(added), kept


def _used(seats: list[Seat]) -> int:
    return sum(seat.billable == "1" for seat in seats)


def stored(customer: SaasCustomer) -> SeatSummary:
    """The summary a customer's item holds, with its clock when it was counted with one."""
    clock = None
    if customer.recent_cutoff_ms is not None:
        clock = RecentClock(customer.recent_cutoff_ms, tuple(customer.recent_oldest_ms),
                            customer.recent_beyond_ms)
    return SeatSummary(customer.seats_used, customer.active_services,
                       customer.recent_backup_services, clock)


def values(summary: SeatSummary) -> SeatSummaryValues:
    """The summary as storage writes it (a summary without a clock is not written)."""
    if summary.clock is None:
        raise ValueError("A summary is written with the clock it was counted at.")
    clock = summary.clock
    return SeatSummaryValues(summary.seats_used, summary.active_services,
                             summary.recent_backup_services, clock.cutoff_ms,
                             list(clock.oldest_ms), clock.beyond_ms)


def counted(customer: SaasCustomer, summary: SeatSummary) -> SaasCustomer:
    """The customer holding this summary (a new customer, before it is stored)."""
    written = values(summary)
    customer.seats_used = written.seats_used
    customer.active_services = written.active_services
    customer.recent_backup_services = written.recent_backup_services
    customer.recent_cutoff_ms = written.recent_cutoff_ms
    customer.recent_oldest_ms = written.recent_oldest_ms
    customer.recent_beyond_ms = written.recent_beyond_ms
    return customer
