"""The SaaS Protection sync on a large generated partner, against DynamoDB Local.

    python -m bench sync                                  # 2,000 customers, 100,000 seats
    LINKHUB_BENCH_SYNC_SIZE=200,10000 python -m bench sync  # a quick run

Measures, in one run: the full first sync (time, items written, DynamoDB requests), the same sync
again with nothing changed (it must write no data), and the floor: the time DynamoDB Local takes
to batch-write as many items as the first sync wrote. The REST API is the app's own, served
in-process (tests/loopback.py), so the figures include serving it.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Sequence

from bench import table
from bench.portal_api import database, quiet_request_log

FULL_SIZE = (2_000, 100_000)


def _size() -> tuple[int, int]:
    raw = os.environ.get("LINKHUB_BENCH_SYNC_SIZE", "")
    if raw:
        customers, seats = (int(part) for part in raw.split(","))
        return customers, seats
    return FULL_SIZE


def run(customers: int, seat_total: int) -> str:
    for name, value in {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        os.environ.setdefault(name, value)
    from app import app
    from chalicelib import runtime, settings
    from chalicelib.clock import FrozenClock
    from chalicelib.itdocs import acting, organizations
    from chalicelib.itdocs.accounts import ItDocsUser
    from chalicelib.itdocs.policy import ADMINISTRATOR
    from chalicelib.storage import tables
    from chalicelib.storage.itdocs import backup_seats as data
    from chalicelib.sync import integrations
    from devstack import generate_partner
    from tests.loopback import LoopbackTransport

    endpoint, context, stop = database()
    rows: list[list[object]] = []
    try:
        with context:
            clock = FrozenClock()
            chosen = settings.from_environment().with_overrides(
                dynamodb_endpoint=endpoint, table_prefix=f"bench-{secrets.token_hex(3)}-",
                local_key_hex=secrets.token_hex(32))
            rt = runtime.install(runtime.build(
                chosen, clock=clock, transport=LoopbackTransport(app, chosen.base_url),
                sleep=lambda seconds: None))
            tables.create_tables()
            made = generate_partner.generate(rt, customers, seat_total, name="Sync Bench")
            print(f"Generated {customers:,} customers and {seat_total:,} seats in "
                  f"{made.seconds:.1f}s\n", flush=True)
            account_id = f"bench-{secrets.token_hex(4)}"
            admin = ItDocsUser(account_id, "bench", ADMINISTRATOR, "bench", "Benchmark")
            bench_user = acting.for_page(rt, admin)
            from chalicelib.storage.portal import saas_customers as customer_store

            names = sorted({c.organization_name for c in
                            customer_store.customers_of_company(made.company.company_id)
                            if c.organization_name})
            for name in names[: len(names) * 9 // 10]:  # most, not all, have an organization
                organizations.create(rt, admin, name)
            integration = integrations.connect(rt, bench_user, public_key=made.public_key,
                                               secret_key=made.secret)
            iid = integration.integration_id
            integrations.update(rt, bench_user, iid, sync_enabled=True,
                                accept_automatically=False)

            for label in ("full sync (first)", "same sync again, nothing changed"):
                with tables.counting_calls() as counter:
                    started = time.perf_counter()
                    shown = integrations.start_manual_sync(rt, bench_user, iid)
                    seconds = time.perf_counter() - started
                log = integrations.sync_logs(rt, bench_user, iid)[0]
                writes = counter.calls["BatchWriteItem"] + counter.calls["TransactWriteItems"]
                rows.append([label, shown.status, log.customers_seen, log.seats_seen,
                             log.matches_made, seconds, log.items_written, counter.total,
                             writes])
                clock.advance(hours=6)
            floor_items = int(rows[0][6])  # type: ignore[call-overload]
            seats = [data.BackupSeat(seat_key=f"floor-{n}", main_id=f"u{n}@floor.example",
                                     name="Floor", seat_type="User", seat_state="Active",
                                     billable="1", date_added="2024-01-01") for n in range(
                                         floor_items)]
            with tables.counting_calls() as counter:
                started = time.perf_counter()
                data.write_seats("floor", "floor", seats)
                seconds = time.perf_counter() - started
            rows.append([f"floor: batch-write {floor_items:,} items", "", "", "", "", seconds,
                         floor_items, counter.total, counter.calls["BatchWriteItem"]])
    finally:
        runtime.reset()
        stop()
    backend = "DynamoDB Local" if endpoint else "moto (in-process)"
    return table(
        f"SaaS Protection sync on {backend}: {customers:,} customers, {seat_total:,} seats",
        ["run", "status", "customers", "seats", "matches", "seconds", "items written",
         "DynamoDB calls", "write calls"],
        rows,
    )


def main(argv: Sequence[str] | None = None) -> None:
    customers, seats = _size()
    with quiet_request_log():
        print(run(customers, seats), flush=True)


if __name__ == "__main__":
    main()
