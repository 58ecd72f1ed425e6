"""Portal users: creation, the admins' user list, deactivation, reactivation and deletion."""

from __future__ import annotations

from chalicelib.auth import names, passwords
from chalicelib.errors import Forbidden, InvalidInput, NotFound
from chalicelib.portal import sessions
from chalicelib.portal.policy import ROLES, SECURITY_ADMIN, can
from chalicelib.runtime import Runtime
from chalicelib.storage.portal import companies as company_store
from chalicelib.storage.portal import users as user_store
from chalicelib.storage.portal.companies import PortalCompany
from chalicelib.storage.portal.users import PortalUser

ACTIVE, DEACTIVATED, DELETED = "active", "deactivated", "deleted"
STATUSES = (ACTIVE, DEACTIVATED, DELETED)


def email_key(email: str) -> str:
    """The form an email is looked up by (any company's accounts with that address)."""
    return email.strip().casefold()


def username_key(username: str) -> str:
    """The form a username is unique by (across every partner company)."""
    return names.name_key(username)


def _new_user(rt: Runtime, company: PortalCompany, *, username: str, email: str, name: str,
              role: str, password: str | None) -> PortalUser:
    """A validated user of `company`, not stored yet."""
    username, email = username.strip(), email.strip()
    if not username or len(username) > 64 or "@" in username or any(c.isspace() for c in username):
        raise InvalidInput("Usernames are 1–64 characters, without spaces or @.", field="username")
    names.check_username(username)
    names.check_display_name(name.strip())
    if "@" not in email or len(email) > 254 or any(c.isspace() for c in email):
        raise InvalidInput("Enter a valid email address.", field="email")
    if role not in ROLES:
        raise InvalidInput("Choose a role.", field="role")
    return PortalUser(
        user_id=rt.random.new_id(), company_id=company.company_id, company_name=company.name,
        username=username, email=email, name=name.strip() or username, role=role, status=ACTIVE,
        password_hash=passwords.hash_password(
            password, (username, company.name, email.partition("@")[0], name))
        if password is not None else None,
        created_at=rt.clock.now(), username_key=username_key(username),
        email_key=email_key(email),
    )


def _store(user: PortalUser) -> PortalUser:
    user_store.create_user(user, username_key(user.username), email_key(user.email),
                           security_admin=user.role == SECURITY_ADMIN)
    return user


def create_user(rt: Runtime, actor: PortalUser, *, username: str, email: str, name: str,
                role: str, password: str | None) -> PortalUser:
    """An admin creates a user of their own company, in a role they may give."""
    if not can(actor, "user.create"):
        raise Forbidden()
    company = sessions.carried_company(actor) or company_store.get_company(actor.company_id)
    user = _new_user(rt, company, username=username,
                     email=email, name=name, role=role, password=password)
    if not can(actor, "user.create", user):
        raise Forbidden()
    return _store(user)


def set_up_user(rt: Runtime, company: PortalCompany, *, username: str, email: str, name: str,
                role: str, password: str | None) -> PortalUser:
    """A user made by setup code (demo data, benchmarks, tests), where nobody is signed in.

    `password` None makes an account that cannot log in locally (e.g. created from the hub).
    """
    return _store(_new_user(rt, company, username=username, email=email, name=name, role=role,
                            password=password))


def company_users(actor: PortalUser) -> list[PortalUser]:
    """The actor's company's users (admins only), deleted users last."""
    if not can(actor, "user.list"):
        raise Forbidden()
    found = list(user_store.users_of_company(actor.company_id))
    return sorted(found, key=lambda u: (u.status == DELETED, u.username.casefold()))


def set_status(rt: Runtime, actor: PortalUser, user_id: str, status: str,
               target: PortalUser | None = None) -> PortalUser:
    """Deactivate, reactivate or delete a user; every session of theirs ends at once (the
    status change moves their session epoch on). `target`: the user as read with the actor's
    session (None: read here)."""
    if status not in STATUSES:
        raise InvalidInput("Unknown status.")
    target = target or user_store.get_user(user_id)
    if target.user_id != user_id or target.company_id != actor.company_id:
        raise NotFound("No such user.")
    if not can(actor, "user.manage", target):
        raise Forbidden()
    if target.status == DELETED:
        raise InvalidInput("A deleted user cannot be changed.")
    return change_status(target, status, keep_a_security_admin=True,
                         company=sessions.carried_company(actor))


def change_status(user: PortalUser, status: str, *, keep_a_security_admin: bool,
                  company: PortalCompany | None = None) -> PortalUser:
    """Set the status for the hub's lifecycle events (nobody signed in) and for `set_status`;
    it ends the user's sessions (their session epoch moves on in the same write).

    With `keep_a_security_admin`, a change that would leave the company with no active Security
    Admin raises LastSecurityAdmin (decided by one conditional transaction). `company`: the
    user's company if already read (its roster is then not read again)."""
    if status == user.status:
        return user
    admin = user.role == SECURITY_ADMIN
    guarded = admin and keep_a_security_admin and status != ACTIVE
    if guarded and not (company and company.company_id == user.company_id
                        and company.security_admins is not None):
        _record_roster_once(user.company_id)
    return user_store.change_status(user, status, leaves_roster=admin and user.status == ACTIVE,
                                    joins_roster=admin and status == ACTIVE,
                                    needs_another_admin=guarded)


def _record_roster_once(company_id: str) -> None:
    """Companies created before the roster was kept get it from their users, once."""
    if company_store.get_company(company_id).security_admins is None:
        company_store.start_security_admin_roster(company_id, {
            u.user_id for u in user_store.users_of_company(company_id)
            if u.role == SECURITY_ADMIN and u.status == ACTIVE})
