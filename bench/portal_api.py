"""The REST API on DynamoDB Local: one request in steady state next to a raw client doing the
same DynamoDB work at its best, and the paged seat list (one page against the whole list) for one
customer at three sizes, each next to raw floors doing the same reads: boto3, and the lean
transport the API itself uses (the faster of the two is the floor).

    python -m bench portal_api                      # 1,000 / 10,000 / 50,000 seats (1-2 minutes)
    python -m bench.portal_api --sizes 1000,5000     # other sizes

First table, one request in steady state (the key verified before in the process), for a
customer of SYNC_SEATS seats (the sync's shape: one page holds them all):
- `API ...` — the request in-process, as below.
- `raw, same calls at once` — the floor: boto3 sending the same calls, the admission's
  conditional UpdateItem and the BatchGetItem of the customer and sizes at the same time (two
  threads), then the page's Query: what the API does, without the app around it.
- `raw, same calls at once, lean transport` — the same on the lean transport the API's calls go
  on (`storage.low_level`), which costs less client CPU than boto3.
- `raw, same calls one after another` — the same calls sequentially (what a single thread pays).
- `raw, the page's Query alone` — the data alone, no key and no budget.

Rows per size:
- `API page` — `GET /saas/{id}/seats?_page=<middle>&_perPage=100` in-process (chalice.test.Client,
  the whole app: routing, Basic auth, the hourly budget, the customer, the sizes, the page).
- `raw page` — a floor: one boto3 Query of the same key range of the index, same projection;
  `raw page, lean transport` the same Query on the lean transport.
- `API whole list` — every page at `_perPage=1000`, as a client pages to the end.
- `raw whole list` — a floor: boto3 Queries through the customer's whole index partition; `raw
  whole list, lean transport` the same on the lean transport.
- `raw base table` — what the unpaged list read before: every seat item, `services` included.
Times are min and median of several runs; bytes are the JSON bodies (API) or DynamoDB's answers
(raw on boto3; not counted on the lean transport, shown 0); calls and items read come from
botocore's hooks and the lean transport's answers (`ScannedCount`).
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import logging
import os
import random
import secrets
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from bench import median, table

SIZES = (1_000, 10_000, 50_000)
PAGE_RUNS = 7
WHOLE_RUNS = 3
PER_PAGE = 100
WHOLE_PER_PAGE = 1000
SYNC_SEATS = 50
REQUEST_RUNS = 30
WARM_RUNS = 10


@dataclass
class Figures:
    """Several runs of one way of reading: wall time, bytes, DynamoDB calls and items read."""

    label: str
    millis: list[float] = field(default_factory=list)
    size_bytes: int = 0
    calls: int = 0
    items_read: int = 0
    items: int = 0

    def row(self, seats: int) -> list[object]:
        return [f"{seats:,}", self.label, len(self.millis), min(self.millis),
                median(self.millis), f"{self.size_bytes:,}", self.items, self.calls,
                self.items_read]


class Reads:
    """DynamoDB calls and items examined, from botocore's after-call hook."""

    def __init__(self) -> None:
        self.calls = 0
        self.items = 0
        self.wire_bytes = 0

    def on_wire_call(self, _operation: str) -> None:
        self.calls += 1

    def on_call(self, parsed: Any = None, http_response: Any = None, **_: Any) -> None:
        self.calls += 1
        if isinstance(parsed, dict):
            self.items += int(parsed.get("ScannedCount", 0))
        if http_response is not None:
            self.wire_bytes += len(http_response.content or b"")


@contextmanager
def counting(client: Any) -> Iterator[Reads]:
    """The calls of the block: botocore's, and those of the lean transport (the API's admission,
    the reads beside it and the page's Query), with the items each examined (not their bytes)."""
    from chalicelib.storage import dynamodb_wire, low_level

    reads = Reads()
    original = low_level.post

    def examined(operation: str, request: dict[str, Any]) -> dict[str, Any]:
        answer = original(operation, request)
        if low_level.wire() is not None:  # botocore's calls are counted by its hook
            reads.items += int(answer.get("ScannedCount", 0))
        return answer

    client.meta.events.register("after-call.dynamodb", reads.on_call)
    dynamodb_wire.observers.append(reads.on_wire_call)
    low_level.post = examined  # type: ignore[assignment]
    try:
        yield reads
    finally:
        low_level.post = original  # type: ignore[assignment]
        dynamodb_wire.observers.remove(reads.on_wire_call)
        client.meta.events.unregister("after-call.dynamodb", reads.on_call)


