"""Partner Portal sessions: the portal's session table and its typed store (see `kit.Sessions`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection

from chalicelib.errors import SessionEnded
from chalicelib.storage.base import is_condition_failure, translated
from chalicelib.storage.kit import ModuleSessionModel, ModuleSessions
from chalicelib.storage.portal.users import PortalUser, get_user


class PortalSessionByUser(GlobalSecondaryIndex):  # type: ignore[type-arg]
    class Meta:
        index_name = "by_user"
        projection = AllProjection()

    user_id = UnicodeAttribute(hash_key=True)


class PortalSessionByHubSid(GlobalSecondaryIndex):  # type: ignore[type-arg]
    """Sparse: only sessions started by Log In with Hub (the hub's logout ends them)."""

    class Meta:
        index_name = "by_hub_sid"
        projection = KeysOnlyProjection()

    hub_sid = UnicodeAttribute(hash_key=True)


class PortalSessionModel(ModuleSessionModel):
    class Meta:
        logical_name = "portal_sessions"
        table_name = "portal_sessions"
        ttl_attribute = "expires_ttl"

    company_id = UnicodeAttribute()
    # Set instead of deleting when the user's sessions are ended for them: the next request of
    # that browser is told its session was ended (then the item goes; its TTL stays as it was).
    ended = UnicodeAttribute(null=True)
    by_user = PortalSessionByUser()
    by_hub_sid = PortalSessionByHubSid()


@dataclass
class PortalSession:
    session_key: str
    user_id: str
    company_id: str
    created_at: dt.datetime
    last_seen_at: dt.datetime
    expires_at: dt.datetime
    hub_sid: str | None = None
    ended: str | None = None


class PortalSessions(ModuleSessions[PortalSession, PortalUser]):
    """Portal sessions; those ended for their user are refused with SessionEnded, once."""

    def get_session(self, session_key: str) -> PortalSession | None:
        """The session; SessionEnded (and the item goes) when it was ended for its user."""
        session = super().get_session(session_key)
        if session is not None and session.ended:
            self.delete_session(session_key)
            raise SessionEnded()
        return session

    def end_sessions_of_user(self, user_id: str, reason: str) -> int:
        """Mark every live session of a user ended (one index query, one update each)."""
        m = PortalSessionModel
        with translated():
            keys = [s.session_key for s in m.by_user.query(user_id) if not s.ended]
        for key in keys:
            try:
                with translated():
                    m(key).update(actions=[m.ended.set(reason)], condition=m.session_key.exists())
            except UpdateError as exc:  # logged out meanwhile: nothing left to end
                if not is_condition_failure(exc):
                    raise
        return len(keys)


portal_sessions = PortalSessions(PortalSessionModel, PortalSession, get_user)
