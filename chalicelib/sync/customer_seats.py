"""One customer's seats in a sync run: fetch, diff-write, summarise, or fall back and say why.

A customer whose seats cannot be had in this run (a 504 from the vendor, a key scoped without
that customer, a fetch slower than its limit, an answer that is not the contract's JSON) keeps
the seats stored before and shows `seatsUsed` from the customer list, with a note in the sync
log and on the card; the rest of the run goes on. Refused keys and the rate limit are the run's
business and are raised.

Nothing is written per customer: the run gathers a few customers' writes (`Pending`) and stores
them together, seats first, then their summaries, then moves its checkpoint past them, on a
thread of its own (`Storer`) while it fetches the next customers' seats.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from chalicelib import logs
from chalicelib.errors import UpstreamError
from chalicelib.storage.itdocs import backup_customers as customer_store
from chalicelib.storage.itdocs import backup_seats as seat_store
from chalicelib.storage.itdocs import sync_checkpoints as checkpoint_store
from chalicelib.storage.itdocs.backup_customers import BackupCustomer
from chalicelib.storage.itdocs.batch_writes import ItemWrite, distinct, write_items
from chalicelib.storage.itdocs.sync_checkpoints import Checkpoint
from chalicelib.sync import vocabulary
from chalicelib.sync.saas_client import RateLimited, RemoteSeat, SeatList


@dataclass(frozen=True)
class Synced:
    """One customer's step: seats seen (or `seatsUsed` on fallback), the seat writes it needs,
    and its customer record to store after them (None: unchanged)."""

    seats_seen: int
    seat_writes: list[ItemWrite]
    summary: BackupCustomer | None
    fell_back: bool = False


@dataclass
class Pending:
    """Customers whose seats were fetched but not yet stored: stored together (`store`)."""

    started: float
    last_customer: str = ""
    customers: int = 0
    seats_seen: int = 0
    fallbacks: int = 0
    seat_writes: list[ItemWrite] = field(default_factory=list)
    summaries: list[BackupCustomer] = field(default_factory=list)

    def add(self, customer_id: str, synced: Synced) -> None:
        self.last_customer = customer_id
        self.customers += 1
        self.seats_seen += synced.seats_seen
        self.fallbacks += synced.fell_back
        self.seat_writes.extend(synced.seat_writes)
        if synced.summary is not None:
            self.summaries.append(synced.summary)

    def items(self) -> int:
        """How many items `store` writes (one per key)."""
        return len(distinct(self.seat_writes)) + len(self.summaries)

    def store(self) -> None:
        """Write the seats, then the customers' summaries (batches of 25, a few threads).
        Seats first: a summary carries the digest of its seats, and a customer whose digest
        matches is not written again, so a digest must never land before its seats."""
        write_items(self.seat_writes)
        write_items(customer_store.customer_writes(self.summaries))


class StaleRun(Exception):
    """Another worker moved the run's checkpoint: this one stops without writing more."""


class Storer:
    """Stores pending customers on a thread of its own while the next ones are fetched: one
    store at a time, in order, each followed by its checkpoint advance. A failure surfaces at
    the next `submit` or `wait`."""

    def __init__(self) -> None:
        self._thread = ThreadPoolExecutor(max_workers=1)
        self._last: Future[bool] | None = None

    def submit(self, pending: Pending, advanced: Checkpoint, expected_done: int) -> None:
        """Store `pending`, then move the checkpoint to `advanced` if still at
        `expected_done`; the store before it has ended first."""
        self.wait()
        self._last = self._thread.submit(_store_and_advance, pending, advanced, expected_done)

    def wait(self) -> None:
        """Until the last store has ended (StaleRun: the checkpoint had moved)."""
        last, self._last = self._last, None
        if last is not None and not last.result():
            raise StaleRun()

    def close(self) -> None:
        """Let a store still under way end (without raising: the caller is already leaving)."""
        self._thread.shutdown(wait=True)


def _store_and_advance(pending: Pending, advanced: Checkpoint, expected_done: int) -> bool:
    pending.store()
    return checkpoint_store.advance_checkpoint(advanced, expected_done)


def sync_customer(fetched: Callable[[], SeatList], customer: BackupCustomer, notes: list[str],
                  *, read_stored: bool = True) -> Synced:
    """One customer's seats as `fetched` gives them (or the fall-back) and what to write,
    appending anything to report. `read_stored` False: the customer has no stored seats (first
    listed in this run), so they are not read. Seats the server says are unchanged since the
    ETag stored with them (a 304) are neither read nor written; the customer still counts with
    its stored seats."""
    try:
        listed = fetched()
    except RateLimited:
        raise
    except UpstreamError as exc:
        return _fall_back(customer, exc.message, notes)
    if listed.unchanged:
        return _unchanged(customer, notes)
    seats = listed.seats
    digest = seats_digest(customer.product, seats)
    if digest == customer.seats_digest:  # as last written: no read of the stored seats, no write
        _note_unknown_states(customer, Counter(s.seat_state for s in seats), notes)
        kept = dataclasses.replace(customer, seats_note="", seats_etag=listed.etag)
        return Synced(len(seats), [], _changed(kept, customer))
    return _seat_diff(customer, listed, notes, digest, read_stored)


