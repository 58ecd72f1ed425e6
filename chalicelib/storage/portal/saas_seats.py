"""SaaS Protection seats, keyed by customer (the REST API's seat list and its state changes)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from pynamodb.attributes import (
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.indexes import GlobalSecondaryIndex, IncludeProjection
from pynamodb.models import Model

from chalicelib.errors import StorageRejected
from chalicelib.storage import low_level
from chalicelib.storage.base import is_condition_failure, translated
from chalicelib.storage.portal import list_positions
from chalicelib.storage.portal.saas_customers import SaasCustomer, SaasCustomerModel, customer_from
from chalicelib.storage.together import MAX_ITEMS, Wanted, read_together
from chalicelib.storage.transactions import Transaction, write_transaction

# What the REST API returns of a seat: the index holds these (not `services`, the bulk of a seat).
LISTED_FIELDS = ["main_id", "name", "seat_type", "seat_state", "billable", "date_added"]
_DATES = UTCDateTimeAttribute()  # reads `date_added` as the model stores it
# Seats changed per transaction: DynamoDB takes 100 items, one of them the customer's summary.
MAX_CHANGES = 99


class SaasSeatByListKey(GlobalSecondaryIndex):  # type: ignore[type-arg]
    class Meta:
        index_name = "by_list_key"
        projection = IncludeProjection(LISTED_FIELDS)

    saas_customer_id = NumberAttribute(hash_key=True)
    list_key = UnicodeAttribute(range_key=True)


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
    # `<seat type>#<position>`: the seat's place in the REST API's pages (see list_positions).
    list_key = UnicodeAttribute(null=True)
    by_list_key = SaasSeatByListKey()


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


@dataclass(frozen=True)
class SeatPage:
    """One page of a customer's seats, and how many seats the whole (filtered) list holds."""

    seats: list[Seat]
    total: int


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


def seats_owner(saas_customer_id: int) -> str:
    return f"seats#{saas_customer_id}"


def _placed(seats: list[Seat]) -> list[SaasSeatModel]:
    """Models of new seats, each given the next free position of its (customer, seat type)."""
    groups: dict[tuple[int, str], list[Seat]] = defaultdict(list)
    for seat in seats:
        groups[(seat.saas_customer_id, seat.seat_type)].append(seat)
    models = []
    for (customer_id, seat_type), group in groups.items():
        first = list_positions.reserve(seats_owner(customer_id), seat_type, len(group))
        for offset, seat in enumerate(group):
            model = _seat_model(seat)
            model.list_key = list_positions.list_key(seat_type, first + offset)
            models.append(model)
    return models


def save_seats(seats: Iterable[Seat], company_id: str | None = None,
               changed_at: dt.datetime | None = None) -> None:
    """Bulk load of new seats (demo data, generated partners): batch writes of 25, no conditions.

    One UpdateItem per (customer, seat type) reserves the seats' positions first; saving a seat
    that already exists again would give it a new position and leave its old one empty. Seats of
    customers created afterwards need nothing more (their creation shows them); with the partner
    (`company_id`), each of its customers that exists already has its seat list's version bumped
    after the seats are written, so no ETag served before still matches.
    """
    loaded = list(seats)
    models = _placed(loaded)
    with translated(), SaasSeatModel.batch_write() as batch:
        for model in models:
            batch.save(model)
    if company_id is None:
        return
    if changed_at is None:
        raise ValueError("Seats loaded for existing customers say when (changed_at).")
    for saas_customer_id in sorted({s.saas_customer_id for s in loaded}):
        bump_version(company_id, saas_customer_id, changed_at)


def bump_version(company_id: str, saas_customer_id: int, changed_at: dt.datetime) -> None:
    """A new version of an existing customer's seat list (nothing for one not created yet)."""
    try:
        with translated():
            SaasCustomerModel(company_id, saas_customer_id).update(
                actions=_version_bump(changed_at),
                condition=SaasCustomerModel.saas_customer_id.exists())
    except UpdateError as exc:
        if not is_condition_failure(exc):
            raise


def _version_bump(changed_at: dt.datetime) -> list[Action]:
    """A new version of the seat list by a writer that does not count the summary again: its
    clock goes too, so the next bulk change counts every seat rather than trust it."""
    m = SaasCustomerModel
    return [m.seats_version.add(1), m.seats_changed_at.set(changed_at),
            m.recent_cutoff_ms.remove(), m.recent_oldest_ms.remove(), m.recent_beyond_ms.remove()]


