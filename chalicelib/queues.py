"""One way to hand work to a queue: SQS in AWS, in-process locally and in tests.

Both the hub's lifecycle events and the sync send through a `Queue`. In AWS a queue is SQS and
the app's queue handler consumes each message; without a queue URL the inline queue hands the
body at once to that same consumer function (app.py wires it with `consume_with`), so the local
stack and the tests run the code path AWS runs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from chalicelib import logs
from chalicelib.settings import LIFECYCLE_QUEUE_NAME, SYNC_QUEUE_NAME, Settings

Consumer = Callable[[str], None]


class Queue(Protocol):
    def send(self, body: str) -> None: ...


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

    def consume_with(self, consumer: Consumer) -> None:
        """Wiring (app.py): the function the queue's SQS handler calls for each record."""
        self._consumer = consumer

    def send(self, body: str) -> None:
        if self._consumer is None:
            raise QueueNotWired(f"no consumer for the {self.name} queue: import app first")
        try:
            self._consumer(body)
        except Exception as exc:  # the queue boundary, in-process: the message is dropped
            logs.event("queue_message_failed", queue=self.name, error=type(exc).__name__)


# This process's inline queues: every runtime without a queue URL sends through these.
LIFECYCLE_INLINE = InlineQueue(LIFECYCLE_QUEUE_NAME)
SYNC_INLINE = InlineQueue(SYNC_QUEUE_NAME)


@dataclass(frozen=True)
class Queues:
    """The app's queues: the hub's lifecycle events and the sync's workers."""

    lifecycle: Queue
    sync: Queue


def from_settings(settings: Settings, sqs_client: Any = None) -> Queues:
    """SQS for each queue whose URL is configured, else this process's inline queue."""
    return Queues(
        lifecycle=_queue(settings.lifecycle_queue_url, LIFECYCLE_INLINE, settings, sqs_client),
        sync=_queue(settings.sync_queue_url, SYNC_INLINE, settings, sqs_client),
    )


def _queue(url: str, inline: InlineQueue, settings: Settings, sqs_client: Any) -> Queue:
    return SqsQueue(url, settings.region, sqs_client) if url else inline
