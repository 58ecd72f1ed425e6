"""The Partner Portal's "Link your accounts" page: the portal password links a hub identity once.

Log In with Hub found portal users with the hub user's email or username that are not linked yet
and could not be linked on the hub's word (`chalicelib.auth.sso.accounts`): the browser is shown
them, and the owner proves one is theirs by typing its portal password. The check uses the
portal login's throttle: one generic error, the attempt taken atomically on the account before the
password is evaluated (a locked account is refused without counting), one hash per request. Only
then is (issuer, subject) linked, audited for the company's Security Admins and signed in, in one
transaction conditional on the company still being linked to the identity's hub company.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib import logs
from chalicelib.auth import passwords, throttle
from chalicelib.auth.session_rules import session_key
from chalicelib.auth.sso import linking
from chalicelib.auth.sso.relying_party import HubIdentity
from chalicelib.errors import LoginFailed
from chalicelib.portal import hub_login, security_settings, sessions, users
from chalicelib.runtime import Runtime
from chalicelib.storage.portal import hub_identities as store
from chalicelib.storage.portal import hub_sign_ins as sign_in_store
from chalicelib.storage.portal import users as user_store
from chalicelib.storage.portal.audit import NewAuditEntry
from chalicelib.storage.portal.users import PortalUser

MODULE = hub_login.MODULE
WRONG_PASSWORD = "The password is incorrect, or this account cannot be linked now."
TAKEN = "That portal account is already linked to another hub account."
NO_LONGER_LINKED = "Log In with Hub is no longer enabled for that partner company."
MAX_PASSWORD = 256


def seal(rt: Runtime, identity: HubIdentity, account_ids: list[str]) -> str:
    """The signed cookie value the Link page reads (the accounts the callback matched)."""
    return linking.seal(rt, MODULE, identity, account_ids)


def accounts_offered(rt: Runtime, cookie: str | None) -> list[PortalUser]:
    """The sealed accounts, for the page (NotAuthenticated when the cookie expired or is forged)."""
    return sign_in_store.users_named(linking.pending(rt, MODULE, cookie).account_ids)


def _prove_password(rt: Runtime, user: PortalUser, password: str) -> None:
    """LoginFailed unless `password` is this active, unlocked account's own portal password.

    The attempt is taken per account (one conditional update) before the password is evaluated,
    whatever the role: here the guesser is whoever holds the hub identity, so a Security Admin's
    link is throttled on the account (their local login, throttled per source, stays open)."""
    usable = user.status == users.ACTIVE and user.password_hash is not None
    taken = usable and user_store.take_login_attempt(user.user_id, throttle.gate(rt.clock.now()))
    right = passwords.verify(user.password_hash if taken else None, password)  # one hash always
    if not (taken and right):
        raise LoginFailed(WRONG_PASSWORD)


@dataclass(frozen=True)
class Linked:
    """A proven link: the session it signed the user in with, and where to go next."""

    token: str
    return_to: str


def link_with_password(rt: Runtime, cookie: str | None, user_id: str, password: str,
                       previous_token: str | None = None) -> Linked:
    """Link the chosen sealed account to the hub identity once its password is proven, and sign
    it in: link, audit entry and session in one transaction, on the condition that its company
    is still linked to the identity's hub company."""
    identity, chosen = linking.pick(rt, MODULE, cookie, user_id)
    user = user_store.get_user(chosen)
    try:
        _prove_password(rt, user, password[:MAX_PASSWORD])
    except LoginFailed:
        logs.event("portal_link_refused", user_id=user.user_id, hub_subject=identity.subject)
        raise
    token, session = sessions.new_session(rt, user, identity.sid)
    outcome = sign_in_store.link_and_sign_in(
        user, identity.issuer, identity.subject, identity.hub_company_id,
        _link_audit(rt, user, identity), session,
        session_key(previous_token) if previous_token else None)
    if outcome == "unlinked":
        raise LoginFailed(NO_LONGER_LINKED)
    if outcome == "identity":
        token = _linked_meanwhile(rt, user, identity, previous_token)
    return Linked(token, identity.return_to)


def _linked_meanwhile(rt: Runtime, user: PortalUser, identity: HubIdentity,
                      previous_token: str | None) -> str:
    """Linked since the page: by this very identity (a second tab) signs in; else TAKEN."""
    if store.owner_of_identity(identity.issuer, identity.subject,
                               user.company_id) != user.user_id:
        raise LoginFailed(TAKEN)
    token, _ = hub_login.complete(rt, user, previous_token, identity.sid)
    return token


def _link_audit(rt: Runtime, user: PortalUser, identity: HubIdentity) -> NewAuditEntry:
    return security_settings.audit_entry(
        rt, user.company_id, f"hub:{identity.username}", "Linked to hub",
        f"{user.username} linked to hub user {identity.username} of "
        f"{identity.hub_company_name} with its portal password")
