"""Hub OpenID Connect storage: the signing keyring, registered clients, codes and access tokens.

Codes and access tokens are stored under the SHA-256 of their value, never in clear; the signing
keys' private halves are stored sealed by the secret box (the caller seals and opens them).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import PutError, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.errors import AlreadyExists, ConcurrentChange
from chalicelib.storage.base import is_condition_failure, translated, ttl_after

KEYRING_NAME = "signing"

# --------------------------------------------------------------------------------------------------
# Models


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


class ClientByCompany(GlobalSecondaryIndex):  # type: ignore[type-arg]
    class Meta:
        index_name = "by_company"
        projection = AllProjection()

    company_id = UnicodeAttribute(hash_key=True)
    client_id = UnicodeAttribute(range_key=True)


class HubOidcClientModel(Model):
    class Meta:
        logical_name = "hub_oidc_clients"
        table_name = "hub_oidc_clients"

    client_id = UnicodeAttribute(hash_key=True)
    company_id = UnicodeAttribute()
    name = UnicodeAttribute()
    redirect_uris = ListAttribute(of=UnicodeAttribute)  # type: ignore[var-annotated]
    secret_hash = UnicodeAttribute()  # argon2id
    created_at = UTCDateTimeAttribute()
    created_by = UnicodeAttribute()
    by_company = ClientByCompany()


class HubOidcCodeModel(Model):
    class Meta:
        logical_name = "hub_oidc_codes"
        table_name = "hub_oidc_codes"
        ttl_attribute = "expires_ttl"

    code_hash = UnicodeAttribute(hash_key=True)
    client_id = UnicodeAttribute()
    redirect_uri = UnicodeAttribute()
    user_id = UnicodeAttribute()
    sid = UnicodeAttribute()
    scope = UnicodeAttribute()
    nonce = UnicodeAttribute(null=True)
    code_challenge = UnicodeAttribute()
    auth_time = UTCDateTimeAttribute()
    claims = UnicodeAttribute()  # JSON: the user's claims when the code was issued
    expires_at = UTCDateTimeAttribute()
    expires_ttl = NumberAttribute()
    redeemed_at = UTCDateTimeAttribute(null=True)
    access_token_hash = UnicodeAttribute(null=True)


class HubOidcAccessTokenModel(Model):
    class Meta:
        logical_name = "hub_oidc_tokens"
        table_name = "hub_oidc_tokens"
        ttl_attribute = "expires_ttl"

    token_hash = UnicodeAttribute(hash_key=True)
    client_id = UnicodeAttribute(null=True)
    user_id = UnicodeAttribute(null=True)
    sid = UnicodeAttribute(null=True)
    scope = UnicodeAttribute(null=True)
    expires_at = UTCDateTimeAttribute(null=True)
    expires_ttl = NumberAttribute()
    revoked = BooleanAttribute(null=True)


# --------------------------------------------------------------------------------------------------
# Plain records


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


@dataclass(frozen=True)
class RegisteredClient:
    client_id: str
    company_id: str
    name: str
    redirect_uris: tuple[str, ...]
    secret_hash: str
    created_at: dt.datetime
    created_by: str


@dataclass(frozen=True)
class AuthorizationCode:
    code_hash: str
    client_id: str
    redirect_uri: str
    user_id: str
    sid: str
    scope: str
    code_challenge: str
    auth_time: dt.datetime
    claims: dict[str, Any]
    expires_at: dt.datetime
    nonce: str | None = None
    redeemed_at: dt.datetime | None = None
    access_token_hash: str | None = None


@dataclass(frozen=True)
class AccessToken:
    token_hash: str
    client_id: str
    user_id: str
    sid: str
    scope: str
    expires_at: dt.datetime
    revoked: bool = False


# --------------------------------------------------------------------------------------------------
# Signing keyring


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


# --------------------------------------------------------------------------------------------------
# Registered clients


def _client(m: HubOidcClientModel) -> RegisteredClient:
    return RegisteredClient(
        client_id=m.client_id,
        company_id=m.company_id,
        name=m.name,
        redirect_uris=tuple(m.redirect_uris or ()),  # type: ignore[arg-type]
        secret_hash=m.secret_hash,
        created_at=m.created_at,
        created_by=m.created_by,
    )


def create_client(client: RegisteredClient) -> None:
    model = HubOidcClientModel(
        client.client_id,
        company_id=client.company_id,
        name=client.name,
        redirect_uris=list(client.redirect_uris),
        secret_hash=client.secret_hash,
        created_at=client.created_at,
        created_by=client.created_by,
    )
    try:
        with translated():
            model.save(condition=HubOidcClientModel.client_id.does_not_exist())
    except PutError as exc:
        if is_condition_failure(exc):
            raise AlreadyExists("client id collision") from exc
        raise


def get_client(client_id: str) -> RegisteredClient | None:
    try:
        with translated():
            return _client(HubOidcClientModel.get(client_id))
    except HubOidcClientModel.DoesNotExist:
        return None


def clients_of_company(company_id: str) -> list[RegisteredClient]:
    with translated():
        return [_client(m) for m in HubOidcClientModel.by_company.query(company_id)]


# --------------------------------------------------------------------------------------------------
# Authorization codes


def create_code(code: AuthorizationCode) -> None:
    model = HubOidcCodeModel(
        code.code_hash,
        client_id=code.client_id,
        redirect_uri=code.redirect_uri,
        user_id=code.user_id,
        sid=code.sid,
        scope=code.scope,
        nonce=code.nonce,
        code_challenge=code.code_challenge,
        auth_time=code.auth_time,
        claims=json.dumps(code.claims, sort_keys=True),
        expires_at=code.expires_at,
        # Kept a while past expiry so a late replay still finds it and revokes its token.
        expires_ttl=ttl_after(code.expires_at, 3600),
    )
    try:
        with translated():
            model.save(condition=HubOidcCodeModel.code_hash.does_not_exist())
    except PutError as exc:
        if is_condition_failure(exc):
            raise ConcurrentChange("authorization code collision") from exc
        raise


def get_code(code_hash: str) -> AuthorizationCode | None:
    try:
        with translated():
            m = HubOidcCodeModel.get(code_hash, consistent_read=True)
    except HubOidcCodeModel.DoesNotExist:
        return None
    return AuthorizationCode(
        code_hash=m.code_hash,
        client_id=m.client_id,
        redirect_uri=m.redirect_uri,
        user_id=m.user_id,
        sid=m.sid,
        scope=m.scope,
        code_challenge=m.code_challenge,
        auth_time=m.auth_time,
        claims=json.loads(m.claims),
        expires_at=m.expires_at,
        nonce=m.nonce,
        redeemed_at=m.redeemed_at,
        access_token_hash=m.access_token_hash,
    )


def redeem_code(code_hash: str, access_token_hash: str, now: dt.datetime) -> bool:
    """Mark the code used, naming the token it yields; False if it was already used (a replay).

    Timeline of a race: both requests read the code unused; only one update finds
    `redeemed_at` still absent; the other gets False and revokes the winner's token.
    """
    try:
        with translated():
            HubOidcCodeModel(code_hash).update(
                actions=[
                    HubOidcCodeModel.redeemed_at.set(now),
                    HubOidcCodeModel.access_token_hash.set(access_token_hash),
                ],
                condition=HubOidcCodeModel.code_hash.exists()
                & HubOidcCodeModel.redeemed_at.does_not_exist(),
            )
    except UpdateError as exc:
        if is_condition_failure(exc):
            return False
        raise
    return True


# --------------------------------------------------------------------------------------------------
# Access tokens


def create_access_token(token: AccessToken) -> bool:
    """Store a new token; False when a revocation for it was written first (a replayed code)."""
    model = HubOidcAccessTokenModel(
        token.token_hash,
        client_id=token.client_id,
        user_id=token.user_id,
        sid=token.sid,
        scope=token.scope,
        expires_at=token.expires_at,
        expires_ttl=ttl_after(token.expires_at, 0),
    )
    try:
        with translated():
            model.save(condition=HubOidcAccessTokenModel.token_hash.does_not_exist())
    except PutError as exc:
        if is_condition_failure(exc):
            return False
        raise
    return True


def revoke_access_token(token_hash: str, keep_until: dt.datetime) -> None:
    """Mark a token revoked; written even if the token does not exist yet, so it never will."""
    with translated():
        HubOidcAccessTokenModel(token_hash).update(
            actions=[
                HubOidcAccessTokenModel.revoked.set(True),
                HubOidcAccessTokenModel.expires_ttl.set(ttl_after(keep_until, 0)),
            ]
        )


def get_access_token(token_hash: str) -> AccessToken | None:
    try:
        with translated():
            m = HubOidcAccessTokenModel.get(token_hash, consistent_read=True)
    except HubOidcAccessTokenModel.DoesNotExist:
        return None
    if m.user_id is None or m.expires_at is None:  # a revocation written ahead of its token
        return None
    return AccessToken(
        token_hash=m.token_hash,
        client_id=m.client_id or "",
        user_id=m.user_id,
        sid=m.sid or "",
        scope=m.scope or "",
        expires_at=m.expires_at,
        revoked=bool(m.revoked),
    )
