"""Signing keys: rotation with the previous key still published, sealed private keys, the cache."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from chalicelib import runtime
from chalicelib.auth.hub.oidc import keys
from chalicelib.storage import tables
from chalicelib.storage.hub.oidc_keys import HubOidcKeyringModel
from tests.auth.hub.oidc.flow import Rp, signed_in, verify_id_token


def test_rotation_keeps_the_previous_key_published_and_its_tokens_valid(client, aws):
    signed_in(client)
    rp = Rp.builtin()
    old_token = rp.token(client, rp.code(client)).json["id_token"]
    old_kid = jwt.get_unverified_header(old_token)["kid"]

    keys.rotate(aws)
    published = [k["kid"] for k in client.get("/hub/oidc/jwks").json["keys"]]
    assert len(published) == 2 and published[1] == old_kid and published[0] != old_kid
    assert verify_id_token(client, old_token, audience="portal")["sub"]

    rp2 = Rp.builtin()
    new_token = rp2.token(client, rp2.code(client)).json["id_token"]
    assert jwt.get_unverified_header(new_token)["kid"] == published[0]
    assert verify_id_token(client, new_token, audience="portal")["sub"]

    keys.rotate(aws)  # two rotations later the oldest key is gone
    assert old_kid not in [k["kid"] for k in client.get("/hub/oidc/jwks").json["keys"]]


def test_private_keys_are_not_stored_in_clear(aws):
    keyring = keys.ensure_current_key(aws)
    raw = HubOidcKeyringModel._get_connection().connection.client.get_item(
        TableName=HubOidcKeyringModel.Meta.table_name, Key={"name": {"S": "signing"}})["Item"]
    stored = json.dumps(raw)
    assert "PRIVATE KEY" not in stored and '"d"' not in stored
    sealed = raw["current_private_key"]["S"]
    assert sealed.startswith("v1l:")
    opened = aws.box.decrypt(sealed, f"hub-oidc-signing-key:{keyring.current.kid}")
    assert b"PRIVATE KEY" in opened
    assert "previous_private_key" not in raw


def test_signing_needs_no_dynamodb_call_while_the_keys_are_cached(aws, frozen_time):
    keys.ensure_current_key(aws)
    with tables.counting_calls() as counter:
        keys.sign(aws, {"iss": aws.settings.hub_issuer, "sub": "x"})
        keys.keyring(aws).jwks()
    assert counter.total == 0
    frozen_time.advance(seconds=61)
    with tables.counting_calls() as counter:
        keys.sign(aws, {"iss": aws.settings.hub_issuer, "sub": "x"})
    assert counter.total == 1


def test_another_process_picks_up_a_rotation_within_the_refresh(aws, frozen_time):
    other = runtime.build(aws.settings, clock=frozen_time)
    before = keys.keyring(other).current.kid
    rotated = keys.rotate(aws).current.kid
    assert keys.keyring(other).current.kid == before  # still signing with a published key
    assert before in [k["kid"] for k in keys.keyring(aws).jwks()["keys"]]
    frozen_time.advance(seconds=61)
    assert keys.keyring(other).current.kid == rotated


def test_rotate_when_due(aws, frozen_time):
    first = keys.ensure_current_key(aws).current.kid
    assert keys.rotate_when_due(aws, max_age=dt.timedelta(days=90)) is False
    frozen_time.advance(days=91)
    assert keys.rotate_when_due(aws, max_age=dt.timedelta(days=90)) is True
    assert keys.keyring(aws).previous.kid == first


def _unsigned(header: dict, claims: dict, key: bytes | None = None) -> str:
    """A hand-made JWS: alg none (no key) or HS256 keyed with `key`."""

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    if key is None:
        return signing_input + "."
    mac = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(mac)}"


def test_only_es256_tokens_signed_by_the_hub_verify(aws):
    kid = keys.ensure_current_key(aws).current.kid
    claims = {"iss": aws.settings.hub_issuer, "aud": "portal", "sid": "s"}
    good = keys.sign(aws, claims)
    assert keys.verify(aws, good)["sid"] == "s"
    public_pem = keys.keyring(aws).public_key(kid).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    forged = [
        _unsigned({"alg": "none", "kid": kid}, claims),
        _unsigned({"alg": "HS256", "kid": kid}, claims, key=public_pem),
        _unsigned({"alg": "ES256", "kid": "someone-elses-key"}, claims, key=b"x"),
        keys.sign(aws, {**claims, "iss": "https://evil.example/hub"}),
        good.rsplit(".", 1)[0] + "." + good.rsplit(".", 1)[1][::-1],
        "not.a.token",
    ]
    for token in forged:
        with pytest.raises(keys.InvalidIdToken):
            keys.verify(aws, token)
