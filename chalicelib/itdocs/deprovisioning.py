"""IT Docs' answer to the hub's lifecycle events: deprovisioning and the hub's logout.

- `user.deactivated`, or `access.revoked` for IT Docs: the IT Docs user linked to the hub identity
  is deactivated; `user.deleted`: marked deleted. Either way every IT Docs session of theirs ends
  at once, and the identity stays linked, so a later hub sign-in is refused rather than
  provisioning a fresh user. Only accounts linked to the event's hub company are touched.
- `sessions.revoked` (every administrative kill in the hub: deactivation, deletion, MFA reset,
  revoked IT Docs access): every IT Docs session of that user ends, whatever the account's
  settings. Ending sessions is not optional.
- `session.ended` (the user logged out of the hub): the IT Docs sessions that hub session started
  end.

Handling is idempotent: a redelivered event finds the user already changed and no sessions left;
two copies handled at once change the status, and audit it, once (the loser reads again).
"""

from __future__ import annotations

from chalicelib import logs, runtime
from chalicelib.auth import lifecycle_events as lifecycle
from chalicelib.auth.lifecycle_events import LifecycleEvent
from chalicelib.errors import ConcurrentChange
from chalicelib.itdocs import audit, sessions
from chalicelib.itdocs.accounts import ACTIVE, DEACTIVATED, DELETED
from chalicelib.runtime import Runtime
from chalicelib.storage.itdocs import accounts as account_store
from chalicelib.storage.itdocs import users as user_store
from chalicelib.storage.itdocs.users import User

MODULE = "itdocs"
MOVE_ATTEMPTS = 4


def wanted_status(event: LifecycleEvent) -> str | None:
    if event.kind == lifecycle.USER_DEACTIVATED:
        return DEACTIVATED
    if event.kind == lifecycle.USER_DELETED:
        return DELETED
    if event.kind == lifecycle.ACCESS_REVOKED and event.detail.get("module") == MODULE:
        return DEACTIVATED
    return None


def on_hub_event(event: LifecycleEvent) -> None:
    """Subscribed to the hub's lifecycle events (app.py)."""
    handle(runtime.current(), event)


def handle(rt: Runtime, event: LifecycleEvent) -> int:
    """Apply one event; returns how many IT Docs sessions ended."""
    if event.kind == lifecycle.SESSION_ENDED:
        sid = str(event.detail.get("sid", ""))
        return sessions.end_for_hub_session(sid) if sid else 0
    if lifecycle.revokes_sessions_in(event, MODULE):
        return end_sessions(event)
    wanted = wanted_status(event)
    if wanted is None:
        return 0
    user = _linked_user(event)
    if user is None:
        return 0
    _move(rt, user, wanted)
    ended = sessions.end_all_for_user(user.user_id)
    logs.event("itdocs_deprovisioned", user_id=user.user_id, status=wanted, sessions=ended,
               event_id=event.event_id)
    return ended


def _move(rt: Runtime, user: User, wanted: str) -> None:
    """Take the user forward to `wanted` and audit it, once: when a duplicate of the event (or a
    person) changed the status first, read again and find the work done or still to do."""
    for _ in range(MOVE_ATTEMPTS):
        if not _goes_forward(user.status, wanted):
            return
        if user_store.change_status(user.user_id, user.status, wanted):
            audit.record(rt, user.account_id, "hub", f"user.{wanted}", user.email)
            return
        user = user_store.get_user(user.user_id)
    raise ConcurrentChange()


def _goes_forward(current: str, wanted: str) -> bool:
    """Deactivation and deletion only go forward: active → deactivated → deleted."""
    return current == ACTIVE or (wanted == DELETED and current != DELETED)


def _linked_user(event: LifecycleEvent) -> User | None:
    """The IT Docs user linked to the event's hub identity, in the account linked to its hub
    company (an event of another hub company touches nobody)."""
    user = user_store.user_by_identity(event.issuer, event.subject)
    if user is None:
        return None
    account = account_store.get_account(user.account_id)
    if account.hub_issuer != event.issuer or account.hub_company_id != event.hub_company_id:
        return None
    return user


def end_sessions(event: LifecycleEvent) -> int:
    """An administrator ended the hub user's sessions: end the IT Docs ones (not optional)."""
    user = _linked_user(event)
    if user is None:
        return 0
    ended = sessions.end_all_for_user(user.user_id)
    logs.event("itdocs_sessions_revoked", user_id=user.user_id, sessions=ended,
               reason=str(event.detail.get("reason", "")), event_id=event.event_id)
    return ended