def seats_of_customer(saas_customer_id: int, seat_types: Iterable[str] = (),
                      consistent: bool = False) -> Iterator[Seat]:
    """A customer's seats: one Query (with a filter for seat types), followed through its pages;
    `consistent` sees every change acknowledged before it (a bulk change reads them so)."""
    wanted = list(seat_types)
    condition = SaasSeatModel.seat_type.is_in(*wanted) if wanted else None
    with translated():
        for m in SaasSeatModel.query(saas_customer_id, filter_condition=condition,
                                     consistent_read=consistent):
            yield _seat(m)


def seat_page(saas_customer_id: int, seat_types: Sequence[str], offset: int,
              limit: int, part_sizes: dict[str, int] | None = None) -> SeatPage:
    """Seats [offset, offset + limit) of a customer, by seat type then position: O(page).

    One Query of the sizes (unless `part_sizes`, read already with the API key), then one index
    Query per key range of the page (one when unfiltered), each reading exactly its seats and
    only the fields the REST API returns.
    """
    if part_sizes is None:
        part_sizes = list_positions.sizes(seats_owner(saas_customer_id))
    parts = list(seat_types) or list(part_sizes)
    seats: list[Seat] = []
    for key_range in list_positions.page_ranges(part_sizes, parts, offset, limit):
        seats.extend(_seats_between(saas_customer_id, key_range))
    return SeatPage(seats, seat_total(saas_customer_id, seat_types, part_sizes))


def seat_total(saas_customer_id: int, seat_types: Sequence[str],
               part_sizes: dict[str, int] | None = None) -> int:
    """How many seats the (filtered) list holds, without reading a seat (sizes: one Query,
    none when read already)."""
    if part_sizes is None:
        part_sizes = list_positions.sizes(seats_owner(saas_customer_id))
    parts = list(seat_types) or list(part_sizes)
    return sum(part_sizes.get(part, 0) for part in set(parts))


def _seats_between(saas_customer_id: int, key_range: list_positions.KeyRange) -> list[Seat]:
    """One key range of the index, read with the low-level client: a page of seats is served
    as plain records, without a model per seat (the API answers thousands of them)."""
    request = _page_request(saas_customer_id, key_range)
    seats: list[Seat] = []
    while len(seats) < key_range.count:
        answer = _query(request)
        seats.extend(_listed_seat(saas_customer_id, item) for item in answer.get("Items", []))
        if "LastEvaluatedKey" not in answer:
            break
        request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
    return seats[:key_range.count]


def _page_request(saas_customer_id: int, key_range: list_positions.KeyRange) -> dict[str, Any]:
    """The index Query of one key range, projected to what the REST API returns (the key's
    customer id and `list_key` only select, they are not read back)."""
    names = ["saas_customer_id", "remote_id", "list_key", *LISTED_FIELDS]
    return {
        "TableName": SaasSeatModel.Meta.table_name, "IndexName": "by_list_key",
        "KeyConditionExpression": "#n0 = :customer AND #n2 BETWEEN :first AND :last",
        "ExpressionAttributeNames": {f"#n{n}": name for n, name in enumerate(names)},
        "ExpressionAttributeValues": {":customer": {"N": str(saas_customer_id)},
                                      ":first": {"S": key_range.first},
                                      ":last": {"S": key_range.last}},
        "ProjectionExpression": ", ".join(f"#n{n}" for n in range(len(names)) if n not in (0, 2)),
        "Limit": key_range.count}


def _query(request: dict[str, Any]) -> dict[str, Any]:
    """One page of the index Query on the lean transport (`low_level`): a page of 500 seats
    parsed by botocore cost more CPU than DynamoDB's answer itself. Errors are mapped (and
    logged) as for every storage call: malformed is StorageRejected, throttled or no answer
    StorageUnavailable."""
    answer = low_level.call("Query", request)
    if answer is None:  # a Query has no condition to fail
        raise StorageRejected("The seat query was answered as a failed condition.")
    return answer


def _listed_seat(saas_customer_id: int, item: dict[str, dict[str, str]]) -> Seat:
    """A seat of this customer as the index holds it (no `services`)."""
    return Seat(saas_customer_id=saas_customer_id,
                remote_id=item["remote_id"]["S"], main_id=item["main_id"]["S"],
                name=item["name"]["S"], seat_type=item["seat_type"]["S"],
                seat_state=item["seat_state"]["S"],
                billable=item.get("billable", {}).get("S", ""),
                date_added=_DATES.deserialize(item["date_added"]["S"]))


