"""The relying party of "Log In with Hub": authorization code flow with PKCE S256, ID-token checks.

Every module (Partner Portal, IT Docs) signs users in the same way:

    url, cookie = relying_party.start(rt, "portal", return_to="/portal/", purpose="login")
    # the module stores `cookie` under its cookie name "sso" and redirects the browser to `url`
    identity = relying_party.finish(rt, "portal", query=callback_query, state_cookie=cookie)

`start` makes a fresh state, nonce and PKCE verifier and seals them, with where to go afterwards and
why ("login", "link"), in a signed cookie valid for ten minutes. `finish` checks the state against
that cookie and the `iss` of the response (RFC 9207), redeems the code at the hub's token endpoint
(through chalicelib.outbound, authenticated with the module's built-in client secret), and accepts
the ID token only when it is signed with ES256 by a key of the hub's JWKS named by `kid`, has no
`jku`/`jwk`/`x5u`/`crit` header, and its `iss`, `aud`, `exp`, `iat`, `nonce` and `at_hash` hold.
Anything else raises LoginFailed (the sign-in cannot be trusted) or InvalidInput (a malformed
callback). The hub talks to modules only through OIDC: its metadata and keys are fetched over HTTP
and cached per runtime (`HubDirectory`).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import jwt

from chalicelib import logs
from chalicelib.auth.modules import builtin_client
from chalicelib.errors import InvalidInput, LoginFailed, UpstreamError
from chalicelib.runtime import Runtime
from chalicelib.signing import BadSignature

ALGORITHMS = ("ES256",)
STATE_COOKIE = "sso"
STATE_MAX_AGE = 10 * 60
PURPOSES = ("login", "link")
PROMPTS = ("login",)
SCOPE = "openid profile email"
CLOCK_SKEW = 60  # seconds of tolerance on exp / iat
METADATA_FOR = dt.timedelta(hours=1)
# An unknown kid refetches the JWKS at most this often.
JWKS_REFRESH_AFTER = dt.timedelta(seconds=30)
FORBIDDEN_HEADERS = ("jku", "jwk", "x5u", "x5c", "crit")

TRY_AGAIN = "The sign-in with the hub could not be completed. Please try again."


@dataclass(frozen=True)
class HubIdentity:
    """Who the hub says signed in, and what the module asked for when the sign-in started."""

    issuer: str
    subject: str
    email: str
    email_verified: bool
    username: str
    name: str
    hub_company_id: str
    hub_company_name: str
    hub_role: str
    sid: str
    modules: list[str] = field(default_factory=list)
    purpose: str = "login"
    return_to: str = "/"
    access_token: str = field(default="", repr=False)

    @property
    def is_master(self) -> bool:
        return self.hub_role == "Master"


# -- the hub's metadata and keys -------------------------------------------------------------------
class HubDirectory:
    """The hub's discovery document and JWKS, fetched over HTTP and cached for this runtime."""

    def __init__(self, rt: Runtime) -> None:
        self._rt = rt
        self._lock = threading.Lock()
        self._metadata: tuple[dict[str, Any], dt.datetime] | None = None
        self._keys: dict[str, Any] = {}
        self._keys_at: dt.datetime | None = None

    @property
    def issuer(self) -> str:
        return self._rt.settings.hub_issuer

    def _get_json(self, url: str) -> dict[str, Any]:
        reply = self._rt.transport.request("GET", url, timeout=5.0)
        if reply.status != 200:
            raise UpstreamError(f"The hub answered {reply.status} at {url}.")
        try:
            data = reply.json()
        except ValueError as exc:
            raise UpstreamError("The hub answered with something that is not JSON.") from exc
        if not isinstance(data, dict):
            raise UpstreamError("The hub answered with something that is not a JSON object.")
        return data

    def metadata(self) -> dict[str, Any]:
        now = self._rt.clock.now()
        with self._lock:
            cached = self._metadata
        if cached is not None and now - cached[1] < METADATA_FOR:
            return cached[0]
        data = self._get_json(f"{self.issuer}/.well-known/openid-configuration")
        if data.get("issuer") != self.issuer:
            raise UpstreamError("The hub's discovery document names another issuer.")
        with self._lock:
            self._metadata = (data, now)
        return data

    def endpoint(self, name: str) -> str:
        value = self.metadata().get(name)
        if not isinstance(value, str) or not value.startswith(("http://", "https://")):
            raise UpstreamError(f"The hub's discovery document has no {name}.")
        return value

    def signing_key(self, kid: str) -> Any:
        """The public key named `kid`; an unknown kid refetches the JWKS (rate-limited)."""
        with self._lock:
            key = self._keys.get(kid)
            fetched_at = self._keys_at
        now = self._rt.clock.now()
        if key is not None:
            return key
        if fetched_at is not None and now - fetched_at < JWKS_REFRESH_AFTER:
            return None
        jwks = self._get_json(self.endpoint("jwks_uri"))
        keys: dict[str, Any] = {}
        for jwk in jwks.get("keys", []):
            if not isinstance(jwk, dict) or jwk.get("kty") != "EC" or jwk.get("alg") not in (
                None, *ALGORITHMS
            ):
                continue
            try:
                keys[str(jwk["kid"])] = jwt.PyJWK(jwk, "ES256").key
            except (jwt.PyJWKError, KeyError):
                continue
        with self._lock:
            self._keys, self._keys_at = keys, now
        return keys.get(kid)


