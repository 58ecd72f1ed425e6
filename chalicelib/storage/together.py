"""Items of several tables read in one DynamoDB call: what a page needs before its own data.

A signed-in page needs its session, its user and a few records named by them (a company, its
settings). Read one after the other they cost a call each; the session cookie names the ids
(`session_rules.hinted_token`), so they can all be asked for at once with one BatchGetItem, read
consistently so a change made a moment ago (a role, a deactivation) is never missed.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.models import Model

from chalicelib.errors import StorageRejected, StorageUnavailable
from chalicelib.storage import tables

MAX_ITEMS = 100  # DynamoDB's limit for one BatchGetItem
# Pauses before asking again for keys DynamoDB left unprocessed (throttled); then unavailable.
UNPROCESSED_PAUSES = (0.01, 0.05, 0.2)
pause: Callable[[float], None] = time.sleep


@dataclass(frozen=True)
class Wanted:
    """One item to read: its model (table) and key."""

    model: type[Model]
    hash_key: Any
    range_key: Any = None

    def key(self) -> dict[str, Any]:
        """The item's key as DynamoDB takes it."""
        hash_value, range_value = self.model._serialize_keys(self.hash_key, self.range_key)
        hashed = self.model._hash_key_attribute()
        key = {hashed.attr_name: {hashed.attr_type: hash_value}}
        ranged = self.model._range_key_attribute()
        if ranged is not None:
            key[ranged.attr_name] = {ranged.attr_type: range_value}
        return key

    def table(self) -> str:
        return str(self.model.Meta.table_name)


def read_together(wanted: Sequence[Wanted]) -> list[Model | None]:
    """Each wanted item (None where it does not exist), in order, in one call when DynamoDB
    serves it all; keys it leaves unprocessed are asked for again after a short pause."""
    if not 0 < len(wanted) <= MAX_ITEMS:
        raise ValueError(f"read_together takes 1 to {MAX_ITEMS} items, got {len(wanted)}")
    found: dict[tuple[str, str], dict[str, Any]] = {}
    pending = _request(wanted)
    for attempt in range(len(UNPROCESSED_PAUSES) + 1):
        if attempt:
            pause(UNPROCESSED_PAUSES[attempt - 1] * random.uniform(0.5, 1.5))
        answer = _batch_get(pending)
        for table, items in answer.get("Responses", {}).items():
            for item in items:
                found[(table, _identity_of(wanted, table, item))] = item
        pending = answer.get("UnprocessedKeys") or {}
        if not pending:
            return [_model_of(w, found) for w in wanted]
    raise StorageUnavailable()


def _request(wanted: Sequence[Wanted]) -> dict[str, Any]:
    request: dict[str, Any] = {}
    for item in wanted:
        table = request.setdefault(item.table(), {"Keys": [], "ConsistentRead": True})
        if item.key() not in table["Keys"]:
            table["Keys"].append(item.key())
    return request


def _batch_get(request: dict[str, Any]) -> dict[str, Any]:
    try:
        answer: dict[str, Any] = tables.connection().client.batch_get_item(RequestItems=request)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code == "ValidationException":
            raise StorageRejected(str(exc.response["Error"].get("Message", ""))[:300]) from exc
        raise StorageUnavailable() from exc
    except BotoCoreError as exc:
        raise StorageUnavailable() from exc
    return answer


def _identity(key: dict[str, Any]) -> str:
    return repr(sorted((name, sorted(value.items())) for name, value in key.items()))


def _identity_of(wanted: Sequence[Wanted], table: str, item: dict[str, Any]) -> str:
    """The identity of a returned item: its key attributes only (the item has more)."""
    model = next(w.model for w in wanted if w.table() == table)
    names = [model._hash_key_attribute().attr_name]
    if model._range_key_attribute() is not None:
        names.append(model._range_key_attribute().attr_name)
    return _identity({name: item[name] for name in names})


def _model_of(wanted: Wanted, found: dict[tuple[str, str], dict[str, Any]]) -> Model | None:
    item = found.get((wanted.table(), _identity(wanted.key())))
    return None if item is None else wanted.model.from_raw_data(item)
