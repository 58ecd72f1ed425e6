"""IT Docs storage: sessions, API keys and the audit log."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DeleteError, PutError, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.errors import AlreadyExists, ConcurrentChange, NotFound
from chalicelib.storage.base import is_condition_failure, translated, ttl_after
from chalicelib.storage.itdocs import _filled, _plain

# --------------------------------------------------------------------------------------------------
# Models


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


class ItDocsSessionModel(Model):
    class Meta:
        logical_name = "itdocs_sessions"
        table_name = "itdocs_sessions"
        ttl_attribute = "expires_ttl"

    session_key = UnicodeAttribute(hash_key=True)  # sha256 of the cookie token
    user_id = UnicodeAttribute()
    account_id = UnicodeAttribute()
    hub_sid = UnicodeAttribute(null=True)  # the hub session that started it (hub logout ends it)
    created_at = UTCDateTimeAttribute()
    last_seen_at = UTCDateTimeAttribute()
    expires_at = UTCDateTimeAttribute()
    expires_ttl = NumberAttribute()
    by_user = ItDocsSessionByUser()
    by_hub_sid = ItDocsSessionByHubSid()


class ItDocsApiKeyByAccount(GlobalSecondaryIndex):  # type: ignore[type-arg]
    class Meta:
        index_name = "by_account"
        projection = AllProjection()

    account_id = UnicodeAttribute(hash_key=True)


class ItDocsApiKeyModel(Model):
    class Meta:
        logical_name = "itdocs_api_keys"
        table_name = "itdocs_api_keys"

    key_id = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    label = UnicodeAttribute()
    secret_hash = UnicodeAttribute()  # argon2id; the secret itself is shown once
    created_at = UTCDateTimeAttribute()
    revoked_at = UTCDateTimeAttribute(null=True)
    by_account = ItDocsApiKeyByAccount()


class ItDocsAuditModel(Model):
    class Meta:
        logical_name = "itdocs_audit"
        table_name = "itdocs_audit"

    account_id = UnicodeAttribute(hash_key=True)
    entry_key = UnicodeAttribute(range_key=True)  # iso time + random, newest last
    actor = UnicodeAttribute()
    action = UnicodeAttribute()
    detail = UnicodeAttribute(default="")
    at = UTCDateTimeAttribute()


# --------------------------------------------------------------------------------------------------
# Plain records


@dataclass
class Session:
    session_key: str
    user_id: str
    account_id: str
    created_at: dt.datetime
    last_seen_at: dt.datetime
    expires_at: dt.datetime
    hub_sid: str | None = None


@dataclass
class ApiKey:
    key_id: str
    account_id: str
    user_id: str
    label: str
    secret_hash: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None = None


@dataclass
class AuditEntry:
    actor: str
    action: str
    detail: str
    at: dt.datetime


_SESSION_FIELDS = list(Session.__dataclass_fields__)
_KEY_FIELDS = list(ApiKey.__dataclass_fields__)


# --------------------------------------------------------------------------------------------------
# Sessions


def create_session(session: Session) -> None:
    model = ItDocsSessionModel(session.session_key,
                               expires_ttl=ttl_after(session.expires_at, 0))
    _filled(model, session, _SESSION_FIELDS)
    try:
        with translated():
            model.save(condition=ItDocsSessionModel.session_key.does_not_exist())
    except PutError as exc:
        if is_condition_failure(exc):
            raise ConcurrentChange("session id collision") from exc
        raise


def get_session(session_key: str) -> Session | None:
    try:
        with translated():
            return _plain(Session, _SESSION_FIELDS, ItDocsSessionModel.get(session_key))  # type: ignore[no-any-return]
    except ItDocsSessionModel.DoesNotExist:
        return None


def touch_session(session_key: str, now: dt.datetime) -> None:
    try:
        with translated():
            ItDocsSessionModel(session_key).update(
                actions=[ItDocsSessionModel.last_seen_at.set(now)],
                condition=ItDocsSessionModel.session_key.exists())
    except UpdateError as exc:
        if not is_condition_failure(exc):
            raise


def delete_session(session_key: str) -> None:
    try:
        with translated():
            ItDocsSessionModel(session_key).delete()
    except DeleteError:
        pass


def sessions_of_user(user_id: str) -> list[Session]:
    with translated():
        return [_plain(Session, _SESSION_FIELDS, m)
                for m in ItDocsSessionModel.by_user.query(user_id)]


def sessions_of_hub_session(hub_sid: str) -> list[Session]:
    with translated():
        return [_plain(Session, _SESSION_FIELDS, m)
                for m in ItDocsSessionModel.by_hub_sid.query(hub_sid)]


def delete_sessions(keys: list[str]) -> None:
    with translated(), ItDocsSessionModel.batch_write() as batch:
        for key in keys:
            batch.delete(ItDocsSessionModel(key))


# --------------------------------------------------------------------------------------------------
# API keys


def create_api_key(key: ApiKey) -> None:
    model = _filled(ItDocsApiKeyModel(key.key_id), key, _KEY_FIELDS)
    try:
        with translated():
            model.save(condition=ItDocsApiKeyModel.key_id.does_not_exist())
    except PutError as exc:
        if is_condition_failure(exc):
            raise AlreadyExists("API key id collision.") from exc
        raise


def get_api_key(key_id: str) -> ApiKey | None:
    try:
        with translated():
            return _plain(ApiKey, _KEY_FIELDS, ItDocsApiKeyModel.get(key_id))  # type: ignore[no-any-return]
    except ItDocsApiKeyModel.DoesNotExist:
        return None


def api_keys_of_account(account_id: str) -> list[ApiKey]:
    with translated():
        return [_plain(ApiKey, _KEY_FIELDS, m)
                for m in ItDocsApiKeyModel.by_account.query(account_id)]


def revoke_api_key(account_id: str, key_id: str, now: dt.datetime) -> None:
    try:
        with translated():
            ItDocsApiKeyModel(key_id).update(
                actions=[ItDocsApiKeyModel.revoked_at.set(now)],
                condition=ItDocsApiKeyModel.account_id == account_id)
    except UpdateError as exc:
        if is_condition_failure(exc):
            raise NotFound("No such API key.") from exc
        raise


# --------------------------------------------------------------------------------------------------
# Audit


def add_audit(account_id: str, entry_key: str, actor: str, action: str, detail: str,
              at: dt.datetime) -> None:
    with translated():
        ItDocsAuditModel(account_id, entry_key, actor=actor, action=action, detail=detail,
                         at=at).save()


def audit_of_account(account_id: str, limit: int = 50) -> list[AuditEntry]:
    with translated():
        return [AuditEntry(m.actor, m.action, m.detail, m.at)
                for m in ItDocsAuditModel.query(account_id, scan_index_forward=False, limit=limit)]