def directory(rt: Runtime) -> HubDirectory:
    return rt.cache(HubDirectory, HubDirectory)


# -- start -----------------------------------------------------------------------------------------
def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _challenge(verifier: str) -> str:
    return _b64(hashlib.sha256(verifier.encode()).digest())


def safe_return_to(module: str, candidate: str | None) -> str:
    """`candidate` when it is a path inside the module, else the module's home."""
    home = f"/{module}/"
    if not candidate or not candidate.startswith(home) or "\\" in candidate or len(candidate) > 500:
        return home
    if candidate.startswith("//") or any(ord(ch) < 32 for ch in candidate):
        return home
    return candidate


def _purpose(module: str) -> str:
    return f"sso-state:{module}"


def start(rt: Runtime, module: str, *, return_to: str, purpose: str = "login",
          prompt: str | None = None) -> tuple[str, str]:
    """(the hub's authorize URL for this sign-in, the signed state cookie's value).

    `prompt="login"` asks the hub for a fresh login even when the browser has a hub session."""
    if purpose not in PURPOSES or prompt not in (None, *PROMPTS):
        raise InvalidInput("Unknown sign-in purpose.")
    client_id, _, redirect_uri = builtin_client(rt.settings, module)
    state, nonce, verifier = rt.random.token(24), rt.random.token(24), rt.random.token(48)
    cookie = rt.signer.sign(
        _purpose(module),
        {"s": state, "n": nonce, "v": verifier, "r": safe_return_to(module, return_to),
         "p": purpose},
        STATE_MAX_AGE,
    )
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": SCOPE,
        "state": state,
        "nonce": nonce,
        "code_challenge": _challenge(verifier),
        "code_challenge_method": "S256",
    }
    if prompt:
        params["prompt"] = prompt
    return f"{directory(rt).endpoint('authorization_endpoint')}?{urlencode(params)}", cookie


# -- finish ----------------------------------------------------------------------------------------
def _sealed_state(rt: Runtime, module: str, state_cookie: str | None) -> dict[str, Any]:
    try:
        return rt.signer.unsign(_purpose(module), state_cookie)
    except BadSignature as exc:
        raise LoginFailed(
            "Your sign-in with the hub expired or was started in another browser. "
            "Please try again."
        ) from exc


def _refuse(reason: str, module: str) -> LoginFailed:
    logs.event("sso_refused", module=module, reason=reason)
    return LoginFailed(TRY_AGAIN)


def _check_response_iss(rt: Runtime, module: str, query: dict[str, str]) -> None:
    """RFC 9207: the response's `iss` names the hub, and is required once the hub's metadata says
    it sends one (a mixed-up or forged response would lack it)."""
    hub = directory(rt)
    if "iss" in query:
        if not hmac.compare_digest(str(query["iss"]), hub.issuer):
            raise _refuse("response_iss", module)
        return
    if hub.metadata().get("authorization_response_iss_parameter_supported") is True:
        raise _refuse("response_iss_missing", module)


