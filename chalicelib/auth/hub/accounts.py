"""Hub companies and users: creation, status changes, MFA reset, module access, audit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from chalicelib.auth import lifecycle_events as lifecycle
from chalicelib.auth import names, passwords, throttle
from chalicelib.auth.hub import events, security_alerts, sessions
from chalicelib.auth.hub.policy import MODULES, ROLES, can
from chalicelib.auth.hub.push import devices as push_devices
from chalicelib.auth.lifecycle_events import LifecycleEvent
from chalicelib.errors import ConcurrentChange, Forbidden, InvalidInput, NotFound, TooManyRequests
from chalicelib.runtime import Runtime
from chalicelib.storage.hub import companies as company_store
from chalicelib.storage.hub import user_passwords
from chalicelib.storage.hub import users as user_store
from chalicelib.storage.hub.audit import hub_audit
from chalicelib.storage.hub.companies import HubCompany
from chalicelib.storage.hub.users import HubUser
from chalicelib.storage.kit import AuditEntry

STATUSES = ("invited", "active", "deactivated", "deleted")
USER_STATUS_ACTIONS = {"deactivate": "deactivated", "reactivate": "active", "delete": "deleted"}


@dataclass(frozen=True)
class NewUser:
    """What the Users page (or setup code) asks for; checked by `_add_user`."""

    username: str
    email: str
    name: str
    password: str
    role: str
    modules: list[str] | None


def create_company(rt: Runtime, name: str, company_id: str | None = None) -> HubCompany:
    name = name.strip()
    if not name or len(name) > 120:
        raise InvalidInput("Enter a company name (up to 120 characters).", field="company")
    names.check_company_name(name)
    company = HubCompany(
        company_id=company_id or rt.random.new_id(), name=name, created_at=rt.clock.now()
    )
    company_store.create_company(company, names.name_key(name))
    return company


def create_user(
    rt: Runtime,
    actor: HubUser,
    *,
    username: str,
    email: str,
    name: str,
    password: str,
    role: str = "User",
    modules: list[str] | None = None,
    verification: Invitation | None = None,
) -> HubUser:
    """A Master creates a user in their own company (the Users page); `verification` is the link
    that will verify its address, stored with the new user."""
    if not can(actor, "user.create"):
        raise Forbidden()
    company = sessions.company_of(actor)
    return _add_user(rt, company, actor, NewUser(username, email, name, password, role, modules),
                     verification=verification)


@dataclass(frozen=True)
class Invitation:
    """The single-use link a new user is invited with: its token's SHA-256 and its expiry."""

    link_hash: str
    expires_at: dt.datetime


def invite_user(rt: Runtime, actor: HubUser, new: NewUser, invitation: Invitation) -> HubUser:
    """A Master creates a user without a password: invited (no login) until the link is used."""
    if not can(actor, "user.create"):
        raise Forbidden()
    company = sessions.company_of(actor)
    return _add_user(rt, company, actor, new, invitation)


def create_user_at_setup(
    rt: Runtime,
    company: HubCompany,
    *,
    username: str,
    email: str,
    name: str,
    password: str,
    role: str = "User",
    modules: list[str] | None = None,
) -> HubUser:
    """Setup code (demo data, a new company's first users) creates a user; audited as system."""
    return _add_user(rt, company, None, NewUser(username, email, name, password, role, modules))


def _checked(new: NewUser) -> NewUser:
    username, email = new.username.strip(), new.email.strip()
    if not username or len(username) > 64 or any(c.isspace() for c in username):
        raise InvalidInput("Usernames are 1–64 characters without spaces.", field="username")
    names.check_username(username)
    names.check_display_name(new.name.strip())
    email = checked_email(email)
    if new.role not in ROLES:
        raise InvalidInput("Choose a role.", field="role")
    chosen = [m for m in (new.modules or []) if m in MODULES]
    return NewUser(username, email, new.name.strip() or username, new.password, new.role, chosen)


def checked_email(email: str) -> str:
    """The address trimmed, if it looks like one a mail can go to."""
    email = email.strip()
    if "@" not in email or len(email) > 254 or any(c.isspace() for c in email):
        raise InvalidInput("Enter a valid email address.", field="email")
    return email


def _add_user(rt: Runtime, company: HubCompany, actor: HubUser | None, new: NewUser,
              invitation: Invitation | None = None,
              verification: Invitation | None = None) -> HubUser:
    """Create the user, audited in the same transaction; with a password it is active (its email
    unverified, waiting for `verification` if given), with an invitation it is invited and its
    password an unknown random secret's hash."""
    new = _checked(new)
    user = _new_user(rt, company, new, invitation)
    if verification is not None:
        user = replace(user, verification_hash=verification.link_hash,
                       verification_expires_at=verification.expires_at)
    action = "user.invite" if invitation else "user.create"
    entry = audit_entry(rt, company.company_id, actor, action, f"{new.username} ({new.role})")
    user_store.create_user(user, names.login_key(company.name, new.username), entry)
    return user


