"""Invitations: a Master creates a hub user without a password; the user sets it from a mailed link.

The link is single use and expires after 72 hours; its token is 32 random bytes and only its SHA-256
is stored, on the user record (`storage.hub.invitations`). Resending replaces the stored hash (the
old link dies), revoking removes it, and deactivating or deleting the user ends it too (the user is
no longer `invited`). Using it sets the password under the password policy (a refused password
keeps the link usable), activates the user and verifies their email in one conditional update, then
goes on to the login's TOTP enrolment step. The request only enqueues the mail.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from urllib.parse import quote

from chalicelib.auth import passwords
from chalicelib.auth.hub import accounts, login, totp
from chalicelib.auth.hub.accounts import Invitation, NewUser
from chalicelib.errors import InvalidInput, NotFound
from chalicelib.mail import outbox
from chalicelib.mail.message import Mail
from chalicelib.mail.templates import compose
from chalicelib.runtime import Runtime
from chalicelib.storage.hub import invitations as store
from chalicelib.storage.hub import users as user_store
from chalicelib.storage.hub.users import HubUser

LINK_LIFETIME = dt.timedelta(hours=72)
INVITATION_PATH = "/hub/invitation"
LINK_ERROR = ("This invitation link is not valid, was already used or has expired. "
              "Ask a Master user of your company to send a new one.")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")  # 32 random bytes, base64url without padding


def link_hash(token: str) -> str:
    """What is stored of a link's token: its SHA-256, in hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def well_formed(token: str) -> bool:
    """A token as `rt.random.token(32)` makes them (anything else names no link)."""
    return bool(_TOKEN.match(token or ""))


def link_url(rt: Runtime, path: str, user_id: str, token: str) -> str:
    """The mailed link: the deployment's base URL, the user's id and the token."""
    return f"{rt.settings.base_url.rstrip('/')}{path}/{quote(user_id)}?token={quote(token)}"


def _new_link(rt: Runtime) -> tuple[str, Invitation]:
    """A fresh token (mailed, never stored) and the invitation record of its hash."""
    token = rt.random.token(32)
    return token, Invitation(link_hash(token), rt.clock.now() + LINK_LIFETIME)


def invite(rt: Runtime, actor: HubUser, new: NewUser) -> HubUser:
    """A Master creates an invited user (no password) and the invitation mail is queued."""
    token, invitation = _new_link(rt)
    user = accounts.invite_user(rt, actor, new, invitation)
    outbox.enqueue(rt, invitation_mail(rt, user, actor, token))
    return user


def resend(rt: Runtime, actor: HubUser, user_id: str, email: str | None = None) -> HubUser:
    """A new link by mail (to `email` when given: a corrected address); the old link dies."""
    target = accounts.managed_user(actor, user_id, "user.create")
    token, invitation = _new_link(rt)
    if not store.replace_link(user_id, invitation.link_hash, invitation.expires_at, email):
        raise InvalidInput(f"{target.username} is not waiting for an invitation.")
    accounts.audit(rt, actor.company_id, actor, "user.invite_again", target.username)
    updated = user_store.get_user(user_id)
    outbox.enqueue(rt, invitation_mail(rt, updated, actor, token))
    return updated


def revoke(rt: Runtime, actor: HubUser, user_id: str) -> HubUser:
    """End the invitation's link; the user stays on the Users page, invited, until resent or
    deleted."""
    target = accounts.managed_user(actor, user_id, "user.create")
    if not store.revoke(user_id):
        raise InvalidInput(f"{target.username} has no invitation to revoke.")
    accounts.audit(rt, actor.company_id, actor, "user.revoke_invitation", target.username)
    return user_store.get_user(user_id)


def invitation_mail(rt: Runtime, user: HubUser, actor: HubUser, token: str) -> Mail:
    """The invitation: who invited whom, where, and the link (the mail's only secret)."""
    return compose("invitation", user.email, "You are invited to the Hub", name=user.name,
                   username=user.username, company=user.company_name, inviter=actor.name,
                   link=link_url(rt, INVITATION_PATH, user.user_id, token),
                   hours=int(LINK_LIFETIME.total_seconds() // 3600))


def invited_user(rt: Runtime, user_id: str, token: str) -> HubUser:
    """The invited user whose live, unexpired link `token` is; InvalidInput (one message) else."""
    if not well_formed(token):
        raise InvalidInput(LINK_ERROR)
    try:
        user = user_store.get_user(user_id)
    except NotFound as exc:
        raise InvalidInput(LINK_ERROR) from exc
    live = user.status == store.INVITED and user.invitation_hash is not None \
        and user.invitation_expires_at is not None and user.invitation_expires_at > rt.clock.now()
    if not live or not hmac.compare_digest(user.invitation_hash or "", link_hash(token)):
        raise InvalidInput(LINK_ERROR)
    return user


def accept(rt: Runtime, user_id: str, token: str, password: str,
           confirmation: str) -> login.Attempt:
    """Set the first password with the link, once; returns the login attempt at its TOTP
    enrolment step. A password the policy refuses changes nothing and keeps the link usable.
    DynamoDB calls: the user read, one conditional update, the audit entry."""
    user = invited_user(rt, user_id, token)
    if password != confirmation:
        raise InvalidInput("The two passwords differ.", field="password")
    new_hash = passwords.hash_password(
        password, (user.username, user.company_name, user.email.partition("@")[0], user.name))
    pending = rt.box.encrypt(totp.new_secret().encode(), f"totp:{user.user_id}")
    if not store.accept(user_id, link_hash(token), user.email, rt.clock.now(), new_hash,
                        pending):
        raise InvalidInput(LINK_ERROR)
    accounts.audit(rt, user.company_id, user, "user.accept_invitation", user.username)
    return login.Attempt("enroll", user.company_name, user.username, user.user_id, "/hub/",
                         rt.random.hex(12))
