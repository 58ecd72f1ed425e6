"""Password-reset links and the per-account hourly quota of reset mails (one table, two kinds).

A link is stored only as the SHA-256 of its token (`link#<hash>`), with its user, expiry and the
time it was used. A quota item (`quota#<user id>#<UTC hour>`) counts the reset mails of one account
in one clock hour. Issuing a link is one transaction: the user must exist and be active, the quota
must be open, and the link must be new; so an unknown, deactivated or deleted account and a closed
quota all cost the same single DynamoDB call and write nothing. Using a link is one transaction too:
it marks the link used (only if unused and unexpired) and sets the password, so two uses at once set
one password.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.models import Model

from chalicelib.storage.base import translated, ttl_after
from chalicelib.storage.hub.audit import Audited, save_audited
from chalicelib.storage.hub.users import NO_SUCH_USER, HubUserModel
from chalicelib.storage.transactions import Transaction, write_transaction

# Quota items outlive their hour by a day, links their expiry by a day (then DynamoDB's TTL ends
# them; expiry is checked on every use, whatever the TTL did).
KEEP_AFTER_SECONDS = 24 * 3600


class PasswordResetModel(Model):
    class Meta:
        logical_name = "hub_password_resets"
        table_name = "hub_password_resets"
        ttl_attribute = "expires_ttl"

    reset_key = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute(null=True)
    expires_at = UTCDateTimeAttribute(null=True)
    used_at = UTCDateTimeAttribute(null=True)
    mails = NumberAttribute(null=True)
    expires_ttl = NumberAttribute()


@dataclass(frozen=True)
class ResetLink:
    """A stored link: whose it is, until when it works, and when it was used (None: unused)."""

    link_hash: str
    user_id: str
    expires_at: dt.datetime
    used_at: dt.datetime | None = None


def link_key(link_hash: str) -> str:
    return f"link#{link_hash}"


def quota_key(user_id: str, now: dt.datetime) -> str:
    return f"quota#{user_id}#{now.astimezone(dt.UTC):%Y-%m-%dT%H}"


def issue(link: ResetLink, user_id: str | None, now: dt.datetime, mails_per_hour: int) -> bool:
    """Store `link` if the user exists and is active and their hourly quota is open.

    False (nothing written) for no such user (None), an inactive user or a closed quota: one
    TransactWriteItems call in every case.
    """
    target = user_id or NO_SUCH_USER
    stored = PasswordResetModel(link_key(link.link_hash), user_id=link.user_id,
                                expires_at=link.expires_at,
                                expires_ttl=ttl_after(link.expires_at, KEEP_AFTER_SECONDS))
    user, reset = HubUserModel, PasswordResetModel

    def build(tx: Transaction) -> None:
        tx.condition_check(HubUserModel, target,
                           condition=user.user_id.exists() & (user.status == "active"))
        tx.update(PasswordResetModel(quota_key(target, now)), actions=[
            reset.mails.add(1), reset.expires_ttl.set(ttl_after(now, 3600 + KEEP_AFTER_SECONDS)),
        ], condition=reset.mails.does_not_exist() | (reset.mails < mails_per_hour))
        tx.save(stored, condition=reset.reset_key.does_not_exist())

    return not write_transaction(build)


def link_of(link_hash: str) -> ResetLink | None:
    """The stored link with this token hash, or None."""
    try:
        with translated():
            found = PasswordResetModel.get(link_key(link_hash))
    except DoesNotExist:
        return None
    return ResetLink(link_hash, found.user_id or "", found.expires_at, found.used_at)


def use(link: ResetLink, now: dt.datetime, password_hash: str, audited: Audited) -> bool:
    """Mark the link used, set its user's password and end every hub session of the user (the
    session epoch moves on), with the audit entry, in one transaction.

    Refused (False, nothing written) when the link was used already, has expired, or its user is
    no longer active. The password-step failure count restarts with the new password.
    """
    stored = PasswordResetModel(link_key(link.link_hash))
    user, reset = HubUserModel, PasswordResetModel

    def build(tx: Transaction) -> None:
        tx.update(stored, actions=[reset.used_at.set(now)],
                  condition=reset.reset_key.exists() & reset.used_at.does_not_exist()
                  & (reset.expires_at > now) & (reset.user_id == link.user_id))
        tx.update(HubUserModel(link.user_id), actions=[
            user.password_hash.set(password_hash), user.password_failures.set(0),
            user.session_epoch.add(1),
        ], condition=user.user_id.exists() & (user.status == "active"))
        save_audited(tx, audited)

    return not write_transaction(build)
