"""Automatic User Deactivation: the portal's answer to the hub's lifecycle events.

For each partner company linked to the event's hub company with Enable Automatic User Deactivation
on, the portal user linked to the hub identity is deactivated (`user.deactivated`, or
`access.revoked` for the Partner Portal) or deleted (`user.deleted`; deactivated instead when it is
the company's last Security Admin), and every portal session of theirs ends at once. The portal
learns all this only from the event, never from hub tables. Handling is idempotent: a redelivered
event finds the user already changed and only ends (no) sessions again.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib import logs, runtime
from chalicelib.auth.lifecycle_events import LifecycleEvent
from chalicelib.errors import LastSecurityAdmin
from chalicelib.portal import hub_login, security_settings, sessions, users
from chalicelib.runtime import Runtime
from chalicelib.storage.portal.users import PortalUser

MODULE = "portal"
AUDIT_ACTOR = "hub"
REASONS = {
    "user.deactivated": "the hub user was deactivated",
    "user.deleted": "the hub user was deleted",
    "access.revoked": "Partner Portal access was revoked in the hub",
}


@dataclass(frozen=True)
class Outcome:
    """What happened to one linked portal user."""

    user_id: str
    company_id: str
    status: str  # the user's status afterwards
    changed: bool
    sessions_ended: int


def wanted_status(event: LifecycleEvent) -> str | None:
    """The portal status the event asks for, or None when the portal has nothing to do."""
    if event.kind == "user.deactivated":
        return users.DEACTIVATED
    if event.kind == "user.deleted":
        return users.DELETED
    if event.kind == "access.revoked" and event.detail.get("module") == MODULE:
        return users.DEACTIVATED
    return None


def on_hub_event(event: LifecycleEvent) -> None:
    """Subscribed to the hub's lifecycle events (app.py)."""
    handle(runtime.current(), event)


def handle(rt: Runtime, event: LifecycleEvent) -> list[Outcome]:
    """Apply one event to every portal user it concerns; returns what happened to each."""
    if event.kind == "session.ended":  # hub logout: single sign-out, whatever the settings
        ended = sessions.end_for_hub_session(str(event.detail.get("sid", "")))
        logs.event("portal_hub_logout", event_id=event.event_id, sessions_ended=ended)
        return []
    wanted = wanted_status(event)
    if wanted is None:
        return []
    outcomes = []
    for user in hub_login.portal_users_for_hub_subject(rt, event.issuer, event.subject):
        settings = security_settings.security_settings(rt, user.company_id)
        if not (settings.linked and settings.auto_deactivate_users
                and settings.hub_issuer == event.issuer
                and settings.hub_company_id == event.hub_company_id):
            continue
        outcomes.append(_apply(rt, event, user, wanted))
    return outcomes


def _apply(rt: Runtime, event: LifecycleEvent, user: PortalUser, wanted: str) -> Outcome:
    status = _move(user, wanted)
    changed = status != user.status
    if changed:
        verb = "Deleted" if status == users.DELETED else "Deactivated"
        kept = " (kept as the last Security Admin)" if status != wanted else ""
        security_settings.audit(rt, user.company_id, AUDIT_ACTOR, "Automatic User Deactivation",
                                f"{verb} {user.username}{kept}: {REASONS[event.kind]}")
    ended = sessions.end_all_for_user(user.user_id)
    logs.event("portal_deprovisioned", event_id=event.event_id, event_kind=event.kind,
               user_id=user.user_id, company_id=user.company_id, status=status,
               changed=changed, sessions_ended=ended)
    return Outcome(user.user_id, user.company_id, status, changed, ended)


def _move(user: PortalUser, wanted: str) -> str:
    """Take the user forward to `wanted`; the status they end with.

    A deletion that would leave the company without an active Security Admin deactivates them
    instead (the condition is in the transaction); a deactivation always happens: the hub says
    this person must not get in.
    """
    if not _changes(user.status, wanted):
        return user.status
    if wanted == users.DELETED:
        try:
            return users.change_status(user, wanted, keep_a_security_admin=True).status
        except LastSecurityAdmin:
            wanted = users.DEACTIVATED
            if not _changes(user.status, wanted):
                return user.status
    return users.change_status(user, wanted, keep_a_security_admin=False).status


def _changes(current: str, wanted: str) -> bool:
    """Deactivation and deletion only go forward: active → deactivated → deleted."""
    order = {users.ACTIVE: 0, users.DEACTIVATED: 1, users.DELETED: 2}
    return order.get(wanted, 0) > order.get(current, 0)
