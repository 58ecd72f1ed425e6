"""Log In with Hub for the Partner Portal: which portal users a hub identity opens.

The portal's side of chalicelib.auth.sso.accounts: accounts linked by (issuer, subject) within the
partner companies linked to the identity's hub company; the first time, users with the same email
or username are matches, linked only on proof (a verified email for users who are neither
Security Admin nor Primary, else the portal password on the "Link your accounts" page,
`hub_linking`); with no match, Automatic User Creation (exactly one user, even when two first
logins race). Also the lookups the hub's lifecycle events need: `portal_users_for_hub_subject`.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.auth.session_rules import session_key
from chalicelib.auth.sso import accounts, tenant_choice
from chalicelib.auth.sso.relying_party import HubIdentity
from chalicelib.errors import AlreadyExists, LoginFailed, NotFound
from chalicelib.portal import security_settings, sessions, users
from chalicelib.portal.policy import ADMINISTRATOR, PRIMARY, SECURITY_ADMIN
from chalicelib.runtime import Runtime
from chalicelib.storage.portal import hub_identities as store
from chalicelib.storage.portal import hub_sign_ins as sign_in_store
from chalicelib.storage.portal import users as user_store
from chalicelib.storage.portal.audit import NewAuditEntry
from chalicelib.storage.portal.companies import PortalCompany
from chalicelib.storage.portal.markers import EmailCopy, LoginFields
from chalicelib.storage.portal.security_settings import SecurityRecord
from chalicelib.storage.portal.sessions import PortalSession
from chalicelib.storage.portal.users import PortalUser

MODULE = "portal"
JIT_ATTEMPTS = 3
# Never linked by email, whatever the hub says: only their portal password links them.
PRIVILEGED_ROLES = frozenset({SECURITY_ADMIN, PRIMARY, ADMINISTRATOR})


@dataclass(frozen=True)
class Chosen:
    """The account picked from a Log In with Hub choice, where to go next, and the hub session."""

    user: PortalUser
    return_to: str
    hub_sid: str


def portal_users_for_hub_subject(rt: Runtime, issuer: str, subject: str) -> list[PortalUser]:
    """Every portal user linked to this hub identity, in any partner company (by index)."""
    found = []
    for user_id, _ in store.users_linked_to_subject(issuer, subject):
        try:
            found.append(user_store.get_user(user_id))
        except NotFound:
            continue
    return found


@dataclass(frozen=True)
class Starting:
    """A callback's sign-in: the hub session, and the browser's session it replaces."""

    hub_sid: str
    previous_token: str | None = None


@dataclass(frozen=True)
class Found:
    """The active users a hub identity opens, and the session a just-in-time creation, or a link
    by the hub's verified email, started with its user (one transaction), when it did. A link
    decided from the email marker's copy starts the session without reading the user: `users`
    is then empty, and `started` names the user."""

    users: list[PortalUser]
    started: tuple[str, PortalSession] | None = None


class PortalDirectory:
    """Portal users as seen by Log In with Hub (see chalicelib.auth.sso.accounts).

    Its first read is the identity's own item with its hub company's link record (one
    BatchGetItem); a linked identity then reads its users, a first sign-in its markers and the
    linked companies (one BatchGetItem each), which may be all a link by a verified email needs
    (`linked_by_email_at_once`). What a read found is kept for the next steps."""

    def __init__(self, rt: Runtime, starting: Starting | None = None) -> None:
        self.rt = rt
        self.starting = starting
        self.start: sign_in_store.HubStart | None = None
        self.first: sign_in_store.FirstSignIn | None = None
        self.tenants: list[tuple[PortalCompany, SecurityRecord]] | None = None
        self.started: tuple[str, PortalSession] | None = None
        self.email_links = 0  # how many first-time matches the hub's verified email links
        self.tenant_ids: list[str] | None = None

    def linked_tenants(self, identity: HubIdentity) -> list[str]:
        if self.first is not None:
            return [company.company_id for company, _ in self.first.tenants]
        if self.start is not None and self.start.tenants is not None:
            return self.start.tenants
        if self.tenant_ids is None:  # a hub link's record from before: its index, once
            self.tenant_ids = security_settings.companies_linked_to(
                self.rt, identity.issuer, identity.hub_company_id)
        return self.tenant_ids

    def linked_accounts(self, identity: HubIdentity) -> list[PortalUser]:
        if self.start is None:
            self.start = sign_in_store.hub_start(identity.issuer, identity.subject,
                                                 identity.hub_company_id)
        links = self.start.links
        if links is None:  # no item yet: new, or linked before the item was kept
            tenants = self.linked_tenants(identity)
            links = self._first_sign_in(identity, tenants).linked if tenants else []
        return [u for u in sign_in_store.linked_users(identity.issuer, identity.hub_company_id,
                                                      links)
                if u.status != users.DELETED]

    def _first_sign_in(self, identity: HubIdentity,
                       tenants: list[str]) -> sign_in_store.FirstSignIn:
        if self.first is None:
            email = users.email_key(identity.email) if identity.email else ""
            self.first = sign_in_store.first_sign_in(tenants, sign_in_store.Looking(
                identity.issuer, identity.subject, identity.hub_company_id,
                _username_key(identity), email))
            self.tenants = self.first.tenants
        return self.first

    def linked_by_email_at_once(self, identity: HubIdentity) -> Found | None:
        """A first sign-in whose verified email names one ordinary, active user by its marker's
        copy: that user linked and signed in by one transaction, which holds only while the
        user item still says what the copy says. None (nothing written) when this cannot be
        told from the markers, or the transaction says otherwise: `accounts.resolve` then
        decides the long way, reading the users."""
        if self.starting is None or not (identity.email_verified and identity.email):
            return None
        self.start = sign_in_store.hub_start(identity.issuer, identity.subject,
                                             identity.hub_company_id)
        tenants = [] if self.start.links else self.linked_tenants(identity)  # none linked yet
        owner = _email_owner(self._first_sign_in(identity, tenants), identity) if tenants else None
        return None if owner is None else _link_at_once(self.rt, identity, owner, self.starting)

    def first_time_matches(self, identity: HubIdentity,
                           tenants: list[str]) -> list[accounts.Match[PortalUser]]:
        email = users.email_key(identity.email) if identity.email else ""
        first = self._first_sign_in(identity, tenants)
        linked = {company.company_id for company, _ in first.tenants}
        matches = [accounts.Match(u, u.user_id, same_email=bool(email)
                                  and users.email_key(u.email) == email,
                                  privileged=u.role in PRIVILEGED_ROLES)
                   for u in sign_in_store.unlinked_users(first.named)
                   if u.company_id in linked and u.status != users.DELETED]
        self.email_links = sum(accounts.links_by_email(identity, m) for m in matches)
        return matches

    def link(self, identity: HubIdentity, account: PortalUser) -> PortalUser | None:
        if self.starting and self.email_links == 1 and account.status == users.ACTIVE:
            return self._link_signed_in(identity, account, self.starting)
        try:
            store.link_identity(account.user_id, account.company_id, identity.issuer,
                                identity.subject, self.rt.clock.now())
            return account
        except AlreadyExists:
            owner = store.owner_of_identity(identity.issuer, identity.subject,
                                            account.company_id)
            return user_store.get_user(owner) if owner else None

    def _link_signed_in(self, identity: HubIdentity, account: PortalUser,
                        starting: Starting) -> PortalUser | None:
        """The one account the verified email links, linked and signed in in one transaction
        (conditional on its company still being linked); the identity's owner when another
        request linked it first."""
        token, session = sessions.new_session(self.rt, account, starting.hub_sid)
        outcome = sign_in_store.link_and_sign_in(
            account, identity.issuer, identity.subject, identity.hub_company_id, None, session,
            _previous_key(starting))
        if outcome == "linked":
            self.started = (token, session)
            return account
        owner = None if outcome == "unlinked" else store.owner_of_identity(
            identity.issuer, identity.subject, account.company_id)
        return user_store.get_user(owner) if owner else None

    def provision(self, identity: HubIdentity, tenants: list[str]) -> PortalUser | None:
        known = self.tenants if self.tenants is not None else sign_in_store.tenants(tenants)
        allowing = [(company, record) for company, record in known if record.auto_create_users]
        if len(allowing) != 1:  # none, or no way to tell which company the user belongs to
            return None
        company, record = allowing[0]
        role = (record.default_role if record.default_role in security_settings.JIT_ROLES
                else security_settings.DEFAULT_JIT_ROLE)
        created = create_just_in_time(self.rt, company.company_id, company.name, identity, role,
                                      self.starting)
        self.started = created.started
        return created.users[0]


def _email_owner(first: sign_in_store.FirstSignIn, identity: HubIdentity) -> EmailCopy | None:
    """The one user a verified email links, as its marker's copy tells, when nothing the copies
    do not tell could change that: one email owner in the linked companies, active, not
    privileged, with that very email; no link from before the identity's item; and the
    username naming nobody else in those companies."""
    linked = {company.company_id for company, _ in first.tenants}
    owners = [copy for _, copy in first.by_email if copy is None or copy.company_id in linked]
    if first.linked or len(owners) != 1 or owners[0] is None:
        return None
    owner = owners[0]
    if (owner.status != users.ACTIVE or owner.role in PRIVILEGED_ROLES
            or users.email_key(owner.email) != users.email_key(identity.email)):
        return None
    by_username = first.username_owner
    if by_username is not None and by_username[0] != owner.user_id and (
            by_username[1] is None or by_username[1] in linked):
        return None
    return owner


def _link_at_once(rt: Runtime, identity: HubIdentity, owner: EmailCopy,
                  starting: Starting) -> Found | None:
    """Link and sign in the user the email marker's copy names (one transaction); when another
    request linked this identity first, its user; None when the user item said otherwise."""
    fields = LoginFields(owner.user_id, owner.company_id, owner.role, owner.status, None,
                         owner.session_epoch)
    token, session = sessions.new_session(rt, fields, starting.hub_sid)
    outcome = sign_in_store.link_and_sign_in(owner, identity.issuer, identity.subject,
                                             identity.hub_company_id, None, session,
                                             _previous_key(starting))
    if outcome == "linked":
        return Found([], (token, session))
    winner = None if outcome == "unlinked" else store.owner_of_identity(
        identity.issuer, identity.subject, owner.company_id)
    return Found([user_store.get_user(winner)]) if winner else None


def _username_key(identity: HubIdentity) -> str:
    """The key of the identity's hub username, when it can be a portal username."""
    if identity.username and "@" not in identity.username:
        return users.username_key(identity.username)
    return ""


