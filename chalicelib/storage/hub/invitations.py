"""Invitations: a hub user a Master created without a password, and their single-use link.

The link's token is never stored: the user record holds its SHA-256 (`invitation_hash`) and expiry.
A new link replaces the hash, so the old one dies; revoking removes it; accepting sets the password,
activates the user and verifies their email in one conditional update on that hash, so a link works
once and two uses at once set one password. The user stays `invited` (no login, no password reset)
until then; `invited_at` stays set until the invitation is accepted.
"""

from __future__ import annotations

import datetime as dt

from pynamodb.expressions.update import Action

from chalicelib.storage.hub.users import HubUserModel, email_key, update_where

INVITED = "invited"


def replace_link(user_id: str, link_hash: str, expires_at: dt.datetime,
                 email: str | None = None) -> bool:
    """A new link for a still-invited user (the old one dies); with `email`, sent to that new
    (unverified) address. False when the user is not invited (accepted, deactivated, deleted)."""
    user = HubUserModel
    actions: list[Action] = [user.invitation_hash.set(link_hash),
                             user.invitation_expires_at.set(expires_at)]
    if email is not None:
        actions += [user.email.set(email), user.email_verified.set(False),
                    user.verified_email_key.remove(), user.pending_email.remove()]
    return update_where(user_id, actions, user.status == INVITED)


def revoke(user_id: str) -> bool:
    """End the invitation's link; the user stays invited (a Master may send a new one). False when
    there was no live link to end."""
    user = HubUserModel
    return update_where(
        user_id, [user.invitation_hash.remove(), user.invitation_expires_at.remove()],
        (user.status == INVITED) & user.invitation_hash.exists())


def accept(user_id: str, link_hash: str, email: str, now: dt.datetime, password_hash: str,
           totp_pending: str) -> bool:
    """Use the link: set the password, activate the user and verify `email`, once; the
    TOTP secret to enroll (encrypted) waits in `totp_pending`.

    Refused (False, nothing written) when the link was replaced, revoked or used, has expired,
    the user is no longer invited (deactivated, deleted), or their email changed since it was read.
    """
    user = HubUserModel
    condition = ((user.status == INVITED) & (user.invitation_hash == link_hash)
                 & (user.invitation_expires_at > now) & (user.email == email))
    return update_where(user_id, [
        user.password_hash.set(password_hash), user.status.set("active"),
        user.password_failures.set(0), user.email_verified.set(True),
        user.verified_email_key.set(email_key(email)), user.invitation_hash.remove(),
        user.invitation_expires_at.remove(), user.invited_at.remove(),
        user.pending_email.remove(), user.verification_hash.remove(),
        user.verification_expires_at.remove(), user.totp_pending.set(totp_pending),
    ], condition)
