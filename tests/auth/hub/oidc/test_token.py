"""The token endpoint: client authentication, PKCE verification, single-use codes, the ID token."""

from __future__ import annotations

import base64

import jwt

from chalicelib.storage import tables
from tests.auth.hub.oidc.flow import Rp, signed_in, verify_id_token


def test_code_exchange_returns_a_signed_id_token_with_every_claim(client, aws):
    account = signed_in(client)
    rp = Rp.builtin("portal")
    reply = rp.token(client, rp.code(client))
    assert reply.status == 200, reply.text
    assert reply.headers["cache-control"] == "no-store"
    body = reply.json
    assert body["token_type"] == "Bearer" and body["expires_in"] > 0 and body["access_token"]
    claims = verify_id_token(client, body["id_token"], audience="portal")
    user = account.user
    assert claims["iss"] == aws.settings.hub_issuer and claims["aud"] == "portal"
    assert claims["sub"] == user.user_id
    assert claims["nonce"] == "nonce-456"
    assert claims["email"] == user.email and claims["email_verified"] is False
    assert claims["name"] == user.name and claims["preferred_username"] == user.username
    assert claims["company_id"] == account.company.company_id
    assert claims["company_name"] == account.company.name
    assert claims["hub_role"] == "Master"
    assert claims["auth_time"] <= claims["iat"] and len(claims["sid"]) >= 16


def test_no_nonce_means_no_nonce_claim(client):
    signed_in(client)
    rp = Rp.builtin()
    body = rp.token(client, rp.code(client, nonce=None)).json
    assert "nonce" not in verify_id_token(client, body["id_token"], audience="portal")


def test_id_token_header_is_es256_with_a_kid_from_the_jwks(client):
    signed_in(client)
    rp = Rp.builtin()
    token = rp.token(client, rp.code(client)).json["id_token"]
    header = jwt.get_unverified_header(token)
    kids = [k["kid"] for k in client.get("/hub/oidc/jwks").json["keys"]]
    assert header["alg"] == "ES256" and header["kid"] in kids
    public = [k for k in client.get("/hub/oidc/jwks").json["keys"] if k["kid"] == header["kid"]][0]
    assert public["kty"] == "EC" and public["crv"] == "P-256" and "d" not in public


def test_both_client_authentication_methods_work(client):
    signed_in(client)
    for method in ("basic", "post"):
        rp = Rp.builtin("itdocs")
        assert rp.token(client, rp.code(client), method=method).status == 200, method


def test_wrong_or_missing_client_secret_is_invalid_client(client):
    signed_in(client)
    rp = Rp.builtin()
    code = rp.code(client)
    for method in ("basic", "post"):
        wrong = Rp(rp.client_id, rp.secret[:-1] + "x", rp.redirect_uri, rp.verifier, rp.challenge)
        reply = wrong.token(client, code, method=method)
        assert reply.status == 401 and reply.json["error"] == "invalid_client"
        assert reply.headers["www-authenticate"].startswith("Basic")
    other = Rp.builtin("itdocs")  # a real client, but not the one the code was issued to
    reply = Rp(other.client_id, other.secret, rp.redirect_uri, rp.verifier).token(client, code)
    assert reply.status == 400 and reply.json["error"] == "invalid_grant"
    anonymous = rp.token(client, code, method="post", client_secret=None)
    assert anonymous.status == 401
    assert rp.token(client, code).status == 200  # the failures did not burn the code


def test_two_authentication_methods_at_once_are_refused(client):
    signed_in(client)
    rp = Rp.builtin()
    reply = rp.token(client, rp.code(client), method="basic", client_secret=rp.secret)
    assert reply.status == 400 and reply.json["error"] == "invalid_request"


def test_pkce_verifier_must_match(client):
    signed_in(client)
    rp = Rp.builtin()
    code = rp.code(client)
    for verifier in ("x" * 43 + "y", rp.verifier[:-1] + ("A" if rp.verifier[-1] != "A" else "B")):
        reply = rp.token(client, code, code_verifier=verifier)
        assert reply.status == 400 and reply.json["error"] == "invalid_grant"
    missing = rp.token(client, code, code_verifier=None)
    assert missing.status == 400 and missing.json["error"] == "invalid_request"
    plain = rp.token(client, code, code_verifier=rp.challenge)  # the challenge itself: "plain"
    assert plain.status == 400


def test_redirect_uri_at_the_token_endpoint_must_be_the_authorized_one(client):
    signed_in(client)
    rp = Rp.builtin()
    code = rp.code(client)
    reply = rp.token(client, code, redirect_uri=rp.redirect_uri + "/")
    assert reply.status == 400 and reply.json["error"] == "invalid_grant"


def test_a_replayed_code_is_refused_and_revokes_the_token_it_gave(client):
    signed_in(client)
    rp = Rp.builtin()
    code = rp.code(client)
    first = rp.token(client, code)
    assert first.status == 200
    bearer = {"authorization": "Bearer " + first.json["access_token"]}
    assert client.get("/hub/oidc/userinfo", headers=bearer).status == 200
    replay = rp.token(client, code)
    assert replay.status == 400 and replay.json["error"] == "invalid_grant"
    revoked = client.get("/hub/oidc/userinfo", headers=bearer)
    assert revoked.status == 401 and revoked.json["error"] == "invalid_token"


def test_a_code_expires_after_sixty_seconds(client, frozen_time):
    signed_in(client)
    rp = Rp.builtin()
    fresh = rp.code(client)
    frozen_time.advance(seconds=59)
    assert rp.token(client, fresh).status == 200
    stale = rp.code(client)
    frozen_time.advance(seconds=61)
    reply = rp.token(client, stale)
    assert reply.status == 400 and reply.json["error"] == "invalid_grant"
    assert "expired" in reply.json["error_description"]


def test_unknown_code_and_grant_type_errors(client):
    signed_in(client)
    rp = Rp.builtin()
    assert rp.token(client, "not-a-code").json["error"] == "invalid_grant"
    reply = rp.token(client, "x", grant_type="password")
    assert reply.status == 400 and reply.json["error"] == "unsupported_grant_type"


def test_malformed_basic_header_is_invalid_client(client):
    reply = client.post("/hub/oidc/token", {"grant_type": "authorization_code", "code": "x"},
                        csrf=None, headers={"authorization": "Basic !!!"})
    assert reply.status == 401 and reply.json["error"] == "invalid_client"
    no_colon = "Basic " + base64.b64encode(b"portal").decode()
    reply = client.post("/hub/oidc/token", {"grant_type": "authorization_code"}, csrf=None,
                        headers={"authorization": no_colon})
    assert reply.status == 401


def test_token_endpoint_makes_two_dynamodb_calls(client):
    signed_in(client)
    rp = Rp.builtin()
    code = rp.code(client)  # also loads (and caches) the signing keys
    client.get("/hub/oidc/jwks")
    with tables.counting_calls() as counter:
        assert rp.token(client, code).status == 200
    # the code read, then one transaction: the code marked used and the access token stored
    assert counter.calls == {"GetItem": 1, "TransactWriteItems": 1}, counter.calls
