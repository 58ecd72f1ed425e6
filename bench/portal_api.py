"""The SaaS Protection REST API on a large generated partner: requests per second and DynamoDB
requests per call for /saas/domains and /saas/{id}/seats, in-process (chalice.test.Client, the
whole app: routing, Basic auth, the hourly budget, the queries) against DynamoDB Local.

    python -m bench portal_api              # 200 customers, 10,000 seats (under ~2 minutes)
    python -m bench.portal_api --full       # 2,000 customers, 100,000 seats
    python -m bench.portal_api --customers 500 --seats 25000

`LINKHUB_BENCH_FULL=1` makes `make bench` use the full size. DynamoDB calls are counted through
botocore's event hooks (chalicelib.storage.tables.counting_calls).
"""

from __future__ import annotations

import argparse
import base64
import logging
import os
import secrets
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from bench import median, percentile, table

DEFAULT_SIZE = (200, 10_000)
FULL_SIZE = (2_000, 100_000)
DOMAIN_CALLS = 10
SEAT_CALLS = 40


@dataclass
class Figures:
    """Timings and DynamoDB calls of one kind of request."""

    label: str
    millis: list[float] = field(default_factory=list)
    calls: list[int] = field(default_factory=list)
    operations: Counter[str] = field(default_factory=Counter)
    items: list[int] = field(default_factory=list)

    def row(self) -> list[object]:
        total_seconds = sum(self.millis) / 1000
        per_call = {op: n / len(self.calls) for op, n in sorted(self.operations.items())}
        return [
            self.label, len(self.millis), round(statistics.mean(self.items)),
            len(self.millis) / total_seconds if total_seconds else 0.0,
            median(self.millis), percentile(self.millis, 0.9),
            statistics.mean(self.calls),
            ", ".join(f"{op} {n:g}" for op, n in per_call.items()),
        ]


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


def measure(figures: Figures, request: Callable[[], Any]) -> None:
    """One request: its wall time, its DynamoDB calls by operation, the items it returned."""
    from chalicelib.storage import tables

    with tables.counting_calls() as counter:
        started = time.perf_counter()
        reply = request()
        figures.millis.append((time.perf_counter() - started) * 1000)
    assert reply.status == 200, (figures.label, reply.status, reply.text[:200])
    figures.calls.append(counter.total)
    figures.operations.update(counter.calls)
    figures.items.append(len(reply.json))


def run(customers: int, seat_total: int) -> str:
    for name, value in {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        os.environ.setdefault(name, value)
    from chalicelib import runtime, settings
    from chalicelib.portal import api_keys
    from chalicelib.storage import tables
    from devstack import generate_partner
    from tests.web_client import WebClient

    endpoint, context, stop = database()
    rows: list[list[object]] = []
    try:
        with context:
            rt = runtime.install(runtime.build(
                settings.from_environment().with_overrides(
                    dynamodb_endpoint=endpoint, table_prefix=f"bench-{secrets.token_hex(3)}-",
                    local_key_hex=secrets.token_hex(32))))
            tables.create_tables()
            made = generate_partner.generate(rt, customers, seat_total, name="Bench Partner")
            written = customers * 2 + seat_total
            print(f"Generated {customers:,} customers and {seat_total:,} seats "
                  f"({written:,} items) in {made.seconds:.1f}s "
                  f"({written / made.seconds:,.0f} items/s, batch writes)\n", flush=True)
            from app import app

            client = WebClient(app)
            token = base64.b64encode(f"{made.public_key}:{made.secret}".encode()).decode()
            headers = {"authorization": f"Basic {token}"}

            def get(path: str) -> Callable[[], Any]:
                return lambda: client.get(path, headers=headers)

            first = Figures("GET /saas/domains, first call (argon2id verify)")
            measure(first, get("/api/v1/saas/domains"))
            domains = Figures("GET /saas/domains")
            for _ in range(DOMAIN_CALLS):
                measure(domains, get("/api/v1/saas/domains"))
            by_size = sorted(zip(made.seat_counts, made.customer_ids, strict=True))
            typical = Figures("GET /saas/{id}/seats, customers across all sizes")
            step = max(1, len(by_size) // SEAT_CALLS)
            for _, customer_id in by_size[::step][:SEAT_CALLS]:
                measure(typical, get(f"/api/v1/saas/{customer_id}/seats"))
            largest_count, largest_id = by_size[-1]
            largest = Figures(f"GET /saas/{{id}}/seats, largest customer ({largest_count} seats)")
            for _ in range(5):
                measure(largest, get(f"/api/v1/saas/{largest_id}/seats"))
            rows = [f.row() for f in (first, domains, typical, largest)]
            cached = len(api_keys.verified_secrets(rt))
    finally:
        runtime.reset()
        stop()
    backend = "DynamoDB Local" if endpoint else "moto (in-process)"
    note = (f"Verified secrets cached in-process: {cached}; only the first call paid for "
            "argon2id. Per call: GetItem on the key, UpdateItem on the hourly budget counter, "
            "GetItem on the customer (seats), and Query pages (1 MB each).\n")
    return table(
        f"SaaS Protection REST API in-process on {backend}: {customers:,} customers, "
        f"{seat_total:,} seats",
        ["request", "calls", "items", "req/s", "median ms", "p90 ms", "DynamoDB calls/req",
         "operations per request"],
        rows,
    ) + note


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="REST API benchmark on a generated partner")
    parser.add_argument("--full", action="store_true",
                        help="2,000 customers and 100,000 seats (default 200 and 10,000)")
    parser.add_argument("--customers", type=int)
    parser.add_argument("--seats", type=int)
    args = parser.parse_args(list(argv or []))
    full = args.full or os.environ.get("LINKHUB_BENCH_FULL") == "1"
    customers, seat_total = FULL_SIZE if full else DEFAULT_SIZE
    with quiet_request_log():
        print(run(args.customers or customers, args.seats or seat_total), flush=True)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
