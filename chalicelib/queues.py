"""One way to hand work to a queue: SQS in AWS, in-process locally and in tests.

Both the hub's lifecycle events and the sync send through a `Queue`. In AWS a queue is SQS and
the app's queue handler consumes each message; without a queue URL a local queue hands the body to
that same consumer function (app.py wires it with `consume_with`), so the local stack and the tests
run the code path AWS runs. The inline queue delivers inside the sender's call (unit tests); the
background queue delivers on worker threads of this process, so the sender answers at once, as
with SQS (the sync queue of `make run` and `chalice local`, setting `local_queues`).
`send_later` hands a message over no sooner than a delay: SQS's own delay (at most 15 minutes),
a timer thread locally; with a spool directory (`local_queue_dir`, set by `make run`) the local
queues keep each delayed message on disk first, so a restart still delivers it (`queue_spool`).
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from chalicelib import logs
from chalicelib.queue_spool import Spool, Spooled
from chalicelib.settings import LIFECYCLE_QUEUE_NAME, MAIL_QUEUE_NAME, SYNC_QUEUE_NAME, Settings

Consumer = Callable[[str], None]
Done = Callable[[], None]  # called once the consumer returned (a spooled message's file goes)
MAX_DELAY_SECONDS = 900  # SQS's longest delay; a longer wait is asked for again on delivery


class Queue(Protocol):
    def send(self, body: str) -> None: ...


@runtime_checkable
class DelayingQueue(Protocol):
    """A queue that can also deliver a message after a delay (every queue of the app can)."""

    def send(self, body: str) -> None: ...

    def send_later(self, body: str, seconds: float) -> None: ...


def send_later(queue: Queue, body: str, seconds: float) -> None:
    """Send `body` for delivery no sooner than `seconds` (capped at MAX_DELAY_SECONDS)."""
    if not isinstance(queue, DelayingQueue):
        raise TypeError(f"{type(queue).__name__} cannot delay a message")
    queue.send_later(body, min(max(seconds, 0.0), MAX_DELAY_SECONDS))


class LocalDelays:
    """A local queue's delayed messages: timer threads of this process, each message kept in
    the spool first when there is one, and the spool's messages scheduled once the queue's
    consumer is wired (a restart delivers what the last process left)."""

    def __init__(self, name: str, send: Callable[[str, Done | None], None]) -> None:
        self._name = name
        self._send = send
        self._spool: Spool | None = None
        self._wired = False
        self._resumed = False
        self._timers: set[threading.Timer] = set()
        self._lock = threading.Lock()

    def later(self, body: str, seconds: float) -> None:
        """Send `body` once `seconds` have passed (kept on disk meanwhile, with a spool)."""
        if self._spool is None:
            self._start(seconds, lambda: self._send(body, None))
        else:
            self._schedule(self._spool.keep(body, seconds))

    def keep_in(self, directory: str) -> None:
        """Keep delayed messages in `directory` from now on (the same one again: nothing)."""
        spool = Spool(directory, self._name)
        with self._lock:
            if self._spool is not None and self._spool.directory == spool.directory:
                return
            self._spool, self._resumed = spool, False
        self._resume()

    def wired(self) -> None:
        """The consumer is wired: the spool's messages may be scheduled."""
        self._wired = True
        self._resume()

    def stop(self) -> None:
        """Cancel every timer, as a stopping process loses them (the spool keeps the messages)."""
        with self._lock:
            timers, self._timers = self._timers, set()
        for timer in timers:
            timer.cancel()

    def _resume(self) -> None:
        """Schedule what the spool holds, once per spool, when the consumer is wired."""
        with self._lock:
            spool = self._spool
            if spool is None or not self._wired or self._resumed:
                return
            self._resumed = True
        waiting = spool.waiting()
        if waiting:
            logs.event("queue_delayed_resumed", queue=self._name, messages=len(waiting))
        for spooled in waiting:
            self._schedule(spooled)

    def _schedule(self, spooled: Spooled) -> None:
        """A timer for a spooled message, at once when its time has come."""
        self._start(spooled.seconds_left, lambda: self._deliver(spooled))

    def _deliver(self, spooled: Spooled) -> None:
        """Send a spooled message if this process claims it first; its file goes once consumed."""
        spool = self._spool
        claimed = spool.claim(spooled) if spool is not None else None
        if claimed is not None:
            self._send(spooled.body, lambda: Spool.done(claimed))

    def _start(self, seconds: float, action: Callable[[], None]) -> None:
        """A daemon timer thread running `action`, kept until it fires (or `stop`)."""
        timer: threading.Timer

        def fire() -> None:
            with self._lock:
                self._timers.discard(timer)
            action()

        timer = threading.Timer(seconds, fire)
        timer.daemon = True
        with self._lock:
            self._timers.add(timer)
        timer.start()


