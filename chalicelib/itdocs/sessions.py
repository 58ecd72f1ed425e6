"""IT Docs sessions: a random cookie token stored as its SHA-256, with idle and absolute limits.

The token names the user's account and id before its secret, so a page reads the session, the
user and the account in one call (`itdocs.signed_in`). Starting and ending sessions lives here,
apart from those page reads, so the hub's lifecycle events reach only the session and user tables.
"""

from __future__ import annotations

from chalicelib.auth import session_rules
from chalicelib.auth.session_rules import ABSOLUTE_LIFETIME, session_key
from chalicelib.runtime import Runtime
from chalicelib.storage.itdocs.sessions import Session, itdocs_sessions
from chalicelib.storage.itdocs.users import User, update_user

COOKIE = "session"

__all__ = ["COOKIE", "end", "end_all_for_user", "end_for_hub_session", "new_token", "start"]


def new_token(rt: Runtime, user: User) -> str:
    """A token naming the user's account and id (see `session_rules.hinted_token`)."""
    return session_rules.hinted_token(rt.random.token(32), user.account_id, user.user_id)


def start(rt: Runtime, user: User, *, hub_sid: str | None = None,
          previous_token: str | None = None) -> tuple[str, Session]:
    """A new session id at every login; the previous one (if any) ends."""
    if previous_token:
        itdocs_sessions.delete_session(session_key(previous_token))
    now = rt.clock.now()
    token = new_token(rt, user)
    session = Session(session_key=session_key(token), user_id=user.user_id,
                      account_id=user.account_id, created_at=now, last_seen_at=now,
                      expires_at=now + ABSOLUTE_LIFETIME, hub_sid=hub_sid)
    itdocs_sessions.create_session(session)
    update_user(user.user_id, last_login_at=now)
    return token, session


def end(token: str | None) -> None:
    if token:
        itdocs_sessions.delete_session(session_key(token))


def end_all_for_user(user_id: str) -> int:
    """End every session of a user at once (deactivation, deletion, deprovisioning)."""
    return itdocs_sessions.delete_sessions_of_user(user_id)


def end_for_hub_session(hub_sid: str) -> int:
    """End the sessions a hub session started (the hub's logout)."""
    return itdocs_sessions.delete_sessions_of_hub_session(hub_sid)
