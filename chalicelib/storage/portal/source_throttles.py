"""Per-source login throttles of the portal's break-glass accounts (Security Admins, Primary users).

Those accounts are never locked as a whole: each (account, source address) pair has its own
failure count, taken atomically before the password is verified, so guesses from one address
delay only that address and the owner still signs in from another. Records expire a day after
their last attempt.
"""

from __future__ import annotations

import hashlib

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from chalicelib.storage import attempts
from chalicelib.storage.attempts import AttemptGate
from chalicelib.storage.base import translated, ttl_after

KEEP_SECONDS = 24 * 60 * 60


class PortalSourceThrottleModel(Model):
    class Meta:
        logical_name = "portal_source_throttles"
        table_name = "portal_source_throttles"
        ttl_attribute = "expires_ttl"

    throttle_key = UnicodeAttribute(hash_key=True)  # user id and a digest of the source address
    failures = NumberAttribute(default=0)
    last_failure_at = UTCDateTimeAttribute(null=True)
    expires_ttl = NumberAttribute()


def throttle_key(user_id: str, source: str) -> str:
    """The record of this account's attempts from this source (a login's transaction deletes it)."""
    return _key(user_id, source)


def _key(user_id: str, source: str) -> str:
    digest = hashlib.sha256(source.encode("utf-8", "replace")).hexdigest()[:32]
    return f"{user_id}#{digest}"


def take_attempt(user_id: str, source: str, gate: AttemptGate) -> bool:
    """Count one attempt on this account from this source, only while that pair is under its limit
    and outside its delay; False when refused. Called before the password is verified."""
    m = PortalSourceThrottleModel
    actions = [*attempts.take(m.failures, m.last_failure_at, gate),
               m.expires_ttl.set(ttl_after(gate.now, KEEP_SECONDS))]
    return attempts.taken(m(_key(user_id, source)), actions,
                          attempts.is_open(m.failures, m.last_failure_at, gate))


def forget(user_id: str, source: str) -> None:
    """The password was right: this source's count restarts."""
    with translated():
        PortalSourceThrottleModel(_key(user_id, source)).delete()


def failures_from(user_id: str, source: str) -> int:
    """This source's current failure count on the account (0 when none)."""
    try:
        with translated():
            return int(PortalSourceThrottleModel.get(_key(user_id, source)).failures or 0)
    except PortalSourceThrottleModel.DoesNotExist:
        return 0
