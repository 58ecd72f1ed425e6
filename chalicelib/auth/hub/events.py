"""Lifecycle events the hub announces (deactivated, deleted, reactivated, access revoked, logout).

Modules learn about hub users only from these events, as they would from another company's product.
Locally and in tests they are delivered in-process; in AWS the publisher sends them to SQS and the
queue handler calls the same `deliver`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from chalicelib import logs


@dataclass(frozen=True)
class LifecycleEvent:
    event_id: str
    kind: str  # user.deactivated | user.deleted | user.reactivated | access.revoked | session.ended
    issuer: str
    hub_company_id: str
    subject: str
    at: dt.datetime
    detail: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        data = asdict(self)
        data["at"] = self.at.isoformat()
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> LifecycleEvent:
        data = json.loads(text)
        data["at"] = dt.datetime.fromisoformat(data["at"])
        return cls(**data)


Handler = Callable[[LifecycleEvent], None]
_subscribers: list[Handler] = []


def subscribe(handler: Handler) -> None:
    """Called from app.py wiring: a module's handler for hub lifecycle events."""
    if handler not in _subscribers:
        _subscribers.append(handler)


def deliver(event: LifecycleEvent) -> None:
    """Hand one event to every subscriber (handlers are idempotent: redelivery is harmless)."""
    for handler in list(_subscribers):
        handler(event)


class EventBus:
    """Publishes events: to SQS when a queue is configured, else delivered in-process."""

    def __init__(self, sqs_client: Any = None, queue_url: str = "") -> None:
        self._sqs = sqs_client
        self._queue_url = queue_url

    def publish(self, event: LifecycleEvent) -> None:
        logs.event(
            "lifecycle_event", event_kind=event.kind, event_id=event.event_id, subject=event.subject
        )
        if self._sqs is not None and self._queue_url:
            self._sqs.send_message(QueueUrl=self._queue_url, MessageBody=event.to_json())
        else:
            deliver(event)


def bus(rt: Any) -> EventBus:
    """The runtime's publisher (SQS in AWS when LINKHUB_LIFECYCLE_QUEUE_URL is set)."""

    def build(rt: Any) -> EventBus:
        if rt.settings.lifecycle_queue_url:
            import boto3

            return EventBus(boto3.client("sqs", region_name=rt.settings.region),
                            rt.settings.lifecycle_queue_url)
        return EventBus()

    return rt.component("hub.events", build)  # type: ignore[no-any-return]
