"""The local scheduler: every few seconds, run each `chalicelib` module's scheduled `tick(rt)`.

In AWS an EventBridge rule invokes the app's scheduled handlers; locally this loop calls the same
functions in-process. A context takes part by adding a module named `scheduled.py` with a
`tick(rt: Runtime)` function (the app's `@app.schedule` handler calls that same function), so
nobody edits a list here. Each run is one JSON log line.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import app  # noqa: F401  (its wiring: the tick's syncs reach the sync queue's consumer in-process)
import chalicelib
from chalicelib import logs
from chalicelib.runtime import Runtime
from devstack.environment import install_dev_runtime

INTERVAL_SECONDS = 5.0

LogLine = Callable[..., Any]


@dataclass(frozen=True)
class TickJob:
    """One scheduled function, named after its module."""

    name: str
    run: Callable[[Runtime], object]


def discover_jobs(package: ModuleType = chalicelib) -> list[TickJob]:
    """Every `tick(rt)` in a module named `scheduled` under `package`, in module-name order."""
    jobs = []
    for info in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}."):
        if info.name.rsplit(".", 1)[-1] != "scheduled":
            continue
        module = importlib.import_module(info.name)
        tick = getattr(module, "tick", None)
        if callable(tick):
            jobs.append(TickJob(name=info.name, run=tick))
    return sorted(jobs, key=lambda job: job.name)


TICK_JOBS: list[TickJob] = discover_jobs()


def run_once(rt: Runtime, jobs: list[TickJob], log: LogLine = logs.event) -> list[dict[str, Any]]:
    """Run every job once; one failing job neither stops the others nor the loop."""
    records = []
    for job in jobs:
        started = time.perf_counter()
        fields: dict[str, Any] = {"job": job.name, "outcome": "ok"}
        try:
            job.run(rt)
        except Exception as exc:  # a scheduler survives its jobs' bugs; the line says what broke
            fields.update(outcome="error", error=f"{type(exc).__name__}: {exc}")
        fields["ms"] = round((time.perf_counter() - started) * 1000, 1)
        records.append(log("tick", **fields))
    return records


def run_forever(
    rt: Runtime,
    stop: threading.Event,
    jobs: list[TickJob] | None = None,
    interval: float = INTERVAL_SECONDS,
    log: LogLine = logs.event,
) -> None:
    """Tick every `interval` seconds until `stop` is set."""
    chosen = TICK_JOBS if jobs is None else jobs
    log("tick_started", jobs=[job.name for job in chosen], interval_s=interval)
    while not stop.is_set():
        run_once(rt, chosen, log)
        stop.wait(interval)


def start_thread(rt: Runtime, jobs: list[TickJob] | None = None,
                 interval: float = INTERVAL_SECONDS) -> tuple[threading.Thread, threading.Event]:
    """The tick as a daemon thread; set the returned event to stop it."""
    stop = threading.Event()
    thread = threading.Thread(
        target=run_forever, args=(rt, stop, jobs, interval), name="devstack-tick", daemon=True
    )
    thread.start()
    return thread, stop


def main(argv: list[str] | None = None) -> int:
    """`python -m devstack.tick [--once]` against the `make run` stack's database."""
    parser = argparse.ArgumentParser(prog="python -m devstack.tick", description=__doc__)
    parser.add_argument("--once", action="store_true", help="run every job once and exit")
    parser.add_argument("--interval", type=float, default=INTERVAL_SECONDS)
    args = parser.parse_args(argv)
    rt = install_dev_runtime()
    if args.once:
        records = run_once(rt, TICK_JOBS)
        return 1 if any(r.get("outcome") == "error" for r in records) else 0
    try:
        run_forever(rt, threading.Event(), interval=args.interval)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
