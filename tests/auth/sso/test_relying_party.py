"""The relying party: a real code flow against the hub in-process, and every ID-token refusal."""

from __future__ import annotations

import base64
import json
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from chalicelib.auth.hub.oidc import keys
from chalicelib.auth.sso import relying_party
from chalicelib.errors import InvalidInput, LoginFailed
from tests.auth.hub.helpers import log_in, make_account
from tests.auth.sso.helpers import callback_query, query_of, sign_in, use_loopback


@pytest.fixture
def hub_browser(client):
    use_loopback()
    account = make_account(company_name="Relying MSP", username="rita")
    assert log_in(client, account).status == 303
    return client, account


def claims_for(rt, **changes: Any) -> dict[str, Any]:
    now = int(rt.clock.now().timestamp())
    claims = {"iss": rt.settings.hub_issuer, "aud": "portal", "sub": "u1", "iat": now,
              "exp": now + 600, "nonce": "n-1", "email": "a@example.com"}
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def hub_signed(rt, **changes: Any) -> str:
    return keys.sign(rt, claims_for(rt, **changes))


def test_a_signed_in_hub_user_comes_back_with_their_identity(hub_browser, aws):
    browser, account = hub_browser
    identity = sign_in(browser, return_to="/portal/saas")

    assert identity.issuer == aws.settings.hub_issuer
    assert identity.subject == account.user.user_id
    # The hub verifies no email yet, so it never vouches for one.
    assert identity.email == "rita@example.com" and not identity.email_verified
    assert identity.username == "rita"
    assert identity.hub_company_id == account.company.company_id
    assert identity.hub_role == "Master" and identity.is_master
    assert identity.return_to == "/portal/saas" and identity.purpose == "login"
    assert identity.access_token and identity.sid


def test_the_authorize_url_uses_pkce_s256_state_and_nonce(aws, client):
    use_loopback()
    url, cookie = relying_party.start(aws, "portal", return_to="https://evil.example/x")
    params = query_of(url)
    assert url.startswith(aws.settings.hub_issuer + "/oidc/authorize?")
    assert params["code_challenge_method"] == "S256" and len(params["code_challenge"]) == 43
    assert params["state"] and params["nonce"] and params["client_id"] == "portal"
    sealed = aws.signer.unsign("sso-state:portal", cookie)
    assert sealed["r"] == "/portal/"  # only local paths inside the module come back
    assert sealed["v"] not in url  # the verifier never leaves the server


def test_a_changed_state_is_refused(hub_browser, aws):
    browser, _ = hub_browser
    query, cookie = callback_query(browser)
    with pytest.raises(LoginFailed):
        relying_party.finish(aws, "portal", query={**query, "state": "forged"}, state_cookie=cookie)


def test_a_state_cookie_from_another_sign_in_or_none_is_refused(hub_browser, aws):
    browser, _ = hub_browser
    query, _ = callback_query(browser)
    _, other_cookie = relying_party.start(aws, "portal", return_to="/portal/")
    for cookie in (other_cookie, None, "garbage"):
        with pytest.raises(LoginFailed):
            relying_party.finish(aws, "portal", query=query, state_cookie=cookie)


def test_a_cookie_made_for_another_module_is_refused(hub_browser, aws):
    browser, _ = hub_browser
    query, cookie = callback_query(browser)
    with pytest.raises(LoginFailed):
        relying_party.finish(aws, "itdocs", query=query, state_cookie=cookie)


def test_a_response_from_another_issuer_is_refused(hub_browser, aws):
    browser, _ = hub_browser
    query, cookie = callback_query(browser)
    with pytest.raises(LoginFailed):
        relying_party.finish(aws, "portal", query={**query, "iss": "https://evil.example/hub"},
                             state_cookie=cookie)


def test_a_missing_code_is_invalid_input_and_a_replayed_code_fails(hub_browser, aws):
    browser, _ = hub_browser
    query, cookie = callback_query(browser)
    with pytest.raises(InvalidInput):
        relying_party.finish(aws, "portal", query={**query, "code": ""}, state_cookie=cookie)
    relying_party.finish(aws, "portal", query=query, state_cookie=cookie)
    with pytest.raises(LoginFailed):
        relying_party.finish(aws, "portal", query=query, state_cookie=cookie)


