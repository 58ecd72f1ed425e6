"""Portal sessions: a random cookie token stored as its SHA-256, with idle and absolute limits."""

from __future__ import annotations

from chalicelib.auth import session_rules
from chalicelib.auth.session_rules import ABSOLUTE_LIFETIME, session_key
from chalicelib.runtime import Runtime
from chalicelib.storage.portal.sessions import PortalSession, portal_sessions
from chalicelib.storage.portal.users import PortalUser

COOKIE = "session"


def start(rt: Runtime, user: PortalUser, previous_token: str | None = None,
          hub_sid: str | None = None) -> tuple[str, PortalSession]:
    """A new session id at every login; the previous one (if any) ends. `hub_sid` is the hub
    session that signed the user in, so that logging out of the hub ends this one too."""
    if previous_token:
        portal_sessions.delete_session(session_key(previous_token))
    now = rt.clock.now()
    token = rt.random.token(32)
    session = PortalSession(session_key=session_key(token), user_id=user.user_id,
                            company_id=user.company_id, created_at=now, last_seen_at=now,
                            expires_at=now + ABSOLUTE_LIFETIME, hub_sid=hub_sid or None)
    portal_sessions.create_session(session)
    return token, session


def resume(rt: Runtime, token: str | None) -> tuple[PortalSession, PortalUser]:
    """The live session and its active user, or NotAuthenticated (expired, idle, deactivated)."""
    return session_rules.resume(portal_sessions, token, rt.clock.now())


def end(token: str | None) -> None:
    if token:
        portal_sessions.delete_session(session_key(token))


def end_for_hub_session(hub_sid: str) -> int:
    """The user logged out of the hub: end the portal sessions that hub session started."""
    return portal_sessions.delete_sessions_of_hub_session(hub_sid) if hub_sid else 0


ENDED = "ended for the user"


def end_all_for_user(user_id: str) -> int:
    """End every session of a user at once (deactivation, deletion, deprovisioning); the next
    request of each browser is told "Your session was ended" and nothing more."""
    return portal_sessions.end_sessions_of_user(user_id, ENDED)
