"""Security alerts: the user is told by mail when their password or second factors change.

One function per event (password changed, authenticator set up, push device added or removed,
MFA reset by a Master), each called by the service that made the change, after it succeeded. The
mail says what happened, when (UTC) and from which address and browser or device if known, and
asks the user to contact their Master if it was not them; it carries no link. It only goes on the
mail queue: a user without a mail address gets none (a log line says so), and a queue that
refuses it is logged and never fails the action, whose change is already made (the queue's
consumer retries a failed send).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from chalicelib import logs
from chalicelib.mail import outbox
from chalicelib.mail.message import Mail
from chalicelib.mail.templates import compose
from chalicelib.runtime import Runtime
from chalicelib.storage.hub import users as user_store
from chalicelib.storage.hub.users import HubUser

TEMPLATE = "security_alert"
PASSWORD_CHANGED = "password_changed"
AUTHENTICATOR_ADDED = "authenticator_added"
PUSH_DEVICE_ADDED = "push_device_added"
PUSH_DEVICE_REMOVED = "push_device_removed"
MFA_RESET = "mfa_reset"
SUBJECTS = {
    PASSWORD_CHANGED: "Your Hub password was changed",
    AUTHENTICATOR_ADDED: "An authenticator app was set up for your Hub account",
    PUSH_DEVICE_ADDED: "A push device was added to your Hub account",
    PUSH_DEVICE_REMOVED: "A push device was removed from your Hub account",
    MFA_RESET: "Your Hub 2FA was reset by your Master",
}


@dataclass(frozen=True)
class Origin:
    """Where the change came from, as the request showed it ("" when unknown)."""

    address: str = ""
    device: str = ""


UNKNOWN = Origin()


def password_changed(rt: Runtime, user: HubUser, origin: Origin = UNKNOWN) -> None:
    """The user changed their password on their account page."""
    _alert(rt, user, PASSWORD_CHANGED, origin,
           "The password of your Hub account was changed.",
           "Your other sessions, in the Hub and in the modules, were ended.")


def authenticator_added(rt: Runtime, user: HubUser, origin: Origin = UNKNOWN) -> None:
    """An authenticator app (TOTP) was set up at sign-in."""
    _alert(rt, user, AUTHENTICATOR_ADDED, origin,
           "An authenticator app was set up for 2FA on your Hub account.",
           "Its 2FA tokens now sign you in.")


def push_device_added(rt: Runtime, user_id: str, device: str, origin: Origin = UNKNOWN) -> None:
    """A push device registered itself with a one-time enrollment code (the user is read)."""
    user = _user(user_id, PUSH_DEVICE_ADDED)
    if user is None:
        return
    _alert(rt, user, PUSH_DEVICE_ADDED, origin,
           f"The push device \u201c{device}\u201d was added to your Hub account.",
           "It can now approve your sign-ins.")


def push_device_removed(rt: Runtime, user: HubUser, device: str,
                        origin: Origin = UNKNOWN) -> None:
    """A push device was removed on the account page."""
    _alert(rt, user, PUSH_DEVICE_REMOVED, origin,
           f"The push device \u201c{device}\u201d was removed from your Hub account.",
           "It can no longer approve your sign-ins.")


def mfa_reset(rt: Runtime, user: HubUser, master: HubUser) -> None:
    """A Master reset the user's 2FA (Users page): authenticator and push devices forgotten."""
    _alert(rt, user, MFA_RESET, UNKNOWN,
           f"{master.name}, a Master of {user.company_name}, reset the 2FA of your Hub account.",
           "Your authenticator app and push devices no longer sign you in, and your sessions "
           "were ended. At your next sign-in you will set up an authenticator app again.")


def _user(user_id: str, kind: str) -> HubUser | None:
    """The user to alert, or None (logged) when they cannot be read: the change stands."""
    try:
        return user_store.get_user(user_id)
    except Exception as exc:  # the device is registered; its answer must say so
        logs.event("security_alert_not_queued", kind=kind, user_id=user_id,
                   error=type(exc).__name__)
        return None


def _alert(rt: Runtime, user: HubUser, kind: str, origin: Origin, what: str, then: str) -> None:
    """Queue the alert mail of `kind` for `user`; never raises (the change is already made)."""
    if "@" not in user.email or user.status == "deleted":
        logs.event("security_alert_skipped", kind=kind, user_id=user.user_id,
                   reason="no mail address" if "@" not in user.email else "deleted")
        return
    try:
        outbox.enqueue(rt, _mail(rt, user, kind, origin, what, then))
    except Exception as exc:  # the action succeeded; a refused queue must not undo its answer
        logs.event("security_alert_not_queued", kind=kind, user_id=user.user_id,
                   error=type(exc).__name__)


def _mail(rt: Runtime, user: HubUser, kind: str, origin: Origin, what: str,
          then: str) -> Mail:
    when = rt.clock.now().astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M")
    mail = compose(TEMPLATE, user.email, SUBJECTS[kind], name=user.name, username=user.username,
                   company=user.company_name, what=what, then=then, when=when,
                   address=origin.address[:64], device=origin.device[:200])
    return replace(mail, template=f"{TEMPLATE}.{kind}")
