"""The local stack's background sync queue: a request answers before the run, the run goes on on a
worker thread and ends OK; a failing message is logged and the queue goes on; the six-hour lock
still starts one sync of many parallel requests when the run waits on the queue."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from chalicelib import logs, queues, runtime
from chalicelib.errors import TooManyRequests
from chalicelib.outbound import HttpResponse
from chalicelib.queues import BackgroundQueue, QueueNotWired
from chalicelib.settings import from_environment
from chalicelib.sync import integrations
from tests.fakes import build_for_tests, hold_sync_queue, use_sleep, use_transport
from tests.sync.helpers import connected

WAIT = 30.0  # seconds a test waits for a thread before it fails (never reached when all is well)


class _Gate:
    """A consumer that records each body and waits until the test opens the gate."""

    def __init__(self) -> None:
        self.open = threading.Event()
        self.started: list[str] = []
        self.finished: list[str] = []

    def __call__(self, body: str) -> None:
        self.started.append(body)
        assert self.open.wait(WAIT)
        self.finished.append(body)


def test_send_returns_before_the_consumer_has_finished_and_drain_waits_for_it():
    gate = _Gate()
    queue = BackgroundQueue("test")
    queue.consume_with(gate)
    queue.send("one")
    assert gate.finished == []
    assert queue.drain(timeout=0.05) is False  # still waiting at the gate
    gate.open.set()
    assert queue.drain(timeout=WAIT) is True
    assert gate.finished == ["one"]


def test_messages_run_side_by_side():
    three_at_once = threading.Barrier(3, timeout=WAIT)
    done: list[str] = []

    def consumer(body: str) -> None:
        three_at_once.wait()  # broken (and nothing done) unless three run at the same time
        done.append(body)

    queue = BackgroundQueue("test", workers=3)
    queue.consume_with(consumer)
    for body in ("a", "b", "c"):
        queue.send(body)
    assert queue.drain(timeout=WAIT)
    assert sorted(done) == ["a", "b", "c"]


def test_no_more_workers_than_allowed_run_at_once():
    lock = threading.Lock()
    active = [0]
    most = [0]
    gate = threading.Event()

    def consumer(body: str) -> None:
        with lock:
            active[0] += 1
            most[0] = max(most[0], active[0])
        assert gate.wait(WAIT)
        with lock:
            active[0] -= 1

    queue = BackgroundQueue("test", workers=2)
    queue.consume_with(consumer)
    for n in range(6):
        queue.send(str(n))
    assert _until(lambda: active[0] == 2)  # two messages are being consumed ...
    assert not queue.drain(timeout=0.1)  # ... and the other four wait for them
    gate.set()
    assert queue.drain(timeout=WAIT)
    assert most[0] == 2 and active[0] == 0


def _until(condition: Any) -> bool:
    """Wait (up to WAIT) for `condition()` to hold."""
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_a_failing_message_is_logged_and_the_next_one_still_runs(monkeypatch):
    seen: list[dict[str, Any]] = []
    monkeypatch.setattr(logs, "event", lambda name, **fields: seen.append({"event": name,
                                                                            **fields}) or {})
    done: list[str] = []

    def consumer(body: str) -> None:
        if body == "bad":
            raise ValueError("broken")
        done.append(body)

    queue = BackgroundQueue("test", workers=1)
    queue.consume_with(consumer)
    queue.send("bad")
    queue.send("good")
    assert queue.drain(timeout=WAIT)
    assert done == ["good"]
    assert {"event": "queue_message_failed", "queue": "test", "error": "ValueError"} in seen


def test_an_unwired_background_queue_refuses_to_take_a_message():
    with pytest.raises(QueueNotWired):
        BackgroundQueue("nobody").send("{}")


def test_the_setting_chooses_the_local_sync_queue():
    inline = queues.from_settings(from_environment({}))
    background = queues.from_settings(from_environment({"LINKHUB_LOCAL_QUEUES": "background"}))
    assert inline.sync is queues.SYNC_INLINE
    assert background.sync is queues.SYNC_BACKGROUND
    with pytest.raises(ValueError, match="LINKHUB_LOCAL_QUEUES"):
        from_environment({"LINKHUB_LOCAL_QUEUES": "sometimes"})


class _HeldAtTheList:
    """Forwards to the REST API, but the customer list waits until the test lets it through."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.go = threading.Event()
        self.asked = threading.Event()

    def request(self, method: str, url: str, **kwargs: Any) -> HttpResponse:
        if "/saas/domains" in url:
            self.asked.set()
            assert self.go.wait(WAIT)
        return self.inner.request(method, url, **kwargs)  # type: ignore[no-any-return]


@pytest.fixture
def background(aws: runtime.Runtime) -> runtime.Runtime:
    """The `aws` runtime's settings with the sync queue on this process's worker threads."""
    settings = aws.settings.with_overrides(local_queues="background")
    rt = runtime.install(build_for_tests(settings, clock=aws.clock))  # type: ignore[arg-type]
    return rt


def test_a_manual_sync_answers_syncing_and_ends_ok_on_a_worker_thread(background):
    rt = background
    hold = hold_sync_queue(rt)
    setup = connected(rt)  # connects with the held queue: its key check runs inline below
    hold.deliver_all()
    iid = setup.integration.integration_id
    use_sleep(rt, lambda seconds: None)
    gate = _HeldAtTheList(setup.transport)
    use_transport(rt, gate)
    rt.queues.sync.target = queues.SYNC_BACKGROUND  # type: ignore[attr-defined]

    started = integrations.start_manual_sync(rt, setup.admin, iid)
    assert started.status == "Syncing..." and started.in_progress
    assert gate.asked.wait(WAIT)  # a worker thread took the message and asked for the list
    assert integrations.get(rt, setup.admin, iid).status == "Syncing..."
    gate.go.set()
    assert queues.SYNC_BACKGROUND.drain(timeout=WAIT)
    shown = integrations.get(rt, setup.admin, iid)
    assert shown.status == "OK" and not shown.in_progress
    (log,) = integrations.sync_logs(rt, setup.admin, iid)
    assert (log.trigger, log.outcome) == ("manual", "OK")


@pytest.mark.ddblocal
def test_twenty_parallel_requests_enqueue_exactly_one_run(ddb):
    setup = connected(ddb)
    iid = setup.integration.integration_id
    held = hold_sync_queue(ddb)

    def ask(_: int) -> str:
        runtime.install(ddb)
        try:
            shown = integrations.start_manual_sync(ddb, setup.admin, iid)
        except TooManyRequests:
            return "refused"
        return shown.status

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(ask, range(20)))

    assert answers.count("Syncing...") == 1 and answers.count("refused") == 19
    assert len(held.bodies) == 1 and integrations.sync_logs(ddb, setup.admin, iid) == []
    held.deliver_all()
    (log,) = integrations.sync_logs(ddb, setup.admin, iid)
    assert log.outcome == "OK"
