"""The hub's side of the lifecycle events: publishing one on the runtime's lifecycle queue.

The event schema is the published contract in chalicelib.auth.lifecycle_events. In AWS the queue
is SQS and app.py's handler delivers each message to the modules; locally and in tests the inline
queue hands it to that same handler at once.
"""

from __future__ import annotations

from chalicelib import logs
from chalicelib.auth.lifecycle_events import LifecycleEvent
from chalicelib.runtime import Runtime


def publish(rt: Runtime, event: LifecycleEvent) -> None:
    """Announce one event to the modules (one log line, one queue message)."""
    logs.event(
        "lifecycle_event", event_kind=event.kind, event_id=event.event_id, subject=event.subject
    )
    rt.queues.lifecycle.send(event.to_json())
