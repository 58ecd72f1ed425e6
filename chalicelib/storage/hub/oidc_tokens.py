"""OIDC access tokens, stored under the SHA-256 of their value; a revocation may come first."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pynamodb.attributes import (
    BooleanAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.models import Model

from chalicelib.storage.base import translated, ttl_after


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


@dataclass(frozen=True)
class AccessToken:
    token_hash: str
    client_id: str
    user_id: str
    sid: str
    scope: str
    expires_at: dt.datetime
    revoked: bool = False


def token_model(token: AccessToken) -> HubOidcAccessTokenModel:
    """The stored item of a new token (written with its code's redemption)."""
    return HubOidcAccessTokenModel(
        token.token_hash,
        client_id=token.client_id,
        user_id=token.user_id,
        sid=token.sid,
        scope=token.scope,
        expires_at=token.expires_at,
        expires_ttl=ttl_after(token.expires_at, 0),
    )


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
