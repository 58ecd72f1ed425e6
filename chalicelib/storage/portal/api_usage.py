"""REST API access per partner: one item holding the hour's spent budget and its live keys' stamps.

A call is admitted by ONE conditional UpdateItem on its partner's access item: the key's stamp
must be the one stored (a revoked key has none; a changed scope changes it), the counter must be
this hour's, and the hour's spend plus the call's cost must stay within the budget. The check and
the increment are one atomic write, so no parallel calls can overspend and no revocation is
missed. Key creation, revocation and scope changes set or remove the stamp in the same
transaction as the key record (`stamp_in`).
"""

from __future__ import annotations

import random
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
KEY_PREFIX = "key#"
# A new hour's first calls may race to open it: each retries the admission this often at most.
OPEN_ATTEMPTS = 3


class ApiUsageModel(Model):
    """A partner's access item (`hour` = ACCESS): `window` is the hour `used` counts."""

    class Meta:
        logical_name = "portal_api_usage"
        table_name = "portal_api_usage"
        ttl_attribute = "expires_ttl"

    company_id = UnicodeAttribute(hash_key=True)
    hour = UnicodeAttribute(range_key=True)  # ACCESS (hourly counters of old: e.g. 2026-01-05T09)
    used = NumberAttribute(null=True)
    window = UnicodeAttribute(null=True)  # the hour `used` belongs to, e.g. 2026-01-05T09
    expires_ttl = NumberAttribute(null=True)  # the old hourly counters only; access never expires


@dataclass(frozen=True)
class Admission:
    """The answer of one admission: whether the key is live, and the hour's spend.

    `charged` False with `key_live` True: the budget cannot pay (`used` is the hour's spend)."""

    key_live: bool
    charged: bool
    used: int


def stamp_name(public_key: str) -> str:
    return KEY_PREFIX + public_key


def stamp_in(tx: Transaction, company_id: str, public_key: str, stamp: str | None) -> None:
    """Set (or, None, remove) a key's stamp on its partner's access item, within `tx`."""
    path = Path([stamp_name(public_key)])
    action = path.remove() if stamp is None else path.set(Value({"S": stamp}))
    tx.update(ApiUsageModel(company_id, ACCESS), actions=[action])


def admit(company_id: str, hour: str, cost: int, budget: int,
          stamp: tuple[str, str] | None) -> Admission:
    """Spend `cost` of this hour if the key `stamp` (public key, stamp) is live and the budget
    allows, in one conditional UpdateItem (two when the hour is new); `stamp` None: an old key
    checked by its record, only the budget is conditioned."""
    for _ in range(OPEN_ATTEMPTS):
        answer, old = _update(spend_request(company_id, hour, cost, budget, stamp))
        if answer is not None:
            return Admission(True, True, _used(answer.get("Attributes", {})))
        old = old if old is not None else _access_item(company_id)
        if stamp is not None and old.get(stamp_name(stamp[0])) != {"S": stamp[1]}:
            return Admission(False, False, 0)
        stored = old.get("window", {}).get("S", "")
        if stored >= hour or cost > budget:
            hour, refused = _in_stored_hour(old, stored, hour, cost, budget)
            if refused is not None:
                return refused
            continue
        answer, _ = _update(_open_request(company_id, hour, cost, stamp))
        if answer is not None:
            return Admission(True, True, cost)
    raise StorageUnavailable()


def _in_stored_hour(old: dict[str, Any], stored: str, hour: str, cost: int,
                    budget: int) -> tuple[str, Admission | None]:
    """The hour to spend in (a later stored one: another clock is a moment ahead) and, when
    that hour cannot pay, the refusal."""
    hour = max(stored, hour)
    if stored == hour and _used(old) <= budget - cost:
        return hour, None  # room again: spend on the next attempt
    return hour, Admission(True, False, _used(old) if stored == hour else 0)


def has_stamp(company_id: str, public_key: str) -> bool:
    """Whether the partner's access item holds a stamp for this key (a consistent read)."""
    return stamp_name(public_key) in _access_item(company_id)


def api_usage(company_id: str, hour: str) -> int:
    """What the partner has spent in `hour` (a consistent read)."""
    item = _access_item(company_id)
    return _used(item) if item.get("window") == {"S": hour} else 0


def _key(company_id: str) -> dict[str, Any]:
    return {"TableName": ApiUsageModel.Meta.table_name,
            "Key": {"company_id": {"S": company_id}, "hour": {"S": ACCESS}}}


def spend_request(company_id: str, hour: str, cost: int, budget: int,
                   stamp: tuple[str, str] | None) -> dict[str, Any]:
    """Add `cost` to this hour's spend if it stays within `budget` (and the key is live)."""
    names = {"#used": "used", "#window": "window"}
    values = {":cost": {"N": str(cost)}, ":hour": {"S": hour}, ":room": {"N": str(budget - cost)}}
    condition = "#window = :hour AND #used <= :room"
    if stamp is not None:
        names["#key"], values[":stamp"] = stamp_name(stamp[0]), {"S": stamp[1]}
        condition = "#key = :stamp AND " + condition
    return {**_key(company_id), "UpdateExpression": "SET #used = #used + :cost",
            "ConditionExpression": condition, "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values, "ReturnValues": "UPDATED_NEW",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}


def _open_request(company_id: str, hour: str, cost: int,
                  stamp: tuple[str, str] | None) -> dict[str, Any]:
    """Start this hour's spend at `cost`, unless another call has started it (or a later one)
    already: hours written `YYYY-MM-DDTHH` order as strings do."""
    names = {"#used": "used", "#window": "window"}
    values = {":cost": {"N": str(cost)}, ":hour": {"S": hour}}
    condition = "(attribute_not_exists(#window) OR #window < :hour)"
    if stamp is not None:
        names["#key"], values[":stamp"] = stamp_name(stamp[0]), {"S": stamp[1]}
        condition = "#key = :stamp AND " + condition
    return {**_key(company_id), "UpdateExpression": "SET #window = :hour, #used = :cost",
            "ConditionExpression": condition, "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values}


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


def _used(item: dict[str, Any]) -> int:
    return int(item.get("used", {}).get("N", "0"))
