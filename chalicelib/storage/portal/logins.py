"""A Partner Portal login's writes: all in one transaction, so a login is one call after its reads.

Apart from the session table's own module, so that only the functions that log users in reach the
source-throttle table.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from chalicelib.errors import ConcurrentChange
from chalicelib.storage.portal.markers import LoginFields, copy_fields
from chalicelib.storage.portal.security_settings import (
    PortalSecuritySettingsModel,
    local_login_allowed,
)
from chalicelib.storage.portal.sessions import PortalSession, PortalSessionModel, portal_sessions
from chalicelib.storage.portal.source_throttles import PortalSourceThrottleModel
from chalicelib.storage.portal.users import PortalUserModel, holds
from chalicelib.storage.transactions import Transaction, write_transaction

STARTED, MUST_USE_HUB, ACCOUNT_CHANGED = "started", "must use hub", "account changed"


@dataclass(frozen=True)
class Checked:
    """The login fields the password was checked against: the user item must still hold them.
    `copy_to`: a username marker written before it carried them (they are added to it)."""

    fields: LoginFields
    copy_to: str | None = None


def start_after_login(session: PortalSession, now: dt.datetime, *,
                      previous_key: str | None = None, throttle_key: str | None = None,
                      check_hub_rule: bool = False, checked: Checked | None = None) -> str:
    """A login's writes, all or none, in one TransactWriteItems: the user's failures reset,
    the new session, the browser's previous session ended and the source's count forgotten.

    With `check_hub_rule`, only while the company lets this user log in locally (MUST_USE_HUB,
    and nothing written, when it requires Log In with Hub of them). With `checked`, only while
    the user item holds the fields the login was decided on (ACCOUNT_CHANGED otherwise: a
    stale copy, or a change meanwhile). ConcurrentChange when the user is gone meanwhile or
    the session id is taken; STARTED when written."""
    m = PortalUserModel
    condition = m.user_id.exists() & holds(checked.fields) if checked else m.user_id.exists()

    def write(tx: Transaction) -> None:
        tx.update(m(session.user_id), actions=[m.failures.set(0), m.last_login_at.set(now)],
                  condition=condition)
        tx.save(portal_sessions.model_of(session),
                condition=PortalSessionModel.session_key.does_not_exist())
        if checked and checked.copy_to:
            copy_fields(tx, checked.copy_to, checked.fields)
        if previous_key and previous_key != session.session_key:
            tx.delete(PortalSessionModel(previous_key))
        if throttle_key:
            tx.delete(PortalSourceThrottleModel(throttle_key))
        if check_hub_rule:
            tx.condition_check(PortalSecuritySettingsModel, session.company_id,
                               condition=local_login_allowed(session.user_id))

    return _outcome(write_transaction(write), checked)


def _outcome(failed: frozenset[int], checked: Checked | None) -> str:
    """What a login's transaction came to, from the positions of the items that failed."""
    if 0 in failed and checked:
        return ACCOUNT_CHANGED
    # the user's update, the session's put, the marker's copy (the marker was read just now)
    if failed & {0, 1, 2 if checked and checked.copy_to else 1}:
        raise ConcurrentChange("The account changed while signing in. Please try again.")
    return MUST_USE_HUB if failed else STARTED
