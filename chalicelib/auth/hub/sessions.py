"""Hub sessions: a random cookie token, stored as its SHA-256, with idle and absolute limits."""

from __future__ import annotations

from chalicelib.auth import session_rules
from chalicelib.auth.session_rules import ABSOLUTE_LIFETIME, session_key
from chalicelib.runtime import Runtime
from chalicelib.storage.hub.sessions import HubSession, hub_sessions
from chalicelib.storage.hub.users import HubUser

COOKIE = "session"
# HubSession and HubUser are the types of this module's API: routes import them from here.


def start(rt: Runtime, user: HubUser, previous_token: str | None = None) -> tuple[str, HubSession]:
    """A new session id at every login; the previous one (if any) is ended."""
    if previous_token:
        hub_sessions.delete_session(session_key(previous_token))
    now = rt.clock.now()
    token = rt.random.token(32)
    session = HubSession(
        session_key=session_key(token),
        user_id=user.user_id,
        company_id=user.company_id,
        created_at=now,
        last_seen_at=now,
        expires_at=now + ABSOLUTE_LIFETIME,
    )
    hub_sessions.create_session(session)
    return token, session


def resume(rt: Runtime, token: str | None) -> tuple[HubSession, HubUser]:
    """The live session and its active user, or NotAuthenticated (expired, idle, deprovisioned)."""
    return session_rules.resume(hub_sessions, token, rt.clock.now())


def end(token: str | None) -> None:
    if token:
        hub_sessions.delete_session(session_key(token))


def end_all_for_user(user_id: str, keep_token: str | None = None) -> int:
    """End every hub session of the user, but the one of `keep_token` if given."""
    keep = session_key(keep_token) if keep_token else ""
    return hub_sessions.delete_sessions_of_user(user_id, keep)
