"""IT Docs API keys (the secret only as a hash; it is shown once)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import PutError, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.errors import AlreadyExists, NotFound
from chalicelib.storage.base import filled, is_condition_failure, record_of, translated


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


@dataclass
class ApiKey:
    key_id: str
    account_id: str
    user_id: str
    label: str
    secret_hash: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None = None


_KEY_FIELDS = list(ApiKey.__dataclass_fields__)


def create_api_key(key: ApiKey) -> None:
    model = filled(ItDocsApiKeyModel(key.key_id), key, _KEY_FIELDS)
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
            return record_of(ApiKey, _KEY_FIELDS, ItDocsApiKeyModel.get(key_id))
    except ItDocsApiKeyModel.DoesNotExist:
        return None


def api_keys_of_account(account_id: str) -> list[ApiKey]:
    with translated():
        return [record_of(ApiKey, _KEY_FIELDS, m)
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
