"""The hub's lifecycle events: the published contract between the hub and the modules.

The hub publishes them on the lifecycle queue (deactivated, deleted, reactivated, access revoked,
logout); a module subscribes a handler in app.py and learns about hub users only from these
events, as it would from another company's product. Hub and modules both import this module and
never each other. Handlers are idempotent: a redelivered event is harmless.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class LifecycleEvent:
    """One event about one hub user; `detail` carries the kind's extras (module, sid, email)."""

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
    """Wiring (app.py, tests): a module's handler for the hub's lifecycle events."""
    if handler not in _subscribers:
        _subscribers.append(handler)


def unsubscribe(handler: Handler) -> None:
    if handler in _subscribers:
        _subscribers.remove(handler)


def deliver(event: LifecycleEvent) -> None:
    """Hand one event to every subscriber."""
    for handler in list(_subscribers):
        handler(event)
