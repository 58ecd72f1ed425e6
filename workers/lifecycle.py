"""The lifecycle queue's function: the hub's lifecycle events to every subscribing product."""

from __future__ import annotations

from typing import Any

from chalicelib import logs, settings
from chalicelib.auth import lifecycle_events as lifecycle
from chalicelib.itdocs import deprovisioning as itdocs_deprovisioning
from chalicelib.portal import deprovisioning
from workers import sqs_messages

lifecycle.subscribe(deprovisioning.on_hub_event)
lifecycle.subscribe(itdocs_deprovisioning.on_hub_event)


class LifecycleMessagesFailed(RuntimeError):
    """Some records of a lifecycle batch failed; SQS redelivers them (then dead-letters them)."""


def deliver_lifecycle_message(body: str) -> None:
    """One lifecycle-queue message to every subscriber (each is idempotent)."""
    lifecycle.deliver(lifecycle.LifecycleEvent.from_json(body))


def lifecycle_events(event: dict[str, Any], context: Any = None) -> None:
    """Each record on its own; the failed ones raised only after the rest were delivered."""
    failed: list[str] = []
    for message_id, body in sqs_messages(event):
        try:
            deliver_lifecycle_message(body)
        except Exception as exc:  # the queue boundary: this record fails alone
            logs.event("queue_message_failed", queue=settings.LIFECYCLE_QUEUE_NAME,
                       message_id=message_id, error=type(exc).__name__)
            failed.append(message_id)
    if failed:
        raise LifecycleMessagesFailed(f"{len(failed)} lifecycle messages failed: {failed}")
