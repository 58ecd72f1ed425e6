"""Log In with Hub for IT Docs: which user a hub identity opens, and linking an account.

Applies the shared rule of `chalicelib.auth.sso.accounts.resolve` over IT Docs storage. An IT Docs
account is linked to at most one hub company (a marker), so a hub identity opens at most one
account: the user already linked to (issuer, subject); else, the first time, the user with the same
email when the hub says it is verified and the user is not an Administrator; else, with no user of
that email at all, a new user with the account's default role when the account has automatic user
creation (JIT) on. IT Docs users have no password of their own, so a user with that email who
cannot be linked on the hub's word (unverified email, or an Administrator) is never linked here:
the "Link your accounts" page says so and who can help.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from chalicelib.auth.session_rules import ABSOLUTE_LIFETIME, session_key
from chalicelib.auth.sso import accounts as sso_accounts
from chalicelib.auth.sso import hub_services, linking, relying_party
from chalicelib.auth.sso.relying_party import HubIdentity
from chalicelib.errors import AlreadyExists, Forbidden, InvalidInput, LinkhubError, LoginFailed
from chalicelib.itdocs import audit, sessions
from chalicelib.itdocs.accounts import ACTIVE, ItDocsUser, email_key, new_user
from chalicelib.itdocs.policy import ADMINISTRATOR, can, require
from chalicelib.runtime import Runtime
from chalicelib.storage.itdocs import accounts as account_store
from chalicelib.storage.itdocs import hub_sign_ins as sign_in_store
from chalicelib.storage.itdocs import users as user_store
from chalicelib.storage.itdocs.accounts import Account
from chalicelib.storage.itdocs.sessions import Session
from chalicelib.storage.itdocs.users import User

MODULE = "itdocs"
SSO_SETTINGS = "/itdocs/account/sso"
DEACTIVATED = "Your IT Docs user is deactivated. Ask your IT Docs administrator."


@dataclass(frozen=True)
class Starting:
    """A callback's sign-in: the hub session, and the browser's session it replaces."""

    hub_sid: str | None = None
    previous_token: str | None = None


class ItDocsDirectory:
    """IT Docs users as `sso_accounts.resolve` sees them."""

    def __init__(self, rt: Runtime, starting: Starting | None = None) -> None:
        self.rt = rt
        self.starting = starting
        self.links: sign_in_store.HubLinks | None = None
        self.first: dict[str, sign_in_store.FirstSignIn] = {}
        self.started: tuple[str, Session] | None = None

    def _links(self, identity: HubIdentity) -> sign_in_store.HubLinks:
        """The identity's and its hub company's markers, read once per sign-in."""
        if self.links is None:
            self.links = sign_in_store.hub_links(identity.issuer, identity.subject,
                                                 identity.hub_company_id)
        return self.links

    def _first(self, tenant: str, identity: HubIdentity) -> sign_in_store.FirstSignIn:
        """The account and its user with the identity's email, read once per sign-in."""
        if tenant not in self.first:
            key = email_key(identity.email) if identity.email else ""
            self.first[tenant] = sign_in_store.first_sign_in(tenant, key)
        return self.first[tenant]

    def linked_tenants(self, identity: HubIdentity) -> list[str]:
        account_id = self._links(identity).account_id
        return [account_id] if account_id else []

    def linked_accounts(self, identity: HubIdentity) -> list[User]:
        user = sign_in_store.linked_user(self._links(identity))
        return [user] if user is not None else []

    def first_time_matches(self, identity: HubIdentity,
                           tenants: list[str]) -> list[sso_accounts.Match[User]]:
        if not identity.email:
            return []  # IT Docs users have no usernames: only the email can match
        owners = [self._first(tenant, identity).email_owner for tenant in tenants]
        found = [user_store.find_user(owner) for owner in owners if owner]
        return [sso_accounts.Match(user, user.user_id, same_email=True,
                                   privileged=user.role == ADMINISTRATOR)
                for user in found if user is not None and not user.hub_subject]

    def link(self, identity: HubIdentity, account: User) -> User | None:
        try:
            user_store.link_identity(account.user_id, identity.issuer, identity.subject)
        except AlreadyExists:
            winner = user_store.user_by_identity(identity.issuer, identity.subject)
            return winner if winner is not None and winner.user_id == account.user_id else None
        audit.record(self.rt, account.account_id, identity.email, "user.linked_to_hub",
                     account.email)
        return user_store.get_user(account.user_id)

    def provision(self, identity: HubIdentity, tenants: list[str]) -> User | None:
        for tenant in tenants:
            account = self._first(tenant, identity).account
            if account is not None and account.jit_enabled:
                return self._create(identity, account)
        return None

    def _create(self, identity: HubIdentity, account: Account) -> User | None:
        """The new user, created with its audit entry and (signing in) its first session in one
        transaction; a concurrent first login's user when it won (None: the email is taken)."""
        user = new_user(self.rt, account.account_id,
                        email=identity.email or f"{identity.subject}@hub.invalid",
                        name=identity.name or identity.username or identity.email,
                        role=account.default_role, hub_issuer=identity.issuer,
                        hub_subject=identity.subject)
        started = _new_session(self.rt, user, self.starting)
        if started is not None:
            user = dataclasses.replace(user, last_login_at=user.created_at)
        line = audit.line(self.rt, account.account_id, "Log In with Hub (JIT)", "user.created",
                          f"{user.email} as {user.role}")
        if sign_in_store.create_signed_in(user, email_key(user.email), line,
                                          started[1] if started else None,
                                          _previous_key(self.starting)):
            self.started = started
            return user
        return user_store.user_by_identity(identity.issuer, identity.subject)


