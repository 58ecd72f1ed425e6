"""Hub sessions: a random cookie token, stored as its SHA-256, with idle and absolute limits.

The token names the user's company and the user before its secret (`session_rules.hinted_token`),
so a page reads its session, user and company in one call.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.auth import session_rules
from chalicelib.auth.session_rules import ABSOLUTE_LIFETIME, session_key
from chalicelib.errors import NotAuthenticated
from chalicelib.runtime import Runtime
from chalicelib.storage.hub import companies as company_store
from chalicelib.storage.hub.companies import HubCompany
from chalicelib.storage.hub.sessions import (
    HubSession,
    hub_sessions,
    read_signed_in,
    start_after_code,
)
from chalicelib.storage.hub.users import HubUser

COOKIE = "session"
TOKEN_IDS = 2  # the company id, then the user id
# HubSession and HubUser are the types of this module's API: routes import them from here.


@dataclass
class HubActor(HubUser):
    """The signed-in user, with their company when it was read with the session (else None)."""

    company: HubCompany | None = None


def _new(rt: Runtime, user: HubUser) -> tuple[str, HubSession]:
    """A fresh token naming the user's company and the user, and its session record."""
    now = rt.clock.now()
    token = session_rules.hinted_token(rt.random.token(32), user.company_id, user.user_id)
    return token, HubSession(session_key=session_key(token), user_id=user.user_id,
                             company_id=user.company_id, created_at=now, last_seen_at=now,
                             expires_at=now + ABSOLUTE_LIFETIME, epoch=user.session_epoch)


def start(rt: Runtime, user: HubUser, previous_token: str | None = None) -> tuple[str, HubSession]:
    """A new session id at every login; the previous one (if any) is ended."""
    if previous_token:
        hub_sessions.delete_session(session_key(previous_token))
    token, session = _new(rt, user)
    hub_sessions.create_session(session)
    return token, session


def start_with_code(rt: Runtime, user: HubUser, step: int, enroll_secret: str | None = None,
                    previous_token: str | None = None) -> tuple[str, HubSession] | None:
    """The TOTP step accepted and a new session started in one transaction (the previous session
    ended in it too); None when the step was already used (nothing written)."""
    token, session = _new(rt, user)
    previous = session_key(previous_token) if previous_token else ""
    if not start_after_code(session, step, enroll_secret, previous):
        return None
    return token, session


def resume(rt: Runtime, token: str | None) -> tuple[HubSession, HubActor]:
    """The live session and its active user, or NotAuthenticated (expired, idle, deprovisioned).

    A session started before the user's sessions were all ended (another session epoch) is no
    session. DynamoDB calls: one BatchGetItem (session, user, company) for a token naming its
    ids; a token from before reads the session, then the user."""
    ids = session_rules.token_ids(token, TOKEN_IDS) if token else None
    companies: list[HubCompany | None] = []
    read = _read_together(ids, companies) if ids else None
    session, user = session_rules.resume(hub_sessions, token, rt.clock.now(), read)
    if session.epoch != user.session_epoch:  # the user's sessions were all ended since
        hub_sessions.delete_session(session.session_key)
        raise NotAuthenticated()
    company = companies[0] if companies else None
    if company is not None and not company.company_id == user.company_id == session.company_id:
        company = None
    return session, HubActor(**vars(user), company=company)


def _read_together(ids: tuple[str, ...], companies: list[HubCompany | None]
                   ) -> session_rules.Read[HubSession, HubUser]:
    """The one-call read of a session with the user and company its token names; the company
    read is kept in `companies` for the page."""
    def read(key: str) -> tuple[HubSession | None, HubUser | None]:
        session, user, company = read_signed_in(key, ids[0], ids[1])
        companies.append(company)
        return session, user
    return read


def company_of(actor: HubUser) -> HubCompany:
    """The actor's company: the one read with the session, else one read now (and kept)."""
    if isinstance(actor, HubActor) and actor.company is not None:
        return actor.company
    company = company_store.get_company(actor.company_id)
    if isinstance(actor, HubActor):
        actor.company = company
    return company


def end(token: str | None) -> None:
    if token:
        hub_sessions.delete_session(session_key(token))


def end_all_for_user(user_id: str, keep_token: str | None = None) -> int:
    """End every hub session of the user, but the one of `keep_token` if given."""
    keep = session_key(keep_token) if keep_token else ""
    return hub_sessions.delete_sessions_of_user(user_id, keep)
