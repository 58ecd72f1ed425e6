"""Session rules shared by the hub and every module: token hashing, idle and absolute limits."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable
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
    user_id: str
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


# The ids a cookie token may name before its secret: record ids (32 hex digits) and the like.
_TOKEN_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def hinted_token(secret: str, *ids: str) -> str:
    """A cookie token that names the ids its page reads with the session (the user's, the
    company's), so all of them are read in one call; the secret alone when an id is not a plain
    id (such a session is resumed the older way, one read at a time). The ids are never trusted
    alone: the session is stored under the hash of the whole token, and must name the same user."""
    if not all(_TOKEN_ID.fullmatch(part) for part in ids):
        return secret
    return ".".join([*ids, secret])


def token_ids(token: str, count: int) -> tuple[str, ...] | None:
    """The `count` ids a token names (None for a token from before, or a mangled one)."""
    parts = token.split(".")
    if len(parts) != count + 1 or not all(_TOKEN_ID.fullmatch(part) for part in parts[:-1]):
        return None
    return tuple(parts[:-1])


Read = Callable[[str], tuple[Session | None, User | None]]


def resume(store: SessionStore[Session, User], token: str | None,
           now: dt.datetime, read: Read[Session, User] | None = None) -> tuple[Session, User]:
    """The live session and its active user; an expired, idle or deprovisioned one is deleted.

    `read` reads the session (by key) and its user together (one call); without it they are read
    one after the other. Either way a session naming another user than the one read is no
    session. DynamoDB calls: the read, and a last-seen update at most every few minutes.
    """
    if not token:
        raise NotAuthenticated()
    key = session_key(token)
    session, user = (read or _one_by_one(store))(key)
    if session is None or not is_live(session, now):
        if session is not None:
            store.delete_session(key)
        raise NotAuthenticated()
    if user is None or user.user_id != session.user_id or user.status != "active":
        store.delete_session(key)
        raise NotAuthenticated()
    if needs_touch(session, now):
        store.touch_session(key, now)
    return session, user


def _one_by_one(store: SessionStore[Session, User]) -> Read[Session, User]:
    def read(key: str) -> tuple[Session | None, User | None]:
        session = store.get_session(key)
        return session, (store.get_user(session.user_id) if session else None)
    return read
