"""Verified email addresses: a single-use link mailed to an address proves it belongs to the user.

An address is verified by accepting an invitation or by the link mailed when a Master sets or
changes it. A changed address waits (`pending_email`) while the current one is verified: the
verified one stays the user's email, in the id token and for forgot password, until the new link is
used. Links live 72 hours; only their token's SHA-256 is stored, on the user record, and a newer
link replaces an older one. The hub's `email_verified` claim is true only for a verified address.
"""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import replace

from chalicelib.auth.hub import accounts, invitations
from chalicelib.auth.hub.accounts import NewUser
from chalicelib.auth.hub.invitations import link_hash, link_url, well_formed
from chalicelib.errors import InvalidInput, NotFound
from chalicelib.mail import outbox
from chalicelib.mail.message import Mail
from chalicelib.mail.templates import compose
from chalicelib.runtime import Runtime
from chalicelib.storage.hub import email_verifications as store
from chalicelib.storage.hub import users as user_store
from chalicelib.storage.hub.users import HubUser

LINK_LIFETIME = dt.timedelta(hours=72)
VERIFY_PATH = "/hub/verify-email"
LINK_ERROR = ("This email verification link is not valid, was already used or has expired. "
              "Ask a Master user of your company to send a new one.")


def add_user(rt: Runtime, actor: HubUser, new: NewUser) -> HubUser:
    """A Master adds a user on the Users page: invited when no password is typed; otherwise
    active (for automation) with an unverified address, which is mailed a verification link
    (stored with the new user: one transaction, with the audit entry)."""
    if not new.password:
        return invitations.invite(rt, actor, new)
    token = rt.random.token(32)
    link = accounts.Invitation(link_hash(token), rt.clock.now() + LINK_LIFETIME)
    user = accounts.create_user(rt, actor, username=new.username, email=new.email, name=new.name,
                                password=new.password, role=new.role, modules=new.modules,
                                verification=link)
    outbox.enqueue(rt, verification_mail(rt, user, user.email, token))
    return user


def change_email(rt: Runtime, actor: HubUser, user_id: str, email: str) -> HubUser:
    """A Master sets a user's email: a link goes to the new address (an invited user gets a new
    invitation there instead). Setting the unverified current address again resends its link."""
    target = accounts.managed_user(actor, user_id, "user.create")
    address = accounts.checked_email(email)
    if target.status == "invited":
        return invitations.resend(rt, actor, user_id, email=address)
    if target.status != "active":
        raise InvalidInput("Only an active user's email can be changed.", field="email")
    if address == target.email and target.email_verified:
        return _keep_verified(rt, actor, target)
    _send_link(rt, target, address, keep_current=target.email_verified)
    accounts.audit(rt, actor.company_id, actor, "user.change_email",
                   f"{target.username}: {address} (waiting for verification)")
    return user_store.get_user(user_id)


def _keep_verified(rt: Runtime, actor: HubUser, target: HubUser) -> HubUser:
    """The verified address given again: a changed address still waiting is dropped."""
    if not target.pending_email:
        raise InvalidInput(f"{target.email} is already {target.username}'s verified email.",
                           field="email")
    store.cancel(target.user_id, target.email)
    accounts.audit(rt, actor.company_id, actor, "user.change_email",
                   f"{target.username}: kept {target.email}")
    return user_store.get_user(target.user_id)


def _send_link(rt: Runtime, user: HubUser, address: str, *, keep_current: bool) -> None:
    """Store a fresh link's hash for `address` (the older link dies) and queue its mail."""
    token = rt.random.token(32)
    expires_at = rt.clock.now() + LINK_LIFETIME
    if not store.start(user.user_id, user.email, address, link_hash(token), expires_at,
                       keep_current):
        raise InvalidInput("This user changed meanwhile. Reload the page and try again.",
                           field="email")
    outbox.enqueue(rt, verification_mail(rt, user, address, token))


def verification_mail(rt: Runtime, user: HubUser, address: str, token: str) -> Mail:
    """The mail to the address being verified, with its link (the mail's only secret)."""
    return compose("verify_email", address, "Confirm your email address for the Hub",
                   name=user.name, username=user.username, company=user.company_name,
                   address=address, link=link_url(rt, VERIFY_PATH, user.user_id, token),
                   hours=int(LINK_LIFETIME.total_seconds() // 3600))


def waiting_address(rt: Runtime, user_id: str, token: str) -> tuple[HubUser, str]:
    """The active user and the address the live link `token` verifies; InvalidInput otherwise."""
    if not well_formed(token):
        raise InvalidInput(LINK_ERROR)
    try:
        user = user_store.get_user(user_id)
    except NotFound as exc:
        raise InvalidInput(LINK_ERROR) from exc
    live = user.status == "active" and user.verification_expires_at is not None \
        and user.verification_expires_at > rt.clock.now()
    if not live or not hmac.compare_digest(user.verification_hash or "", link_hash(token)):
        raise InvalidInput(LINK_ERROR)
    return user, user.pending_email or user.email


def verify(rt: Runtime, user_id: str, token: str) -> HubUser:
    """Use the link: its address becomes the user's verified email, once.
    DynamoDB calls: the user read, one transaction (the conditional update and its audit entry)."""
    user, address = waiting_address(rt, user_id, token)
    entry = accounts.audit_entry(rt, user.company_id, user, "user.verify_email",
                                 f"{user.username}: {address}")
    if not store.confirm(user_id, link_hash(token), address, rt.clock.now(), entry):
        raise InvalidInput(LINK_ERROR)
    return replace(user, email=address, email_verified=True, pending_email=None,
                   verification_hash=None, verification_expires_at=None)
