"""A signed-in user's own password change: one conditional write on the user's record (with
the end of their other sessions and the audit entry, in one transaction).

The new password replaces the old one only while the stored hash is still the one the caller
verified the current password against and the user is active, so two changes at once, or a change
racing a reset or a deactivation, set at most one password. The password step's failure count
restarts with the new password.
"""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.exceptions import UpdateError

from chalicelib.storage.base import is_condition_failure, translated
from chalicelib.storage.hub.audit import Audited, save_audited
from chalicelib.storage.hub.sessions import HubSessionModel
from chalicelib.storage.hub.users import HubUserModel
from chalicelib.storage.transactions import Transaction, write_transaction


def replace_password(user_id: str, verified_hash: str, new_hash: str) -> bool:
    """Set `new_hash` while the stored hash is `verified_hash`; False (nothing written) if not."""
    user = HubUserModel
    try:
        with translated():
            user(user_id).update(
                actions=[user.password_hash.set(new_hash), user.password_failures.set(0)],
                condition=(user.user_id.exists() & (user.status == "active")
                           & (user.password_hash == verified_hash)))
    except UpdateError as exc:
        if is_condition_failure(exc):
            return False
        raise
    return True


@dataclass(frozen=True)
class KeptSession:
    """The one session that outlives a password change: its key and the user's epoch it holds."""

    session_key: str
    epoch: int


def replace_password_ending_others(user_id: str, verified_hash: str, new_hash: str,
                                   kept: KeptSession, audited: Audited) -> bool:
    """`replace_password`, and every other hub session of the user ends, audited: one transaction.

    The user's session epoch moves on from the kept session's (so every session started under it
    is no session any more) and the kept session moves with it. False (nothing written) when the
    password or the epoch changed meanwhile, the user is not active, or the kept session ended.
    """
    user, session, epoch = HubUserModel, HubSessionModel, kept.epoch
    same_epoch = user.session_epoch == epoch
    if epoch == 0:
        same_epoch = same_epoch | user.session_epoch.does_not_exist()

    def write(tx: Transaction) -> None:
        tx.update(user(user_id), actions=[
            user.password_hash.set(new_hash), user.password_failures.set(0),
            user.session_epoch.set(epoch + 1)],
            condition=(user.user_id.exists() & (user.status == "active")
                       & (user.password_hash == verified_hash) & same_epoch))
        tx.update(session(kept.session_key), actions=[session.epoch.set(epoch + 1)],
                  condition=session.session_key.exists() & (session.user_id == user_id))
        save_audited(tx, audited)

    return not write_transaction(write)