def stored_etag(customer: BackupCustomer) -> str:
    """The ETag to send for the customer's seats: only one stored with its seats' digest and
    summary (written after the seats themselves), else none and the list is fetched in full."""
    if customer.seats_digest and customer.protected_seats is not None:
        return customer.seats_etag
    return ""


def _unchanged(customer: BackupCustomer, notes: list[str]) -> Synced:
    """The seats are as stored: counted from the stored summary, nothing read or written."""
    states: Counter[str] = Counter(customer.seat_states)
    _note_unknown_states(customer, states, notes)
    return Synced(sum(states.values()), [],
                  _changed(dataclasses.replace(customer, seats_note=""), customer))


def seats_digest(product: str, seats: list[RemoteSeat]) -> str:
    """A fingerprint of a customer's fetched seats and product (what its summary depends on)."""
    digest = hashlib.sha256(product.encode())
    digest.update("".join(  # hashed at once: the same digest as seat after seat
        repr((seat.remote_id, seat.main_id, seat.name, seat.seat_type, seat.seat_state,
              seat.billable, seat.date_added))
        for seat in sorted(seats, key=lambda s: s.remote_id)).encode())
    return digest.hexdigest()[:32]


def _fall_back(customer: BackupCustomer, why: str, notes: list[str]) -> Synced:
    note = (f"Seats of customer {customer.customer_id} ({customer.name}) could not be fetched "
            f"({why}); kept the seats stored before and used seatsUsed ({customer.seats_used}) "
            "from the customer list.")
    notes.append(note)
    logs.event("sync_seats_fallback", integration_id=customer.integration_id,
               customer_id=customer.customer_id, reason=why[:200])
    summary = _changed(dataclasses.replace(customer, seats_note=note), customer)
    return Synced(customer.seats_used, [], summary, fell_back=True)


def _seat_diff(customer: BackupCustomer, listed: SeatList, notes: list[str],
               digest: str, read_stored: bool) -> Synced:
    """The writes of one customer's changed and removed seats, and its new summary (with the
    list's ETag, written after the seats)."""
    integration_id, remote = customer.integration_id, listed.seats
    stored = {s.seat_key: s for s in seat_store.seats_of_customer(
        integration_id, customer.customer_id)} if read_stored else {}
    fetched = {seat.remote_id: _stored_seat(seat) for seat in remote}
    changed = [s for key, s in fetched.items() if stored.get(key) != s]
    removed = [key for key in stored if key not in fetched]
    writes = seat_store.seat_writes(integration_id, customer.customer_id, changed, removed)
    states: Counter[str] = Counter(s.seat_state for s in fetched.values())
    _note_unknown_states(customer, states, notes)
    services: Counter[str] = Counter()
    for seat in fetched.values():
        if seat.seat_state == vocabulary.ACTIVE:
            services.update(vocabulary.seat_services(customer.product, seat.seat_type))
    summary = dataclasses.replace(
        customer, protected_seats=states.get(vocabulary.ACTIVE, 0), seat_states=dict(states),
        service_seats=dict(services), seats_note="", seats_digest=digest, seats_etag=listed.etag)
    return Synced(len(remote), writes, _changed(summary, customer))


def _stored_seat(seat: RemoteSeat) -> seat_store.BackupSeat:
    return seat_store.BackupSeat(
        seat_key=seat.remote_id, main_id=seat.main_id, name=seat.name, seat_type=seat.seat_type,
        seat_state=seat.seat_state, billable=seat.billable, date_added=seat.date_added)


def _note_unknown_states(customer: BackupCustomer, states: Counter[str],
                         notes: list[str]) -> None:
    unknown = {state: n for state, n in states.items() if not vocabulary.is_known_state(state)}
    for state, count in sorted(unknown.items()):
        notes.append(f"Customer {customer.customer_id} ({customer.name}): {count} seats with "
                     f"unknown seatState {state!r}, counted as not protected.")
        logs.event("saas_unknown_value", field="seatState", value=state[:40], seats=count)


def _changed(wanted: BackupCustomer, before: BackupCustomer) -> BackupCustomer | None:
    return wanted if wanted != before else None
