"""Pre-serialised items written with BatchWriteItem on a few threads: the sync's bulk writes.

A sync writes thousands of seats; building a PynamoDB model per seat cost more than the write.
The callers (`backup_seats`, `backup_customers`) turn their records into DynamoDB's own JSON
and this module writes them as DynamoDB wants them:

- at most 25 requests per call, and never the same key twice in one call (DynamoDB refuses the
  whole call): the last write given for a key wins, and a delete given for a key beats a put;
- items DynamoDB leaves unprocessed (throttled) are sent again after a growing, jittered pause,
  and after the last pause the write is `StorageUnavailable`, as a throttled call is (botocore
  retries those first); a request DynamoDB refuses as malformed is `StorageRejected`;
- batches go out on up to `THREADS` threads on the lean transport (`low_level`: botocore's
  serialisation of 25 items cost several times DynamoDB's own work), whose errors are mapped
  and logged as for every storage call.
"""

from __future__ import annotations

import functools
import json
import random
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from chalicelib import logs
from chalicelib.errors import StorageUnavailable
from chalicelib.storage import low_level

Item = dict[str, dict[str, Any]]
BATCH = 25  # DynamoDB's limit for one BatchWriteItem
THREADS = 4
# Pauses before sending again what DynamoDB left unprocessed; then the write is unavailable.
UNPROCESSED_PAUSES = (0.05, 0.1, 0.2, 0.4, 0.8, 1.6)
pause: Callable[[float], None] = time.sleep


@dataclass(frozen=True)
class ItemWrite:
    """One item to put (`item`) or, with `item` None, to delete; `key` names it in its table."""

    table: str
    key: Item
    item: Item | None = None

    @functools.cached_property
    def identity(self) -> tuple[str, tuple[tuple[str, str], ...]]:
        """The table and the key's (name, value) pairs in name order: equal for one item
        (kept once computed: a write is counted, then written, each asking for it)."""
        return self.table, tuple(sorted((name, value["S"] if "S" in value else value["N"])
                                        for name, value in self.key.items()))

    def request(self) -> dict[str, Any]:
        if self.item is None:
            return {"DeleteRequest": {"Key": self.key}}
        return {"PutRequest": {"Item": self.item}}


def distinct(writes: Iterable[ItemWrite]) -> list[ItemWrite]:
    """One write per key: the last given, except that a delete beats any put of its key."""
    chosen: dict[tuple[str, tuple[tuple[str, str], ...]], ItemWrite] = {}
    for write in writes:
        earlier = chosen.get(write.identity)
        if earlier is not None and earlier.item is None:
            continue
        chosen[write.identity] = write
    return list(chosen.values())


def write_items(writes: Iterable[ItemWrite], threads: int = THREADS) -> int:
    """Write every item (one write per key, see `distinct`); returns the items written."""
    chosen = distinct(writes)
    batches = [chosen[n:n + BATCH] for n in range(0, len(chosen), BATCH)]
    low_level.wire()  # built once here: the threads share it
    if len(batches) <= 1 or threads <= 1:
        for batch in batches:
            _write_batch(batch)
        return len(chosen)
    with ThreadPoolExecutor(max_workers=min(threads, len(batches))) as pool:
        list(pool.map(_write_batch, batches))  # the first failure is raised here
    return len(chosen)


def _write_batch(batch: Sequence[ItemWrite]) -> None:
    pending = _request(batch)
    for attempt in range(len(UNPROCESSED_PAUSES) + 1):
        if attempt:
            pause(UNPROCESSED_PAUSES[attempt - 1] * random.uniform(0.5, 1.5))
        pending = _call(pending).get("UnprocessedItems") or {}
        if not pending:
            return
    logs.event("storage_unprocessed", tables=sorted(pending), items=sum(map(len,
                                                                            pending.values())))
    raise StorageUnavailable()


def _request(batch: Sequence[ItemWrite]) -> dict[str, list[dict[str, Any]]]:
    request: dict[str, list[dict[str, Any]]] = {}
    for write in batch:
        request.setdefault(write.table, []).append(write.request())
    return request


def _call(request: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """One BatchWriteItem: malformed is StorageRejected, throttled or no answer
    StorageUnavailable (both logged)."""
    answer = low_level.call("BatchWriteItem", {"RequestItems": request})
    if answer is None:  # a batch write has no condition to fail
        raise StorageUnavailable()
    return answer


def text(value: str) -> dict[str, str]:
    """A string attribute value."""
    return {"S": value}


def number(value: float) -> dict[str, str]:
    """A number attribute value, written as PynamoDB's NumberAttribute writes it."""
    return {"N": json.dumps(value)}
