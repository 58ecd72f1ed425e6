"""Synced SaaS Protection seats per customer of an integration.

Seats are keyed by "<integration>#<customer>" and the seat's remote id; a local index by
lower-cased email (`by_email`) answers a contact's protection with one Query per matched customer.
Writes are diffs, as for customers, and go out pre-serialised (`batch_writes`): no model per seat.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

from pynamodb.attributes import UnicodeAttribute
from pynamodb.indexes import AllProjection, LocalSecondaryIndex
from pynamodb.models import Model

from chalicelib.storage.base import translated
from chalicelib.storage.itdocs.batch_writes import Item, ItemWrite, text, write_items


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


def seat_writes(integration_id: str, customer_id: str, changed: Iterable[BackupSeat],
                removed: Iterable[str] = ()) -> list[ItemWrite]:
    """The writes that put changed seats and delete removed seat keys of one customer."""
    key = customer_key(integration_id, customer_id)
    table = BackupSeatModel.Meta.table_name
    writes = [ItemWrite(table, _key(key, seat.seat_key), _item(key, seat)) for seat in changed]
    writes.extend(ItemWrite(table, _key(key, seat_key)) for seat_key in removed)
    return writes


def _key(customer: str, seat_key: str) -> Item:
    return {"customer_key": text(customer), "seat_key": text(seat_key)}


def _item(customer: str, seat: BackupSeat) -> Item:
    """The seat as PynamoDB would store it; no `email_key` without an email (an index key may
    not be empty), so such a seat is simply not found by email."""
    item = {"customer_key": text(customer), "seat_key": text(seat.seat_key),
            "main_id": text(seat.main_id), "name": text(seat.name),
            "seat_type": text(seat.seat_type), "seat_state": text(seat.seat_state),
            "billable": text(seat.billable), "date_added": text(seat.date_added)}
    if seat.email_key:
        item["email_key"] = text(seat.email_key)
    return item


def write_seats(integration_id: str, customer_id: str, changed: Iterable[BackupSeat],
                removed: Iterable[str] = ()) -> int:
    """Put changed seats and delete removed seat keys of one customer; items written."""
    return write_items(seat_writes(integration_id, customer_id, changed, removed))


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
