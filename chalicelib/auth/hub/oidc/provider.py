"""The hub as an OpenID Connect provider: authorization code flow with PKCE S256, tokens, userinfo.

Codes and access tokens are random, stored as SHA-256 hashes; a code lives at most 60 s and is
redeemed once, by one conditional update. A replayed code revokes the access token it yielded.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from chalicelib.auth.hub import accounts, sessions
from chalicelib.auth.hub.oidc import clients, keys
from chalicelib.auth.hub.oidc.clients import Client
from chalicelib.auth.hub.policy import MODULES
from chalicelib.errors import Forbidden, InvalidInput, NotAuthenticated, NotFound, OAuthError
from chalicelib.runtime import Runtime
from chalicelib.settings import Settings
from chalicelib.storage.hub import oidc_codes as code_store
from chalicelib.storage.hub import oidc_tokens as token_store
from chalicelib.storage.hub import users as hub_store
from chalicelib.storage.hub.oidc_codes import AuthorizationCode
from chalicelib.storage.hub.oidc_tokens import AccessToken
from chalicelib.storage.hub.sessions import HubSession, hub_sessions
from chalicelib.storage.hub.users import HubUser

CODE_LIFETIME = dt.timedelta(seconds=60)
ACCESS_TOKEN_LIFETIME = dt.timedelta(minutes=15)
ID_TOKEN_LIFETIME = dt.timedelta(minutes=10)
SCOPES = ("openid", "profile", "email")
USER_CLAIMS = ("email", "email_verified", "name", "preferred_username", "company_id",
               "company_name", "hub_role", "modules")
AUTHORIZE_PATH = "/hub/oidc/authorize"
_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # base64url of a SHA-256 digest, unpadded
_VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")  # RFC 7636 section 4.1


class UntrustedRedirect(InvalidInput):
    """The client_id or redirect_uri is not registered: shown to the user, never redirected."""

    public_message = "This sign-in link is not valid."


class RedirectedError(OAuthError):
    """An authorization error returned to the client's (verified) redirect_uri."""

    def __init__(self, location: str, error: str, description: str) -> None:
        super().__init__(error, description)
        self.location = location


@dataclass(frozen=True)
class AuthorizationRequest:
    client: Client
    redirect_uri: str
    scope: str
    code_challenge: str
    state: str | None = None
    nonce: str | None = None
    prompt: str = ""


def endpoints(settings: Settings) -> dict[str, str]:
    issuer = settings.hub_issuer
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/oidc/authorize",
        "token_endpoint": f"{issuer}/oidc/token",
        "userinfo_endpoint": f"{issuer}/oidc/userinfo",
        "jwks_uri": f"{issuer}/oidc/jwks",
        "end_session_endpoint": f"{issuer}/oidc/logout",
    }


def discovery(settings: Settings) -> dict[str, Any]:
    """The OpenID Provider metadata served at /hub/.well-known/openid-configuration."""
    return {
        **endpoints(settings),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [keys.ALGORITHM],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": list(SCOPES),
        "claims_supported": ["iss", "aud", "sub", "exp", "iat", "auth_time", "nonce", "sid",
                             "at_hash", *USER_CLAIMS],
        "authorization_response_iss_parameter_supported": True,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "claims_parameter_supported": False,
    }


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def sid_of(session_key: str) -> str:
    """The `sid` claim: a hash of the hub session key, so modules can end their sessions with it."""
    return hashlib.sha256(f"sid:{session_key}".encode()).hexdigest()[:32]


def with_params(uri: str, params: Mapping[str, str | None]) -> str:
    """`uri` with `params` added to its query (existing query parameters are kept)."""
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(k, v) for k, v in params.items() if v is not None]
    return urlunsplit(parts._replace(query=urlencode(query)))