def measure(figures: Figures, client: Any, read: Callable[[], tuple[int, int]], runs: int) -> None:
    """`read` returns (bytes, items); the last run's calls and items read are kept."""
    for _ in range(runs):
        with counting(client) as reads:
            started = time.perf_counter()
            size, items = read()
            figures.millis.append((time.perf_counter() - started) * 1000)
        figures.size_bytes, figures.items = size or reads.wire_bytes, items
        figures.calls, figures.items_read = reads.calls, reads.items


def database() -> tuple[str, AbstractContextManager[Any], Callable[[], None]]:
    """(endpoint, context, stop): DynamoDB Local in memory, or moto in-process without Java."""
    from devstack import dynamodb_local

    if dynamodb_local.java_available():
        port = dynamodb_local.free_port()
        process = dynamodb_local.start(port)
        return f"http://127.0.0.1:{port}", nullcontext(), lambda: dynamodb_local.stop(process)
    from moto import mock_aws

    print("!!! Java or DynamoDB Local's jar missing: measuring on moto in-process instead.\n")
    return "", mock_aws(), lambda: None


@contextmanager
def quiet_request_log() -> Iterator[None]:
    """The app logs one JSON line per request; hundreds of them would bury the tables."""
    import chalicelib.logs  # noqa: F401 (sets the logger up first, so the level below sticks)

    logger = logging.getLogger("linkhub")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def make_customer(rt: Any, company_id: str, seats: int) -> int:
    """One Microsoft 365 customer with `seats` seats, bulk-loaded; returns its id."""
    from chalicelib.storage.portal import id_sequences
    from chalicelib.storage.portal import saas_customers as customer_store
    from chalicelib.storage.portal import saas_seats as seat_store
    from devstack.generate_partner import build_customer, build_seats, with_summary

    (customer_id,) = id_sequences.allocate_ids("saas_customer_id", 1)
    now = rt.clock.now()
    customer = build_customer(company_id, customer_id, f"Bench {seats}", product_type="Office365",
                              domain_stem=f"bench{seats}", retention_type="ICR", now=now,
                              organization=None)
    built = build_seats(random.Random(seats), customer, seats, now)
    chunks = [built[i:i + 1000] for i in range(0, len(built), 1000)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(seat_store.save_seats, chunks))
    customer_store.create_customer(with_summary(customer, built, now))
    return int(customer_id)


def raw_page(client: Any, table_name: str, customer_id: int, offset: int,
             limit: int) -> Callable[[], tuple[int, int]]:
    """The floor for one page: a single Query of the page's key range, the API's fields."""
    from chalicelib.storage.portal import list_positions
    from chalicelib.storage.portal import saas_seats as seat_store

    sizes = list_positions.sizes(seat_store.seats_owner(customer_id))
    (key_range,) = list_positions.page_ranges(sizes, list(sizes), offset, limit)

    def read() -> tuple[int, int]:
        answer = client.query(
            TableName=table_name, IndexName="by_list_key", Limit=key_range.count,
            KeyConditionExpression="saas_customer_id = :c AND list_key BETWEEN :a AND :b",
            ExpressionAttributeValues={":c": {"N": str(customer_id)},
                                       ":a": {"S": key_range.first}, ":b": {"S": key_range.last}},
            ProjectionExpression=PROJECTION, ExpressionAttributeNames=NAMES)
        return 0, len(answer["Items"])

    return read


class LeanClient:
    """The raw floor on the lean transport (`storage.low_level`, as the API's own calls go): the
    same requests as the boto3 floor's, without botocore's serialising and parsing."""

    def query(self, **request: Any) -> dict[str, Any]:
        return _post("Query", request)

    def update_item(self, **request: Any) -> dict[str, Any]:
        return _post("UpdateItem", request)

    def batch_get_item(self, **request: Any) -> dict[str, Any]:
        return _post("BatchGetItem", request)

    def get_paginator(self, _operation: str) -> LeanClient:
        return self

    def paginate(self, **request: Any) -> Iterator[dict[str, Any]]:
        while True:
            page = self.query(**request)
            yield page
            if "LastEvaluatedKey" not in page:
                return
            request = {**request, "ExclusiveStartKey": page["LastEvaluatedKey"]}


def _post(operation: str, request: dict[str, Any]) -> dict[str, Any]:
    from chalicelib.storage import low_level

    return low_level.post(operation, request)


PROJECTION = "remote_id, main_id, #n, seat_type, seat_state, billable, date_added"
NAMES = {"#n": "name"}


def raw_whole(client: Any, table_name: str, customer_id: int,
              index: bool) -> Callable[[], tuple[int, int]]:
    """The floor for the whole list: Query pages through the partition (index or base table)."""

    def read() -> tuple[int, int]:
        arguments: dict[str, Any] = {
            "TableName": table_name, "KeyConditionExpression": "saas_customer_id = :c",
            "ExpressionAttributeValues": {":c": {"N": str(customer_id)}}}
        if index:
            arguments.update(IndexName="by_list_key", ProjectionExpression=PROJECTION,
                             ExpressionAttributeNames=NAMES)
        items = 0
        for page in client.get_paginator("query").paginate(**arguments):
            items += len(page["Items"])
        return 0, items

    return read


