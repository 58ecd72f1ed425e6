"""The SaaS Protection sync on a large generated partner, against DynamoDB Local.

    python -m bench sync                                  # 2,000 customers, 100,000 seats
    LINKHUB_BENCH_SYNC_SIZE=200,10000 python -m bench sync  # a quick run
    LINKHUB_BENCH_SYNC_API=both python -m bench sync      # also the API in its own process

Measures, over `LINKHUB_BENCH_RUNS` runs (default 3; min and median): the full first sync of a
fresh integration (time, items written, DynamoDB requests), the same sync again with nothing
changed (it must write no data), and the floor (`bench/sync_floor.py`): a raw `batch_write_item`
of the very items the first sync wrote, pre-serialised, best of 1 and 4 threads, with botocore's
client and with the lean transport the sync writes on (each a row; the best counts). The REST API is
the app's own, served in-process (tests/loopback.py), so the sync's figures include serving it
(with `LINKHUB_BENCH_SYNC_API=process`, or `both` for both rows, from a process of its own as
`chalice local` serves it, a local connection per request: bench/sync_api_process.py).
A re-sync sends each customer's stored seat list ETag (`If-None-Match`), so an unchanged
customer costs one 304 (`REST 304s`) and no seat read or write on either side. Each sync's time
is split into waiting on the REST API (`REST s`: the time at least one request of the
partner's API was being answered, `/saas/domains` and every `/saas/{id}/seats` page, with the
DynamoDB calls it makes to answer; the sync fetches two customers at once, on threads the
loopback serves side by side) and the rest (`sync side s`: reading the stored customers,
storing, checkpoints, matching; the sync stores on a thread of its own while it fetches, so
this is the storing it could not hide behind the fetching), and both the whole and the sync
side are set against the floor.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from bench import median, table
from bench.portal_api import database, quiet_request_log
from bench.sync_api_process import ProcessTransport, api_process
from bench.sync_floor import rekeyed, snapshot, timed, write_all, write_all_lean

FULL_SIZE = (2_000, 100_000)
FLOOR_THREADS = (1, 4)


def _runs() -> int:
    return max(1, int(os.environ.get("LINKHUB_BENCH_RUNS", "3")))


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
                chosen, clock=clock,
                transport=TimedTransport(LoopbackTransport(app, chosen.base_url)),
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
            samples: dict[str, list[list[object]]] = {}
            for number in range(_runs()):
                for serving in _servings():
                    iid = _first_and_again(rt, bench_user, made, clock, serving, samples)
                print(f"run {number + 1}: done", flush=True)
            samples.update(_floor(customer_model_and_seat_model(), _runs(), iid))
            rows = _summary(samples)
    finally:
        runtime.reset()
        stop()
    backend = "DynamoDB Local" if endpoint else "moto (in-process)"
    return table(
        f"SaaS Protection sync on {backend}: {customers:,} customers, {seat_total:,} seats "
        f"({_runs()} runs; times min / median)",
        ["run", "status", "customers", "seats", "matches", "seconds", "REST s", "sync side s",
         "items written", "calls (sync side)", "calls (REST)", "write calls", "REST requests",
         "REST 304s", "x floor", "sync side x floor"],
        rows,
    ) + _ratios(samples)


FIRST, AGAIN = "full sync (first)", "same sync again, nothing changed"
# Where the partner's REST API is served: in the sync's own process (tests/loopback.py), or in a
# process of its own as the vendor's is (bench/sync_api_process.py), rows of their own.
IN_PROCESS, OWN_PROCESS = "", ", REST API in its own process"
SERVINGS = {"loopback": (IN_PROCESS,), "process": (OWN_PROCESS,),
            "both": (IN_PROCESS, OWN_PROCESS)}


def _servings() -> tuple[str, ...]:
    return SERVINGS[os.environ.get("LINKHUB_BENCH_SYNC_API", "loopback")]


def _first_and_again(rt: Any, bench_user: Any, made: Any, clock: Any, serving: str,
                     samples: dict[str, list[list[object]]]) -> str:
    """A fresh integration synced twice (a sample each); its id."""
    from chalicelib.sync import integrations

    integration = integrations.connect(rt, bench_user, public_key=made.public_key,
                                       secret_key=made.secret)
    iid = integration.integration_id
    integrations.update(rt, bench_user, iid, sync_enabled=True, accept_automatically=False)
    for label in (FIRST, AGAIN):
        samples.setdefault(label + serving, []).append(_timed_sync(rt, bench_user, iid, serving))
        clock.advance(hours=6)
    return iid


def _timed_sync(rt: Any, bench_user: Any, iid: str, serving: str) -> list[object]:
    """One manual sync, timed, with the REST API served as `serving` says; its sample."""
    from chalicelib.storage import tables
    from chalicelib.sync import integrations

    rest = rt.transport
    assert isinstance(rest, TimedTransport)
    with _served(rt, rest, serving), tables.counting_calls() as counter:
        rest.start(counter)
        started = time.perf_counter()
        shown = integrations.start_manual_sync(rt, bench_user, iid)
        seconds = time.perf_counter() - started
    log = integrations.sync_logs(rt, bench_user, iid)[0]
    writes = counter.calls["BatchWriteItem"] + counter.calls["TransactWriteItems"]
    return [shown.status, log.customers_seen, log.seats_seen, log.matches_made, seconds,
            rest.seconds, log.items_written, counter.total - rest.calls, rest.calls, writes,
            rest.requests, rest.not_modified]


@contextmanager
def _served(rt: Any, rest: TimedTransport, serving: str) -> Iterator[None]:
    """The REST API in the sync's process, or (OWN_PROCESS) in another for the duration."""
    if serving != OWN_PROCESS:
        yield
        return
    loopback = rest.inner
    with api_process(rt.settings, rt.clock.now()) as port:
        rest.inner = ProcessTransport(rt.settings.base_url, port)
        try:
            yield
        finally:
            rest.inner = loopback


