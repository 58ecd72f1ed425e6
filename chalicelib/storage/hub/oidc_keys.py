"""The hub's OIDC signing keyring: the current and the previous key, in one record.

The private half of the current key is stored sealed by the secret box (the caller seals and
opens it).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import PutError
from pynamodb.models import Model

from chalicelib.errors import AlreadyExists, ConcurrentChange
from chalicelib.storage.base import is_condition_failure, translated

KEYRING_NAME = "signing"


class HubOidcKeyringModel(Model):
    """One record holds the current and the previous signing key, so one read loads both."""

    class Meta:
        logical_name = "hub_oidc_keys"
        table_name = "hub_oidc_keys"

    name = UnicodeAttribute(hash_key=True)
    version = NumberAttribute()
    current_kid = UnicodeAttribute()
    current_public_jwk = UnicodeAttribute()  # JSON
    current_private_key = UnicodeAttribute()  # sealed by the secret box
    current_created_at = UTCDateTimeAttribute()
    previous_kid = UnicodeAttribute(null=True)
    previous_public_jwk = UnicodeAttribute(null=True)
    previous_created_at = UTCDateTimeAttribute(null=True)


@dataclass(frozen=True)
class StoredSigningKey:
    kid: str
    public_jwk: dict[str, Any]
    created_at: dt.datetime
    sealed_private_key: str | None = None  # only the current key keeps its private half


@dataclass(frozen=True)
class StoredKeyring:
    version: int
    current: StoredSigningKey
    previous: StoredSigningKey | None = None


def _keyring(m: HubOidcKeyringModel) -> StoredKeyring:
    previous = None
    if m.previous_kid and m.previous_public_jwk and m.previous_created_at:
        previous = StoredSigningKey(
            kid=m.previous_kid,
            public_jwk=json.loads(m.previous_public_jwk),
            created_at=m.previous_created_at,
        )
    return StoredKeyring(
        version=int(m.version),
        current=StoredSigningKey(
            kid=m.current_kid,
            public_jwk=json.loads(m.current_public_jwk),
            created_at=m.current_created_at,
            sealed_private_key=m.current_private_key,
        ),
        previous=previous,
    )


def _keyring_model(keyring: StoredKeyring) -> HubOidcKeyringModel:
    current, previous = keyring.current, keyring.previous
    if current.sealed_private_key is None:
        raise ValueError("the current signing key needs its sealed private key")
    return HubOidcKeyringModel(
        KEYRING_NAME,
        version=keyring.version,
        current_kid=current.kid,
        current_public_jwk=json.dumps(current.public_jwk, sort_keys=True),
        current_private_key=current.sealed_private_key,
        current_created_at=current.created_at,
        previous_kid=previous.kid if previous else None,
        previous_public_jwk=json.dumps(previous.public_jwk, sort_keys=True) if previous else None,
        previous_created_at=previous.created_at if previous else None,
    )


def get_keyring() -> StoredKeyring | None:
    try:
        with translated():
            return _keyring(HubOidcKeyringModel.get(KEYRING_NAME, consistent_read=True))
    except HubOidcKeyringModel.DoesNotExist:
        return None


def create_keyring(keyring: StoredKeyring) -> None:
    """The first keyring; AlreadyExists when another process created one first."""
    try:
        with translated():
            _keyring_model(keyring).save(condition=HubOidcKeyringModel.name.does_not_exist())
    except PutError as exc:
        if is_condition_failure(exc):
            raise AlreadyExists("a signing keyring already exists") from exc
        raise


def replace_keyring(keyring: StoredKeyring, expected_version: int) -> None:
    """Rotation: write the new keyring only if nobody rotated since `expected_version` was read."""
    try:
        with translated():
            _keyring_model(keyring).save(
                condition=HubOidcKeyringModel.version == expected_version
            )
    except PutError as exc:
        if is_condition_failure(exc):
            raise ConcurrentChange("the signing keys were rotated at the same time") from exc
        raise