def _new_session(rt: Runtime, user: User,
                 starting: Starting | None) -> tuple[str, Session] | None:
    """A new session for the user as a sign-in starts it (None when nobody is signing in)."""
    return _session_for(rt, user, starting.hub_sid) if starting is not None else None


def _session_for(rt: Runtime, user: User, hub_sid: str | None) -> tuple[str, Session]:
    """A new session (not yet stored): its token and record, tied to the hub's session."""
    now = rt.clock.now()
    token = sessions.new_token(rt, user)
    return token, Session(session_key=session_key(token), user_id=user.user_id,
                          account_id=user.account_id, created_at=now, last_seen_at=now,
                          expires_at=now + ABSOLUTE_LIFETIME, hub_sid=hub_sid or None)


def _previous_key(starting: Starting | None) -> str | None:
    return session_key(starting.previous_token) if starting and starting.previous_token else None


def _active(user: User) -> User:
    if user.status != ACTIVE:
        raise LoginFailed(DEACTIVATED)
    return user


def user_for(rt: Runtime, identity: HubIdentity) -> User:
    """The active IT Docs user this hub identity signs in as (NotLinked, NoAccount, LoginFailed)."""
    return _active(sso_accounts.resolve(ItDocsDirectory(rt), identity)[0])


def sign_in(rt: Runtime, identity: HubIdentity, starting: Starting) -> tuple[str, Session]:
    """`user_for`, then the user's session (a just-in-time user's started with its creation)."""
    directory = ItDocsDirectory(rt, starting)
    user = _active(sso_accounts.resolve(directory, identity)[0])
    if directory.started is not None:
        return directory.started
    return start_session(rt, user, hub_sid=starting.hub_sid,
                         previous_token=starting.previous_token)


def start_session(rt: Runtime, user: User, *, hub_sid: str | None = None,
                  previous_token: str | None = None) -> tuple[str, Session]:
    """`sessions.start` for a hub sign-in in one call: the session (tied to the hub's), the
    user's last login and the browser's previous session ended, in one transaction."""
    token, session = _session_for(rt, user, hub_sid)
    sign_in_store.start_hub_session(session, session.created_at,
                                    _previous_key(Starting(hub_sid, previous_token)))
    return token, session


def seal_link(rt: Runtime, identity: HubIdentity, user_ids: list[str]) -> str:
    """The signed cookie value the "Link your accounts" page reads."""
    return linking.seal(rt, MODULE, identity, user_ids)


def link_candidates(rt: Runtime, cookie: str | None) -> tuple[HubIdentity, list[User]]:
    """The identity and the IT Docs users it matched but could not link (NotAuthenticated when
    the sealed cookie expired or is forged)."""
    pending = linking.pending(rt, MODULE, cookie)
    return pending.identity, [user_store.get_user(user_id) for user_id in pending.account_ids]


def launch_url(rt: Runtime) -> str:
    return rt.settings.base_url.rstrip("/") + "/itdocs/sso/launch"


def link_preview(actor: ItDocsUser) -> Account:
    """The account an Administrator is about to link, for the confirmation page (a GET starts
    nothing: only `start_link`, from that page's form, does)."""
    require(actor, "account.manage")
    return account_store.get_account(actor.account_id)


def start_link(rt: Runtime, actor: ItDocsUser) -> tuple[str, str]:
    """An Administrator confirmed linking (a POST with its CSRF token): the hub's authorization
    URL (sign in there as a Master, with purpose "link") and the sealed state cookie; the callback
    then calls `link_account`, which links with automatic user creation off."""
    if link_preview(actor).linked_to_hub:
        raise InvalidInput("This account is already linked to a hub company. Unlink it first.")
    return relying_party.start(rt, MODULE, return_to=SSO_SETTINGS, purpose="link")


def link_account(rt: Runtime, actor: ItDocsUser, identity: HubIdentity) -> None:
    """An Administrator, signed in to the hub as a Master, links this account to the hub company."""
    if not can(actor, "account.manage"):
        raise Forbidden()
    if not identity.is_master:
        raise Forbidden("Only a hub Master can link IT Docs to the hub company.")
    account_store.link_account(actor.account_id, identity.issuer, identity.hub_company_id,
                               identity.hub_company_name)
    try:
        hub_services.link_module(rt, MODULE, access_token=identity.access_token,
                                 launch_url=launch_url(rt))
    except LinkhubError:  # the hub refused or did not answer: undo our half of the link
        account_store.unlink_account(account_store.get_account(actor.account_id))
        raise
    if user_store.user_by_identity(identity.issuer, identity.subject) is None:
        try:
            user_store.link_identity(actor.user_id, identity.issuer, identity.subject)
        except AlreadyExists:
            pass  # this Administrator is already linked to another hub identity
    audit.record(rt, actor.account_id, actor.email, "account.linked_to_hub",
                 identity.hub_company_name)


def unlink_account(rt: Runtime, actor: ItDocsUser) -> None:
    """An Administrator unlinks the account; hub sign-in stops opening it. The unlink and its
    audit entry are one transaction (the account as read with the session, else read now)."""
    require(actor, "account.manage")
    account = actor.account or account_store.get_account(actor.account_id)
    if not account.linked_to_hub:
        return
    sign_in_store.unlink_audited(account, audit.line(
        rt, actor.account_id, actor.email, "account.unlinked_from_hub",
        account.hub_company_name or ""))
    hub_services.unlink_module(rt, MODULE, hub_company_id=account.hub_company_id or "")
