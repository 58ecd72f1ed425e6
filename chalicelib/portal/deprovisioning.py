"""Automatic User Deactivation, and ending sessions: the portal's answer to the hub's lifecycle
events.

Ending sessions is not optional: on `sessions.revoked` (every administrative kill in the hub:
deactivation, deletion, MFA reset, revoked Partner Portal access) and on `session.ended` (hub
logout) the portal ends that user's sessions in every partner company linked to the event's hub
company, whatever its settings. Only the status change is the company's choice: for each partner
company linked to the event's hub company with Enable Automatic User Deactivation on, the portal
user linked to the hub identity is deactivated (`user.deactivated`, or `access.revoked` for the
Partner Portal) or deleted (`user.deleted`), and every portal session of theirs ends at once.
Neither ever happens to the company's last active Security Admin (the roster condition is in the
transaction, so a hub Master cannot lock a partner out of its own security settings): the event
that would have done it is refused and written to the Security Settings audit log, where the
company's Security Admins see it. The portal learns all this only
from the event, never from hub tables. Handling is idempotent: a redelivered event finds the user
already changed and only ends (no) sessions again; two copies handled at once change the status,
and audit it, once (the one that lost the conditional write reads the user again).
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib import logs, runtime
from chalicelib.auth import lifecycle_events as lifecycle
from chalicelib.auth.lifecycle_events import LifecycleEvent
from chalicelib.errors import ConcurrentChange, LastSecurityAdmin
from chalicelib.portal import hub_login, security_settings, sessions, users
from chalicelib.runtime import Runtime
from chalicelib.storage.portal import users as user_store
from chalicelib.storage.portal.users import PortalUser

MODULE = "portal"
MOVE_ATTEMPTS = 4
AUDIT_ACTOR = "hub"
REFUSED = "Deprovisioning refused"
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
    if event.kind == lifecycle.USER_DEACTIVATED:
        return users.DEACTIVATED
    if event.kind == lifecycle.USER_DELETED:
        return users.DELETED
    if event.kind == lifecycle.ACCESS_REVOKED and event.detail.get("module") == MODULE:
        return users.DEACTIVATED
    return None


def on_hub_event(event: LifecycleEvent) -> None:
    """Subscribed to the hub's lifecycle events (app.py)."""
    handle(runtime.current(), event)


def handle(rt: Runtime, event: LifecycleEvent) -> list[Outcome]:
    """Apply one event to every portal user it concerns; returns what happened to each."""
    if event.kind == lifecycle.SESSION_ENDED:  # hub logout: single sign-out, whatever the settings
        ended = sessions.end_for_hub_session(str(event.detail.get("sid", "")))
        logs.event("portal_hub_logout", event_id=event.event_id, sessions_ended=ended)
        return []
    if lifecycle.revokes_sessions_in(event, MODULE):
        return [end_sessions(event, user) for user, _ in _linked_users(rt, event)]
    wanted = wanted_status(event)
    if wanted is None:
        return []
    return [_apply(rt, event, user, wanted) for user, settings in _linked_users(rt, event)
            if settings.auto_deactivate_users]


def _linked_users(rt: Runtime, event: LifecycleEvent
                  ) -> list[tuple[PortalUser, security_settings.SecuritySettings]]:
    """The portal users linked to the event's hub identity, with their company's settings, in
    companies linked to its hub company (an event of another hub company touches nobody)."""
    found = []
    for user in hub_login.portal_users_for_hub_subject(rt, event.issuer, event.subject):
        settings = security_settings.security_settings(rt, user.company_id)
        if (settings.linked and settings.hub_issuer == event.issuer
                and settings.hub_company_id == event.hub_company_id):
            found.append((user, settings))
    return found


def end_sessions(event: LifecycleEvent, user: PortalUser) -> Outcome:
    """An administrator ended the hub user's sessions: end this portal user's (not optional)."""
    ended = sessions.end_all_for_user(user.user_id)
    logs.event("portal_sessions_revoked", event_id=event.event_id, user_id=user.user_id,
               company_id=user.company_id, reason=str(event.detail.get("reason", "")),
               sessions_ended=ended)
    return Outcome(user.user_id, user.company_id, user.status, False, ended)


def _apply(rt: Runtime, event: LifecycleEvent, user: PortalUser, wanted: str) -> Outcome:
    try:
        before, status = _move(user, wanted)
    except LastSecurityAdmin:
        before = status = user.status
        _record_refusal(rt, event, user, wanted)
    changed = status != before
    if changed:
        verb = "Deleted" if status == users.DELETED else "Deactivated"
        security_settings.audit(rt, user.company_id, AUDIT_ACTOR, "Automatic User Deactivation",
                                f"{verb} {user.username}: {REASONS[event.kind]}")
    ended = sessions.end_all_for_user(user.user_id)
    logs.event("portal_deprovisioned", event_id=event.event_id, event_kind=event.kind,
               user_id=user.user_id, company_id=user.company_id, status=status,
               changed=changed, sessions_ended=ended)
    return Outcome(user.user_id, user.company_id, status, changed, ended)


def _record_refusal(rt: Runtime, event: LifecycleEvent, user: PortalUser, wanted: str) -> None:
    """Tell the company's Security Admins what the hub asked and why the portal did not do it."""
    verb = "delete" if wanted == users.DELETED else "deactivate"
    security_settings.audit(
        rt, user.company_id, AUDIT_ACTOR, REFUSED,
        f"Did not {verb} {user.username}, the last active Security Admin, although "
        f"{REASONS[event.kind]}. Make another user Security Admin if they must go.")
    logs.event("portal_deprovisioning_refused", event_id=event.event_id, event_kind=event.kind,
               user_id=user.user_id, company_id=user.company_id)


def _move(user: PortalUser, wanted: str) -> tuple[str, str]:
    """Take the user forward to `wanted`: the status they had just before this event's change,
    and the one they end with (the same when there was nothing left to do).

    Raises LastSecurityAdmin when it would leave the company without an active Security Admin
    (decided by the roster condition inside the transaction, not by an earlier read). When a
    duplicate of the event, or a person, changed the status first, the user is read again.
    """
    for _ in range(MOVE_ATTEMPTS):
        if not _changes(user.status, wanted):
            return user.status, user.status
        try:
            return user.status, users.change_status(user, wanted,
                                                    keep_a_security_admin=True).status
        except ConcurrentChange:
            user = user_store.get_user(user.user_id)
    raise ConcurrentChange()


def _changes(current: str, wanted: str) -> bool:
    """Deactivation and deletion only go forward: active → deactivated → deleted."""
    order = {users.ACTIVE: 0, users.DEACTIVATED: 1, users.DELETED: 2}
    return order.get(wanted, 0) > order.get(current, 0)