class QueueNotWired(RuntimeError):
    """An inline queue was sent a message before app.py wired its consumer."""


class SqsQueue:
    """An SQS queue by URL; the boto3 client is built on the first send unless one is given."""

    def __init__(self, url: str, region: str, client: Any = None) -> None:
        self.url = url
        self._region = region
        self._client = client
        self._lock = threading.Lock()

    def send(self, body: str) -> None:
        self._sqs().send_message(QueueUrl=self.url, MessageBody=body)

    def send_later(self, body: str, seconds: float) -> None:
        delay = min(math.ceil(seconds), MAX_DELAY_SECONDS)
        self._sqs().send_message(QueueUrl=self.url, MessageBody=body, DelaySeconds=delay)

    def _sqs(self) -> Any:
        with self._lock:
            if self._client is None:
                import boto3  # only where a queue is configured: boto3 costs cold-start time

                self._client = boto3.client("sqs", region_name=self._region)
            return self._client


class InlineQueue:
    """Delivers each message at once, in this process, to the consumer wired for the queue.

    A consumer that fails is logged and left, as a failed Lambda would be: the sender never sees
    its error (a sync's lease then expires and the tick resumes it).
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._consumer: Consumer | None = None
        self.delays = LocalDelays(name, self._send)

    def consume_with(self, consumer: Consumer) -> None:
        """Wiring (app.py): the function the queue's SQS handler calls for each record."""
        self._consumer = consumer
        self.delays.wired()

    def send(self, body: str) -> None:
        self._send(body, None)

    def send_later(self, body: str, seconds: float) -> None:
        self.delays.later(body, seconds)

    def _send(self, body: str, done: Done | None) -> None:
        if self._consumer is None:
            raise QueueNotWired(f"no consumer for the {self.name} queue: import app first")
        try:
            self._consumer(body)
        except Exception as exc:  # the queue boundary, in-process: the message is dropped
            logs.event("queue_message_failed", queue=self.name, error=type(exc).__name__)
        if done is not None:
            done()


