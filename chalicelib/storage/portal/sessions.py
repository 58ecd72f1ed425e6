"""Partner Portal sessions: the portal's session table and its typed store (see `kit.Sessions`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pynamodb.attributes import UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection

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


portal_sessions: ModuleSessions[PortalSession, PortalUser] = ModuleSessions(
    PortalSessionModel, PortalSession, get_user
)
