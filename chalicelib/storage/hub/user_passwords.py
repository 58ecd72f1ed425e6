"""A signed-in user's own password change: one conditional write on the user's record.

The new password replaces the old one only while the stored hash is still the one the caller
verified the current password against and the user is active, so two changes at once, or a change
racing a reset or a deactivation, set at most one password. The password step's failure count
restarts with the new password.
"""

from __future__ import annotations

from pynamodb.exceptions import UpdateError

from chalicelib.storage.base import is_condition_failure, translated
from chalicelib.storage.hub.users import HubUserModel


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
