"""The Partner Portal's "Link your accounts" page: the portal password links a hub identity once.

Log In with Hub found portal users with the hub user's email or username that are not linked yet
and could not be linked on the hub's word (`chalicelib.auth.sso.accounts`): the browser is shown
them, and the owner proves one is theirs by typing its portal password. The check uses the
portal login's throttle: one generic error, the attempt taken atomically on the account before the
password is evaluated (a locked account is refused without counting), one hash per request. Only
then is (issuer, subject) linked, with a conditional write, and the link is audited for the
company's Security Admins.
"""

from __future__ import annotations

from chalicelib import logs
from chalicelib.auth import passwords, throttle
from chalicelib.auth.sso import linking
from chalicelib.auth.sso.relying_party import HubIdentity
from chalicelib.errors import LoginFailed
from chalicelib.portal import hub_login, security_settings, users
from chalicelib.runtime import Runtime
from chalicelib.storage.portal import users as user_store
from chalicelib.storage.portal.users import PortalUser

MODULE = hub_login.MODULE
WRONG_PASSWORD = "The password is incorrect, or this account cannot be linked now."
TAKEN = "That portal account is already linked to another hub account."
MAX_PASSWORD = 256


def seal(rt: Runtime, identity: HubIdentity, account_ids: list[str]) -> str:
    """The signed cookie value the Link page reads (the accounts the callback matched)."""
    return linking.seal(rt, MODULE, identity, account_ids)


def accounts_offered(rt: Runtime, cookie: str | None) -> list[PortalUser]:
    """The sealed accounts, for the page (NotAuthenticated when the cookie expired or is forged)."""
    return [user_store.get_user(user_id)
            for user_id in linking.pending(rt, MODULE, cookie).account_ids]


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


def link_with_password(rt: Runtime, cookie: str | None, user_id: str,
                       password: str) -> hub_login.Chosen:
    """Link the chosen sealed account to the hub identity once its password is proven."""
    identity, chosen = linking.pick(rt, MODULE, cookie, user_id)
    user = user_store.get_user(chosen)
    directory = hub_login.PortalDirectory(rt)
    if user.company_id not in directory.linked_tenants(identity):
        raise LoginFailed("Log In with Hub is no longer enabled for that partner company.")
    try:
        _prove_password(rt, user, password[:MAX_PASSWORD])
    except LoginFailed:
        logs.event("portal_link_refused", user_id=user.user_id, hub_subject=identity.subject)
        raise
    linked = directory.link(identity, user)
    if linked is None or linked.user_id != user.user_id:
        raise LoginFailed(TAKEN)
    security_settings.audit(rt, user.company_id, f"hub:{identity.username}", "Linked to hub",
                            f"{user.username} linked to hub user {identity.username} of "
                            f"{identity.hub_company_name} with its portal password")
    return hub_login.Chosen(user, identity.return_to, identity.sid)