def _new_user(rt: Runtime, company: HubCompany, new: NewUser,
              invitation: Invitation | None) -> HubUser:
    password_hash = passwords.hash_secret(rt.random.token(32)) if invitation else \
        passwords.hash_password(new.password, (new.username, company.name,
                                               new.email.partition("@")[0], new.name))
    return HubUser(
        user_id=rt.random.new_id(),
        company_id=company.company_id,
        company_name=company.name,
        username=new.username,
        email=new.email,
        name=new.name,
        role=new.role,
        status="invited" if invitation else "active",
        password_hash=password_hash,
        created_at=rt.clock.now(),
        modules=new.modules or [],
        push_devices="none",
        invited_at=rt.clock.now() if invitation else None,
        invitation_hash=invitation.link_hash if invitation else None,
        invitation_expires_at=invitation.expires_at if invitation else None,
    )


def managed_user(actor: HubUser, user_id: str, action: str) -> HubUser:
    """The target user, if the actor may act on them; another company's user is NotFound."""
    target = user_store.get_user(user_id)
    if target.company_id != actor.company_id:
        raise NotFound("No such user.")
    if not can(actor, action, target):
        raise Forbidden()
    return target


def set_status(rt: Runtime, actor: HubUser, user_id: str, status: str) -> HubUser:
    """Deactivate, reactivate or delete; sessions end at once and modules hear of it.

    DynamoDB calls: the target read, one transaction (the status, the audit entry and, unless
    reactivating, the end of every hub session: the epoch moves on)."""
    action = {"deactivated": "user.deactivate", "active": "user.reactivate",
              "deleted": "user.delete"}.get(status)
    if action is None:
        raise InvalidInput("Unknown status.")
    target = managed_user(actor, user_id, action)
    if target.status == "deleted" and status != "deleted":
        raise InvalidInput("A deleted user cannot be reactivated.")
    ending = status != "active"
    updated = _change(rt, actor, target, _status_change(target, status),
                      (action, target.username), end_sessions=ending)
    kind = {"deactivated": lifecycle.USER_DEACTIVATED, "active": lifecycle.USER_REACTIVATED,
            "deleted": lifecycle.USER_DELETED}[status]
    publish(rt, kind, updated)
    if ending:
        publish(rt, lifecycle.SESSIONS_REVOKED, updated, reason={
            "deactivated": lifecycle.REVOKED_BY_DEACTIVATION,
            "deleted": lifecycle.REVOKED_BY_DELETION}[status])
    return updated


def _change(rt: Runtime, actor: HubUser, target: HubUser, changes: dict[str, Any],
            audited: tuple[str, str], end_sessions: bool = False) -> HubUser:
    """Write a change to a user with its audit entry (one transaction); the user as changed."""
    user_store.update_user_audited(target.user_id, changes,
                                   audit_entry(rt, actor.company_id, actor, *audited),
                                   end_sessions=end_sessions)
    epoch = target.session_epoch + (1 if end_sessions else 0)
    return replace(target, **changes, session_epoch=epoch)


def _status_change(target: HubUser, status: str) -> dict[str, object]:
    """The fields a status change writes: a user who never accepted their invitation comes back
    invited, with no live link (a Master sends a new one)."""
    if status == "active" and target.invited_at:
        return {"status": "invited", "invitation_hash": None, "invitation_expires_at": None}
    return {"status": status}


def reset_mfa(rt: Runtime, actor: HubUser, user_id: str) -> HubUser:
    """Forget the user's TOTP secret (and push devices); they enroll again at next login."""
    target = managed_user(actor, user_id, "user.reset_mfa")
    updated = _change(rt, actor, target, {"totp_secret": None, "totp_pending": None,
                                          "totp_last_step": 0},
                      ("user.reset_mfa", target.username), end_sessions=True)
    push_devices.reset(rt, actor, target)
    publish(rt, lifecycle.SESSIONS_REVOKED, updated, reason=lifecycle.REVOKED_BY_MFA_RESET)
    security_alerts.mfa_reset(rt, updated, actor)
    return updated


def set_module_access(
    rt: Runtime, actor: HubUser, user_id: str, module: str, granted: bool
) -> HubUser:
    """Grant or revoke a module: the target read, then one transaction (modules and audit)."""
    if module not in MODULES:
        raise InvalidInput("Unknown module.")
    action = "user.grant_module" if granted else "user.revoke_module"
    target = managed_user(actor, user_id, action)
    modules = sorted([m for m in target.modules if m != module] + ([module] if granted else []))
    updated = _change(rt, actor, target, {"modules": modules},
                      (action, f"{target.username}: {MODULES[module]}"))
    if not granted and module in target.modules:
        publish(rt, lifecycle.ACCESS_REVOKED, updated, module=module)
        publish(rt, lifecycle.SESSIONS_REVOKED, updated, module=module,
                reason=lifecycle.REVOKED_BY_ACCESS_REVOKED)
    return updated


