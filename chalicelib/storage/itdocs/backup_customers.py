"""Synced SaaS Protection customers per integration, with the summaries of their seats.

Writes are diffs: callers pass only records that changed and keys that disappeared, so a sync that
finds nothing new writes nothing. One batch never names a key twice (DynamoDB refuses the whole
BatchWriteItem when it does): the last record given for a key wins, and a delete beats a put.
Records go out pre-serialised (`batch_writes`). A removed customer's seats are deleted before the
customer, so a stored customer that never had seats written (`listed_since_run`) has none.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pynamodb.attributes import MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.models import Model

from chalicelib.storage.base import translated
from chalicelib.storage.itdocs.backup_seats import delete_seats_of_customer
from chalicelib.storage.itdocs.batch_writes import Item, ItemWrite, number, text, write_items


class BackupCustomerModel(Model):
    class Meta:
        logical_name = "itdocs_backup_customers"
        table_name = "itdocs_backup_customers"

    integration_id = UnicodeAttribute(hash_key=True)
    customer_id = UnicodeAttribute(range_key=True)
    account_id = UnicodeAttribute()
    name = UnicodeAttribute()
    organization_name = UnicodeAttribute(null=True)
    domain = UnicodeAttribute(default="")
    product = UnicodeAttribute(default="")
    seats_used = NumberAttribute(default=0)
    active_services = NumberAttribute(default=0)
    recent_backup_services = NumberAttribute(default=0)
    backup_percentage = NumberAttribute(default=0)
    protected_seats = NumberAttribute(null=True)
    seat_states = MapAttribute(default=dict)  # type: ignore[var-annotated]
    service_seats = MapAttribute(default=dict)  # type: ignore[var-annotated]
    seats_note = UnicodeAttribute(default="")
    missing_since_run = UnicodeAttribute(null=True)
    seats_digest = UnicodeAttribute(default="")
    seats_etag = UnicodeAttribute(default="")
    listed_since_run = UnicodeAttribute(default="")


@dataclass(frozen=True)
class BackupCustomer:
    """A customer as the last complete customer list showed it, with its seats' summary.

    `protected_seats` is None until the customer's seats were fetched once; `seats_note` says
    when the last sync had to fall back to `seats_used` from the customer list.
    `missing_since_run` is the run whose complete customer list first lacked the customer (None
    while it is listed); a customer is deleted only when the next complete list lacks it too.
    """

    integration_id: str
    customer_id: str
    account_id: str
    name: str
    organization_name: str | None
    domain: str
    product: str
    seats_used: int
    active_services: int
    recent_backup_services: int
    backup_percentage: float
    protected_seats: int | None = None
    seat_states: dict[str, int] = field(default_factory=dict)
    service_seats: dict[str, int] = field(default_factory=dict)
    seats_note: str = ""
    missing_since_run: str | None = None
    seats_digest: str = ""  # of the seats last written: the same fetch again writes nothing
    # The seat list's ETag when the seats were last written (every page came with it); put in
    # the same item as the digest, after the seats, so it never names seats that are not stored.
    seats_etag: str = ""
    listed_since_run: str = ""  # the run whose list stored this customer first


_CUSTOMER_FIELDS = [f.name for f in dataclasses.fields(BackupCustomer)]


def _customer(m: BackupCustomerModel) -> BackupCustomer:
    values = {name: getattr(m, name) for name in _CUSTOMER_FIELDS}
    for name in ("seats_used", "active_services", "recent_backup_services"):
        values[name] = int(values[name])
    values["backup_percentage"] = float(m.backup_percentage)
    values["protected_seats"] = None if m.protected_seats is None else int(m.protected_seats)
    values["service_seats"] = {k: int(v) for k, v in _as_dict(m.service_seats).items()}
    values["seat_states"] = {k: int(v) for k, v in _as_dict(m.seat_states).items()}
    return BackupCustomer(**values)


def _as_dict(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if hasattr(value, "as_dict"):
        return value.as_dict()  # type: ignore[no-any-return]
    return dict(value)  # type: ignore[call-overload]


def _customer_model(customer: BackupCustomer) -> BackupCustomerModel:
    values = {name: getattr(customer, name) for name in _CUSTOMER_FIELDS}
    return BackupCustomerModel(**values)


def customers_of_integration(integration_id: str) -> list[BackupCustomer]:
    """Every stored customer of the integration (one Query through its pages)."""
    with translated():
        return [_customer(m) for m in BackupCustomerModel.query(integration_id)]


def get_customer(integration_id: str, customer_id: str) -> BackupCustomer | None:
    try:
        with translated():
            return _customer(BackupCustomerModel.get(integration_id, customer_id))
    except DoesNotExist:
        return None


def customers_after(integration_id: str, after_customer: str,
                    limit: int) -> list[BackupCustomer]:
    """Up to `limit` stored customers following `after_customer` in key order (one Query)."""
    condition = BackupCustomerModel.customer_id > after_customer if after_customer else None
    with translated():
        return [_customer(m) for m in BackupCustomerModel.query(
            integration_id, condition, consistent_read=True, limit=limit)]


def customer_writes(customers: Iterable[BackupCustomer]) -> list[ItemWrite]:
    """The writes that put these customers (as PynamoDB would store them)."""
    table = BackupCustomerModel.Meta.table_name
    return [ItemWrite(table, _key(c.integration_id, c.customer_id), _item(c)) for c in customers]


def _key(integration_id: str, customer_id: str) -> Item:
    return {"integration_id": text(integration_id), "customer_id": text(customer_id)}


def _item(c: BackupCustomer) -> Item:
    item = {**_key(c.integration_id, c.customer_id), "account_id": text(c.account_id),
            "name": text(c.name), "domain": text(c.domain), "product": text(c.product),
            "seats_used": number(c.seats_used), "active_services": number(c.active_services),
            "recent_backup_services": number(c.recent_backup_services),
            "backup_percentage": number(c.backup_percentage),
            "seat_states": _counts(c.seat_states), "service_seats": _counts(c.service_seats),
            "seats_note": text(c.seats_note), "seats_digest": text(c.seats_digest),
            "seats_etag": text(c.seats_etag),
            "listed_since_run": text(c.listed_since_run)}
    optional = {"organization_name": c.organization_name,
                "missing_since_run": c.missing_since_run}
    item.update((name, text(value)) for name, value in optional.items() if value is not None)
    if c.protected_seats is not None:
        item["protected_seats"] = number(c.protected_seats)
    return item


def _counts(counts: dict[str, int]) -> dict[str, Any]:
    return {"M": {name: number(count) for name, count in counts.items()}}


def write_customers(changed: Iterable[BackupCustomer], removed: Iterable[str] = (),
                    integration_id: str = "") -> int:
    """Put the changed customers, delete the removed ones (their seats first); items written."""
    gone = list(dict.fromkeys(removed))
    written = sum(delete_seats_of_customer(integration_id, customer_id) for customer_id in gone)
    table = BackupCustomerModel.Meta.table_name
    deletes = [ItemWrite(table, _key(integration_id, customer_id)) for customer_id in gone]
    return written + write_items([*customer_writes(changed), *deletes])
