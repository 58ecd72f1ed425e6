"""Hub sessions: the hub's session table and its typed store (see `kit.Sessions`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.errors import ConcurrentChange
from chalicelib.storage import low_level
from chalicelib.storage.base import record_of, ttl_after
from chalicelib.storage.hub.companies import HubCompany, HubCompanyModel, company_of
from chalicelib.storage.hub.sign_in import code_step_update, moment
from chalicelib.storage.hub.users import HubUser, HubUserModel, get_user, user_of
from chalicelib.storage.kit import SessionModel, Sessions
from chalicelib.storage.low_level import Item, number, text
from chalicelib.storage.together import Wanted, read_together


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
    epoch = NumberAttribute(default=0)  # the user's session epoch when it started
    by_user = SessionByUser()


@dataclass
class HubSession:
    session_key: str
    user_id: str
    company_id: str
    created_at: dt.datetime
    last_seen_at: dt.datetime
    expires_at: dt.datetime
    epoch: int = 0


_SESSION_FIELDS = list(HubSession.__dataclass_fields__)
hub_sessions: Sessions[HubSession, HubUser] = Sessions(HubSessionModel, HubSession, get_user)


def read_signed_in(session_key: str, company_id: str, user_id: str
                   ) -> tuple[HubSession | None, HubUser | None, HubCompany | None]:
    """A page's session, its user and their company in one consistent BatchGetItem (the ids come
    from the cookie token; the caller checks they are the session's)."""
    session, user, company = read_together([Wanted(HubSessionModel, session_key),
                                            Wanted(HubUserModel, user_id),
                                            Wanted(HubCompanyModel, company_id)])
    return (record_of(HubSession, _SESSION_FIELDS, session)
            if isinstance(session, HubSessionModel) else None,
            user_of(user) if isinstance(user, HubUserModel) else None,
            company_of(company) if isinstance(company, HubCompanyModel) else None)


def session_item(session: HubSession) -> Item:
    """The stored item of a new session, as HubSessionModel writes it."""
    return {"session_key": text(session.session_key), "user_id": text(session.user_id),
            "company_id": text(session.company_id), "created_at": moment(session.created_at),
            "last_seen_at": moment(session.last_seen_at), "expires_at": moment(session.expires_at),
            "expires_ttl": number(ttl_after(session.expires_at, 0)), "epoch": number(session.epoch)}


def start_after_code(session: HubSession, step: int, enroll_secret: str | None = None,
                     previous_key: str = "") -> bool:
    """The login's last write, one transaction on the low-level client: the TOTP step accepted
    (`sign_in.code_step_update`), the new session stored and the browser's previous one (if any)
    ended. False when the step was not newer than the last one (a replay, or a parallel use of
    the same code): nothing written.
    """
    table = str(HubSessionModel.Meta.table_name)
    items = [code_step_update(session.user_id, step, session.created_at, enroll_secret),
             {"Put": {"TableName": table, "Item": session_item(session),
                      "ConditionExpression": "attribute_not_exists(#k)",
                      "ExpressionAttributeNames": {"#k": "session_key"}}}]
    if previous_key and previous_key != session.session_key:
        items.append({"Delete": {"TableName": table, "Key": {"session_key": text(previous_key)}}})
    failed = low_level.transact(items)
    if 1 in failed:
        raise ConcurrentChange("session id collision")
    return not failed
