"""Delayed messages of the local queues outlive a restart of the local stack (`make run`).

A local queue with a spool directory writes each delayed message to disk before its timer starts;
a process that stops loses its timers, not the messages: the next one to wire the queue's
consumer delivers each once its time comes (at once when it came while nothing ran). Processes
sharing the directory deliver a message once; a claim left by a stopped process is given back.
A restart is staged by stopping a queue's timers (what a stopping process loses) and building a
new queue on the same directory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from chalicelib import queues
from chalicelib.queue_spool import CLAIMED, Spool
from chalicelib.runtime import Runtime
from chalicelib.storage.itdocs import integrations as integration_store
from chalicelib.sync import integration_deletion, integrations
from chalicelib.sync.lifecycle import LEASE
from devstack.environment import ROOT, dev_settings
from tests.fakes import hold_sync_queue
from tests.sync.helpers import connected
from workers.sync import run_sync_message

NAME = "linkhub-sync"
WAIT = 10.0


class Received:
    """What a queue's consumer was handed, with a way to wait for it."""

    def __init__(self) -> None:
        self.bodies: list[str] = []
        self._changed = threading.Condition()

    def __call__(self, body: str) -> None:
        with self._changed:
            self.bodies.append(body)
            self._changed.notify_all()

    def wait_for(self, count: int) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: len(self.bodies) >= count, WAIT)


def _process(directory: Path, consumer: Callable[[str], None]) -> queues.BackgroundQueue:
    """A local stack's process: its sync queue wired, delayed messages kept in `directory`."""
    queue = queues.BackgroundQueue(NAME, workers=1)
    queue.consume_with(consumer)
    queue.delays.keep_in(str(directory))
    return queue


def _files(directory: Path) -> list[str]:
    found = directory / NAME
    return sorted(p.name for p in found.iterdir()) if found.is_dir() else []


def _gone(directory: Path) -> bool:
    deadline = time.monotonic() + WAIT
    while _files(directory) and time.monotonic() < deadline:
        time.sleep(0.02)
    return not _files(directory)


def test_a_delayed_message_outlives_a_restart_and_is_delivered_once(tmp_path: Path) -> None:
    before, after = Received(), Received()
    stopping = _process(tmp_path, before)
    queues.send_later(stopping, "removal", 0.3)
    assert len(_files(tmp_path)) == 1  # on disk before any timer runs
    stopping.delays.stop()  # the process stops: its timer is lost

    _process(tmp_path, after)
    assert after.wait_for(1) and after.bodies == ["removal"]
    assert _gone(tmp_path)
    time.sleep(0.4)  # the stopped process's moment has passed too
    assert before.bodies == [] and after.bodies == ["removal"]


def test_a_message_that_came_due_while_nothing_ran_is_delivered_at_start(
        tmp_path: Path) -> None:
    Spool(tmp_path, NAME).keep("overdue", -60.0)
    received = Received()
    _process(tmp_path, received)
    assert received.wait_for(1) and received.bodies == ["overdue"]
    assert _gone(tmp_path)


def test_two_processes_sharing_the_directory_deliver_a_message_once(tmp_path: Path) -> None:
    for n in range(20):
        Spool(tmp_path, NAME).keep(f"message {n}", -1.0)
    first, second = Received(), Received()
    _process(tmp_path, first)
    _process(tmp_path, second)
    assert _gone(tmp_path)
    delivered = first.bodies + second.bodies
    assert sorted(delivered) == sorted(f"message {n}" for n in range(20))


def test_the_file_stays_until_the_consumer_returns(tmp_path: Path) -> None:
    release, started = threading.Event(), threading.Event()

    def slow(body: str) -> None:
        started.set()
        release.wait(WAIT)

    Spool(tmp_path, NAME).keep("slow", -1.0)
    _process(tmp_path, slow)
    assert started.wait(WAIT)
    (claimed,) = _files(tmp_path)  # taken by this process, still on disk
    assert CLAIMED in claimed
    release.set()
    assert _gone(tmp_path)


def _ended_pid() -> int:
    """The id of a process that has ended."""
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    return int(done.stdout)


@pytest.mark.parametrize("owner", ["stopped", "running"])
def test_a_claim_is_given_back_only_when_its_process_stopped(tmp_path: Path, owner: str) -> None:
    spooled = Spool(tmp_path, NAME).keep("half done", -1.0)
    pid = _ended_pid() if owner == "stopped" else os.getppid()
    spooled.path.rename(spooled.path.with_name(f"{spooled.path.name}{CLAIMED}{pid}-0badc0de"))
    received = Received()
    _process(tmp_path, received)
    if owner == "stopped":
        assert received.wait_for(1) and received.bodies == ["half done"]
        assert _gone(tmp_path)
    else:
        time.sleep(0.3)
        assert received.bodies == [] and len(_files(tmp_path)) == 1


def test_a_file_that_cannot_be_read_is_left_and_the_rest_delivered(tmp_path: Path) -> None:
    Spool(tmp_path, NAME).keep("fine", -1.0)
    (tmp_path / NAME / "0000000000001-broken.json").write_text("{not json")
    received = Received()
    _process(tmp_path, received)
    assert received.wait_for(1) and received.bodies == ["fine"]
    time.sleep(0.1)
    assert _files(tmp_path) == ["0000000000001-broken.json"]


def test_make_run_keeps_delayed_messages_under_its_state_directory() -> None:
    assert Path(dev_settings().local_queue_dir) == ROOT / ".devstack" / "queues"


def test_an_integration_removal_waiting_for_a_run_finishes_after_a_restart(
        aws: Runtime, tmp_path: Path) -> None:
    """The removal's worker sends itself delayed until the interrupted run can no longer
    write; the process stops meanwhile; after the restart (the run's end passed while nothing
    ran) the removal runs and the integration is gone."""
    setup = connected(aws)
    iid = setup.integration.integration_id
    held = hold_sync_queue(aws)
    integrations.start_manual_sync(aws, setup.admin, iid)  # its run holds the lease
    integration_deletion.request(aws, setup.admin, integration_store.get_integration(iid))
    removal = held.bodies.pop()

    stopping = queues.InlineQueue(NAME)
    stopping.consume_with(run_sync_message)
    stopping.delays.keep_in(str(tmp_path))
    aws.queues.sync.target = stopping  # type: ignore[attr-defined]
    stopping.send(removal)  # the worker: not yet, sent again delayed
    (waiting,) = _files(tmp_path)
    assert json.loads((tmp_path / NAME / waiting).read_text())["body"] == removal
    stopping.delays.stop()

    aws.clock.advance(seconds=LEASE.total_seconds())  # type: ignore[attr-defined]
    path = tmp_path / NAME / waiting  # its moment came while nothing ran
    path.write_text(json.dumps({"due": time.time() - 1, "body": removal}))
    restarted = queues.InlineQueue(NAME)
    restarted.consume_with(run_sync_message)
    aws.queues.sync.target = restarted  # type: ignore[attr-defined]
    restarted.delays.keep_in(str(tmp_path))
    assert _gone(tmp_path)
    assert integrations.list_for_account(aws, setup.admin) == []
