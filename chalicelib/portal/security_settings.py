"""Admin > Security Settings, section Single Sign-on (SSO): the hub link and what needs it.

Only a Security Admin changes anything here. Enabling Login with Hub is finished by a hub Master
user (the hub refuses anyone else); the portal company is then linked to that hub company. Require
Log In with Hub, Automatic User Creation and Automatic User Deactivation need the link, and
disabling the link turns them off. Every change is audited with who, when and what.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from chalicelib.auth.sso import exemptions, hub_services, relying_party
from chalicelib.auth.sso.relying_party import HubIdentity
from chalicelib.errors import Forbidden, InvalidInput, NotFound
from chalicelib.portal import sessions, users
from chalicelib.portal.policy import (
    ADMINISTRATOR,
    PRIMARY,
    READ_ONLY,
    SECURITY_ADMIN,
    TECHNICIAN,
    can,
)
from chalicelib.runtime import Runtime
from chalicelib.storage.kit import AuditEntry
from chalicelib.storage.portal import security_settings as store
from chalicelib.storage.portal import users as portal_store
from chalicelib.storage.portal.audit import NewAuditEntry, portal_security_audit
from chalicelib.storage.portal.security_settings import AuditedChange, SecurityRecord
from chalicelib.storage.portal.users import PortalUser

MODULE = "portal"
ALWAYS_EXEMPT_ROLES = frozenset({SECURITY_ADMIN, PRIMARY})
# Roles automatic creation may give, lowest first; the guarded roles are never given automatically.
JIT_ROLES = (READ_ONLY, TECHNICIAN, ADMINISTRATOR)
DEFAULT_JIT_ROLE = READ_ONLY
ONLY_SECURITY_ADMINS = "Only a Security Admin can view or change security settings."


@dataclass(frozen=True)
class SecuritySettings:
    """A partner company's Log In with Hub settings."""

    hub_issuer: str | None
    hub_company_id: str | None
    require_hub_login: bool
    auto_create_users: bool
    default_role: str
    auto_deactivate_users: bool
    exceptions: set[str] = field(default_factory=set)
    updated_at: dt.datetime | None = None
    hub_company_name: str | None = None
    linked_at: dt.datetime | None = None
    updated_by: str | None = None
    hub_unlink_pending: bool = False  # disabled; the hub has not confirmed it unlinked yet

    @property
    def linked(self) -> bool:
        return bool(self.hub_issuer and self.hub_company_id)

    @property
    def policy(self) -> exemptions.RequirePolicy:
        return exemptions.RequirePolicy(self.linked and self.require_hub_login,
                                        frozenset(self.exceptions), ALWAYS_EXEMPT_ROLES)


def _settings(record: SecurityRecord) -> SecuritySettings:
    role = record.default_role if record.default_role in JIT_ROLES else DEFAULT_JIT_ROLE
    return SecuritySettings(
        hub_issuer=record.hub_issuer, hub_company_id=record.hub_company_id,
        require_hub_login=record.require_hub_login, auto_create_users=record.auto_create_users,
        default_role=role, auto_deactivate_users=record.auto_deactivate_users,
        exceptions=set(record.exceptions), updated_at=record.updated_at,
        hub_company_name=record.hub_company_name, linked_at=record.linked_at,
        updated_by=record.updated_by, hub_unlink_pending=record.hub_unlink_pending,
    )


def security_settings(rt: Runtime, company_id: str) -> SecuritySettings:
    """The company's settings (one consistent read), for flows where nobody is signed in yet."""
    return _settings(store.get_settings(company_id))


def settings_of(rt: Runtime, actor: PortalUser) -> SecuritySettings:
    """The signed-in actor's company's settings: as read with the session, else one read."""
    carried = sessions.carried_settings(actor)
    return _settings(carried) if carried is not None else security_settings(rt, actor.company_id)


def linked_to_hub(rt: Runtime, actor: PortalUser) -> bool:
    """True when the actor's company has Login with Hub on (the banner shows the hub's apps)."""
    if not can(actor, "portal.use"):
        raise Forbidden()
    return settings_of(rt, actor).linked


def companies_linked_to(rt: Runtime, issuer: str, hub_company_id: str) -> list[str]:
    """Ids of the partner companies linked to this hub company (one index query)."""
    return store.companies_linked_to(issuer, hub_company_id)


