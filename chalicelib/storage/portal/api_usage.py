"""REST API access per partner: one item holding the budget, each hour's spend, a stamp per live
key and when each key was last used.

A call is admitted by ONE conditional UpdateItem on its partner's access item (`admit`): the key's
stamp must be the one stored (a revoked key has none; a changed scope changes it), no later hour
may be open (a clock a moment behind spends in the hour already open, never reopens the one
before), and the hour's spend plus the call's cost must stay within the budget. The check and the
increment are one atomic write, so no parallel calls can overspend and no revocation is missed.

Each hour's spend is an attribute named after the hour (`used#2026-11-30T05`) that the spending
write starts at zero when absent, so a new hour costs no second write; that write also removes
the hour before last, and hours an idle partner left behind are removed by the next write of a
process that saw them (`Admission.hours`). A condition compares but cannot add, so the budget is
stored with the room each cost leaves (`room#<cost>` = budget - cost; `budget_in`, written with
the company). The same write sets the key's last use (`seen#<public key>`). Key creation,
revocation and scope changes set or remove the stamp in the same transaction as the key record
(`stamp_in`).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.expressions.operand import Path, Value
from pynamodb.models import Model

from chalicelib import logs
from chalicelib.errors import StorageRejected, StorageUnavailable
from chalicelib.storage import low_level, transactions
from chalicelib.storage.dynamodb_wire import Refused, Unreachable, retried
from chalicelib.storage.low_level import UNAVAILABLE
from chalicelib.storage.transactions import Transaction

# The range key of a partner's access item (the table's other items are hourly counters of old).
ACCESS = "access"
KEY_PREFIX, SEEN_PREFIX, HOUR_PREFIX, ROOM_PREFIX = "key#", "seen#", "used#", "room#"
LATEST, BUDGET = "latest", "budget"
LEGACY_WINDOW, LEGACY_USED = "window", "used"  # the one counter of before per-hour spends
MAX_COST = 10  # rooms are stored for costs 1..MAX_COST
HOUR_FORMAT = "%Y-%m-%dT%H"
# Writes one admission may take: a clock behind, a budget or a counter of before put right.
ATTEMPTS = 4


class ApiUsageModel(Model):
    """A partner's access item (`hour` = ACCESS); its other attributes are named per key and
    per hour, so they are read and written raw (`low_level`)."""

    class Meta:
        logical_name = "portal_api_usage"
        table_name = "portal_api_usage"
        ttl_attribute = "expires_ttl"

    company_id = UnicodeAttribute(hash_key=True)
    hour = UnicodeAttribute(range_key=True)  # ACCESS (hourly counters of old: e.g. 2026-01-05T09)
    expires_ttl = NumberAttribute(null=True)  # the old hourly counters only; access never expires
    raw: dict[str, Any] | None = None  # the item as read (its attributes named per key and hour)

    @classmethod
    def from_raw_data(cls, data: dict[str, Any]) -> Any:
        """The model of an item read with others (`together`), keeping the item as read."""
        model = super().from_raw_data(data)
        model.raw = data
        return model


@dataclass(frozen=True)
class Admission:
    """The answer of one admission: whether the key is live, and the hour's spend and budget.

    `charged` False with `key_live` True: the budget cannot pay (`used` is the hour's spend).
    `hours`: the spend attributes seen on the item, for a later write to remove once stale."""

    key_live: bool
    charged: bool
    used: int
    budget: int
    hours: tuple[str, ...] = ()


def stamp_name(public_key: str) -> str:
    return KEY_PREFIX + public_key


def seen_name(public_key: str) -> str:
    return SEEN_PREFIX + public_key


def hour_name(hour: str) -> str:
    return HOUR_PREFIX + hour


def room_name(cost: int) -> str:
    return ROOM_PREFIX + str(cost)


def hour_before(hour: str, hours: int = 1) -> str:
    """The hour `hours` before `hour` (both `YYYY-MM-DDTHH`)."""
    start = dt.datetime.strptime(hour, HOUR_FORMAT) - dt.timedelta(hours=hours)
    return start.strftime(HOUR_FORMAT)


def stamp_in(tx: Transaction, company_id: str, public_key: str, stamp: str) -> None:
    """Set a key's stamp on its partner's access item within `tx`."""
    tx.update(ApiUsageModel(company_id, ACCESS),
              actions=[Path([stamp_name(public_key)]).set(Value({"S": stamp}))])


def retire_in(tx: Transaction, company_id: str, public_key: str, seen: dt.datetime | None,
              exact: bool = True) -> None:
    """Within `tx`: remove a key's stamp and last use from its partner's access item; `exact`:
    only if its last use is still `seen` (None: none recorded), so a call admitted meanwhile
    fails `tx`."""
    path = Path([seen_name(public_key)])
    condition = None
    if exact:
        condition = (path.does_not_exist() if seen is None
                     else path == Value({"S": _time_text(seen)}))
    tx.update(ApiUsageModel(company_id, ACCESS),
              actions=[Path([stamp_name(public_key)]).remove(), path.remove()],
              condition=condition)


def budget_in(tx: Transaction, company_id: str, budget: int) -> None:
    """Within `tx`: the partner's hourly budget and the room it leaves each cost."""
    tx.update(ApiUsageModel(company_id, ACCESS), actions=[
        Path([name]).set(Value({"N": value})) for name, value in _budget_values(budget).items()])


def _budget_values(budget: int) -> dict[str, str]:
    rooms = {room_name(cost): str(budget - cost) for cost in range(1, MAX_COST + 1)}
    return {BUDGET: str(budget), **rooms}


@dataclass(frozen=True)
class Call:
    """One call to admit: whose key, when, at what cost, and the spend attributes seen on the
    item before (those stale by now are removed)."""

    company_id: str
    public_key: str
    stamp: str | None  # None: a key made before stamps, checked by its record
    cost: int
    at: dt.datetime
    seen_hours: tuple[str, ...] = ()

    @property
    def hour(self) -> str:
        return self.at.astimezone(dt.UTC).strftime(HOUR_FORMAT)


def admit(call: Call, budget_of: Callable[[], int]) -> Admission:
    """Spend the call's cost in its hour (or the later hour already open) if the key is live and
    the budget allows: one conditional UpdateItem, more only to put the item right (a budget
    not on it yet, read by `budget_of`; a counter of before; a clock behind)."""
    hour = call.hour
    for _ in range(ATTEMPTS):
        answer, old = _update(spend_request(call, hour))
        if answer is not None:
            return _admitted(answer.get("Attributes", {}), hour, call.cost)
        item = old if old is not None else _access_item(call.company_id)
        outcome = _refusal(call, item, hour, budget_of)
        if isinstance(outcome, Admission):
            return outcome
        hour = outcome
    raise StorageUnavailable()


def _admitted(old: dict[str, Any], hour: str, cost: int) -> Admission:
    """The admission a successful write made, from the item as it was before it."""
    return Admission(True, True, _number(old, hour_name(hour)) + cost, _number(old, BUDGET),
                     _hours(old, hour))


def _refusal(call: Call, item: dict[str, Any], hour: str,
             budget_of: Callable[[], int]) -> Admission | str:
    """Why the write was refused: the answer to give, or the hour to try again in (after putting
    the item right when that was the reason)."""
    if call.stamp is not None and item.get(stamp_name(call.public_key)) != {"S": call.stamp}:
        return Admission(False, False, 0, 0)
    latest = item.get(LATEST, {}).get("S", "")
    if latest > hour:
        return latest  # another clock opened a later hour: spend in it
    if LEGACY_WINDOW in item:
        _carry_legacy(call.company_id, item)
    elif room_name(call.cost) not in item:
        _store_budget(call.company_id, item, budget_of)
    elif _number(item, hour_name(hour)) + call.cost > _number(item, BUDGET):
        return Admission(True, False, _number(item, hour_name(hour)), _number(item, BUDGET),
                         _hours(item, hour))
    return hour


def _hours(item: dict[str, Any], hour: str) -> tuple[str, ...]:
    """The spend attributes the item holds once `hour` is spent in (the hour before last gone)."""
    gone = hour_name(hour_before(hour, 2))
    return tuple(sorted({hour_name(hour)} | {name for name in item if name.startswith(HOUR_PREFIX)
                                             and name != gone}))


def spend_request(call: Call, hour: str) -> dict[str, Any]:
    """Add the cost to `hour`'s spend (started at 0) if it stays within the budget, no later hour
    is open and the key's stamp is there; note the key's use; remove the hour before last."""
    names = {"#h": hour_name(hour), "#latest": LATEST, "#window": LEGACY_WINDOW,
             "#room": room_name(call.cost), "#seen": seen_name(call.public_key),
             "#old": hour_name(hour_before(hour, 2))}
    values = {":cost": {"N": str(call.cost)}, ":zero": {"N": "0"}, ":hour": {"S": hour},
              ":now": {"S": _time_text(call.at)}}
    condition = ("(attribute_not_exists(#latest) OR #latest <= :hour) AND "
                 "attribute_not_exists(#window) AND "
                 "(#h <= #room OR (attribute_not_exists(#h) AND #room >= :zero))")
    if call.stamp is not None:
        names["#key"], values[":stamp"] = stamp_name(call.public_key), {"S": call.stamp}
        condition = "#key = :stamp AND " + condition
    removed = ["#old", *_named(names, _removable(call.seen_hours, hour))]
    return {**_key(call.company_id),
            "UpdateExpression": "SET #h = if_not_exists(#h, :zero) + :cost, #latest = :hour, "
                                "#seen = :now REMOVE " + ", ".join(removed),
            "ConditionExpression": condition, "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values, "ReturnValues": "ALL_OLD",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}


def _removable(seen: Iterable[str], hour: str) -> list[str]:
    """The spend attributes seen that are stale at `hour`: older than the hour before last
    (which the write removes by name)."""
    last = hour_name(hour_before(hour, 2))
    return sorted(name for name in set(seen) if name.startswith(HOUR_PREFIX) and name < last)


def _named(names: dict[str, str], attributes: list[str]) -> list[str]:
    """Placeholders for `attributes`, added to `names`."""
    for n, attribute in enumerate(attributes):
        names[f"#s{n}"] = attribute
    return [f"#s{n}" for n in range(len(attributes))]


def _carry_legacy(company_id: str, item: dict[str, Any]) -> None:
    """Move the counter of before (`window`, `used`) into its hour's attribute, once (refused
    by its condition: another call carried it already)."""
    window, used = item[LEGACY_WINDOW], item.get(LEGACY_USED, {"N": "0"})
    _update({**_key(company_id),
             "UpdateExpression": "SET #h = if_not_exists(#h, :zero) + :used REMOVE #window, #used",
             "ConditionExpression": "#window = :window AND #used = :used",
             "ExpressionAttributeNames": {"#h": hour_name(window["S"]), "#window": LEGACY_WINDOW,
                                          "#used": LEGACY_USED},
             "ExpressionAttributeValues": {":window": window, ":used": used,
                                           ":zero": {"N": "0"}}})


def _store_budget(company_id: str, item: dict[str, Any], budget_of: Callable[[], int]) -> None:
    """Put the budget and its rooms on an item that lacks them (a partner from before); refused
    by its condition: a budget change stored another budget meanwhile."""
    budget = _number(item, BUDGET) if BUDGET in item else budget_of()
    values = list(_budget_values(budget).items())  # the budget first
    _update({**_key(company_id),
             "UpdateExpression": "SET " + ", ".join(f"#b{n} = :b{n}" for n in range(len(values))),
             "ConditionExpression": "attribute_not_exists(#b0) OR #b0 = :b0",
             "ExpressionAttributeNames": {f"#b{n}": name for n, (name, _) in enumerate(values)},
             "ExpressionAttributeValues": {f":b{n}": {"N": value}
                                           for n, (_, value) in enumerate(values)}})


def has_stamp(company_id: str, public_key: str) -> bool:
    """Whether the partner's access item holds a stamp for this key (a consistent read)."""
    return stamp_name(public_key) in _access_item(company_id)


def api_usage(company_id: str, hour: str) -> int:
    """What the partner has spent in `hour` (a consistent read)."""
    item = _access_item(company_id)
    if item.get(LEGACY_WINDOW) == {"S": hour}:
        return _number(item, hour_name(hour)) + _number(item, LEGACY_USED)
    return _number(item, hour_name(hour))


def last_used(company_id: str) -> dict[str, dt.datetime]:
    """When each live key of the partner was last used (a consistent read)."""
    return seen_times(_access_item(company_id))


def seen_in(model: object) -> dict[str, dt.datetime]:
    """The last use of each key an access item read with others records ({} when none)."""
    return seen_times(model.raw or {}) if isinstance(model, ApiUsageModel) else {}


def seen_times(item: dict[str, Any]) -> dict[str, dt.datetime]:
    """The last use of each key an access item (as DynamoDB returns it) records."""
    return {name[len(SEEN_PREFIX):]: dt.datetime.fromisoformat(value["S"])
            for name, value in item.items() if name.startswith(SEEN_PREFIX) and "S" in value}


def _key(company_id: str) -> dict[str, Any]:
    return {"TableName": ApiUsageModel.Meta.table_name,
            "Key": {"company_id": {"S": company_id}, "hour": {"S": ACCESS}}}


def _update(request: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(answer, None) when written; (None, the item as it was, if DynamoDB returned it) when
    the condition failed. A key change's transaction in flight on the item is waited out. Sent
    on the lean transport of the hot calls (`low_level.post`): one per API call."""
    for wait in (*transactions.CONFLICT_PAUSES, None):
        try:
            return low_level.post("UpdateItem", request), None
        except Refused as exc:
            if exc.code == "ConditionalCheckFailedException":
                return None, exc.answer.get("Item")
            if exc.code != "TransactionConflictException" or wait is None:
                raise _refused(exc) from exc
        except Unreachable as exc:
            raise StorageUnavailable() from exc
        transactions.pause(wait * (0.5 + random.random()))  # noqa: S311 (jitter, not a secret)
    raise AssertionError("unreachable")  # pragma: no cover


def _access_item(company_id: str) -> dict[str, Any]:
    """The access item as stored (consistent), {} when the partner has none yet."""
    try:
        answer = low_level.post("GetItem", {**_key(company_id), "ConsistentRead": True})
    except Refused as exc:
        raise _refused(exc) from exc
    except Unreachable as exc:
        raise StorageUnavailable() from exc
    item: dict[str, Any] = answer.get("Item") or {}
    return item


def _refused(exc: Refused) -> Exception:
    """The domain error of a refused call; anything unexpected is a bug to see."""
    if exc.code == "ValidationException":
        logs.event("storage_rejected", error="portal_api_usage", reason=exc.message[:300])
        return StorageRejected(exc.message[:300])
    if exc.code in UNAVAILABLE or exc.code == "TransactionConflictException" or retried(exc):
        logs.event("storage_unavailable", operation="portal_api_usage", error=exc.code)
        return StorageUnavailable()
    return exc


def _time_text(at: dt.datetime) -> str:
    """A last use as stored: UTC, ISO 8601, to the second."""
    return at.astimezone(dt.UTC).isoformat(timespec="seconds")


def _number(item: dict[str, Any], name: str) -> int:
    return int(item.get(name, {}).get("N", "0"))
