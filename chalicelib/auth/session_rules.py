"""Session rules shared by the hub and every module: token hashing, idle and absolute limits."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Protocol, TypeVar

from chalicelib.errors import NotAuthenticated

IDLE_TIMEOUT = dt.timedelta(minutes=30)
ABSOLUTE_LIFETIME = dt.timedelta(hours=12)
TOUCH_EVERY = dt.timedelta(minutes=5)


class TimedSession(Protocol):
    last_seen_at: dt.datetime
    expires_at: dt.datetime


class StoredSession(TimedSession, Protocol):
    user_id: str


class SessionUser(Protocol):
    status: str


Session = TypeVar("Session", bound=StoredSession, covariant=True)
User = TypeVar("User", bound=SessionUser, covariant=True)


def session_key(token: str) -> str:
    """What is stored: the SHA-256 of the cookie token, never the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()


def is_live(session: TimedSession, now: dt.datetime) -> bool:
    """Within its absolute lifetime and used within the idle timeout."""
    return now < session.expires_at and now - session.last_seen_at < IDLE_TIMEOUT


def needs_touch(session: TimedSession, now: dt.datetime) -> bool:
    """Last-seen is refreshed at most every few minutes, to spare a write per request."""
    return now - session.last_seen_at >= TOUCH_EVERY


class SessionStore(Protocol[Session, User]):
    """What each context's session store offers (`storage.kit.Sessions` for hub, portal, IT Docs):
    sessions by key, and the user of a session (None when the user no longer exists)."""

    def get_session(self, session_key: str) -> Session | None: ...

    def get_user(self, user_id: str) -> User | None: ...

    def delete_session(self, session_key: str) -> None: ...

    def touch_session(self, session_key: str, now: dt.datetime) -> None: ...


def resume(store: SessionStore[Session, User], token: str | None,
           now: dt.datetime) -> tuple[Session, User]:
    """The live session and its active user; an expired, idle or deprovisioned one is deleted.

    DynamoDB calls: get session, get user, and a last-seen update at most every few minutes.
    """
    if not token:
        raise NotAuthenticated()
    key = session_key(token)
    session = store.get_session(key)
    if session is None or not is_live(session, now):
        if session is not None:
            store.delete_session(key)
        raise NotAuthenticated()
    user = store.get_user(session.user_id)
    if user is None or user.status != "active":
        store.delete_session(key)
        raise NotAuthenticated()
    if needs_touch(session, now):
        store.touch_session(key, now)
    return session, user