# -- who must use the hub --------------------------------------------------------------------------
def must_use_hub(rt: Runtime, user: PortalUser,
                 settings: SecuritySettings | None = None) -> bool:
    """True when the local login must refuse this user (Require on, and no exemption).

    Only the user's own company decides (its settings, its User Exceptions, the user's role):
    accounts in other partner companies never change it (see chalicelib.auth.sso.exemptions).
    """
    settings = settings or security_settings(rt, user.company_id)
    return exemptions.must_use_hub(settings.policy, account_id=user.user_id, role=user.role)


@dataclass(frozen=True)
class UserRow:
    """One line of the User Exceptions table."""

    user: PortalUser
    exception: bool
    always_exempt: str | None


def exception_rows(rt: Runtime, actor: PortalUser,
                   settings: SecuritySettings) -> list[UserRow]:
    """One row per live user of the actor's company, by username (Security Admins only)."""
    _require_security_admin(actor)
    policy = settings.policy
    rows = []
    for user in portal_store.users_of_company(actor.company_id):
        if user.status == users.DELETED:
            continue
        reason = exemptions.always_exempt(policy, role=user.role)
        rows.append(UserRow(user, user.user_id in settings.exceptions, reason))
    return sorted(rows, key=lambda r: r.user.username.casefold())


# -- changes (Security Admin only, each audited) ---------------------------------------------------
def _require_security_admin(actor: PortalUser,
                            message: str = "Only a Security Admin can change security settings."
                            ) -> None:
    if not can(actor, "security.manage"):
        raise Forbidden(message)


def audit_entry(rt: Runtime, company_id: str, actor: str, action: str,
                detail: str) -> NewAuditEntry:
    """One security change's record: who (a username, `hub` or `hub:<name>`), what and when."""
    now = rt.clock.now()
    return NewAuditEntry(company_id, f"{now.isoformat()}#{rt.random.hex(4)}", actor, action,
                         detail, now)


def audit(rt: Runtime, company_id: str, actor: str, action: str, detail: str) -> None:
    """Record one security change (see `audit_entry`) on its own."""
    entry = audit_entry(rt, company_id, actor, action, detail)
    portal_security_audit.add_audit(entry.company_id, entry.entry_key, entry.actor, entry.action,
                                    entry.detail, entry.at)


def audit_trail(rt: Runtime, actor: PortalUser) -> list[AuditEntry]:
    """The company's security audit trail (Security Admins only)."""
    _require_security_admin(actor)
    return portal_security_audit.audit_of(actor.company_id)


@dataclass(frozen=True)
class SecurityOverview:
    """What Admin > Security Settings shows: the settings, the User Exceptions, the audit trail."""

    settings: SecuritySettings
    rows: list[UserRow]
    audit: list[AuditEntry]


def overview(rt: Runtime, actor: PortalUser, *, fresh: bool = False) -> SecurityOverview:
    """The actor's company's security settings page (Security Admins only); `fresh` reads the
    settings again (after a change was tried, the ones read with the session may be old)."""
    _require_security_admin(actor, ONLY_SECURITY_ADMINS)
    settings = security_settings(rt, actor.company_id) if fresh else settings_of(rt, actor)
    rows = exception_rows(rt, actor, settings) if settings.linked else []
    return SecurityOverview(settings, rows, audit_trail(rt, actor))


def _write(rt: Runtime, actor: PortalUser, current: SecuritySettings,
           lines: list[tuple[str, str]], options: dict[str, Any] | None = None,
           exception: tuple[str, bool] | None = None) -> SecuritySettings:
    """Store a change with its audit lines and the hub's insights marked due, in one write; the
    portal tick publishes them (within about five minutes): the request never waits on the hub."""
    now = rt.clock.now()
    audits = [audit_entry(rt, actor.company_id, actor.username, *line) for line in lines]
    issuer, hub_company = current.hub_issuer, current.hub_company_id
    link = (issuer, hub_company) if issuer and hub_company else None
    store.write_audited(AuditedChange(actor.company_id, now, actor.username, audits,
                                      dict(options or {}), exception, link))
    return _changed_settings(current, now, actor.username, options or {}, exception)


