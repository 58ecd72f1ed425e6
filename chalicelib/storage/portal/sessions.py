"""Partner Portal sessions: the portal's session table and its typed store (see `kit.Sessions`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection

from chalicelib.errors import SessionEnded
from chalicelib.storage.base import is_condition_failure, translated, ttl_after
from chalicelib.storage.kit import ModuleSessionModel, ModuleSessions
from chalicelib.storage.portal.api_usage import ACCESS, ApiUsageModel, seen_in
from chalicelib.storage.portal.companies import PortalCompany, PortalCompanyModel, company_from
from chalicelib.storage.portal.security_settings import (
    PortalSecuritySettingsModel,
    SecurityRecord,
    record_from,
)
from chalicelib.storage.portal.users import PortalUser, PortalUserModel, get_user, user_from
from chalicelib.storage.together import Wanted, read_together


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
    # The user's session epoch when it started; a session whose user's epoch moved on since is
    # over (absent on sessions from before: 0, as on their users).
    user_epoch = NumberAttribute(null=True)
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
    user_epoch: int | None = None


@dataclass(frozen=True)
class SignedIn:
    """What a signed-in page reads before its own data, in one call: the session, its user, and
    the company and security settings the cookie names (each None when absent), and the other
    user the page is about when it names one (`other`, read with them)."""

    session: PortalSession | None
    user: PortalUser | None
    company: PortalCompany | None
    settings: SecurityRecord
    other: PortalUser | None = None
    key_uses: dict[str, dt.datetime] | None = None  # the API keys' last uses, when asked for


class PortalSessions(ModuleSessions[PortalSession, PortalUser]):
    """Portal sessions; those ended for their user are refused with SessionEnded, once."""

    def get_session(self, session_key: str) -> PortalSession | None:
        """The session; SessionEnded (and the item goes) when it was ended for its user."""
        return self._unless_ended(session_key, super().get_session(session_key))

    def _unless_ended(self, session_key: str,
                      session: PortalSession | None) -> PortalSession | None:
        if session is not None and session.ended:
            self.delete_session(session_key)
            raise SessionEnded()
        return session

    def unless_epoch_moved(self, session_key: str, session: PortalSession | None,
                           user: PortalUser | None) -> None:
        """SessionEnded (and the item goes) when the session's own user changed status since
        it started: their session epoch moved on (a deactivation ends every session at once)."""
        if (session is not None and user is not None and session.user_id == user.user_id
                and (session.user_epoch or 0) != user.session_epoch):
            self.delete_session(session_key)
            raise SessionEnded()

    def read_signed_in(self, session_key: str, company_id: str, user_id: str,
                       other_user_id: str | None = None, key_uses: bool = False) -> SignedIn:
        """The session, the user, the company and its settings (and the other user a page is
        about, and the company's API key uses): one consistent BatchGetItem.

        The ids come from the cookie and are trusted by nobody: the caller checks that the
        session names this user and the user this company. SessionEnded as `get_session`, and
        when the user's session epoch moved on since the session started."""
        wanted = [Wanted(PortalSessionModel, session_key), Wanted(PortalUserModel, user_id),
                  Wanted(PortalCompanyModel, company_id),
                  Wanted(PortalSecuritySettingsModel, company_id)]
        found = read_together(wanted + ([Wanted(PortalUserModel, other_user_id)]
                                        if other_user_id else [])
                              + ([Wanted(ApiUsageModel, company_id, ACCESS)] if key_uses else []))
        session = self._unless_ended(session_key, self._session_from(found[0]))
        user, other = (_user_of(m) for m in (found[1], found[4] if other_user_id else None))
        self.unless_epoch_moved(session_key, session, user)
        company, settings = found[2], found[3]
        return SignedIn(
            session, user,
            company_from(company) if isinstance(company, PortalCompanyModel) else None,
            record_from(settings) if isinstance(settings, PortalSecuritySettingsModel)
            else SecurityRecord(company_id=company_id), other,
            seen_in(found[-1]) if key_uses else None)

    def _session_from(self, found: object) -> PortalSession | None:
        if not isinstance(found, PortalSessionModel):
            return None
        return PortalSession(**{name: getattr(found, name) for name in self._fields})

    def model_of(self, session: PortalSession) -> PortalSessionModel:
        """The session as the item `create_session` stores (for a caller's transaction)."""
        values = self._values(session)
        return PortalSessionModel(expires_ttl=ttl_after(values["expires_at"], 0), **values)

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


def _user_of(found: object) -> PortalUser | None:
    """The user an item of a batch read holds (None when it was not found)."""
    return user_from(found) if isinstance(found, PortalUserModel) else None


portal_sessions = PortalSessions(PortalSessionModel, PortalSession, get_user)
