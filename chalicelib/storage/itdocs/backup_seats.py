"""Synced SaaS Protection seats per customer of an integration.

Seats are keyed by "<integration>#<customer>" and the seat's remote id; a local index by
lower-cased email (`by_email`) answers a contact's protection with one Query per matched customer.
Writes are diffs, as for customers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

from pynamodb.attributes import UnicodeAttribute
from pynamodb.indexes import AllProjection, LocalSecondaryIndex
from pynamodb.models import Model

from chalicelib.storage.base import translated


class SeatByEmail(LocalSecondaryIndex):  # type: ignore[type-arg]
    class Meta:
        index_name = "by_email"
        projection = AllProjection()

    customer_key = UnicodeAttribute(hash_key=True)
    email_key = UnicodeAttribute(range_key=True)


class BackupSeatModel(Model):
    class Meta:
        logical_name = "itdocs_backup_seats"
        table_name = "itdocs_backup_seats"

    customer_key = UnicodeAttribute(hash_key=True)  # "<integration>#<customer>"
    seat_key = UnicodeAttribute(range_key=True)  # remote id (main id when none)
    main_id = UnicodeAttribute()
    email_key = UnicodeAttribute()
    name = UnicodeAttribute(default="")
    seat_type = UnicodeAttribute()
    seat_state = UnicodeAttribute()
    billable = UnicodeAttribute(default="")
    date_added = UnicodeAttribute(default="")
    by_email = SeatByEmail()


@dataclass(frozen=True)
class BackupSeat:
    """One seat of a customer as the REST API returned it."""

    seat_key: str
    main_id: str
    name: str
    seat_type: str
    seat_state: str
    billable: str
    date_added: str

    @property
    def email_key(self) -> str:
        return self.main_id.strip().lower()


_SEAT_FIELDS = [f.name for f in dataclasses.fields(BackupSeat)]


def customer_key(integration_id: str, customer_id: str) -> str:
    return f"{integration_id}#{customer_id}"


def _seat(m: BackupSeatModel) -> BackupSeat:
    return BackupSeat(**{name: getattr(m, name) for name in _SEAT_FIELDS})


def seats_of_customer(integration_id: str, customer_id: str) -> list[BackupSeat]:
    with translated():
        return [
            _seat(m) for m in BackupSeatModel.query(customer_key(integration_id, customer_id))
        ]


def write_seats(integration_id: str, customer_id: str, changed: Iterable[BackupSeat],
                removed: Iterable[str] = ()) -> int:
    """Put changed seats and delete removed seat keys of one customer; items written."""
    key = customer_key(integration_id, customer_id)
    gone = list(dict.fromkeys(removed))  # one batch never names a key twice: DynamoDB refuses it
    deleted = set(gone)
    puts = {seat.seat_key: seat for seat in changed if seat.seat_key not in deleted}
    with translated(), BackupSeatModel.batch_write() as batch:
        for seat in puts.values():
            values = {name: getattr(seat, name) for name in _SEAT_FIELDS}
            batch.save(BackupSeatModel(key, email_key=seat.email_key, **values))
        for seat_key in gone:
            batch.delete(BackupSeatModel(key, seat_key))
    return len(puts) + len(gone)


def delete_seats_of_customer(integration_id: str, customer_id: str) -> int:
    keys = [s.seat_key for s in seats_of_customer(integration_id, customer_id)]
    return write_seats(integration_id, customer_id, [], keys)


def seats_with_email(integration_id: str, customer_id: str, email: str) -> list[BackupSeat]:
    """A customer's seats whose main id is this email, case-insensitively (one index Query)."""
    with translated():
        return [
            _seat(m)
            for m in BackupSeatModel.by_email.query(
                customer_key(integration_id, customer_id),
                BackupSeatModel.email_key == email.strip().lower(),
            )
        ]
