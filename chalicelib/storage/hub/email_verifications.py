"""Email verification links, held on the hub user record as invitations hold theirs.

A user's `email` is verified only when `email_verified` is true. A new address waits for its link:
in `pending_email` while the current address is verified (the verified one stays the user's email
until the new link is used), or as `email` itself, unverified, when the current one was never
verified. The record holds the SHA-256 of the live link's token; a newer change replaces it, so an
older link dies; using it is one conditional update.
"""

from __future__ import annotations

import datetime as dt

from pynamodb.expressions.update import Action

from chalicelib.storage.hub.audit import Audited
from chalicelib.storage.hub.users import (
    HubUserModel,
    email_key,
    update_where,
    update_where_audited,
)


def start(user_id: str, current_email: str, address: str, link_hash: str,
          expires_at: dt.datetime, keep_current: bool) -> bool:
    """Store a verification link for `address`; with `keep_current` it waits in `pending_email`,
    else it replaces the (unverified) email. False when the user's email changed since it was
    read, or the user is not active."""
    user = HubUserModel
    actions: list[Action] = [user.verification_hash.set(link_hash),
                             user.verification_expires_at.set(expires_at)]
    if keep_current:
        actions.append(user.pending_email.set(address))
    else:
        actions += [user.email.set(address), user.email_verified.set(False),
                    user.verified_email_key.remove(), user.pending_email.remove()]
    return update_where(user_id, actions,
                               (user.email == current_email) & (user.status == "active"))


def confirm(user_id: str, link_hash: str, address: str, now: dt.datetime,
            audited: Audited) -> bool:
    """Use the link: `address` becomes the user's verified email, once, audited in the same
    transaction. False (nothing written) when the link was replaced or used, has expired, or the
    user is not active."""
    user = HubUserModel
    waiting = (user.pending_email == address) | (user.email == address)
    condition = ((user.verification_hash == link_hash) & (user.verification_expires_at > now)
                 & (user.status == "active") & waiting)
    return update_where_audited(user_id, [
        user.email.set(address), user.email_verified.set(True),
        user.verified_email_key.set(email_key(address)), user.pending_email.remove(),
        user.verification_hash.remove(), user.verification_expires_at.remove(),
    ], condition, audited)


def cancel(user_id: str, current_email: str) -> bool:
    """Forget a changed address still waiting (its link dies); the verified email stays. False
    when the user's email changed since it was read."""
    user = HubUserModel
    return update_where(user_id, [user.pending_email.remove(), user.verification_hash.remove(),
                                  user.verification_expires_at.remove()],
                        user.email == current_email)
