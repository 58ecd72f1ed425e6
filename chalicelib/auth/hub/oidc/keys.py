"""The hub's ID-token signing keys: ES256 key pairs in DynamoDB, private halves sealed, rotated.

The JWKS publishes the current and the previous key, so tokens signed just before a rotation still
verify. Each runtime caches the loaded keyring for `REFRESH`, so signing a token costs no read.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import threading
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from chalicelib.errors import AlreadyExists, ConcurrentChange, LinkhubError
from chalicelib.runtime import Runtime
from chalicelib.storage.hub import oidc_keys as store
from chalicelib.storage.hub.oidc_keys import StoredKeyring, StoredSigningKey

ALGORITHM = "ES256"
REFRESH = dt.timedelta(seconds=60)
ROTATE_AFTER = dt.timedelta(days=90)


class InvalidIdToken(LinkhubError):
    """An ID token this hub did not sign, or signed with another algorithm."""


@dataclass(frozen=True)
class SigningKey:
    kid: str
    public_jwk: dict[str, Any]
    created_at: dt.datetime
    private_key: ec.EllipticCurvePrivateKey | None = None


@dataclass(frozen=True)
class Keyring:
    version: int
    current: SigningKey
    previous: SigningKey | None
    loaded_at: dt.datetime

    def jwks(self) -> dict[str, Any]:
        """The public keys relying parties verify with: current first, then previous."""
        keys = [self.current] + ([self.previous] if self.previous else [])
        return {"keys": [dict(k.public_jwk) for k in keys]}

    def public_key(self, kid: str) -> Any:
        for key in (self.current, self.previous):
            if key is not None and key.kid == kid:
                return jwt.PyJWK(key.public_jwk, ALGORITHM).key
        raise InvalidIdToken("unknown key id")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def public_jwk(public_key: ec.EllipticCurvePublicKey) -> dict[str, Any]:
    """The key as a JWK whose `kid` is its RFC 7638 thumbprint."""
    numbers = public_key.public_numbers()
    members = {
        "crv": "P-256",
        "kty": "EC",
        "x": _b64(numbers.x.to_bytes(32, "big")),
        "y": _b64(numbers.y.to_bytes(32, "big")),
    }
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    kid = _b64(hashlib.sha256(canonical).digest())
    return {**members, "kid": kid, "use": "sig", "alg": ALGORITHM}


def _seal_context(kid: str) -> str:
    return f"hub-oidc-signing-key:{kid}"


def _new_key(rt: Runtime) -> StoredSigningKey:
    private = ec.generate_private_key(ec.SECP256R1())
    jwk = public_jwk(private.public_key())
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    sealed = rt.box.encrypt(pem, _seal_context(jwk["kid"]))
    return StoredSigningKey(
        kid=jwk["kid"], public_jwk=jwk, created_at=rt.clock.now(), sealed_private_key=sealed
    )


def _open(rt: Runtime, stored: StoredKeyring, reuse: Keyring | None) -> Keyring:
    current = stored.current
    if reuse is not None and reuse.current.kid == current.kid:
        private = reuse.current.private_key  # already opened: no second KMS call
    else:
        pem = rt.box.decrypt(
            current.sealed_private_key or "", _seal_context(current.kid)
        )
        loaded = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(loaded, ec.EllipticCurvePrivateKey):
            raise InvalidIdToken("the stored signing key is not an EC key")
        private = loaded
    previous = stored.previous
    return Keyring(
        version=stored.version,
        current=SigningKey(current.kid, current.public_jwk, current.created_at, private),
        previous=SigningKey(previous.kid, previous.public_jwk, previous.created_at)
        if previous
        else None,
        loaded_at=rt.clock.now(),
    )


class KeyCache:
    """One runtime's keyring, reloaded from DynamoDB at most every `REFRESH`."""

    def __init__(self, rt: Runtime) -> None:
        self._rt = rt
        self._keyring: Keyring | None = None
        self._lock = threading.Lock()

    def get(self) -> Keyring:
        with self._lock:
            cached = self._keyring
            if cached is None or self._rt.clock.now() - cached.loaded_at >= REFRESH:
                cached = self._keyring = _open(self._rt, _load_or_create(self._rt), cached)
            return cached

    def put(self, stored: StoredKeyring) -> Keyring:
        with self._lock:
            self._keyring = _open(self._rt, stored, self._keyring)
            return self._keyring


def _cache(rt: Runtime) -> KeyCache:
    return rt.cache(KeyCache, KeyCache)


def _load_or_create(rt: Runtime) -> StoredKeyring:
    stored = store.get_keyring()
    if stored is not None:
        return stored
    first = StoredKeyring(version=1, current=_new_key(rt))
    try:
        store.create_keyring(first)
    except AlreadyExists:
        again = store.get_keyring()
        if again is None:
            raise
        return again
    return first


def keyring(rt: Runtime) -> Keyring:
    """The runtime's keyring (created on first use when the hub has none yet)."""
    return _cache(rt).get()


def ensure_current_key(rt: Runtime) -> Keyring:
    """Make sure a current signing key exists (deployment and devstack call this once)."""
    return _cache(rt).put(_load_or_create(rt))


def rotate(rt: Runtime) -> Keyring:
    """A new current key; the old current becomes previous; the old previous is dropped."""
    stored = _load_or_create(rt)
    old = stored.current
    rotated = StoredKeyring(
        version=stored.version + 1,
        current=_new_key(rt),
        previous=StoredSigningKey(old.kid, old.public_jwk, old.created_at),
    )
    try:
        store.replace_keyring(rotated, expected_version=stored.version)
    except ConcurrentChange:
        return ensure_current_key(rt)  # someone else rotated: theirs stands
    return _cache(rt).put(rotated)


def rotate_when_due(rt: Runtime, max_age: dt.timedelta = ROTATE_AFTER) -> bool:
    """Rotate when the current key is older than `max_age` (for a scheduled handler)."""
    current = ensure_current_key(rt).current
    if rt.clock.now() - current.created_at < max_age:
        return False
    rotate(rt)
    return True


def sign(rt: Runtime, claims: dict[str, Any]) -> str:
    """A compact JWS over `claims` with the current key, naming it in the `kid` header."""
    current = keyring(rt).current
    if current.private_key is None:
        raise InvalidIdToken("the current signing key has no private half")
    return jwt.encode(
        claims, current.private_key, algorithm=ALGORITHM, headers={"kid": current.kid, "typ": "JWT"}
    )


def verify(rt: Runtime, token: str) -> dict[str, Any]:
    """Claims of a token this hub signed (current or previous key); the caller judges expiry."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise InvalidIdToken("malformed token") from exc
    if header.get("alg") != ALGORITHM or not isinstance(header.get("kid"), str):
        raise InvalidIdToken("wrong algorithm or no key id")
    key = keyring(rt).public_key(header["kid"])
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            options={"verify_exp": False, "verify_aud": False, "verify_iat": False,
                     "verify_nbf": False},
        )
    except jwt.PyJWTError as exc:
        raise InvalidIdToken("bad signature") from exc
    if claims.get("iss") != rt.settings.hub_issuer:
        raise InvalidIdToken("another issuer")
    return claims
