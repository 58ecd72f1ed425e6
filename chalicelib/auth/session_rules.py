"""Session rules shared by the hub and every module: token hashing, idle and absolute limits."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Protocol

IDLE_TIMEOUT = dt.timedelta(minutes=30)
ABSOLUTE_LIFETIME = dt.timedelta(hours=12)
TOUCH_EVERY = dt.timedelta(minutes=5)


class TimedSession(Protocol):
    last_seen_at: dt.datetime
    expires_at: dt.datetime


def session_key(token: str) -> str:
    """What is stored: the SHA-256 of the cookie token, never the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()


def is_live(session: TimedSession, now: dt.datetime) -> bool:
    """Within its absolute lifetime and used within the idle timeout."""
    return now < session.expires_at and now - session.last_seen_at < IDLE_TIMEOUT


def needs_touch(session: TimedSession, now: dt.datetime) -> bool:
    """Last-seen is refreshed at most every few minutes, to spare a write per request."""
    return now - session.last_seen_at >= TOUCH_EVERY
