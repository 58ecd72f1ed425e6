"""IT Docs sessions: a random cookie token stored as its SHA-256, with idle and absolute limits.

`signed_in(page)` is what every IT Docs page calls first.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from chalicelib.auth import session_rules
from chalicelib.auth.session_rules import ABSOLUTE_LIFETIME, session_key
from chalicelib.auth.sso import hub_services
from chalicelib.errors import NotFound
from chalicelib.itdocs.accounts import DELETED, ItDocsUser
from chalicelib.itdocs.policy import can
from chalicelib.runtime import Runtime
from chalicelib.storage import itdocs as store
from chalicelib.storage import itdocs_access as access
from chalicelib.storage.itdocs import User
from chalicelib.storage.itdocs_access import Session

if TYPE_CHECKING:  # pages hand themselves in; this module never imports the web framework
    from chalicelib.web.page import Page

COOKIE = "session"

__all__ = ["COOKIE", "ItDocsUser", "end", "end_all_for_user", "resume", "signed_in", "start"]


class _SessionStore:
    """The session store shape `session_rules.resume` expects; a vanished user reads as deleted."""

    get_session = staticmethod(access.get_session)
    delete_session = staticmethod(access.delete_session)
    touch_session = staticmethod(access.touch_session)

    @staticmethod
    def get_user(user_id: str) -> User:
        try:
            return store.get_user(user_id)
        except NotFound:
            epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
            return User(user_id, "", "", "", "", DELETED, epoch)


def start(rt: Runtime, user: User, *, hub_sid: str | None = None,
          previous_token: str | None = None) -> tuple[str, Session]:
    """A new session id at every login; the previous one (if any) ends."""
    if previous_token:
        access.delete_session(session_key(previous_token))
    now = rt.clock.now()
    token = rt.random.token(32)
    session = Session(session_key=session_key(token), user_id=user.user_id,
                      account_id=user.account_id, created_at=now, last_seen_at=now,
                      expires_at=now + ABSOLUTE_LIFETIME, hub_sid=hub_sid)
    access.create_session(session)
    store.update_user(user.user_id, last_login_at=now)
    return token, session


def resume(rt: Runtime, token: str | None) -> tuple[Session, User]:
    """The live session and its active user, or NotAuthenticated (expired, idle, deactivated)."""
    return session_rules.resume(_SessionStore, token, rt.clock.now())  # type: ignore[arg-type]


def signed_in(page: Page) -> ItDocsUser:
    """The page's IT Docs user, or NotAuthenticated (GETs are sent to the login page)."""
    _, user = resume(page.runtime, page.read_cookie(COOKIE))
    account = store.get_account(user.account_id)
    current = ItDocsUser.of(user)
    page.banner = {"user": current, "account": account,
                   "can_manage_integrations": can(current, "integration.manage"),
                   "is_admin": can(current, "account.manage")}
    if account.linked_to_hub:
        page.banner["app_launcher"] = hub_services.app_launcher(page.runtime, "itdocs")
    return current


def end(token: str | None) -> None:
    if token:
        access.delete_session(session_key(token))


def end_all_for_user(user_id: str) -> int:
    """End every session of a user at once (deactivation, deletion, deprovisioning)."""
    keys = [s.session_key for s in access.sessions_of_user(user_id)]
    access.delete_sessions(keys)
    return len(keys)


def end_for_hub_session(hub_sid: str) -> int:
    """End the sessions a hub session started (the hub's logout)."""
    keys = [s.session_key for s in access.sessions_of_hub_session(hub_sid)]
    access.delete_sessions(keys)
    return len(keys)