def _changed_settings(current: SecuritySettings, now: dt.datetime, actor: str,
                      options: dict[str, Any],
                      exception: tuple[str, bool] | None) -> SecuritySettings:
    """The settings as the change left them (a transaction returns no item)."""
    exceptions = set(current.exceptions)
    if exception is not None:
        user_id, added = exception
        exceptions = exceptions | {user_id} if added else exceptions - {user_id}
    return dataclasses.replace(current, exceptions=exceptions, updated_at=now, updated_by=actor,
                               **options)


def _on_off(value: bool) -> str:
    return "on" if value else "off"


def start_link(rt: Runtime, actor: PortalUser, return_to: str,
               fresh_login: bool = False) -> tuple[str, str]:
    """(hub authorize URL, state cookie) of a sign-in that will enable Login with Hub.

    `fresh_login` asks the hub to show its login even to a signed-in browser (`prompt=login`):
    "Sign in as a different hub user"."""
    _require_security_admin(actor, ONLY_SECURITY_ADMINS)
    return relying_party.start(rt, MODULE, return_to=return_to, purpose="link",
                               prompt="login" if fresh_login else None)


def _linkable(rt: Runtime, actor: PortalUser, identity: HubIdentity) -> SecuritySettings:
    """The actor's settings, when a Security Admin may link them to `identity`'s hub company."""
    _require_security_admin(actor)
    if identity.purpose != "link":
        raise InvalidInput("This sign-in was not started to enable Login with Hub.")
    if not identity.is_master:
        raise Forbidden("Only a Master user of the hub can enable Login with Hub. "
                        "Ask a hub Master to sign in when enabling it.")
    current = settings_of(rt, actor)
    if current.linked and current.hub_company_id != identity.hub_company_id:
        raise InvalidInput("This company is linked to another hub company. Disable that link "
                           "first.")
    return current


def complete_link(rt: Runtime, actor: PortalUser, identity: HubIdentity) -> SecuritySettings:
    """Link the actor's company to the hub company of `identity` (a hub Master just signed in):
    after the hub linked the module, the link, its audit entry and the hub link's insights
    marked due in one write (the portal tick publishes them)."""
    current = _linkable(rt, actor, identity)
    launch_url = rt.settings.base_url.rstrip("/") + "/portal/sso/launch"
    hub_services.link_module(rt, MODULE, access_token=identity.access_token,
                             launch_url=launch_url)
    now = rt.clock.now()
    detail = (f"Linked to hub company {identity.hub_company_name} by hub Master "
              f"{identity.username}")
    store.link_company(actor.company_id, issuer=identity.issuer,
                       hub_company_id=identity.hub_company_id,
                       hub_company_name=identity.hub_company_name, now=now, actor=actor.username,
                       audit=audit_entry(rt, actor.company_id, actor.username,
                                         "Enabled Login with Hub", detail))
    return dataclasses.replace(current, hub_issuer=identity.issuer,
                               hub_company_id=identity.hub_company_id,
                               hub_company_name=identity.hub_company_name, linked_at=now,
                               updated_at=now, updated_by=actor.username)


UNLINKED = ("Require Log In with Hub, Automatic User Creation and Automatic User Deactivation "
            "turned off")


def disable_link(rt: Runtime, actor: PortalUser) -> SecuritySettings:
    """Unlink from the hub; Require, Automatic Creation and Deactivation turn off with it, in one
    write with its audit entry and the hub's unlink marked pending: the portal tick asks the hub
    to forget the module's link when no other partner company uses it, until the hub confirms
    (`hub_unlink`), or publishes the insights of those still linked."""
    current = _needs_link(rt, actor, "Login with Hub is not enabled.")
    issuer, hub_company_id = current.hub_issuer or "", current.hub_company_id or ""
    now = rt.clock.now()
    store.unlink_company(actor.company_id, issuer=issuer, hub_company_id=hub_company_id, now=now,
                         actor=actor.username,
                         audit=audit_entry(rt, actor.company_id, actor.username,
                                           "Disabled Login with Hub", UNLINKED))
    return dataclasses.replace(
        current, hub_issuer=None, hub_company_id=None, hub_company_name=None, linked_at=None,
        require_hub_login=False, auto_create_users=False, auto_deactivate_users=False,
        updated_at=now, updated_by=actor.username, hub_unlink_pending=True)


