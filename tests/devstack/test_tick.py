"""The local scheduler: discovers `scheduled.tick(rt)` functions and survives a failing job."""

from __future__ import annotations

import importlib
import threading

from devstack import tick


def test_finds_tick_in_every_module_named_scheduled(tmp_path, monkeypatch):
    package = tmp_path / "fakeapp"
    (package / "sync").mkdir(parents=True)
    (package / "portal").mkdir()
    (package / "__init__.py").write_text("")
    (package / "sync" / "__init__.py").write_text("")
    (package / "sync" / "scheduled.py").write_text("def tick(rt):\n    return 'synced'\n")
    (package / "portal" / "__init__.py").write_text("")
    (package / "portal" / "scheduled.py").write_text("def tick(rt):\n    return 'swept'\n")
    (package / "portal" / "routes.py").write_text("def tick(rt):\n    raise AssertionError\n")
    monkeypatch.syspath_prepend(str(tmp_path))

    jobs = tick.discover_jobs(importlib.import_module("fakeapp"))

    assert [job.name for job in jobs] == ["fakeapp.portal.scheduled", "fakeapp.sync.scheduled"]
    assert [job.run(None) for job in jobs] == ["swept", "synced"]


def test_a_failing_job_is_logged_and_the_others_still_run(aws):
    ran = []

    def broken(rt):
        raise RuntimeError("queue unreachable")

    jobs = [tick.TickJob("a.broken", broken), tick.TickJob("b.works", lambda rt: ran.append(rt))]
    lines = []

    records = tick.run_once(aws, jobs, log=lambda kind, **fields: lines.append((kind, fields))
                            or fields)

    assert ran == [aws]
    assert [(kind, f["job"], f["outcome"]) for kind, f in lines] == [
        ("tick", "a.broken", "error"), ("tick", "b.works", "ok")]
    assert records[0]["error"] == "RuntimeError: queue unreachable"


def test_the_loop_ticks_until_stopped(aws):
    stop = threading.Event()
    calls = []

    def job(rt):
        calls.append(rt)
        if len(calls) == 3:
            stop.set()

    tick.run_forever(aws, stop, [tick.TickJob("job", job)], interval=0.01,
                     log=lambda kind, **fields: fields)

    assert len(calls) == 3