def api_pages(http: Any, headers: dict[str, str], path: str,
              pages: Sequence[int], per_page: int) -> Callable[[], tuple[int, int]]:
    def read() -> tuple[int, int]:
        size = items = 0
        for page in pages:
            reply = http.get(f"{path}?_page={page}&_perPage={per_page}", headers=headers)
            assert reply.status == 200, reply.text[:200]
            size, items = size + len(reply.body), items + len(reply.json)
        return size, items

    return read


def bench_size(http: Any, headers: dict[str, str], company_id: str, seats: int) -> list[Figures]:
    from chalicelib import runtime
    from chalicelib.storage import tables

    started = time.perf_counter()
    customer_id = make_customer(runtime.current(), company_id, seats)
    print(f"  {seats:,} seats loaded in {time.perf_counter() - started:.1f}s", flush=True)
    client = tables.connection().client
    found = []
    for label, runs, read in plan(http, headers, client, customer_id, seats):
        figures = Figures(label)
        measure(figures, client, read, runs)
        found.append(figures)
    return found


def plan(http: Any, headers: dict[str, str], client: Any, customer_id: int,
         seats: int) -> list[tuple[str, int, Callable[[], tuple[int, int]]]]:
    """(label, runs, read) of each row for one customer."""
    from chalicelib.storage.portal.saas_seats import SaasSeatModel

    table_name = SaasSeatModel.Meta.table_name
    path = f"/api/v1/saas/{customer_id}/seats"
    middle = (seats // PER_PAGE) // 2 + 1
    whole_pages = list(range(1, -(-seats // WHOLE_PER_PAGE) + 1))
    return [
        (f"API page {middle} (_perPage={PER_PAGE})", PAGE_RUNS,
         api_pages(http, headers, path, [middle], PER_PAGE)),
        ("raw page (one Query, same range)", PAGE_RUNS,
         raw_page(client, table_name, customer_id, (middle - 1) * PER_PAGE, PER_PAGE)),
        ("raw page, lean transport", PAGE_RUNS,
         raw_page(LeanClient(), table_name, customer_id, (middle - 1) * PER_PAGE, PER_PAGE)),
        (f"API whole list ({len(whole_pages)} x _perPage={WHOLE_PER_PAGE})", WHOLE_RUNS,
         api_pages(http, headers, path, whole_pages, WHOLE_PER_PAGE)),
        ("raw whole list (index, same fields)", WHOLE_RUNS,
         raw_whole(client, table_name, customer_id, index=True)),
        ("raw whole list, lean transport", WHOLE_RUNS,
         raw_whole(LeanClient(), table_name, customer_id, index=True)),
        ("raw base table (every field)", WHOLE_RUNS,
         raw_whole(client, table_name, customer_id, index=False)),
    ]


def raw_request(client: Any, company_id: str, public_key: str, customer_id: int,
                at_once: bool, page_only: bool = False) -> Callable[[], tuple[int, int]]:
    """The floor for one seats request: the same admission write, reads and Query, raw."""
    from chalicelib.portal import api_keys
    from chalicelib.storage.portal import api_keys as key_store
    from chalicelib.storage.portal import api_usage, list_positions
    from chalicelib.storage.portal import saas_customers as customer_store
    from chalicelib.storage.portal import saas_seats as seat_store
    from chalicelib.storage.together import Wanted

    stamp = key_store.key_stamp(company_id, public_key, None)
    sizes = list_positions.sizes(seat_store.seats_owner(customer_id))
    (key_range,) = list_positions.page_ranges(sizes, list(sizes), 0, PER_PAGE)
    call = api_usage.Call(company_id, public_key, stamp, 1, dt.datetime.now(dt.UTC))
    admit = api_usage.spend_request(call, call.hour)
    wanted = [Wanted(customer_store.SaasCustomerModel, company_id, customer_id),
              *list_positions.size_items(seat_store.seats_owner(customer_id),
                                         api_keys.SEAT_TYPES)]
    batch = {wanted[0].table(): {"Keys": [w.key() for w in wanted[:1]], "ConsistentRead": True},
             wanted[1].table(): {"Keys": [w.key() for w in wanted[1:]], "ConsistentRead": True}}
    query = seat_store._page_request(customer_id, key_range)
    pool = ThreadPoolExecutor(1)

    def read() -> tuple[int, int]:
        if not page_only:
            if at_once:
                reading = pool.submit(client.batch_get_item, RequestItems=batch)
                client.update_item(**admit)
                reading.result()
            else:
                client.update_item(**admit)
                client.batch_get_item(RequestItems=batch)
        return 0, len(client.query(**query)["Items"])

    return read


def bench_requests(http: Any, headers: dict[str, str], company_id: str,
                   public_key: str) -> list[list[object]]:
    """One seats request in steady state against the raw floors (first table)."""
    from chalicelib import runtime
    from chalicelib.storage import tables

    customer_id = make_customer(runtime.current(), company_id, SYNC_SEATS)
    client = tables.connection().client
    path = f"/api/v1/saas/{customer_id}/seats"
    plan_ = [(f"API GET /saas/{{id}}/seats ({SYNC_SEATS} seats)",
              api_pages(http, headers, path, [1], PER_PAGE)),
             ("raw, same calls at once", raw_request(client, company_id, public_key,
                                                      customer_id, at_once=True)),
             ("raw, same calls at once, lean transport", raw_request(
                 LeanClient(), company_id, public_key, customer_id, at_once=True)),
             ("raw, same calls one after another", raw_request(
                 client, company_id, public_key, customer_id, at_once=False)),
             ("raw, the page's Query alone", raw_request(
                 client, company_id, public_key, customer_id, at_once=True, page_only=True))]
    found = [Figures(label) for label, _ in plan_]
    for _, read in plan_:  # warm: the process's and DynamoDB Local's first requests
        for _ in range(WARM_RUNS):
            read()
    for _ in range(REQUEST_RUNS):  # rows interleaved, so a busy moment touches them all
        for figures, (_, read) in zip(found, plan_, strict=True):
            measure(figures, client, read, 1)
    return [[f.label, len(f.millis), min(f.millis), median(f.millis), f.calls] for f in found]


def open_partner(endpoint: str) -> tuple[Any, dict[str, str], str, str]:
    """A runtime on `endpoint` with fresh tables, and a partner's client, headers and id."""
    from chalicelib import runtime, settings
    from chalicelib.portal import api_keys, companies
    from chalicelib.storage import tables
    from tests.web_client import WebClient

    rt = runtime.install(runtime.build(settings.from_environment().with_overrides(
        dynamodb_endpoint=endpoint, table_prefix=f"bench-{secrets.token_hex(3)}-",
        local_key_hex=secrets.token_hex(32))))
    tables.create_tables()
    company = companies.create_company(rt, "Bench Partner", hourly_budget=100_000_000)
    key = api_keys.issue(rt, company.company_id, "benchmark", "bench")
    from app import app

    http = WebClient(app)
    token = base64.b64encode(f"{key.key.public_key}:{key.secret}".encode()).decode()
    headers = {"authorization": f"Basic {token}"}
    http.get("/api/v1/saas/domains", headers=headers)  # argon2id once; cached after
    return http, headers, company.company_id, key.key.public_key


def run(sizes: Sequence[int]) -> str:
    for name, value in {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        os.environ.setdefault(name, value)
    from chalicelib import runtime

    endpoint, context, stop = database()
    rows: list[list[object]] = []
    try:
        with context:
            http, headers, company_id, public_key = open_partner(endpoint)
            requests = bench_requests(http, headers, company_id, public_key)
            for seats in sizes:
                rows.extend(f.row(seats) for f in bench_size(http, headers, company_id, seats))
    finally:
        runtime.reset()
        stop()
    backend = "DynamoDB Local" if endpoint else "moto (in-process)"
    return table(
        f"One REST API request in steady state, on {backend}",
        ["request", "runs", "min ms", "median ms", "DynamoDB calls"], requests,
    ) + ("The API admits the call with one conditional UpdateItem (the key's stamp and the "
         "hourly budget) while the customer and list sizes are read beside it (one "
         "BatchGetItem), then reads the page (one Query): three calls, two round trips one "
         "after the other. The floors send the same calls from a bare boto3 client and on the lean "
         "transport the API uses; the faster is the floor.\n\n") + table(
        f"GET /saas/{{id}}/seats, one page against the whole list, on {backend}",
        ["seats", "read", "runs", "min ms", "median ms", "bytes", "items", "DynamoDB calls",
         "items read"],
        rows,
    ) + ("A page costs the same at every size (three calls: the admission write and, beside "
         "it, the customer and list sizes in one BatchGetItem, then exactly its seats in one "
         "Query); the whole list grows with the customer. The first size's API rows also pay the "
         "process's first requests. Bytes: the JSON bodies (API) or DynamoDB's own answers "
         "(raw).\n")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Paged seat list benchmark")
    parser.add_argument("--sizes", help="comma-separated seat counts (default 1000,10000,50000)")
    args = parser.parse_args(list(argv or []))
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else list(SIZES)
    with quiet_request_log():
        print(run(sizes), flush=True)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
