"""The hub login's DynamoDB calls, made on the lean transport (`storage.low_level`).

A login makes four calls (the login's index query, the password attempt taken, the code attempt
taken, the transaction starting the session); through PynamoDB's models each cost about three
times the client CPU of the call itself, and through the bare botocore client still several times
what signing, sending and parsing the JSON takes. Here each request is built directly, sent as
DynamoDB's own JSON, and each user item decoded by a small function per attribute. The items
and conditions are exactly those the model layer writes (`users.take_password_attempt`,
`users.take_code_attempt`, `attempts.is_open`, `HubSessionModel`): tests compare what both write
and refuse.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from pynamodb.attributes import (
    Attribute,
    BooleanAttribute,
    ListAttribute,
    NumberAttribute,
    UTCDateTimeAttribute,
)

from chalicelib.storage import low_level
from chalicelib.storage.attempts import AttemptGate
from chalicelib.storage.hub.users import NO_SUCH_USER, HubUser, HubUserModel
from chalicelib.storage.low_level import Item, Value, number, text

_MOMENT = UTCDateTimeAttribute()


def moment(value: dt.datetime) -> Value:
    """A time as UTCDateTimeAttribute stores it (fixed width, so conditions compare it)."""
    return text(_MOMENT.serialize(value))


# -- decoding a user item --------------------------------------------------------------------------
Decode = Callable[[Value], Any]


def _decoder(attribute: Attribute[Any]) -> Decode:
    """How one attribute's stored value becomes the HubUser field's value."""
    if isinstance(attribute, UTCDateTimeAttribute):
        return lambda value: _MOMENT.deserialize(value["S"])
    if isinstance(attribute, NumberAttribute):
        return lambda value: int(value["N"])
    if isinstance(attribute, BooleanAttribute):
        return lambda value: bool(value["BOOL"])
    if isinstance(attribute, ListAttribute):
        return lambda value: [element["S"] for element in value["L"]]
    return lambda value: value["S"]


_FIELDS = set(HubUser.__dataclass_fields__)
_DECODERS: dict[str, tuple[str, Decode]] = {
    attribute.attr_name: (name, _decoder(attribute))
    for name, attribute in HubUserModel.get_attributes().items() if name in _FIELDS
}


def user_of_item(item: Item) -> HubUser:
    """The plain record of a stored user item, as `users.user_of` makes it from the model."""
    values = {}
    for attr_name, value in item.items():
        known = _DECODERS.get(attr_name)
        if known is not None and "NULL" not in value:
            values[known[0]] = known[1](value)
    return HubUser(**values)


# -- the attempts ----------------------------------------------------------------------------------
def _users() -> str:
    return str(HubUserModel.Meta.table_name)


def _gate_values(gate: AttemptGate) -> Item:
    values = {":now": moment(gate.now), ":one": number(1), ":free": number(gate.free)}
    for i, cutoff in enumerate(gate.cutoffs):
        values[f":c{i}"] = number(gate.free + i)
        values[f":t{i}"] = moment(cutoff)
    return values


def _is_open(count: str, last: str, gate: AttemptGate) -> str:
    """`attempts.is_open` as a condition expression on the names `count` and `last`."""
    capped = len(gate.cutoffs) - 1
    parts = [f"attribute_not_exists({count})", f"{count} < :free"]
    parts += [f"({count} {'>=' if i == capped else '='} :c{i} AND {last} <= :t{i})"
              for i in range(len(gate.cutoffs))]
    return "(" + " OR ".join(parts) + ")"


def _take(user_id: str, count: str, last: str, condition: str, names: dict[str, str],
          values: Item) -> HubUser | None:
    """Count one attempt (ADD 1 to `count`, `last` set to now) if `condition` holds, and return
    the user as the update left them; None when refused."""
    answer = low_level.call("UpdateItem", {
        "TableName": _users(), "Key": {"user_id": text(user_id)},
        "UpdateExpression": f"ADD {count} :one SET {last} = :now",
        "ConditionExpression": condition, "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values, "ReturnValues": "ALL_NEW"})
    return None if answer is None else user_of_item(answer["Attributes"])


def take_password_attempt(user_id: str | None, gate: AttemptGate) -> HubUser | None:
    """Count one password attempt while both counters are open (`users.take_password_attempt`)
    and return the user as counted; None when refused (locked, or no such user)."""
    names = {"#id": "user_id", "#pf": "password_failures", "#pt": "last_password_failure_at",
             "#f": "failures", "#t": "last_failure_at"}
    condition = (f"attribute_exists(#id) AND {_is_open('#pf', '#pt', gate)}"
                 f" AND {_is_open('#f', '#t', gate)}")
    return _take(user_id or NO_SUCH_USER, "#pf", "#pt", condition, names, _gate_values(gate))


def take_login_code_attempt(user_id: str, gate: AttemptGate) -> HubUser | None:
    """One second-factor attempt of an active user's login, counted while its counter is open,
    with the user as the update left them (no read before it); None when refused (locked,
    inactive or no such user). Called before the code is checked."""
    names = {"#id": "user_id", "#s": "status", "#f": "failures", "#t": "last_failure_at"}
    values = {**_gate_values(gate), ":active": text("active")}
    condition = f"attribute_exists(#id) AND #s = :active AND {_is_open('#f', '#t', gate)}"
    return _take(user_id, "#f", "#t", condition, names, values)


def user_id_by_login(login_key: str) -> str | None:
    """The id of the user with this login, from the by_login index (its key only)."""
    answer = low_level.call("Query", {
        "TableName": _users(), "IndexName": "by_login", "Limit": 1,
        "KeyConditionExpression": "#k = :k", "ProjectionExpression": "#id",
        "ExpressionAttributeNames": {"#k": "login_key", "#id": "user_id"},
        "ExpressionAttributeValues": {":k": text(login_key)}})
    items = (answer or {}).get("Items") or []
    return str(items[0]["user_id"]["S"]) if items else None


def password_passed(user_id: str, pending_totp: str | None) -> bool:
    """`users.record_password_ok`: the password count restarts (and a pending enrollment secret
    is stored); False when the user no longer exists."""
    names = {"#id": "user_id", "#pf": "password_failures"}
    values: Item = {":zero": number(0)}
    update = "SET #pf = :zero"
    if pending_totp is not None:
        names["#p"], values[":p"] = "totp_pending", text(pending_totp)
        update += ", #p = :p"
    return low_level.call("UpdateItem", {
        "TableName": _users(), "Key": {"user_id": text(user_id)}, "UpdateExpression": update,
        "ConditionExpression": "attribute_exists(#id)", "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values}) is not None


def code_step_update(user_id: str, step: int, now: dt.datetime,
                     enroll_secret: str | None = None) -> dict[str, Any]:
    """A transaction's Update recording a TOTP step as used, only if it is newer than the last
    accepted one (no replay); the login is complete, so both failure counts restart. With
    `enroll_secret`, the pending secret (if still that one) becomes the user's secret."""
    names = {"#id": "user_id", "#step": "totp_last_step", "#f": "failures",
             "#pf": "password_failures", "#login": "last_login_at"}
    values = {":step": number(step), ":zero": number(0), ":now": moment(now)}
    update = "SET #step = :step, #f = :zero, #pf = :zero, #login = :now"
    condition = "(attribute_not_exists(#step) OR #step < :step)"
    if enroll_secret is not None:
        names["#secret"], names["#pending"] = "totp_secret", "totp_pending"
        values[":secret"] = text(enroll_secret)
        update += ", #secret = :secret REMOVE #pending"
        condition += " AND #pending = :secret"
    return {"Update": {"TableName": _users(), "Key": {"user_id": text(user_id)},
                       "UpdateExpression": update,
                       "ConditionExpression": f"{condition} AND attribute_exists(#id)",
                       "ExpressionAttributeNames": names, "ExpressionAttributeValues": values}}
