"""One customer's seats in a sync run: fetch, diff-write, summarise, or fall back and say why.

A customer whose seats cannot be had in this run (a 504 from the vendor, a key scoped without
that customer, a fetch slower than its limit, an answer that is not the contract's JSON) keeps
the seats stored before and shows `seatsUsed` from the customer list, with a note in the sync
log and on the card; the rest of the run goes on. Refused keys and the rate limit are the run's
business and are raised.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import Counter

from chalicelib import logs
from chalicelib.errors import UpstreamError
from chalicelib.storage.itdocs import backup_customers as customer_store
from chalicelib.storage.itdocs import backup_seats as seat_store
from chalicelib.storage.itdocs.backup_customers import BackupCustomer
from chalicelib.sync import vocabulary
from chalicelib.sync.saas_client import RateLimited, RemoteSeat, SaasClient


@dataclasses.dataclass(frozen=True)
class Synced:
    """What one customer's step did: seats seen (or `seatsUsed` on fallback) and items written."""

    seats_seen: int
    written: int
    fell_back: bool = False


def sync_customer(client: SaasClient, customer: BackupCustomer, notes: list[str]) -> Synced:
    """Fetch and write one customer's seats (or fall back), appending anything to report."""
    try:
        seats = client.seats(customer.customer_id)
    except RateLimited:
        raise
    except UpstreamError as exc:
        return _fall_back(customer, exc.message, notes)
    digest = seats_digest(customer.product, seats)
    if digest == customer.seats_digest:  # as last written: no read of the stored seats, no write
        _note_unknown_states(customer, Counter(s.seat_state for s in seats), notes)
        return Synced(len(seats), _write_customer(dataclasses.replace(customer, seats_note=""),
                                                  customer))
    written = _write_seats(customer, seats, notes, digest)
    return Synced(len(seats), written)


def seats_digest(product: str, seats: list[RemoteSeat]) -> str:
    """A fingerprint of a customer's fetched seats and product (what its summary depends on)."""
    digest = hashlib.sha256(product.encode())
    for seat in sorted(seats, key=lambda s: s.remote_id):
        digest.update(repr(dataclasses.astuple(seat)).encode())
    return digest.hexdigest()[:32]


def _fall_back(customer: BackupCustomer, why: str, notes: list[str]) -> Synced:
    note = (f"Seats of customer {customer.customer_id} ({customer.name}) could not be fetched "
            f"({why}); kept the seats stored before and used seatsUsed ({customer.seats_used}) "
            "from the customer list.")
    notes.append(note)
    logs.event("sync_seats_fallback", integration_id=customer.integration_id,
               customer_id=customer.customer_id, reason=why[:200])
    written = _write_customer(dataclasses.replace(customer, seats_note=note), customer)
    return Synced(customer.seats_used, written, fell_back=True)


def _write_seats(customer: BackupCustomer, remote: list[RemoteSeat], notes: list[str],
                 digest: str) -> int:
    """Diff-write one customer's seats and its summary; items written."""
    integration_id = customer.integration_id
    stored = {s.seat_key: s
              for s in seat_store.seats_of_customer(integration_id, customer.customer_id)}
    fetched = {seat.remote_id: _stored_seat(seat) for seat in remote}
    changed = [s for key, s in fetched.items() if stored.get(key) != s]
    removed = [key for key in stored if key not in fetched]
    written = seat_store.write_seats(integration_id, customer.customer_id, changed, removed)
    states: Counter[str] = Counter(s.seat_state for s in fetched.values())
    _note_unknown_states(customer, states, notes)
    services: Counter[str] = Counter()
    for seat in fetched.values():
        if seat.seat_state == vocabulary.ACTIVE:
            services.update(vocabulary.seat_services(customer.product, seat.seat_type))
    summary = dataclasses.replace(
        customer, protected_seats=states.get(vocabulary.ACTIVE, 0), seat_states=dict(states),
        service_seats=dict(services), seats_note="", seats_digest=digest)
    return written + _write_customer(summary, customer)


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


def _write_customer(wanted: BackupCustomer, before: BackupCustomer) -> int:
    return customer_store.write_customers([wanted]) if wanted != before else 0