def change_user(
    rt: Runtime, actor: HubUser, user_id: str, action: str, module: str = ""
) -> HubUser:
    """One action of the Users page's row on a user: status, MFA reset, module grant or revoke."""
    if action in USER_STATUS_ACTIONS:
        return set_status(rt, actor, user_id, USER_STATUS_ACTIONS[action])
    if action == "reset_mfa":
        return reset_mfa(rt, actor, user_id)
    if action in {"grant", "revoke"}:
        return set_module_access(rt, actor, user_id, module, action == "grant")
    raise InvalidInput("Unknown action.")


def publish(rt: Runtime, kind: str, user: HubUser, **detail: str) -> None:
    events.publish(
        rt,
        LifecycleEvent(
            event_id=rt.random.new_id(),
            kind=kind,
            issuer=rt.settings.hub_issuer,
            hub_company_id=user.company_id,
            subject=user.user_id,
            at=rt.clock.now(),
            detail={"email": user.email, "username": user.username, **detail},
        )
    )


def audit_entry(rt: Runtime, company_id: str, actor: HubUser | None, action: str,
                detail: str) -> user_store.Audited:
    """An audit entry of now, keyed to sort newest last (to write with its change)."""
    now = rt.clock.now()
    return user_store.Audited(company_id, f"{now.isoformat()}#{rt.random.hex(4)}",
                              AuditEntry(actor.username if actor else "system", action, detail,
                                         now))


def audit(rt: Runtime, company_id: str, actor: HubUser | None, action: str, detail: str) -> None:
    made = audit_entry(rt, company_id, actor, action, detail)
    entry = made.entry
    hub_audit.add_audit(company_id, made.entry_key, entry.actor, entry.action, entry.detail,
                        entry.at)


def audit_log(actor: HubUser) -> list[AuditEntry]:
    if not can(actor, "company.view_audit"):
        raise Forbidden()
    return hub_audit.audit_of(actor.company_id)


def company_users(actor: HubUser) -> list[HubUser]:
    if not can(actor, "user.create"):
        raise Forbidden()
    return list(user_store.users_of_company(actor.company_id))


@dataclass(frozen=True)
class PasswordChange:
    """The account page's form: the current password and the new one twice."""

    current: str
    new: str
    confirmation: str


def change_password(rt: Runtime, actor: HubUser, keep_token: str, change: PasswordChange,
                    origin: security_alerts.Origin = security_alerts.UNKNOWN) -> None:
    """The signed-in user sets a new password with their current one (account page).

    The current password is a guess throttled with the login's password step (same counter). The
    user's other hub sessions end, and every module hears `sessions.revoked` (as after an
    administrative kill); the session of `keep_token` stays. Audited, and the user is mailed.
    DynamoDB calls: the attempt's update, then one transaction: the password's conditional
    update, the end of the other sessions (the session epoch moves on, this session with it) and
    the audit entry.
    """
    if not can(actor, "password.change"):
        raise Forbidden()
    if change.new != change.confirmation:
        raise InvalidInput("The two new passwords differ.", field="password")
    _check_current_password(rt, actor, change.current)
    new_hash = _new_password_hash(actor, change)
    kept = user_passwords.KeptSession(sessions.session_key(keep_token), actor.session_epoch)
    if not user_passwords.replace_password_ending_others(
            actor.user_id, actor.password_hash, new_hash, kept,
            audit_entry(rt, actor.company_id, actor, "user.change_password", actor.username)):
        raise ConcurrentChange("Your password was changed meanwhile. Nothing was changed now.")
    publish(rt, lifecycle.SESSIONS_REVOKED, actor, reason=lifecycle.REVOKED_BY_PASSWORD_CHANGE)
    security_alerts.password_changed(rt, actor, origin)


def _check_current_password(rt: Runtime, actor: HubUser, current: str) -> None:
    """Take one password attempt (refused while a delay runs), then check the current password."""
    if not user_store.take_password_attempt(actor.user_id, throttle.gate(rt.clock.now())):
        raise _too_many_guesses(rt, actor)
    if not passwords.verify(actor.password_hash, current[:256]):
        raise InvalidInput("That is not your current password.", field="current")


def _new_password_hash(actor: HubUser, change: PasswordChange) -> str:
    """The new password's hash under the policy; a refusal still clears the right current
    password's attempt."""
    try:
        if change.new == change.current:
            raise InvalidInput("Choose a password different from your current one.")
        return passwords.hash_password(change.new, (
            actor.username, actor.company_name, actor.email.partition("@")[0], actor.name))
    except InvalidInput as error:
        user_store.record_password_ok(actor.user_id, None)
        raise InvalidInput(error.message, field="password") from error


def _too_many_guesses(rt: Runtime, actor: HubUser) -> TooManyRequests:
    """The wait the actor's counters show (a minute when parallel attempts just closed it)."""
    now = rt.clock.now()
    wait = max(throttle.seconds_left(actor.password_failures, actor.last_password_failure_at, now),
               throttle.seconds_left(actor.failures, actor.last_failure_at, now))
    wait = wait or throttle.FIRST_DELAY
    return TooManyRequests(f"Too many failed attempts. Try again in {max(1, wait // 60)} "
                           "minute(s).", retry_after=wait)
