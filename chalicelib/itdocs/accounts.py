"""IT Docs accounts and their users: creation, roles, status, and the account's sign-in settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from chalicelib.auth import names
from chalicelib.errors import InvalidInput, NotFound
from chalicelib.itdocs import audit
from chalicelib.itdocs.policy import ADMINISTRATOR, DEFAULT_ROLE, ROLES, require
from chalicelib.runtime import Runtime
from chalicelib.storage.itdocs import accounts as account_store
from chalicelib.storage.itdocs import users as user_store
from chalicelib.storage.itdocs.accounts import Account
from chalicelib.storage.itdocs.users import User

ACTIVE = "active"
DEACTIVATED = "deactivated"
DELETED = "deleted"
MAX_NAME = 120


@dataclass(frozen=True)
class ItDocsUser:
    """The signed-in user as every IT Docs page and service sees them."""

    account_id: str
    user_id: str
    role: str
    email: str
    name: str
    account: Account | None = field(default=None, compare=False, repr=False)
    """The user's account as read with the session (None: not read with it)."""

    @classmethod
    def of(cls, user: User, account: Account | None = None) -> ItDocsUser:
        carried = account if account is not None and account.account_id == user.account_id \
            else None
        return cls(user.account_id, user.user_id, user.role, user.email, user.name, carried)


def email_key(email: str) -> str:
    return email.strip().lower()


def _clean_name(name: str, what: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise InvalidInput(f"Enter a {what}.", field="name")
    if len(cleaned) > MAX_NAME:
        raise InvalidInput(f"Use at most {MAX_NAME} characters for the {what}.", field="name")
    return names.check_visible(cleaned, field="name", what=what)


def _check_email(email: str) -> str:
    email = email.strip()
    local, _, domain = email.partition("@")
    if not local or "." not in domain or " " in email or len(email) > 254:
        raise InvalidInput(f"{email or 'That'} is not an email address.", field="email")
    return email


def create_account(rt: Runtime, name: str, *, default_role: str = DEFAULT_ROLE,
                   jit_enabled: bool = False, hub_issuer: str | None = None,
                   hub_company_id: str | None = None,
                   hub_company_name: str | None = None) -> Account:
    """A new IT Docs account (tenant), linked to a hub company when one is given; automatic user
    creation stays off unless asked for."""
    if default_role not in ROLES:
        raise InvalidInput("Unknown role.", field="default_role")
    account = Account(account_id=rt.random.hex(8), name=_clean_name(name, "account name"),
                      default_role=default_role, jit_enabled=jit_enabled,
                      created_at=rt.clock.now(), hub_issuer=hub_issuer,
                      hub_company_id=hub_company_id, hub_company_name=hub_company_name)
    account_store.create_account(account)
    return account


def create_user(rt: Runtime, account_id: str, *, email: str, name: str, role: str,
                hub_issuer: str | None = None, hub_subject: str | None = None,
                actor: str = "system") -> User:
    """A user of the account; AlreadyExists when the email (or hub identity) is taken."""
    user = new_user(rt, account_id, email=email, name=name, role=role, hub_issuer=hub_issuer,
                    hub_subject=hub_subject)
    user_store.create_user(user, email_key(user.email))
    audit.record(rt, account_id, actor, "user.created", f"{email} as {role}")
    return user


def new_user(rt: Runtime, account_id: str, *, email: str, name: str, role: str,
             hub_issuer: str | None = None, hub_subject: str | None = None) -> User:
    """A new user of the account, checked (InvalidInput) but not yet stored."""
    if role not in ROLES:
        raise InvalidInput("Unknown role.", field="role")
    return User(user_id=rt.random.hex(8), account_id=account_id, email=_check_email(email),
                name=_clean_name(name, "name"), role=role, status=ACTIVE,
                created_at=rt.clock.now(), hub_issuer=hub_issuer, hub_subject=hub_subject)


def users_of(actor: ItDocsUser) -> list[User]:
    """The account's users, by email (Administrators only)."""
    require(actor, "user.manage")
    return sorted(user_store.users_of_account(actor.account_id), key=lambda u: u.email.lower())


def set_role(rt: Runtime, actor: ItDocsUser, user_id: str, role: str) -> User:
    """An Administrator changes another user's role in the same account."""
    require(actor, "user.manage")
    if role not in ROLES:
        raise InvalidInput("Unknown role.", field="role")
    target = user_store.get_user(user_id)
    if target.account_id != actor.account_id:
        raise NotFound("No such user.")
    if target.user_id == actor.user_id and role != ADMINISTRATOR:
        raise InvalidInput("You cannot take away your own Administrator role.")
    return user_store.change_role(target, role, audit.line(
        rt, actor.account_id, actor.email, "user.role", f"{target.email} -> {role}"))


def update_sign_in(rt: Runtime, actor: ItDocsUser, *, default_role: str, jit_enabled: bool) -> None:
    """The account's just-in-time provisioning settings (Administrators only, audited)."""
    require(actor, "account.manage")
    if default_role not in ROLES:
        raise InvalidInput("Unknown role.", field="default_role")
    account_store.update_account(actor.account_id, default_role=default_role,
                                 jit_enabled=jit_enabled)
    audit.record(rt, actor.account_id, actor.email, "account.sign_in",
                 f"JIT {'on' if jit_enabled else 'off'}, default role {default_role}")


def account_of(actor: ItDocsUser) -> Account:
    """The user's own account: its name and hub link, as every page's banner shows them."""
    require(actor, "itdocs.use")
    return actor.account or account_store.get_account(actor.account_id)


def sign_in_settings(actor: ItDocsUser) -> Account:
    """The account with its sign-in settings, as Account > Single Sign-on shows them
    (Administrators only)."""
    require(actor, "account.manage")
    return actor.account or account_store.get_account(actor.account_id)
