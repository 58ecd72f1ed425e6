"""SaaS Protection seats, keyed by customer (the REST API's seat list and its state changes)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pynamodb.attributes import (
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import UpdateError
from pynamodb.expressions.update import Action
from pynamodb.models import Model

from chalicelib.storage.base import is_condition_failure, translated


class SaasSeatModel(Model):
    class Meta:
        logical_name = "portal_saas_seats"
        table_name = "portal_saas_seats"

    saas_customer_id = NumberAttribute(hash_key=True)
    remote_id = UnicodeAttribute(range_key=True)
    main_id = UnicodeAttribute()
    name = UnicodeAttribute()
    seat_type = UnicodeAttribute()
    seat_state = UnicodeAttribute()
    billable = UnicodeAttribute(default="")  # "1" or "" (an empty string is stored as such)
    date_added = UTCDateTimeAttribute()
    # appType -> {"at": epoch ms of the last backup or null, "status": ..., "bytes": int}
    services = JSONAttribute(default=dict)  # type: ignore[var-annotated]


@dataclass
class Seat:
    saas_customer_id: int
    remote_id: str
    main_id: str
    name: str
    seat_type: str
    seat_state: str
    billable: str
    date_added: dt.datetime
    services: dict[str, dict[str, Any]] = field(default_factory=dict)


_SEAT_FIELDS = list(Seat.__dataclass_fields__)


def _seat(m: SaasSeatModel) -> Seat:
    values = {name: getattr(m, name) for name in _SEAT_FIELDS}
    values["saas_customer_id"] = int(m.saas_customer_id)
    values["billable"] = m.billable or ""
    values["services"] = dict(m.services or {})
    return Seat(**values)


def _seat_model(s: Seat) -> SaasSeatModel:
    model = SaasSeatModel(s.saas_customer_id, s.remote_id)
    for name in _SEAT_FIELDS:
        setattr(model, name, getattr(s, name))
    return model


def save_seats(seats: Iterable[Seat]) -> None:
    """Bulk load (demo data, generated partners): batch writes of 25, no conditions."""
    with translated(), SaasSeatModel.batch_write() as batch:
        for seat in seats:
            batch.save(_seat_model(seat))


def seats_of_customer(saas_customer_id: int, seat_types: Iterable[str] = ()) -> Iterator[Seat]:
    """A customer's seats: one Query (with a filter for seat types), followed through its pages."""
    wanted = list(seat_types)
    condition = SaasSeatModel.seat_type.is_in(*wanted) if wanted else None
    with translated():
        for m in SaasSeatModel.query(saas_customer_id, filter_condition=condition):
            yield _seat(m)


def update_seat(saas_customer_id: int, remote_id: str, seat_type: str, seat_state: str,
                billable: str | None) -> bool:
    """Set a seat's state (and billable flag) if the seat exists with this type; else False."""
    actions: list[Action] = [SaasSeatModel.seat_state.set(seat_state)]
    if billable is not None:
        actions.append(SaasSeatModel.billable.set(billable))
    condition = SaasSeatModel.remote_id.exists() & (SaasSeatModel.seat_type == seat_type)
    try:
        with translated():
            SaasSeatModel(saas_customer_id, remote_id).update(actions=actions,
                                                              condition=condition)
    except UpdateError as exc:
        if is_condition_failure(exc):
            return False
        raise
    return True