def read_for_change(company_id: str, saas_customer_id: int, remote_ids: Sequence[str],
                    ) -> tuple[SaasCustomer | None, dict[str, Seat]]:
    """The partner's customer (None: it has none such) and those of its seats among these ids,
    by id, read consistently in one BatchGetItem (two past 99 ids): what a bulk change needs."""
    wanted = [Wanted(SaasCustomerModel, company_id, saas_customer_id)] + [
        Wanted(SaasSeatModel, saas_customer_id, remote_id) for remote_id in remote_ids]
    found = [m for n in range(0, len(wanted), MAX_ITEMS)
             for m in read_together(wanted[n:n + MAX_ITEMS])]
    customer = found[0]
    return (customer_from(customer) if isinstance(customer, SaasCustomerModel) else None,
            {m.remote_id: _seat(m) for m in found[1:] if isinstance(m, SaasSeatModel)})


@dataclass(frozen=True)
class SeatChange:
    """A seat's new state (and billable flag, None to leave it) in a bulk change."""

    remote_id: str
    seat_type: str
    seat_state: str
    billable: str | None


@dataclass(frozen=True)
class SeatSummaryValues:
    """The customer's seat summary as stored: billable seats, active services, recently backed
    up ones, and what keeps the last exact as time passes (see SaasCustomerModel)."""

    seats_used: int
    active_services: int
    recent_backup_services: int
    recent_cutoff_ms: int
    recent_oldest_ms: list[int]
    recent_beyond_ms: int | None


def write_seat_changes(company_id: str, saas_customer_id: int, version: int,
                       changes: Sequence[SeatChange], summary: SeatSummaryValues,
                       changed_at: dt.datetime) -> bool:
    """The seats' new states and the customer's summary after them, all or none, in one
    transaction (at most MAX_CHANGES seats): only while the customer's seats are still at
    `version` (which this bumps, noting `changed_at`) and each seat still exists with its type;
    else False."""
    if len(changes) > MAX_CHANGES:
        raise ValueError(f"At most {MAX_CHANGES} seats change in one transaction.")

    def write(tx: Transaction) -> None:
        for change in changes:
            tx.update(SaasSeatModel(saas_customer_id, change.remote_id),
                      actions=_change_actions(change),
                      condition=SaasSeatModel.remote_id.exists()
                      & (SaasSeatModel.seat_type == change.seat_type))
        tx.update(SaasCustomerModel(company_id, saas_customer_id),
                  actions=[*_summary_actions(summary),
                           SaasCustomerModel.seats_version.set(version + 1),
                           SaasCustomerModel.seats_changed_at.set(changed_at)],
                  condition=_at_version(version))

    return not write_transaction(write)


def _summary_actions(summary: SeatSummaryValues) -> list[Action]:
    m = SaasCustomerModel
    return [m.seats_used.set(summary.seats_used), m.active_services.set(summary.active_services),
            m.recent_backup_services.set(summary.recent_backup_services),
            m.recent_cutoff_ms.set(summary.recent_cutoff_ms),
            m.recent_oldest_ms.set(summary.recent_oldest_ms),  # type: ignore[arg-type]
            m.recent_beyond_ms.remove() if summary.recent_beyond_ms is None
            else m.recent_beyond_ms.set(summary.recent_beyond_ms)]


def _change_actions(change: SeatChange) -> list[Action]:
    actions: list[Action] = [SaasSeatModel.seat_state.set(change.seat_state)]
    if change.billable is not None:
        actions.append(SaasSeatModel.billable.set(change.billable))
    return actions


def _at_version(version: int) -> Condition:
    """The customer exists and its seats are at `version` (0: also when never counted)."""
    at = SaasCustomerModel.seats_version == version
    if version == 0:
        at = at | SaasCustomerModel.seats_version.does_not_exist()
    return SaasCustomerModel.saas_customer_id.exists() & at


def update_seat(company_id: str, saas_customer_id: int, remote_id: str, seat_type: str,
                seat_state: str, billable: str | None, changed_at: dt.datetime) -> bool:
    """Set a seat's state (and billable flag) if the seat exists with this type, bumping the
    customer's seat list version in the same transaction; else False (nothing written)."""
    change = SeatChange(remote_id, seat_type, seat_state, billable)

    def write(tx: Transaction) -> None:
        tx.update(SaasSeatModel(saas_customer_id, remote_id), actions=_change_actions(change),
                  condition=SaasSeatModel.remote_id.exists()
                  & (SaasSeatModel.seat_type == seat_type))
        tx.update(SaasCustomerModel(company_id, saas_customer_id),
                  actions=_version_bump(changed_at),
                  condition=SaasCustomerModel.saas_customer_id.exists())

    return not write_transaction(write)