# -- authorization endpoint ------------------------------------------------------------------------
def _single(params: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = params.get(name) or []
    if len(values) > 1:
        raise OAuthError("invalid_request", f"The {name} parameter appears more than once.")
    return values[0] if values else None


def parse_authorization(rt: Runtime, params: Mapping[str, Sequence[str]]) -> AuthorizationRequest:
    """Check an authorization request; client and redirect_uri problems are never redirected."""
    try:
        client_id = _single(params, "client_id")
        redirect_uri = _single(params, "redirect_uri")
    except OAuthError as exc:
        raise UntrustedRedirect(exc.description) from exc
    client = clients.find(rt, client_id) if client_id else None
    if client is None:
        raise UntrustedRedirect("The application asking you to sign in is not registered.")
    if redirect_uri is None or redirect_uri not in client.redirect_uris:
        raise UntrustedRedirect(
            f"{client.name} asked to return to an address it has not registered."
        )
    state = params.get("state", [None])[0]

    def refuse(error: str, description: str) -> RedirectedError:
        return RedirectedError(
            error_location(rt.settings, redirect_uri, error, description, state), error,
            description,
        )

    try:
        values = {name: _single(params, name) for name in (
            "response_type", "scope", "state", "nonce", "code_challenge",
            "code_challenge_method", "prompt", "request", "request_uri")}
    except OAuthError as exc:
        raise refuse(exc.error, exc.description) from exc
    if values["request"] is not None:
        raise refuse("request_not_supported", "Request objects are not supported.")
    if values["request_uri"] is not None:
        raise refuse("request_uri_not_supported", "Request objects are not supported.")
    asked = (values["prompt"] or "").split()
    if "none" in asked and len(asked) > 1:
        raise refuse("invalid_request", "prompt=none cannot be combined with other values.")
    if values["response_type"] != "code":
        raise refuse("unsupported_response_type", "Only the authorization code flow is supported.")
    scopes = (values["scope"] or "").split()
    if "openid" not in scopes:
        raise refuse("invalid_scope", "The openid scope is required.")
    if values["code_challenge_method"] != "S256" or not values["code_challenge"]:
        raise refuse("invalid_request", "PKCE with code_challenge_method S256 is required.")
    if not _CHALLENGE.match(values["code_challenge"]):
        raise refuse("invalid_request", "The code_challenge is not a S256 challenge.")
    if len(values["nonce"] or "") > 512 or len(state or "") > 2048:
        raise refuse("invalid_request", "The nonce or state is too long.")
    return AuthorizationRequest(
        client=client,
        redirect_uri=redirect_uri,
        scope=" ".join(s for s in scopes if s in SCOPES),
        code_challenge=values["code_challenge"],
        state=state,
        nonce=values["nonce"],
        prompt=values["prompt"] or "",
    )


def error_location(settings: Settings, redirect_uri: str, error: str, description: str,
                   state: str | None) -> str:
    return with_params(redirect_uri, {"error": error, "error_description": description,
                                      "state": state, "iss": settings.hub_issuer})


def user_claims(user: HubUser) -> dict[str, Any]:
    """The claims the ID token and userinfo carry for this user."""
    return {
        # `email` stays the verified address while a changed one waits for its link
        # (auth/hub/email_verification.py); true only for an address proven by a mailed link,
        # since relying parties link accounts by a verified email.
        "email": user.email,
        "email_verified": user.email_verified is True,
        "name": user.name,
        "preferred_username": user.username,
        "company_id": user.company_id,
        "company_name": user.company_name,
        "hub_role": user.role,
        # The modules this user was granted; the hub's /hub/launch/{module} opens the linked ones
        # (reading the company's links here would cost the authorize request a read).
        "modules": sorted(m for m in user.modules if m in MODULES),
    }


def authorize(rt: Runtime, request: AuthorizationRequest, session: HubSession,
              user: HubUser) -> str:
    """Issue a code for a signed-in user; returns the redirect back to the client."""
    if not request.client.may_sign_in(user):
        where = request.client.name
        raise Forbidden(
            f"Your hub account does not have access to {where}. "
            "Ask a Master user of your company to grant it on the Users page."
            if request.client.builtin
            else f"{where} is registered by another company; your hub account cannot use it."
        )
    now = rt.clock.now()
    code = rt.random.token(32)
    code_store.create_code(AuthorizationCode(
        code_hash=digest(code),
        client_id=request.client.client_id,
        redirect_uri=request.redirect_uri,
        user_id=user.user_id,
        sid=sid_of(session.session_key),
        scope=request.scope,
        code_challenge=request.code_challenge,
        auth_time=session.created_at,
        claims=user_claims(user),
        expires_at=now + CODE_LIFETIME,
        nonce=request.nonce,
    ))
    return with_params(request.redirect_uri,
                       {"code": code, "state": request.state, "iss": rt.settings.hub_issuer})


# -- token endpoint --------------------------------------------------------------------------------
def pkce_matches(verifier: str, challenge: str) -> bool:
    if not _VERIFIER.match(verifier):
        return False
    computed = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return hmac.compare_digest(computed.rstrip(b"=").decode(), challenge)


def _at_hash(access_token: str) -> str:
    half = hashlib.sha256(access_token.encode()).digest()[:16]
    return base64.urlsafe_b64encode(half).rstrip(b"=").decode()


def _revoke_tokens_of(rt: Runtime, code: AuthorizationCode | None) -> None:
    if code is not None and code.access_token_hash:
        token_store.revoke_access_token(code.access_token_hash,
                                        rt.clock.now() + ACCESS_TOKEN_LIFETIME + CODE_LIFETIME)


def exchange_code(rt: Runtime, client: Client, form: Mapping[str, str]) -> dict[str, Any]:
    """The token response for an authenticated client's code (RFC 6749 4.1.3, RFC 7636 4.6)."""
    if form.get("grant_type") != "authorization_code":
        raise OAuthError("unsupported_grant_type", "Only authorization_code is supported.")
    raw_code, verifier = form.get("code") or "", form.get("code_verifier") or ""
    if not raw_code:
        raise OAuthError("invalid_request", "The code parameter is missing.")
    if not verifier:
        raise OAuthError("invalid_request", "The code_verifier parameter is missing (PKCE).")
    code_hash = digest(raw_code)
    code = code_store.get_code(code_hash)
    now = rt.clock.now()
    if code is None:
        raise OAuthError("invalid_grant", "The code is not valid.")
    if code.redeemed_at is not None:
        _revoke_tokens_of(rt, code)
        raise OAuthError("invalid_grant", "The code was already used; its tokens are revoked.")
    if code.client_id != client.client_id:
        raise OAuthError("invalid_grant", "The code was issued to another client.")
    if now >= code.expires_at:
        raise OAuthError("invalid_grant", "The code has expired.")
    if form.get("redirect_uri") != code.redirect_uri:
        raise OAuthError("invalid_grant", "The redirect_uri does not match the authorization.")
    if not pkce_matches(verifier, code.code_challenge):
        raise OAuthError("invalid_grant", "The code_verifier does not match the code_challenge.")
    access_token = rt.random.token(32)
    redeemed = code_store.redeem_code(code_hash, AccessToken(
        token_hash=digest(access_token), client_id=client.client_id, user_id=code.user_id,
        sid=code.sid, scope=code.scope, expires_at=now + ACCESS_TOKEN_LIFETIME), now)
    if redeemed == "replayed":
        _revoke_tokens_of(rt, code_store.get_code(code_hash))  # lost a race with another redemption
    if redeemed != "redeemed":
        raise OAuthError("invalid_grant", "The code was already used; its tokens are revoked.")
    return {
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": int(ACCESS_TOKEN_LIFETIME.total_seconds()),
        "scope": code.scope,
        "id_token": id_token(rt, client, code, access_token),
    }


def id_token(rt: Runtime, client: Client, code: AuthorizationCode, access_token: str) -> str:
    now = int(rt.clock.now().timestamp())
    claims: dict[str, Any] = {
        "iss": rt.settings.hub_issuer,
        "aud": client.client_id,
        "sub": code.user_id,
        "iat": now,
        "exp": now + int(ID_TOKEN_LIFETIME.total_seconds()),
        "auth_time": int(code.auth_time.timestamp()),
        "sid": code.sid,
        "at_hash": _at_hash(access_token),
        **{name: code.claims[name] for name in USER_CLAIMS if name in code.claims},
    }
    if code.nonce is not None:
        claims["nonce"] = code.nonce
    return keys.sign(rt, claims)


# -- userinfo --------------------------------------------------------------------------------------
def userinfo(rt: Runtime, authorization: str | None) -> dict[str, Any]:
    """Claims of the user an access token was issued for, if the token and the user are live."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise OAuthError("invalid_token", "A bearer access token is required.", status=401)
    record = token_store.get_access_token(digest(token.strip()))
    if record is None or record.revoked or rt.clock.now() >= record.expires_at:
        raise OAuthError("invalid_token", "The access token is not valid.", status=401)
    try:
        user = hub_store.get_user(record.user_id)
    except NotFound as exc:
        raise OAuthError("invalid_token", "The access token is not valid.", status=401) from exc
    if user.status != "active" or (record.client_id in MODULES
                                   and record.client_id not in user.modules):
        raise OAuthError("invalid_token", "The access token is not valid.", status=401)
    return {"sub": user.user_id, **user_claims(user)}


# -- end session -----------------------------------------------------------------------------------
def logout_target(rt: Runtime, params: Mapping[str, str]) -> tuple[str | None, str | None]:
    """(where to send the browser after logout, sid named by a valid id_token_hint).

    A `post_logout_redirect_uri` is honoured only with a valid `id_token_hint` whose audience is
    the client that registered that URI as a post-logout URI: without the hint, anyone could turn
    the end-session endpoint into an open redirect through a client they registered.
    """
    hint_sid, client_id = None, params.get("client_id") or None
    hint = params.get("id_token_hint")
    if hint:
        try:
            claims = keys.verify(rt, hint)
        except keys.InvalidIdToken as exc:
            raise UntrustedRedirect("The sign-out request is not valid.") from exc
        hint_sid = claims.get("sid")
        if client_id is not None and client_id != claims.get("aud"):
            raise UntrustedRedirect("The sign-out request is not valid.")
        client_id = str(claims.get("aud"))
    target = params.get("post_logout_redirect_uri")
    if not target:
        return None, hint_sid
    client = clients.find(rt, client_id) if hint and client_id else None
    if client is None or target not in client.post_logout_redirect_uris:
        raise UntrustedRedirect("The application asked to return to an address it has not "
                                "registered, or without proving who signed you in.")
    return with_params(target, {"state": params.get("state") or None}), hint_sid


def end_session(rt: Runtime, session: HubSession, user: HubUser) -> None:
    """End the hub session and tell modules (by `sid`) to end the sessions it started."""
    hub_sessions.delete_session(session.session_key)
    accounts.publish(rt, "session.ended", user, sid=sid_of(session.session_key))


def log_out(rt: Runtime, token: str | None) -> None:
    """The hub's Log out: end the cookie's session; a live one also ends the modules' sessions."""
    try:
        session, user = sessions.resume(rt, token)
    except NotAuthenticated:
        sessions.end(token)
        return
    end_session(rt, session, user)  # modules hear `session.ended` and end what this one started
