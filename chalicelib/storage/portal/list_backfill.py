"""Positions for seats and customers stored before the REST API's lists were paged.

An item without `list_key` is in no page: a partner's API would list none of its older customers,
and an IT Docs sync would take the empty, complete list as every customer gone. The local stack
runs this once at start-up, after `tables.create_tables` has added the index; it Scans (a one-off
upgrade, never a request or sync path) and is idempotent: a placed item is never moved. A
customer whose seats were placed gets a new seats version, so no seat-list ETag issued before
names the list as it is now.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from pynamodb.exceptions import UpdateError
from pynamodb.models import Model

from chalicelib import settings
from chalicelib.storage import tables
from chalicelib.storage.base import is_condition_failure, translated
from chalicelib.storage.portal import list_positions
from chalicelib.storage.portal.saas_customers import SaasCustomerModel, customers_owner
from chalicelib.storage.portal.saas_seats import SaasSeatModel, bump_version, seats_owner

Grouping = Callable[[Any], tuple[str, str]]


def place_unlisted() -> int:
    """Give each unplaced seat and customer the next free position of its list; returns how many."""
    seats = _unplaced(SaasSeatModel, lambda m: (str(m.date_added), m.remote_id))
    customers = _unplaced(SaasCustomerModel, lambda m: int(m.saas_customer_id))
    placed = (_place(seats, lambda m: (seats_owner(int(m.saas_customer_id)), m.seat_type))
              + _place(customers, lambda m: (customers_owner(m.company_id),
                                             list_positions.WHOLE_LIST)))
    _new_seat_versions({int(m.saas_customer_id) for m in seats})
    return placed


def _new_seat_versions(saas_customer_ids: set[int]) -> None:
    """Bump the seats version of each customer whose seat list gained placed seats."""
    if not saas_customer_ids:
        return
    now = dt.datetime.now(dt.UTC)
    with translated():
        found = [(c.company_id, int(c.saas_customer_id)) for c in SaasCustomerModel.scan()]
    for company_id, saas_customer_id in found:
        if saas_customer_id in saas_customer_ids:
            bump_version(company_id, saas_customer_id, now)


def _unplaced(model: type[Model], order: Callable[[Any], Any]) -> list[Any]:
    with translated():
        found = list(model.scan(filter_condition=model.list_key.does_not_exist()))  # type: ignore[attr-defined]
    return sorted(found, key=order)


def _place(items: Iterable[Any], group_of: Grouping) -> int:
    groups: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for item in items:
        groups[group_of(item)].append(item)
    placed = 0
    for (owner, part), group in groups.items():
        first = list_positions.reserve(owner, part, len(group))
        for offset, item in enumerate(group):
            placed += _set_key(item, list_positions.list_key(part, first + offset))
    return placed


def _set_key(item: Any, key: str) -> int:
    """1 when the key was set; 0 when another start-up placed the item first (a hole remains)."""
    field = type(item).list_key
    try:
        with translated():
            item.update(actions=[field.set(key)], condition=field.does_not_exist())
    except UpdateError as exc:
        if is_condition_failure(exc):
            return 0
        raise
    return 1


def main() -> None:
    """`python -m chalicelib.storage.portal.list_backfill`: upgrade the stage the settings name."""
    tables.configure(settings.from_environment())
    print(f"{place_unlisted()} stored seats and customers listed")


if __name__ == "__main__":
    main()
