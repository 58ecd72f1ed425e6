"""IT Docs sessions: IT Docs' session table and its typed store (see `kit.Sessions`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pynamodb.attributes import UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.storage.itdocs.users import User, find_user
from chalicelib.storage.kit import ModuleSessionModel, ModuleSessions


class ItDocsSessionByUser(GlobalSecondaryIndex):  # type: ignore[type-arg]
    class Meta:
        index_name = "by_user"
        projection = AllProjection()

    user_id = UnicodeAttribute(hash_key=True)


class ItDocsSessionByHubSid(GlobalSecondaryIndex):  # type: ignore[type-arg]
    class Meta:
        index_name = "by_hub_sid"
        projection = AllProjection()

    hub_sid = UnicodeAttribute(hash_key=True)


class ItDocsSessionModel(ModuleSessionModel):
    class Meta:
        logical_name = "itdocs_sessions"
        table_name = "itdocs_sessions"
        ttl_attribute = "expires_ttl"

    account_id = UnicodeAttribute()
    by_user = ItDocsSessionByUser()
    by_hub_sid = ItDocsSessionByHubSid()


@dataclass
class Session:
    session_key: str
    user_id: str
    account_id: str
    created_at: dt.datetime
    last_seen_at: dt.datetime
    expires_at: dt.datetime
    hub_sid: str | None = None


# A deleted user reads as None, so `resume` ends the session and asks for a login.
itdocs_sessions: ModuleSessions[Session, User] = ModuleSessions(
    ItDocsSessionModel, Session, find_user
)