def test_an_error_from_the_hub_is_a_login_failure(hub_browser, aws):
    _, cookie = relying_party.start(aws, "portal", return_to="/portal/")
    state = aws.signer.unsign("sso-state:portal", cookie)["s"]
    with pytest.raises(LoginFailed):
        relying_party.finish(aws, "portal", query={"state": state, "error": "access_denied"},
                             state_cookie=cookie)


# -- the ID token itself ---------------------------------------------------------------------
def check(rt, token: str, nonce: str = "n-1") -> dict[str, Any]:
    return relying_party.validate_id_token(rt, "portal", token, nonce=nonce)


def test_a_good_token_passes(aws):
    use_loopback()
    assert check(aws, hub_signed(aws))["sub"] == "u1"


@pytest.mark.parametrize("changes", [
    {"iss": "https://evil.example/hub"},
    {"aud": "itdocs"},
    {"aud": ["itdocs", "other"]},
    {"nonce": "another"},
    {"nonce": None},
    {"exp": 1},
    {"iat": 4_000_000_000, "exp": 4_000_000_600},
    {"sub": None},
])
def test_wrong_claims_are_refused(aws, changes):
    use_loopback()
    with pytest.raises(LoginFailed):
        check(aws, hub_signed(aws, **changes))


def test_an_expired_token_is_refused_once_the_clock_passes_exp(aws, frozen_time):
    use_loopback()
    token = hub_signed(aws)
    frozen_time.advance(minutes=12)
    with pytest.raises(LoginFailed):
        check(aws, token)


def _kid(rt) -> str:
    return keys.keyring(rt).current.kid


def test_a_signature_by_another_key_with_the_hubs_kid_is_refused(aws):
    use_loopback()
    forger = ec.generate_private_key(ec.SECP256R1())
    token = jwt.encode(claims_for(aws), forger, algorithm="ES256", headers={"kid": _kid(aws)})
    with pytest.raises(LoginFailed):
        check(aws, token)


def test_a_tampered_payload_is_refused(aws):
    use_loopback()
    header, payload, signature = hub_signed(aws).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["sub"] = "someone-else"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(LoginFailed):
        check(aws, f"{header}.{forged}.{signature}")


def _b64json(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_alg_none_is_refused(aws):
    use_loopback()
    token = f"{_b64json({'alg': 'none', 'kid': _kid(aws)})}.{_b64json(claims_for(aws))}."
    with pytest.raises(LoginFailed):
        check(aws, token)


def test_hs256_signed_with_the_public_key_is_refused(aws):
    use_loopback()
    public = keys.keyring(aws).public_key(_kid(aws))
    pem = public.public_bytes(serialization.Encoding.PEM,
                              serialization.PublicFormat.SubjectPublicKeyInfo)
    header = _b64json({"alg": "HS256", "kid": _kid(aws), "typ": "JWT"})
    body = _b64json(claims_for(aws))
    import hashlib
    import hmac

    mac = hmac.new(pem, f"{header}.{body}".encode(), hashlib.sha256).digest()
    token = f"{header}.{body}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    with pytest.raises(LoginFailed):
        check(aws, token)


@pytest.mark.parametrize("extra", [{"jku": "https://evil.example/jwks"},
                                   {"x5u": "https://evil.example/cert"},
                                   {"jwk": {"kty": "EC"}}])
def test_key_reference_headers_are_refused(aws, extra):
    use_loopback()
    current = keys.keyring(aws).current
    token = jwt.encode(claims_for(aws), current.private_key, algorithm="ES256",
                       headers={"kid": current.kid, **extra})
    with pytest.raises(LoginFailed):
        check(aws, token)


def test_an_unknown_kid_is_refused(aws):
    use_loopback()
    current = keys.keyring(aws).current
    token = jwt.encode(claims_for(aws), current.private_key, algorithm="ES256",
                       headers={"kid": "not-a-hub-key"})
    with pytest.raises(LoginFailed):
        check(aws, token)


def test_a_rotated_key_is_found_by_refetching_the_jwks(aws, frozen_time):
    transport = use_loopback()
    check(aws, hub_signed(aws))
    keys.rotate(aws)
    frozen_time.advance(minutes=2)
    check(aws, hub_signed(aws))
    assert sum(1 for _, path in transport.requests if path.endswith("/oidc/jwks")) == 2
