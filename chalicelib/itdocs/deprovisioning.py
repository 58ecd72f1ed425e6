"""IT Docs' answer to the hub's lifecycle events: deprovisioning and the hub's logout.

- `user.deactivated`, or `access.revoked` for IT Docs: the IT Docs user linked to the hub identity
  is deactivated; `user.deleted`: marked deleted. Either way every IT Docs session of theirs ends
  at once, and the identity stays linked, so a later hub sign-in is refused rather than
  provisioning a fresh user. Only accounts linked to the event's hub company are touched.
- `session.ended` (the user logged out of the hub): the IT Docs sessions that hub session started
  end.

Handling is idempotent: a redelivered event finds the user already changed and no sessions left.
"""

from __future__ import annotations

from chalicelib import logs, runtime
from chalicelib.auth.lifecycle_events import LifecycleEvent
from chalicelib.itdocs import audit, sessions
from chalicelib.itdocs.accounts import ACTIVE, DEACTIVATED, DELETED
from chalicelib.runtime import Runtime
from chalicelib.storage.itdocs import accounts as account_store
from chalicelib.storage.itdocs import users as user_store

MODULE = "itdocs"


def wanted_status(event: LifecycleEvent) -> str | None:
    if event.kind == "user.deactivated":
        return DEACTIVATED
    if event.kind == "user.deleted":
        return DELETED
    if event.kind == "access.revoked" and event.detail.get("module") == MODULE:
        return DEACTIVATED
    return None


def on_hub_event(event: LifecycleEvent) -> None:
    """Subscribed to the hub's lifecycle events (app.py)."""
    handle(runtime.current(), event)


def handle(rt: Runtime, event: LifecycleEvent) -> int:
    """Apply one event; returns how many IT Docs sessions ended."""
    if event.kind == "session.ended":
        sid = str(event.detail.get("sid", ""))
        return sessions.end_for_hub_session(sid) if sid else 0
    wanted = wanted_status(event)
    if wanted is None:
        return 0
    user = user_store.user_by_identity(event.issuer, event.subject)
    if user is None:
        return 0
    account = account_store.get_account(user.account_id)
    if account.hub_issuer != event.issuer or account.hub_company_id != event.hub_company_id:
        return 0
    if user.status == ACTIVE or (wanted == DELETED and user.status != DELETED):
        user_store.update_user(user.user_id, status=wanted)
        audit.record(rt, user.account_id, "hub", f"user.{wanted}", user.email)
    ended = sessions.end_all_for_user(user.user_id)
    logs.event("itdocs_deprovisioned", user_id=user.user_id, status=wanted, sessions=ended,
               event_id=event.event_id)
    return ended
