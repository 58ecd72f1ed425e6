"""The hub's lifecycle events: the published contract between the hub and the modules.

The hub publishes them on the lifecycle queue (deactivated, deleted, reactivated, access revoked,
sessions revoked, logout); a module subscribes a handler in app.py and learns about hub users only
from these events, as it would from another company's product. Hub and modules both import this
module and never each other. Handlers are idempotent: a redelivered event is harmless.

`sessions.revoked` is published on every administrative end of a user's sessions (deactivation,
deletion, MFA reset, revoked module access) and on a password reset. It is not a provisioning
decision: every module ends that user's sessions on it whatever its own settings (Automatic User
Deactivation included). With `detail["module"]` it concerns that module only.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from typing import Any

USER_DEACTIVATED = "user.deactivated"
USER_DELETED = "user.deleted"
USER_REACTIVATED = "user.reactivated"
ACCESS_REVOKED = "access.revoked"
SESSIONS_REVOKED = "sessions.revoked"
SESSION_ENDED = "session.ended"
# Why an administrator ended the sessions (`detail["reason"]` of a `sessions.revoked` event).
REVOKED_BY_DEACTIVATION = "deactivated"
REVOKED_BY_DELETION = "deleted"
REVOKED_BY_MFA_RESET = "mfa_reset"
REVOKED_BY_ACCESS_REVOKED = "access_revoked"
REVOKED_BY_PASSWORD_RESET = "password_reset"
REVOKED_BY_PASSWORD_CHANGE = "password_change"


@dataclass(frozen=True)
class LifecycleEvent:
    """One event about one hub user; `detail` carries the kind's extras (module, sid, reason,
    email)."""

    event_id: str
    kind: str  # one of the kinds above
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
        """The event in a message body; fields this version does not know are ignored (a newer
        publisher may add some). A body without the known fields raises `ValueError`."""
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("a lifecycle event is a JSON object")
        known = {f.name for f in fields(cls)}
        values = {name: value for name, value in data.items() if name in known}
        try:
            values["at"] = dt.datetime.fromisoformat(values["at"])
            return cls(**values)
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a lifecycle event: {exc}") from exc


Handler = Callable[[LifecycleEvent], None]
_subscribers: list[Handler] = []


def subscribe(handler: Handler) -> None:
    """Wiring (app.py, tests): a module's handler for the hub's lifecycle events."""
    if handler not in _subscribers:
        _subscribers.append(handler)


def unsubscribe(handler: Handler) -> None:
    if handler in _subscribers:
        _subscribers.remove(handler)


def revokes_sessions_in(event: LifecycleEvent, module: str) -> bool:
    """True when the event tells `module` to end the user's sessions (whatever its settings)."""
    if event.kind != SESSIONS_REVOKED:
        return False
    scope = event.detail.get("module")
    return not scope or scope == module


def deliver(event: LifecycleEvent) -> None:
    """Hand one event to every subscriber."""
    for handler in list(_subscribers):
        handler(event)