def _jit_username(identity: HubIdentity, suffix: str) -> str:
    base = "".join(ch for ch in (identity.username or identity.email.split("@")[0])
                   if not ch.isspace() and ch != "@")[:48] or "hub-user"
    return f"{base}-{suffix}" if suffix else base


def _jit_user(rt: Runtime, company_id: str, company_name: str, identity: HubIdentity,
              role: str, username: str) -> PortalUser:
    """The just-in-time user as it will be stored (signed in now when a sign-in creates it)."""
    now = rt.clock.now()
    return PortalUser(
        user_id=rt.random.new_id(), company_id=company_id, company_name=company_name,
        username=username, email=identity.email, name=identity.name or username, role=role,
        status=users.ACTIVE, password_hash=None, created_at=now, last_login_at=now,
        username_key=users.username_key(username), email_key=users.email_key(identity.email),
    )


def _first_session(rt: Runtime, user: PortalUser,
                   starting: Starting | None) -> tuple[str, PortalSession] | None:
    return sessions.new_session(rt, user, starting.hub_sid) if starting else None


def create_just_in_time(rt: Runtime, company_id: str, company_name: str,
                        identity: HubIdentity, role: str,
                        starting: Starting | None = None) -> Found:
    """One new user linked to the identity, its audit entry and (when signing in) its first
    session, in one transaction; a concurrent first login's user (no session) when it won."""
    suffix = ""
    for _ in range(JIT_ATTEMPTS):
        user = _jit_user(rt, company_id, company_name, identity, role,
                         _jit_username(identity, suffix))
        started = _first_session(rt, user, starting)
        outcome = store.create_user_with_identity(
            user, user.username_key or "", users.email_key(identity.email),
            issuer=identity.issuer, subject=identity.subject, now=user.created_at,
            audit=_jit_audit(rt, company_id, identity, user),
            session=started[1] if started else None,
            previous_key=_previous_key(starting))
        if outcome == "created":
            return Found([user], started)
        owner = store.owner_of_identity(identity.issuer, identity.subject, company_id)
        if owner:
            return Found([user_store.get_user(owner)])
        if outcome == "taken":  # the username belongs to someone else: try a distinct one
            suffix = rt.random.hex(3)
    raise LoginFailed("Your portal account could not be created automatically. "
                      "Ask your administrator to create it.")


