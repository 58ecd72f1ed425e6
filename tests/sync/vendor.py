"""A fake vendor over real HTTP and an integration synced from it, for fault-injection tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from chalicelib import runtime
from chalicelib.itdocs.directory import ItDocsDirectory
from chalicelib.outbound import UrllibTransport
from chalicelib.runtime import Runtime
from chalicelib.storage.itdocs import backup_customers as customer_store
from chalicelib.storage.itdocs import backup_seats as seat_store
from chalicelib.storage.itdocs import integrations as integration_store
from chalicelib.storage.itdocs import sync_logs as log_store
from chalicelib.storage.itdocs.integrations import IntegrationRecord
from chalicelib.storage.itdocs.sync_logs import SyncLogEntry
from chalicelib.sync import lifecycle, run
from tests.upstream import Upstream, VirtualTime, customer, seat, serving


@dataclass
class Vendor:
    rt: Runtime
    upstream: Upstream
    time: VirtualTime
    iid: str
    clock: Any

    def sync(self, *, budget: float = run.WORKER_BUDGET_SECONDS) -> list[str]:
        """A manual sync, worker after worker as the queue would run them; their results."""
        self.clock.advance(hours=7)
        now = self.rt.clock.now()
        token = self.rt.random.token(16)
        integration_store.claim_manual_sync(
            self.iid, account_id=self.record().account_id, now=now, lock_hours=6,
            lease_token=token, lease_until=now + lifecycle.LEASE, run_id=self.rt.random.hex(8))
        return self.drive(token, budget)

    def drive(self, token: str, budget: float = run.WORKER_BUDGET_SECONDS) -> list[str]:
        results: list[str] = []
        while True:
            result = run.work(self.rt, self.iid, token, directory=ItDocsDirectory(self.rt),
                              budget_seconds=budget)
            results.append(result.state)
            if result.state != "continue" or result.lease_token is None:
                return results
            token = result.lease_token

    def record(self) -> IntegrationRecord:
        return integration_store.get_integration(self.iid)

    def status(self) -> tuple[str, str]:
        return lifecycle.shown_status(self.record(), self.rt.clock.now())

    def log(self) -> SyncLogEntry:
        return log_store.logs_of_integration(self.iid)[0]

    def stored(self) -> dict[str, customer_store.BackupCustomer]:
        return {c.customer_id: c for c in customer_store.customers_of_integration(self.iid)}

    def seats(self, customer_id: int) -> set[str]:
        return {s.seat_key for s in seat_store.seats_of_customer(self.iid, str(customer_id))}


CUSTOMERS = [customer(n, seats_used=2) for n in (101, 102, 103)]
SEATS = {n: [seat(n, 1), seat(n, 2)] for n in (101, 102, 103)}


@contextmanager
def synced_vendor(settings: Any, clock: Any) -> Iterator[Vendor]:
    """A fake vendor over real HTTP and an integration already synced once from it."""
    time = VirtualTime()
    rt = runtime.install(runtime.build(settings, clock=clock, transport=UrllibTransport(),
                                       sleep=time.sleep, monotonic=time.monotonic))
    upstream = Upstream([dict(c) for c in CUSTOMERS], {n: list(s) for n, s in SEATS.items()},
                        time)
    with serving(upstream):
        iid = rt.random.hex(8)
        integration_store.create_integration(IntegrationRecord(
            integration_id=iid, account_id=f"acct-{iid}", public_key="public",
            secret_key=rt.box.encrypt(b"secret", run.secret_context(iid)),
            base_url=upstream.url, sync_enabled=True, accept_automatically=False,
            connected_at=rt.clock.now(), connected_by="tests",
            last_outcome=lifecycle.NEVER_SYNCED))
        shop = Vendor(rt, upstream, time, iid, clock)
        assert shop.sync() == ["done"] and shop.status() == ("OK", "")
        upstream.requests.clear()
        yield shop
