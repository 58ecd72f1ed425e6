"""A Partner Portal login's writes: all in one transaction, so a login is one call after its reads.

Apart from the session table's own module, so that only the functions that log users in reach the
source-throttle table.
"""

from __future__ import annotations

import datetime as dt

from chalicelib.errors import ConcurrentChange
from chalicelib.storage.portal.security_settings import (
    PortalSecuritySettingsModel,
    local_login_allowed,
)
from chalicelib.storage.portal.sessions import PortalSession, PortalSessionModel, portal_sessions
from chalicelib.storage.portal.source_throttles import PortalSourceThrottleModel
from chalicelib.storage.portal.users import PortalUserModel
from chalicelib.storage.transactions import Transaction, write_transaction


def start_after_login(session: PortalSession, now: dt.datetime, *,
                      previous_key: str | None = None, throttle_key: str | None = None,
                      check_hub_rule: bool = False) -> bool:
    """A login's writes, all or none, in one TransactWriteItems: the user's failures reset,
    the new session, the browser's previous session ended and the source's count forgotten.

    With `check_hub_rule`, only while the company lets this user log in locally (False, and
    nothing written, when it requires Log In with Hub of them). ConcurrentChange when the
    user is gone meanwhile or the session id is taken."""
    m = PortalUserModel

    def write(tx: Transaction) -> None:
        tx.update(m(session.user_id), actions=[m.failures.set(0), m.last_login_at.set(now)],
                  condition=m.user_id.exists())
        tx.save(portal_sessions.model_of(session),
                condition=PortalSessionModel.session_key.does_not_exist())
        if previous_key and previous_key != session.session_key:
            tx.delete(PortalSessionModel(previous_key))
        if throttle_key:
            tx.delete(PortalSourceThrottleModel(throttle_key))
        if check_hub_rule:
            tx.condition_check(PortalSecuritySettingsModel, session.company_id,
                               condition=local_login_allowed(session.user_id))

    failed = write_transaction(write)
    if failed & {0, 1}:  # the user's update, the session's put
        raise ConcurrentChange("The account changed while signing in. Please try again.")
    return not failed