class BackgroundQueue:
    """Delivers each message on one of a few worker threads of this process, as SQS would.

    `send` returns at once. A consumer that fails is logged and left, as with the inline queue;
    a sync whose worker died is resumed by the tick once its lease ends. `drain` waits until
    every message sent so far was consumed (tests wait on it).
    """

    def __init__(self, name: str, workers: int = 4) -> None:
        self.name = name
        self._workers = workers
        self._consumer: Consumer | None = None
        self._pending: deque[tuple[str, Done | None]] = deque()
        self._unfinished = 0
        self._changed = threading.Condition()
        self._running = 0  # worker threads that have not yet decided to end (under the lock)
        self.delays = LocalDelays(name, self._send)

    def consume_with(self, consumer: Consumer) -> None:
        """Wiring (app.py): the function the queue's SQS handler calls for each record."""
        self._consumer = consumer
        self.delays.wired()

    def send(self, body: str) -> None:
        self._send(body, None)

    def send_later(self, body: str, seconds: float) -> None:
        """Send when `seconds` have passed (`drain` waits for it only once it is sent)."""
        self.delays.later(body, seconds)

    def _send(self, body: str, done: Done | None) -> None:
        if self._consumer is None:
            raise QueueNotWired(f"no consumer for the {self.name} queue: import app first")
        with self._changed:
            self._pending.append((body, done))
            self._unfinished += 1
            self._start_worker()
            self._changed.notify_all()

    def drain(self, timeout: float = 30.0) -> bool:
        """Wait until every message sent so far was consumed; False when `timeout` ran out."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._unfinished:
                left = deadline - time.monotonic()
                if left <= 0 or not self._changed.wait(left):
                    return self._unfinished == 0
            return True

    def _start_worker(self) -> None:
        """One more worker thread while messages wait and fewer than `workers` run (locked)."""
        if self._pending and self._running < self._workers:
            self._running += 1
            threading.Thread(target=self._work, name=f"queue-{self.name}", daemon=True).start()

    def _work(self) -> None:
        """Consume messages until none wait, then end (the next send starts a worker again)."""
        while True:
            with self._changed:
                if not self._pending:
                    self._running -= 1
                    return
                body, done = self._pending.popleft()
            self._deliver(body)
            if done is not None:
                done()
            with self._changed:
                self._unfinished -= 1
                self._changed.notify_all()

    def _deliver(self, body: str) -> None:
        """One message to the consumer; its failure is logged, never raised into the worker."""
        consumer = self._consumer
        try:
            if consumer is not None:
                consumer(body)
        except Exception as exc:  # the queue boundary, in-process: the message is dropped
            logs.event("queue_message_failed", queue=self.name, error=type(exc).__name__)


# This process's local queues: every runtime without a queue URL sends through these.
LIFECYCLE_INLINE = InlineQueue(LIFECYCLE_QUEUE_NAME)
SYNC_INLINE = InlineQueue(SYNC_QUEUE_NAME)
SYNC_BACKGROUND = BackgroundQueue(SYNC_QUEUE_NAME)
MAIL_INLINE = InlineQueue(MAIL_QUEUE_NAME)
MAIL_BACKGROUND = BackgroundQueue(MAIL_QUEUE_NAME)


@dataclass(frozen=True)
class Queues:
    """The app's queues: the hub's lifecycle events and the sync's workers."""

    lifecycle: Queue
    sync: Queue
    mail: Queue = MAIL_INLINE  # outbound mail (chalicelib.mail)


def from_settings(settings: Settings, sqs_client: Any = None) -> Queues:
    """SQS for each queue whose URL is configured, else this process's local queue."""
    local_sync = SYNC_BACKGROUND if settings.local_queues == "background" else SYNC_INLINE
    local_mail = MAIL_BACKGROUND if settings.local_queues == "background" else MAIL_INLINE
    if settings.local_queue_dir:
        for local in (local_sync, local_mail, LIFECYCLE_INLINE):
            local.delays.keep_in(settings.local_queue_dir)
    return Queues(
        lifecycle=_queue(settings.lifecycle_queue_url, LIFECYCLE_INLINE, settings, sqs_client),
        sync=_queue(settings.sync_queue_url, local_sync, settings, sqs_client),
        mail=_queue(settings.mail_queue_url, local_mail, settings, sqs_client),
    )


def kind_of(body: str) -> str | None:
    """The `kind` a message names (None: not a JSON object naming one, as a sync run's message)."""
    try:
        message = json.loads(body)
    except ValueError:
        return None
    kind = message.get("kind") if isinstance(message, dict) else None
    return kind if isinstance(kind, str) else None


def text_fields(body: str, names: tuple[str, ...]) -> dict[str, str] | None:
    """The named fields of a JSON message when each is a non-empty string (None: malformed)."""
    try:
        message = json.loads(body)
    except ValueError:
        return None
    if not isinstance(message, dict):
        return None
    found = {name: message.get(name) for name in names}
    if not all(isinstance(value, str) and value for value in found.values()):
        return None
    return {name: str(value) for name, value in found.items()}


def _queue(url: str, local: Queue, settings: Settings, sqs_client: Any) -> Queue:
    return SqsQueue(url, settings.region, sqs_client) if url else local