def _jit_audit(rt: Runtime, company_id: str, identity: HubIdentity,
               user: PortalUser) -> NewAuditEntry:
    return security_settings.audit_entry(rt, company_id, f"hub:{identity.username}",
                                         "Automatic User Creation",
                                         f"Created {user.username} with role {user.role}")


def _previous_key(starting: Starting | None) -> str | None:
    return session_key(starting.previous_token) if starting and starting.previous_token else None


def sign_in(rt: Runtime, identity: HubIdentity, starting: Starting) -> Found:
    """The active portal users this hub identity opens (NoAccount / NotLinked / LoginFailed /
    LinkRequired); a just-in-time user comes with its session already started."""
    directory = PortalDirectory(rt, starting)
    at_once = directory.linked_by_email_at_once(identity)
    if at_once is not None:
        return at_once
    return Found(_active(accounts.resolve(directory, identity)), directory.started)


def accounts_for(rt: Runtime, identity: HubIdentity) -> list[PortalUser]:
    """The active portal users this hub identity opens, no session started (see `sign_in`)."""
    return _active(accounts.resolve(PortalDirectory(rt), identity))


def _active(found: list[PortalUser]) -> list[PortalUser]:
    """The active ones by company name; LoginFailed when none is."""
    active = [u for u in found if u.status == users.ACTIVE]
    if not active:
        raise LoginFailed("Your portal account is not active. Ask your administrator.")
    return sorted(active, key=lambda u: u.company_name.casefold())


