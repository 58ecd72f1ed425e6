"""OIDC authorization codes, stored under the SHA-256 of their value and redeemed once."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import PutError
from pynamodb.models import Model

from chalicelib.errors import ConcurrentChange
from chalicelib.storage.base import is_condition_failure, translated, ttl_after
from chalicelib.storage.hub.oidc_tokens import AccessToken, HubOidcAccessTokenModel, token_model
from chalicelib.storage.transactions import Transaction, write_transaction


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


def redeem_code(code_hash: str, token: AccessToken, now: dt.datetime) -> str:
    """Mark the code used, naming the token it yields, and store that token: one transaction.

    "redeemed"; "replayed" when the code was already used (both requests read the code unused,
    only one finds `redeemed_at` still absent: the loser revokes the winner's token); "revoked"
    when a revocation of the token was written first. Nothing is written unless "redeemed".
    """
    code = HubOidcCodeModel

    def write(tx: Transaction) -> None:
        tx.update(code(code_hash),
                  actions=[code.redeemed_at.set(now), code.access_token_hash.set(token.token_hash)],
                  condition=code.code_hash.exists() & code.redeemed_at.does_not_exist())
        tx.save(token_model(token), condition=HubOidcAccessTokenModel.token_hash.does_not_exist())

    failed = write_transaction(write)
    return "replayed" if 0 in failed else "revoked" if failed else "redeemed"
