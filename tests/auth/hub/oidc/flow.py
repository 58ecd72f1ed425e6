"""OIDC test helpers: a relying party's side of the code flow, driven through the test client."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt

from chalicelib import runtime
from chalicelib.auth.modules import builtin_client
from tests.auth.hub.helpers import Account, log_in, make_account
from tests.web_client import Reply, WebClient


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@dataclass
class Rp:
    """A relying party: one client's credentials and the PKCE/nonce/state of one sign-in."""

    client_id: str
    secret: str
    redirect_uri: str
    verifier: str = ""
    challenge: str = ""
    state: str = "state-123"
    nonce: str = "nonce-456"

    @classmethod
    def builtin(cls, module: str = "portal") -> Rp:
        client_id, secret, redirect_uri = builtin_client(runtime.current().settings, module)
        verifier, challenge = pkce_pair()
        return cls(client_id, secret, redirect_uri, verifier, challenge)

    def authorize_path(self, **overrides: Any) -> str:
        params: dict[str, Any] = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": "openid profile email",
            "state": self.state,
            "nonce": self.nonce,
            "code_challenge": self.challenge,
            "code_challenge_method": "S256",
        }
        params.update(overrides)
        present = {k: v for k, v in params.items() if v is not None}
        return "/hub/oidc/authorize?" + urlencode(present)

    def code(self, browser: WebClient, **overrides: Any) -> str:
        reply = browser.get(self.authorize_path(**overrides))
        assert reply.status == 303 and reply.location.startswith(self.redirect_uri), reply
        return query_of(reply.location)["code"]

    def token(self, browser: WebClient, code: str, method: str = "basic",
              **overrides: Any) -> Reply:
        data: dict[str, Any] = {"grant_type": "authorization_code", "code": code,
                                "redirect_uri": self.redirect_uri,
                                "code_verifier": self.verifier}
        headers: dict[str, str] = {}
        if method == "basic":
            raw = f"{self.client_id}:{self.secret}".encode()
            headers["authorization"] = "Basic " + base64.b64encode(raw).decode()
        else:
            data.update(client_id=self.client_id, client_secret=self.secret)
        data.update(overrides)
        return browser.post("/hub/oidc/token", {k: v for k, v in data.items() if v is not None},
                            csrf=None, headers=headers)


def signed_in(browser: WebClient, **account_args: Any) -> Account:
    account = make_account(**account_args)
    assert log_in(browser, account).status == 303
    return account


def verify_id_token(browser: WebClient, token: str, audience: str) -> dict[str, Any]:
    """Verify like a careful relying party: kid from the JWKS, ES256 only, iss/aud/exp/iat."""
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "ES256"
    jwks = browser.get("/hub/oidc/jwks").json
    (jwk,) = [k for k in jwks["keys"] if k["kid"] == header["kid"]]
    claims = jwt.decode(token, jwt.PyJWK(jwk).key, algorithms=["ES256"], audience=audience,
                        issuer=runtime.current().settings.hub_issuer,
                        options={"verify_exp": False, "verify_iat": False})
    now = runtime.current().clock.now().timestamp()
    assert claims["iat"] <= now < claims["exp"]
    return claims
