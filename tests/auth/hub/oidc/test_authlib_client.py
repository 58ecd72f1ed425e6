"""An independent OIDC client (authlib): discovery, authorize with PKCE, token, ID token."""

from __future__ import annotations

import warnings
from typing import Any
from urllib.parse import urlsplit

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from chalice.test import Client
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from chalicelib.auth.modules import builtin_client
from tests.auth.hub.oidc.flow import path_of, query_of, signed_in

with warnings.catch_warnings():  # authlib.jose announces its move to joserfc; it still works
    warnings.simplefilter("ignore")
    from authlib.jose import JsonWebKey, JsonWebToken
    from authlib.oidc.core import CodeIDToken


class ChaliceTransport(BaseAdapter):
    """A requests transport that hands each request to the Chalice app in-process."""

    def __init__(self, app: Any) -> None:
        super().__init__()
        self._client = Client(app)

    def send(self, request: requests.PreparedRequest, **_: Any) -> requests.Response:
        body = request.body or b""
        raw = self._client.http.request(
            request.method or "GET", path_of(request.url or "/"),
            headers=dict(request.headers), body=body.encode() if isinstance(body, str) else body)
        response = requests.Response()
        response.status_code = raw.status_code
        response.headers = CaseInsensitiveDict(raw.headers)
        response._content = raw.body or b""
        response.url = request.url or ""
        response.request = request
        response.encoding = "utf-8"
        return response

    def close(self) -> None:
        pass


def test_authlib_completes_discovery_authorize_token_and_validation(client, aws, frozen_time):
    from app import app

    account = signed_in(client)  # the browser already holds a hub session
    client_id, client_secret, redirect_uri = builtin_client(aws.settings, "itdocs")
    issuer = aws.settings.hub_issuer
    origin = "{0.scheme}://{0.netloc}/".format(urlsplit(issuer))

    rp = OAuth2Session(client_id, client_secret, scope="openid profile email",
                       redirect_uri=redirect_uri, code_challenge_method="S256",
                       token_endpoint_auth_method="client_secret_basic")
    rp.mount(origin, ChaliceTransport(app))

    meta = rp.get(f"{issuer}/.well-known/openid-configuration", withhold_token=True).json()
    assert meta["issuer"] == issuer

    verifier, nonce = generate_token(64), generate_token(20)
    url, state = rp.create_authorization_url(meta["authorization_endpoint"],
                                             code_verifier=verifier, nonce=nonce)
    assert "code_challenge=" in url and "code_challenge_method=S256" in url

    back = client.get(path_of(url))  # the browser follows the authorization URL
    assert back.status == 303 and back.location.startswith(redirect_uri)
    assert query_of(back.location)["iss"] == issuer  # RFC 9207: check who answered

    token = rp.fetch_token(meta["token_endpoint"], authorization_response=back.location,
                           code_verifier=verifier)
    assert token["token_type"] == "Bearer"

    jwks = JsonWebKey.import_key_set(rp.get(meta["jwks_uri"], withhold_token=True).json())
    claims = JsonWebToken(["ES256"]).decode(
        token["id_token"], key=jwks, claims_cls=CodeIDToken,
        claims_options={"iss": {"essential": True, "value": issuer},
                        "aud": {"essential": True, "value": client_id}},
        claims_params={"nonce": nonce, "client_id": client_id,
                       "access_token": token["access_token"]},
    )
    claims.validate(now=int(frozen_time.now().timestamp()))  # exp, iat, nonce, at_hash
    assert claims["sub"] == account.user.user_id
    assert claims["email"] == account.user.email and claims["email_verified"] is False
    assert state  # authlib checked it on the way back

    info = rp.get(meta["userinfo_endpoint"]).json()
    assert info["sub"] == claims["sub"] and info["preferred_username"] == "alice"
