"""The OIDC provider's conditional writes on a real DynamoDB Local."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.auth.hub.oidc import clients, keys, provider
from chalicelib.errors import ConcurrentChange, OAuthError
from chalicelib.storage.hub import oidc_keys as store
from tests.auth.hub.oidc.flow import Rp, signed_in, verify_id_token
from tests.conftest import unique

pytestmark = pytest.mark.ddblocal


def test_full_flow_and_replay_revocation(ddb_client):
    signed_in(ddb_client, company_name=unique("Flow Co"))
    rp = Rp.builtin("portal")
    code = rp.code(ddb_client)
    first = rp.token(ddb_client, code, method="post")
    assert first.status == 200
    assert verify_id_token(ddb_client, first.json["id_token"], audience="portal")["sid"]
    bearer = {"authorization": "Bearer " + first.json["access_token"]}
    assert ddb_client.get("/hub/oidc/userinfo", headers=bearer).status == 200
    assert rp.token(ddb_client, code).json["error"] == "invalid_grant"
    assert ddb_client.get("/hub/oidc/userinfo", headers=bearer).status == 401


def test_one_code_redeemed_at_once_by_many_yields_at_most_one_usable_token(ddb, ddb_client):
    signed_in(ddb_client, company_name=unique("Race Co"))
    rp = Rp.builtin("itdocs")
    code = rp.code(ddb_client)
    client = clients.authenticate(ddb, rp.client_id, rp.secret)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": rp.redirect_uri,
            "code_verifier": rp.verifier}

    def redeem(_: int) -> str | None:
        try:
            return provider.exchange_code(ddb, client, form)["access_token"]
        except OAuthError as error:
            assert error.error == "invalid_grant"
            return None

    with ThreadPoolExecutor(8) as pool:
        tokens = [t for t in pool.map(redeem, range(8)) if t]
    assert len(tokens) <= 1
    # Every loser was a replay, so whatever the winner got is revoked.
    for token in tokens:
        with pytest.raises(OAuthError):
            provider.userinfo(ddb, f"Bearer {token}")


def test_a_rotation_that_lost_a_race_does_not_overwrite_the_winner(ddb):
    keys.ensure_current_key(ddb)
    stored = store.get_keyring()
    assert stored is not None
    fresh = keys._new_key(ddb)
    mine = store.StoredKeyring(stored.version + 1, fresh,
                               store.StoredSigningKey(stored.current.kid,
                                                      stored.current.public_jwk,
                                                      stored.current.created_at))
    store.replace_keyring(mine, expected_version=stored.version)
    with pytest.raises(ConcurrentChange):
        store.replace_keyring(mine, expected_version=stored.version)
    assert keys.ensure_current_key(ddb).current.kid == fresh.kid
    assert keys.keyring(ddb).previous.kid == stored.current.kid
