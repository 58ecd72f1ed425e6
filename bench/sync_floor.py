"""The honest floor for the sync bench: raw `batch_write_item` of the very items a sync wrote.

The items are read back from the tables the first sync filled, given a fresh hash key per run
(so each run writes new items, as a first sync does) and serialised before the clock starts. The
floor then writes them with the low-level client in batches of 25, on 1 and on 4 threads, and the
best of the two counts: no PynamoDB model, no condition, no read — what a sync can never beat.
The sync writes on the lean transport (`low_level`), so the floor is also measured there
(`write_all_lean`): each call's body serialised before the clock starts, one signed POST per
batch on the same kept-alive connections; the best of every floor counts.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

Item = dict[str, dict[str, Any]]
BATCH = 25


def snapshot(client: Any, table_name: str, hash_key: str, integration_id: str) -> list[Item]:
    """The integration's items of a bench table in DynamoDB's own JSON (a Scan of bench data)."""
    items: list[Item] = []
    kwargs: dict[str, Any] = {"TableName": table_name}
    while True:
        page = client.scan(**kwargs)
        items.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            return [item for item in items
                    if item[hash_key]["S"].split("#", 1)[0] == integration_id]
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def rekeyed(items: list[Item], hash_key: str, prefix: str) -> list[Item]:
    """The same items under a fresh hash key, so a run writes new items."""
    return [{**item, hash_key: {"S": f"{prefix}{item[hash_key]['S']}"}} for item in items]


def write_all(client: Any, table_name: str, items: list[Item], threads: int) -> int:
    """Batch-write every item (retrying unprocessed ones); returns the BatchWriteItem calls."""
    batches = [items[n:n + BATCH] for n in range(0, len(items), BATCH)]
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return sum(pool.map(lambda batch: _write_batch(client, table_name, batch), batches))


def _write_batch(client: Any, table_name: str, batch: list[Item]) -> int:
    requests = [{"PutRequest": {"Item": item}} for item in batch]
    calls = 0
    while requests:
        calls += 1
        answer = client.batch_write_item(RequestItems={table_name: requests})
        requests = answer.get("UnprocessedItems", {}).get(table_name, [])
    return calls


def write_all_lean(wire: Any, table_name: str, items: list[Item], threads: int) -> int:
    """`write_all` on the lean transport `wire`, each batch's body serialised beforehand."""
    bodies = [json.dumps({"RequestItems": {table_name: [{"PutRequest": {"Item": item}}
                                                        for item in items[n:n + BATCH]]}},
                         separators=(",", ":")).encode() for n in range(0, len(items), BATCH)]
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return sum(pool.map(lambda body: _send_batch(wire, table_name, body), bodies))


def _send_batch(wire: Any, table_name: str, body: bytes) -> int:
    """One batch sent as it is (unprocessed items sent again through `wire.post`); its calls."""
    answer = wire.send("DynamoDB_20120810.BatchWriteItem", body)
    if answer.status != 200:
        raise RuntimeError(f"the floor's batch was refused: {answer.status} {answer.body[:200]!r}")
    calls, left = 1, json.loads(answer.body).get("UnprocessedItems", {}).get(table_name, [])
    while left:
        calls += 1
        left = wire.post("BatchWriteItem", {"RequestItems": {table_name: left}}).get(
            "UnprocessedItems", {}).get(table_name, [])
    return calls


def timed(work: Callable[[], int]) -> tuple[float, int]:
    started = time.perf_counter()
    calls = work()
    return time.perf_counter() - started, calls