def finish(rt: Runtime, module: str, *, query: dict[str, str],
           state_cookie: str | None) -> HubIdentity:
    """The identity the hub vouches for, once every check of the callback and ID token holds."""
    sealed = _sealed_state(rt, module, state_cookie)
    if not hmac.compare_digest(str(query.get("state", "")), str(sealed["s"])):
        raise _refuse("state", module)
    _check_response_iss(rt, module, query)
    if query.get("error"):
        if query["error"] in {"access_denied", "login_required"}:
            raise LoginFailed("The hub did not sign you in. Please try again.")
        raise _refuse(f"error:{query['error'][:40]}", module)
    code = query.get("code", "")
    if not code or len(code) > 512:
        raise InvalidInput("The hub's answer has no authorization code.")
    tokens = _redeem(rt, module, code, str(sealed["v"]))
    claims = validate_id_token(rt, module, tokens.get("id_token"), nonce=str(sealed["n"]),
                               access_token=str(tokens.get("access_token", "")))
    return HubIdentity(
        issuer=str(claims["iss"]),
        subject=str(claims["sub"]),
        email=str(claims.get("email", "")),
        email_verified=claims.get("email_verified") is True,
        username=str(claims.get("preferred_username", "")),
        name=str(claims.get("name", "")),
        hub_company_id=str(claims.get("company_id", "")),
        hub_company_name=str(claims.get("company_name", "")),
        hub_role=str(claims.get("hub_role", "")),
        sid=str(claims.get("sid", "")),
        # The modules the hub granted this user (the hub only signs in users granted `module`).
        modules=sorted({module, *[str(m) for m in claims.get("modules") or []]}),
        purpose=str(sealed["p"]),
        return_to=safe_return_to(module, str(sealed["r"])),
        access_token=str(tokens.get("access_token", "")),
    )


def _redeem(rt: Runtime, module: str, code: str, verifier: str) -> dict[str, Any]:
    client_id, secret, redirect_uri = builtin_client(rt.settings, module)
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    body = urlencode({"grant_type": "authorization_code", "code": code,
                      "redirect_uri": redirect_uri, "code_verifier": verifier}).encode()
    reply = rt.transport.request(
        "POST", directory(rt).endpoint("token_endpoint"), body=body, timeout=5.0,
        headers={"authorization": f"Basic {basic}",
                 "content-type": "application/x-www-form-urlencoded",
                 "accept": "application/json"},
    )
    if reply.status != 200:
        raise _refuse(f"token_status:{reply.status}", module)
    try:
        data = reply.json()
    except ValueError as exc:
        raise _refuse("token_body", module) from exc
    if not isinstance(data, dict) or not isinstance(data.get("id_token"), str):
        raise _refuse("token_body", module)
    return data


def _at_hash(access_token: str) -> str:
    return _b64(hashlib.sha256(access_token.encode()).digest()[:16])


def validate_id_token(rt: Runtime, module: str, token: Any, *, nonce: str,
                      access_token: str = "") -> dict[str, Any]:
    """The ID token's claims, or LoginFailed: ES256 by a JWKS key, iss, aud, exp, iat, nonce."""
    if not isinstance(token, str) or token.count(".") != 2:
        raise _refuse("id_token_shape", module)
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise _refuse("id_token_header", module) from exc
    if header.get("alg") not in ALGORITHMS:
        raise _refuse("alg", module)
    if any(name in header for name in FORBIDDEN_HEADERS):
        raise _refuse("header_key_reference", module)
    kid = header.get("kid")
    key = directory(rt).signing_key(kid) if isinstance(kid, str) and kid else None
    if key is None:
        raise _refuse("kid", module)
    client_id, _, _ = builtin_client(rt.settings, module)
    issuer = directory(rt).issuer
    try:
        claims = jwt.decode(
            token, key, algorithms=list(ALGORITHMS), audience=client_id, issuer=issuer,
            options={"verify_exp": False, "verify_iat": False, "verify_nbf": False,
                     "require": ["iss", "aud", "sub", "exp", "iat"]},
        )
    except jwt.InvalidAudienceError as exc:
        raise _refuse("aud", module) from exc
    except jwt.InvalidIssuerError as exc:
        raise _refuse("iss", module) from exc
    except jwt.PyJWTError as exc:
        raise _refuse(f"id_token:{type(exc).__name__}", module) from exc
    _check_times(rt, module, claims)
    if isinstance(claims.get("aud"), list) and claims.get("azp") not in (None, client_id):
        raise _refuse("azp", module)
    if not hmac.compare_digest(str(claims.get("nonce", "")), nonce):
        raise _refuse("nonce", module)
    if access_token and "at_hash" in claims and not hmac.compare_digest(
        str(claims["at_hash"]), _at_hash(access_token)
    ):
        raise _refuse("at_hash", module)
    return claims


def _check_times(rt: Runtime, module: str, claims: dict[str, Any]) -> None:
    now = rt.clock.now().timestamp()
    try:
        exp, iat = float(claims["exp"]), float(claims["iat"])
    except (TypeError, ValueError) as exc:
        raise _refuse("times", module) from exc
    if now >= exp + CLOCK_SKEW:
        raise _refuse("exp", module)
    if iat > now + CLOCK_SKEW:
        raise _refuse("iat", module)