def _needs_link(rt: Runtime, actor: PortalUser,
                unlinked: str = "Enable Login with Hub first.") -> SecuritySettings:
    """The current settings, for a Security Admin of a company linked to a hub (else
    InvalidInput with `unlinked`)."""
    _require_security_admin(actor)
    current = settings_of(rt, actor)
    if not current.linked:
        raise InvalidInput(unlinked)
    return current


def set_require(rt: Runtime, actor: PortalUser, on: bool) -> SecuritySettings:
    """Turn Require Log In with Hub on or off."""
    current = _needs_link(rt, actor)
    return _write(rt, actor, current, [("Require Log In with Hub", _on_off(on))],
                  {"require_hub_login": on})


def set_exception(rt: Runtime, actor: PortalUser, user_id: str,
                  exception: bool) -> SecuritySettings:
    """Add (+) or delete (bin) a user's exception: Yes keeps their local login."""
    current = _needs_link(rt, actor)
    if not user_id:
        raise NotFound("No such user.")
    target = portal_store.get_user(user_id)
    if target.company_id != actor.company_id or target.status == users.DELETED:
        raise NotFound("No such user.")
    action = "Added user exception" if exception else "Deleted user exception"
    return _write(rt, actor, current, [(action, target.username)],
                  exception=(user_id, exception))


def set_auto_create(rt: Runtime, actor: PortalUser, on: bool,
                    default_role: str) -> SecuritySettings:
    """Turn Automatic User Creation on or off, with the role new users get."""
    _require_security_admin(actor)
    if default_role not in JIT_ROLES:
        raise InvalidInput("Choose Read Only, Technician or Administrator as the default role.",
                           field="default_role")
    current = _needs_link(rt, actor)
    return _write(rt, actor, current, [("Automatic User Creation",
                                        f"{_on_off(on)}, default role {default_role}")],
                  {"auto_create_users": on, "default_role": default_role})


@dataclass(frozen=True)
class Choices:
    """What the one Security Settings form asks for: the three toggles and the default role."""

    require_hub_login: bool
    auto_create_users: bool
    default_role: str
    auto_deactivate_users: bool


CHOICES = ("require_hub_login", "auto_create_users", "default_role", "auto_deactivate_users")


def _changed(current: SecuritySettings, choices: Choices,
             shown: Choices | None) -> dict[str, object]:
    """The settings the user changed on the form (against what it showed) that differ from
    what is stored: only those are written, so a form left open never reverts another
    Security Admin's later change of a setting this user did not touch."""
    before = shown or current
    return {name: getattr(choices, name) for name in CHOICES
            if getattr(choices, name) != getattr(before, name)
            and getattr(choices, name) != getattr(current, name)}


def _audit_lines(changes: dict[str, object], choices: Choices) -> list[tuple[str, str]]:
    """One audit line per setting the form changed (creation and its role are one setting)."""
    lines = []
    if "require_hub_login" in changes:
        lines.append(("Require Log In with Hub", _on_off(choices.require_hub_login)))
    if "auto_create_users" in changes or "default_role" in changes:
        lines.append(("Automatic User Creation",
                      f"{_on_off(choices.auto_create_users)}, default role {choices.default_role}"))
    if "auto_deactivate_users" in changes:
        lines.append(("Automatic User Deactivation", _on_off(choices.auto_deactivate_users)))
    return lines


def save(rt: Runtime, actor: PortalUser, choices: Choices,
         shown: Choices | None = None) -> SecuritySettings:
    """Keep every change of the form in one write; each changed setting is audited on its own.

    `shown` is what the form showed when it was loaded (None: compare with what is stored)."""
    current = _needs_link(rt, actor)
    if choices.default_role not in JIT_ROLES:
        raise InvalidInput("Choose Read Only, Technician or Administrator as the default role.",
                           field="default_role")
    changes = _changed(current, choices, shown)
    if not changes:
        return current
    return _write(rt, actor, current, _audit_lines(changes, choices), changes)


def set_auto_deactivate(rt: Runtime, actor: PortalUser, on: bool) -> SecuritySettings:
    """Turn Automatic User Deactivation on or off."""
    current = _needs_link(rt, actor)
    return _write(rt, actor, current, [("Automatic User Deactivation", _on_off(on))],
                  {"auto_deactivate_users": on})

