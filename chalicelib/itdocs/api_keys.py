"""IT Docs API keys: one string `itd_<id>.<user id>.<secret>`, shown once, stored as an argon2id
hash (keys made before the user id was named, `itd_<id>.<secret>`, still work).

`verify` answers who a presented key acts for. It reads the key and its user on every call (in
one BatchGetItem when the key names its user), so a revoked key or a deactivated user fails at
once; argon2 itself runs once per key and process,
remembered by a SHA-256 of the presented key bound to the stored hash.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from dataclasses import dataclass

from chalicelib import logs
from chalicelib.auth import passwords
from chalicelib.errors import InvalidInput, NotAuthenticated
from chalicelib.itdocs import audit
from chalicelib.itdocs.accounts import ACTIVE, ItDocsUser
from chalicelib.itdocs.policy import require
from chalicelib.runtime import Runtime
from chalicelib.storage.itdocs import api_keys as access
from chalicelib.storage.itdocs import users as store
from chalicelib.storage.itdocs.api_keys import ApiKey
from chalicelib.storage.itdocs.users import User

PREFIX = "itd_"
REFUSED = "Missing or invalid IT Docs API key."


@dataclass(frozen=True)
class NewApiKey:
    key: ApiKey
    presented: str  # the whole key as the caller sends it; exists only in this answer


class _Verified:
    """SHA-256 of a presented key -> the argon2 hash it verified against (bounded)."""

    def __init__(self, size: int = 1024) -> None:
        self._size = size
        self._entries: dict[str, str] = {}
        self._lock = threading.Lock()

    def holds(self, digest: str, secret_hash: str) -> bool:
        with self._lock:
            cached = self._entries.get(digest)
        return cached is not None and hmac.compare_digest(cached, secret_hash)

    def remember(self, digest: str, secret_hash: str) -> None:
        with self._lock:
            if len(self._entries) >= self._size:
                self._entries.pop(next(iter(self._entries)))
            self._entries[digest] = secret_hash


def _verified(rt: Runtime) -> _Verified:
    return rt.cache(_Verified, lambda _: _Verified())


def create(rt: Runtime, actor: ItDocsUser, label: str) -> NewApiKey:
    """An Administrator creates a key acting as themselves; the whole key is returned once."""
    require(actor, "api_key.manage")
    label = " ".join(label.split()) or "API key"
    if len(label) > 80:
        raise InvalidInput("Use at most 80 characters for the description.", field="label")
    key_id, secret = rt.random.hex(8), rt.random.token(32)
    key = ApiKey(key_id=key_id, account_id=actor.account_id, user_id=actor.user_id,
                 label=label, secret_hash=passwords.hash_secret(secret),
                 created_at=rt.clock.now())
    access.create_api_key(key, audit.line(rt, actor.account_id, actor.email, "api_key.created",
                                          f"{key_id} ({label})"))
    logs.event("itdocs_api_key_created", account_id=actor.account_id, key_id=key_id)
    return NewApiKey(key, f"{PREFIX}{key_id}.{actor.user_id}.{secret}")


def keys_of(actor: ItDocsUser) -> list[ApiKey]:
    """The account's keys, newest first (Administrators only; never their secrets)."""
    require(actor, "api_key.manage")
    return sorted(access.api_keys_of_account(actor.account_id), key=lambda k: k.created_at,
                  reverse=True)


def revoke(rt: Runtime, actor: ItDocsUser, key_id: str) -> None:
    """An Administrator revokes one of the account's keys; it fails at its next use."""
    require(actor, "api_key.manage")
    access.revoke_api_key(actor.account_id, key_id, rt.clock.now())
    audit.record(rt, actor.account_id, actor.email, "api_key.revoked", key_id)


def verify(rt: Runtime, presented_key: str | None) -> ItDocsUser:
    """Who a live key acts for: the active user who created it, with their current role; or
    NotAuthenticated. A key naming its user is read with that user in one call; the name is
    trusted only when the stored key holds the same user."""
    presented = (presented_key or "").strip()
    parts = presented.removeprefix(PREFIX).split(".")
    if not presented.startswith(PREFIX) or len(presented) > 200 or not all(parts) or not (
            2 <= len(parts) <= 3):
        raise NotAuthenticated(REFUSED)
    key, user = _read(parts)
    if key is None or key.revoked_at is not None:
        passwords.verify(None, parts[-1])  # an unknown key costs as much as a wrong secret
        raise NotAuthenticated(REFUSED)
    _check_secret(rt, presented, key.secret_hash, parts[-1])
    if user is None or user.user_id != key.user_id:
        raise NotAuthenticated(REFUSED)
    if user.status != ACTIVE or user.account_id != key.account_id:
        raise NotAuthenticated(REFUSED)
    return ItDocsUser.of(user)


def _read(parts: list[str]) -> tuple[ApiKey | None, User | None]:
    """The key and its user: one read for a key naming its user, two for an older key."""
    if len(parts) == 3:
        return access.key_and_user(parts[0], parts[1])
    key = access.get_api_key(parts[0])
    return key, None if key is None else store.find_user(key.user_id)


def _check_secret(rt: Runtime, presented: str, secret_hash: str, secret: str) -> None:
    """NotAuthenticated unless the secret fits the hash (argon2 once per key and process)."""
    digest = hashlib.sha256(presented.encode()).hexdigest()
    cache = _verified(rt)
    if not cache.holds(digest, secret_hash):
        if not passwords.verify(secret_hash, secret):
            raise NotAuthenticated(REFUSED)
        cache.remember(digest, secret_hash)
