"""Portal sessions: a random cookie token stored as its SHA-256, with idle and absolute limits.

The token names the user's company and id before its secret, so a page reads the session, the
user, the company and its security settings in one call (`storage.portal.sessions`). Those ids
are trusted by nobody: the session is stored under the hash of the whole token (change an id and
there is no session), and it must name the user read, who must belong to the company read.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from chalicelib.auth import session_rules
from chalicelib.auth.session_rules import ABSOLUTE_LIFETIME, session_key
from chalicelib.errors import NotFound
from chalicelib.runtime import Runtime
from chalicelib.storage.portal import users as user_store
from chalicelib.storage.portal.companies import PortalCompany
from chalicelib.storage.portal.markers import LoginFields
from chalicelib.storage.portal.security_settings import SecurityRecord
from chalicelib.storage.portal.sessions import PortalSession, SignedIn, portal_sessions
from chalicelib.storage.portal.users import PortalUser

COOKIE = "session"
_USER_FIELDS = [f.name for f in dataclasses.fields(PortalUser)]


@dataclass
class SignedInUser(PortalUser):
    """The signed-in user, with the company and security settings read with the session, so
    the banner and the page never read them again (None: not read with it, e.g. an old token)."""

    company: PortalCompany | None = None
    security: SecurityRecord | None = None
    key_uses: dict[str, dt.datetime] | None = None  # the company's API keys' last uses, if read


def _token(rt: Runtime, user: PortalUser | LoginFields) -> str:
    """A token naming the user's company and id (see `session_rules.hinted_token`)."""
    return session_rules.hinted_token(rt.random.token(32), user.company_id, user.user_id)


def new_session(rt: Runtime, user: PortalUser | LoginFields,
                hub_sid: str | None) -> tuple[str, PortalSession]:
    """A new session for the user (not yet stored): its token and record, stamped with the
    user's session epoch (a later status change moves it on, which ends the session)."""
    now = rt.clock.now()
    token = _token(rt, user)
    return token, PortalSession(session_key=session_key(token), user_id=user.user_id,
                                company_id=user.company_id, created_at=now, last_seen_at=now,
                                expires_at=now + ABSOLUTE_LIFETIME, hub_sid=hub_sid or None,
                                user_epoch=user.session_epoch)


def start(rt: Runtime, user: PortalUser, previous_token: str | None = None,
          hub_sid: str | None = None) -> tuple[str, PortalSession]:
    """A new session id at every login; the previous one (if any) ends. `hub_sid` is the hub
    session that signed the user in, so that logging out of the hub ends this one too."""
    if previous_token:
        portal_sessions.delete_session(session_key(previous_token))
    token, session = new_session(rt, user, hub_sid)
    portal_sessions.create_session(session)
    return token, session


def resume(rt: Runtime, token: str | None) -> tuple[PortalSession, SignedInUser]:
    """The live session and its active user, or NotAuthenticated (expired, idle, deactivated),
    or SessionEnded (its user's sessions were ended since it started).

    One BatchGetItem for a token naming its ids; a token from before names none and costs a
    read of the session, then one of the user (and the page reads what it needs itself)."""
    session, user, _ = resume_about(rt, token, None)
    return session, user


def resume_about(rt: Runtime, token: str | None, other_user_id: str | None,
                 key_uses: bool = False) -> tuple[PortalSession, SignedInUser, PortalUser | None]:
    """`resume`, and the other user a page is about (`other_user_id`, None when there is no
    such user) and the company's API key uses (`key_uses`) read in the same call (a token from
    before: one more read)."""
    ids = session_rules.token_ids(token, 2) if token else None
    if ids is None:
        session, user = session_rules.resume(portal_sessions, token, rt.clock.now(), _one_by_one)
        return session, _signed_in(user, None), _other(other_user_id)
    company_id, user_id = ids
    read: list[SignedIn] = []

    def read_together(key: str) -> tuple[PortalSession | None, PortalUser | None]:
        read.append(portal_sessions.read_signed_in(key, company_id, user_id, other_user_id,
                                                   key_uses))
        return read[0].session, read[0].user

    session, user = session_rules.resume(portal_sessions, token, rt.clock.now(), read_together)
    return (session, _signed_in(user, read[0] if user.company_id == company_id else None),
            read[0].other)


def _one_by_one(key: str) -> tuple[PortalSession | None, PortalUser | None]:
    """A token from before names no ids: the session, then its user."""
    session = portal_sessions.get_session(key)
    user = portal_sessions.get_user(session.user_id) if session else None
    portal_sessions.unless_epoch_moved(key, session, user)
    return session, user


def _other(user_id: str | None) -> PortalUser | None:
    """The user a page is about, read on its own (a token from before), None if none."""
    try:
        return user_store.get_user(user_id) if user_id else None
    except NotFound:
        return None


def _signed_in(user: PortalUser, found: SignedIn | None) -> SignedInUser:
    values = {name: getattr(user, name) for name in _USER_FIELDS}
    if found is None:
        return SignedInUser(**values)
    return SignedInUser(**values, company=found.company, security=found.settings,
                        key_uses=found.key_uses)


def carried_company(actor: PortalUser) -> PortalCompany | None:
    """The actor's company as read with the session (None when it was not)."""
    return actor.company if isinstance(actor, SignedInUser) else None


def carried_key_uses(actor: PortalUser) -> dict[str, dt.datetime] | None:
    """The company's API keys' last uses as read with the session (None when they were not)."""
    return actor.key_uses if isinstance(actor, SignedInUser) else None


def carried_settings(actor: PortalUser) -> SecurityRecord | None:
    """The actor's company's security settings as read with the session (None when not)."""
    return actor.security if isinstance(actor, SignedInUser) else None


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