class TimedTransport:
    """The loopback REST API, timed: the seconds when at least one request was being answered
    (the sync fetches a few customers at once, so answers overlap) and the DynamoDB calls made
    to answer (those of the answering threads only: the sync stores on another thread)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self._lock = threading.Lock()
        self.answering: set[int] = set()  # the threads inside a request
        self._since = 0.0  # when the current stretch of answering began
        self.start(None)

    def start(self, counter: Any) -> None:
        self.seconds, self.calls, self.requests, self.not_modified = 0.0, 0, 0, 0
        if counter is not None:
            from chalicelib.storage import dynamodb_wire, tables

            client = tables.connection().client
            client.meta.events.unregister("before-call.dynamodb", self._on_call)
            client.meta.events.register("before-call.dynamodb", self._on_call)
            if self._on_call not in dynamodb_wire.observers:  # the lean transport's calls too
                dynamodb_wire.observers.append(self._on_call)

    def _on_call(self, *_: Any, **__: Any) -> None:
        # The API's reads beside a call's admission run on its `api-read` threads.
        if self.answering and (threading.get_ident() in self.answering or
                               threading.current_thread().name.startswith("api-read")):
            with self._lock:
                self.calls += 1

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        self._enter()
        try:
            answer = self.inner.request(method, url, **kwargs)
            with self._lock:
                self.not_modified += answer.status == 304
            return answer
        finally:
            self._leave()

    def _enter(self) -> None:
        with self._lock:
            if not self.answering:
                self._since = time.perf_counter()
            self.answering.add(threading.get_ident())

    def _leave(self) -> None:
        with self._lock:
            self.answering.discard(threading.get_ident())
            self.requests += 1
            if not self.answering:
                self.seconds += time.perf_counter() - self._since


def customer_model_and_seat_model() -> list[tuple[Any, str]]:
    """The tables a sync fills with the bulk of its items, and each one's hash key."""
    from chalicelib.storage.itdocs.backup_customers import BackupCustomerModel
    from chalicelib.storage.itdocs.backup_seats import BackupSeatModel

    return [(BackupCustomerModel, "integration_id"), (BackupSeatModel, "customer_key")]