def complete(rt: Runtime, user: PortalUser, previous_token: str | None,
             hub_sid: str) -> tuple[str, PortalSession]:
    """The hub signed this user in: a portal session tied to the hub's, the failures reset and
    the hub login noted, in one transaction."""
    token, session = sessions.new_session(rt, user, hub_sid)
    sign_in_store.start_hub_session(session, rt.clock.now(), session_key(previous_token)
                                    if previous_token else None)
    return token, session


def seal_choice(rt: Runtime, found: list[PortalUser], identity: HubIdentity) -> str:
    """A signed, short-lived list of the accounts this hub identity opens."""
    return tenant_choice.seal(rt, MODULE, [u.user_id for u in found], identity.return_to,
                              identity.sid)


def accounts_offered(rt: Runtime, cookie: str | None) -> list[PortalUser]:
    """The accounts the sealed choice lists, for the page where the user picks one."""
    user_ids, _ = tenant_choice.offered(rt, MODULE, cookie)
    return sign_in_store.users_named(user_ids)


def choose(rt: Runtime, cookie: str | None, user_id: str) -> Chosen:
    """One of the accounts the sealed choice offers, still active; any other id is refused."""
    chosen, return_to = tenant_choice.pick(rt, MODULE, cookie, user_id)
    user = user_store.get_user(chosen)
    if user.status != users.ACTIVE:
        raise LoginFailed("That portal account is not active.")
    return Chosen(user, return_to, tenant_choice.hub_session(rt, MODULE, cookie))
