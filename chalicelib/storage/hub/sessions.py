"""Hub sessions: the hub's session table and its typed store (see `kit.Sessions`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pynamodb.attributes import UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.storage.hub.users import HubUser, get_user
from chalicelib.storage.kit import SessionModel, Sessions


class SessionByUser(GlobalSecondaryIndex):  # type: ignore[type-arg]
    class Meta:
        index_name = "by_user"
        projection = AllProjection()

    user_id = UnicodeAttribute(hash_key=True)


class HubSessionModel(SessionModel):
    class Meta:
        logical_name = "hub_sessions"
        table_name = "hub_sessions"
        ttl_attribute = "expires_ttl"

    company_id = UnicodeAttribute()
    by_user = SessionByUser()


@dataclass
class HubSession:
    session_key: str
    user_id: str
    company_id: str
    created_at: dt.datetime
    last_seen_at: dt.datetime
    expires_at: dt.datetime


hub_sessions: Sessions[HubSession, HubUser] = Sessions(HubSessionModel, HubSession, get_user)