def _floor(models: list[tuple[Any, str]], runs: int,
           integration_id: str) -> dict[str, list[list[object]]]:
    """Per run and client (botocore's, the lean transport): the best of 1 and 4 threads writing
    the last sync's items again under new keys; "floor" is the best of both."""
    from chalicelib.storage import low_level, tables

    client, lean = tables.connection().client, low_level.wire()
    stored = [(m.Meta.table_name, key, snapshot(client, m.Meta.table_name, key, integration_id))
              for m, key in models]
    written = sum(len(items) for _, _, items in stored)
    writers = {"floor (botocore)": lambda t, items, n: write_all(client, t, items, n)}
    if lean is not None:
        writers["floor (lean transport)"] = lambda t, items, n: write_all_lean(lean, t, items, n)
    samples: dict[str, list[list[object]]] = {label: [] for label in [*writers, "floor"]}
    for number in range(runs):
        for label, writer in writers.items():
            best = min(_floor_once(writer, stored, f"f{number}{len(label)}t{threads}-", threads)
                       for threads in FLOOR_THREADS)
            samples[label].append(
                ["", "", "", "", best[0], 0.0, written, best[1], 0, best[1], 0, 0])
        samples["floor"].append(min((samples[label][-1] for label in writers),
                                    key=lambda row: float(row[4])))  # type: ignore[arg-type]
    return samples


def _floor_once(writer: Any, stored: list[tuple[str, str, list[Any]]], prefix: str,
                threads: int) -> tuple[float, int]:
    """(seconds, calls) of writing every stored item once more under `prefix`."""
    batches = [(name, rekeyed(items, key, prefix)) for name, key, items in stored]

    def work() -> int:
        return sum(writer(name, items, threads) for name, items in batches)

    return timed(work)


def _seconds(runs: list[list[object]], column: int) -> list[float]:
    return [float(run[column]) for run in runs]  # type: ignore[arg-type]


def _pair(values: list[float]) -> str:
    return f"{min(values):.2f} / {median(values):.2f}"


def _summary(samples: dict[str, list[list[object]]]) -> list[list[object]]:
    """One row per kind of run: the last run's counts, min / median seconds (whole, REST, sync
    side), and the medians' ratios to the floor's median."""
    floor = median(_seconds(samples["floor"], 4))
    rows: list[list[object]] = []
    for label, runs in samples.items():
        whole, rest = _seconds(runs, 4), _seconds(runs, 5)
        side = [w - r for w, r in zip(whole, rest, strict=True)]
        (status, customers, seats, matches, _, _, written, calls, rest_calls, writes, requests,
         not_modified) = runs[-1]
        floor_row = label.startswith("floor")
        title = f"{label}: raw batch_write_item (best of 1, 4 threads)" if floor_row else label
        if label == "floor":
            title = "floor: the best of the two above, per run (the ratios' base)"
        rows.append([title, status, customers, seats, matches, _pair(whole),
                     "" if floor_row else _pair(rest), _pair(side), written, calls,
                     rest_calls, writes, requests, not_modified, f"{median(whole) / floor:.2f}x",
                     f"{median(side) / floor:.2f}x"])
    return rows


def _ratios(samples: dict[str, list[list[object]]]) -> str:
    """The unchanged re-sync against the full sync (medians), whole and sync side, for each
    way of serving the REST API."""
    lines = []
    for serving in _servings():
        full, again = samples[FIRST + serving], samples[AGAIN + serving]
        whole = median(_seconds(again, 4)) / median(_seconds(full, 4))
        side = [median([float(r[4]) - float(r[5]) for r in runs])  # type: ignore[arg-type]
                for runs in (again, full)]
        lines.append(f"unchanged re-sync / full sync{serving} (medians): {whole:.0%} of the "
                     f"time; sync side alone {side[0] / side[1]:.0%}\n")
    return "".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    customers, seats = _size()
    with quiet_request_log():
        print(run(customers, seats), flush=True)


if __name__ == "__main__":
    main()
