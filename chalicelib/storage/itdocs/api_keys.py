"""IT Docs API keys (the secret only as a hash; it is shown once)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.errors import AlreadyExists, NotFound
from chalicelib.storage.base import filled, is_condition_failure, record_of, translated
from chalicelib.storage.itdocs.audit import AuditLine, add_line
from chalicelib.storage.itdocs.users import ItDocsUserModel, User, user_from
from chalicelib.storage.together import Wanted, read_together
from chalicelib.storage.transactions import Transaction, write_transaction


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


def create_api_key(key: ApiKey, line: AuditLine) -> None:
    """The key and its audit entry in one transaction; AlreadyExists for a taken key id."""
    model = filled(ItDocsApiKeyModel(key.key_id), key, _KEY_FIELDS)

    def write(tx: Transaction) -> None:
        tx.save(model, condition=ItDocsApiKeyModel.key_id.does_not_exist())
        add_line(tx, line)

    if write_transaction(write):
        raise AlreadyExists("API key id collision.")


def get_api_key(key_id: str) -> ApiKey | None:
    try:
        with translated():
            return record_of(ApiKey, _KEY_FIELDS, ItDocsApiKeyModel.get(key_id))
    except ItDocsApiKeyModel.DoesNotExist:
        return None


def key_and_user(key_id: str, user_id: str) -> tuple[ApiKey | None, User | None]:
    """The key and the user its string names, in one BatchGetItem (None for either missing)."""
    key, user = read_together([Wanted(ItDocsApiKeyModel, key_id), Wanted(ItDocsUserModel, user_id)])
    return (None if key is None else record_of(ApiKey, _KEY_FIELDS, key),
            None if user is None else user_from(user))  # type: ignore[arg-type]


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
