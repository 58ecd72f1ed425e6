"""REST API keys: a public key and a secret shown once, stored only as an argon2id hash.

Successful verifications are remembered in-process, keyed by a SHA-256 of the presented
credentials and bound to the stored hash, so the API does not pay for argon2 on every call while
a revoked or replaced key still fails at once (the key record is read on every call).

A key sees every customer of its company, or only a chosen set (its scope). The cache holds only
the hash a secret verified against, never the key record, so a scope changed on the Admin page
applies to the very next call.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

from chalicelib import logs
from chalicelib.auth import passwords
from chalicelib.errors import Forbidden, InvalidInput, NotAuthenticated
from chalicelib.portal.policy import can
from chalicelib.portal.security_settings import audit
from chalicelib.runtime import Runtime
from chalicelib.storage.portal import api_keys as store
from chalicelib.storage.portal import saas_customers as customer_store
from chalicelib.storage.portal.api_keys import ApiKey
from chalicelib.storage.portal.saas_customers import SaasCustomer
from chalicelib.storage.portal.users import PortalUser

TOUCH_EVERY = dt.timedelta(minutes=1)
CACHE_SIZE = 4096
# `Basic ` and base64 of at most 128 + 1 + 256 bytes, with room for spaces: longer is malformed.
MAX_AUTHORIZATION = 600
# Keys are made of printable ASCII (hex public keys, URL-safe secrets); a public key has no `:`.
PUBLIC_KEY_SHAPE = re.compile(r"[\x21-\x39\x3b-\x7e]{1,128}", re.ASCII)
SECRET_SHAPE = re.compile(r"[\x21-\x7e]{1,256}", re.ASCII)
BAD_CREDENTIALS = "Missing or invalid API credentials."
# At most this many chosen customers per key. The key record is read on every API call: 500 of the
# vendor's 6-to-9-digit ids take about 2.5 KB of a number set, so that read stays one 4 KB read
# unit, and the key form posting them stays near 10 KB. Beyond that, "All customers" is the scope.
MAX_SCOPE = 500
ALL_CUSTOMERS = "All customers"


@dataclass(frozen=True)
class NewApiKey:
    """A key just created: the only moment its secret exists outside the caller's hands."""

    key: ApiKey
    secret: str


class VerifiedSecrets:
    """A bounded in-process map: SHA-256(public:secret) -> the argon2 hash it verified against."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self._size = size
        self._entries: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def digest(public_key: str, secret: str) -> str:
        return hashlib.sha256(f"{public_key}:{secret}".encode()).hexdigest()

    def holds(self, digest: str, secret_hash: str) -> bool:
        with self._lock:
            cached = self._entries.get(digest)
            if cached is None:
                return False
            self._entries.move_to_end(digest)
        return hmac.compare_digest(cached, secret_hash)

    def remember(self, digest: str, secret_hash: str) -> None:
        with self._lock:
            self._entries[digest] = secret_hash
            self._entries.move_to_end(digest)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


def verified_secrets(rt: Runtime) -> VerifiedSecrets:
    return rt.cache(VerifiedSecrets, lambda _: VerifiedSecrets())


def checked_scope(company_id: str, customers: Iterable[int] | None) -> frozenset[int] | None:
    """The scope itself when every id is one of the company's customers (at most MAX_SCOPE)."""
    if customers is None:
        return None
    chosen = frozenset(customers)
    if not chosen:
        raise InvalidInput("Tick at least one customer, or choose All customers.",
                           field="customers")
    if len(chosen) > MAX_SCOPE:
        raise InvalidInput(f"A key can be limited to at most {MAX_SCOPE} customers; choose All "
                           "customers for more.", field="customers")
    known = {c.saas_customer_id for c in customer_store.chosen_customers(company_id, list(chosen))}
    unknown = chosen - known
    if unknown:
        raise InvalidInput(f"{len(unknown)} of the chosen customers are not among your SaaS "
                           "Protection customers. Reload the page and choose again.",
                           field="customers")
    return chosen


def scope_text(customers: frozenset[int] | None) -> str:
    """The scope in the audit trail's words: every customer, or the ids chosen."""
    if customers is None:
        return ALL_CUSTOMERS
    return f"{len(customers)} chosen: " + ", ".join(str(c) for c in sorted(customers))


def issue(rt: Runtime, company_id: str, label: str, created_by: str, *,
          customers: Iterable[int] | None = None, public_key: str | None = None,
          secret: str | None = None) -> NewApiKey:
    """Create a key pair for a company, seeing all its customers or only the chosen ones."""
    label = " ".join(label.split()) or "API key"
    if len(label) > 80:
        raise InvalidInput("Use at most 80 characters for the description.", field="label")
    scope = checked_scope(company_id, customers)
    secret = secret or rt.random.token(32)
    key = ApiKey(public_key=public_key or rt.random.hex(16), company_id=company_id,
                 secret_hash=passwords.hash_secret(secret), label=label, created_by=created_by,
                 created_at=rt.clock.now(), customers=scope)
    store.create_api_key(key)
    logs.event("api_key_created", company_id=company_id, public_key=key.public_key,
               customers=None if scope is None else sorted(scope))
    return NewApiKey(key, secret)


def create(rt: Runtime, actor: PortalUser, label: str,
           customers: Iterable[int] | None = None) -> NewApiKey:
    """An admin creates a key for their own company (audited with its scope); secret shown once."""
    if not can(actor, "api_key.create"):
        raise Forbidden()
    new_key = issue(rt, actor.company_id, label, actor.username, customers=customers)
    audit(rt, actor.company_id, actor.username, "Created API key",
          f"{new_key.key.public_key} ({new_key.key.label}): {scope_text(new_key.key.customers)}")
    return new_key


def change_scope(rt: Runtime, actor: PortalUser, public_key: str,
                 customers: Iterable[int] | None) -> None:
    """Change which customers a live key sees; its next API call already obeys (audited)."""
    if not can(actor, "api_key.create"):
        raise Forbidden()
    scope = checked_scope(actor.company_id, customers)
    store.set_api_key_scope(actor.company_id, public_key, scope)
    audit(rt, actor.company_id, actor.username, "Changed API key customers",
          f"{public_key}: {scope_text(scope)}")
    logs.event("api_key_scope_changed", company_id=actor.company_id, public_key=public_key,
               customers=None if scope is None else sorted(scope))


def keys_for(actor: PortalUser) -> list[ApiKey]:
    """The company's keys, newest first (revoked ones included, marked)."""
    if not can(actor, "api_key.list"):
        raise Forbidden()
    return sorted(store.api_keys_of_company(actor.company_id), key=lambda k: k.created_at,
                  reverse=True)


@dataclass(frozen=True)
class KeyRow:
    """One key as the key list shows it, with the names of the customers it is limited to."""

    key: ApiKey
    scope: tuple[str, ...] | None  # None: all customers


@dataclass(frozen=True)
class KeysOverview:
    """Admin > Integrations > API Keys: the keys and the customers a key can be limited to."""

    rows: list[KeyRow]
    customers: list[SaasCustomer]  # by name


def scope_names(key: ApiKey, names: dict[int, str]) -> tuple[str, ...] | None:
    """The names of a scoped key's customers, by name; a customer gone since shows its id."""
    if key.customers is None:
        return None
    return tuple(sorted(names.get(c, f"Customer {c} (no longer listed)") for c in key.customers))


def overview(actor: PortalUser) -> KeysOverview:
    """The company's keys with their scopes, and its customers to choose from (two Queries)."""
    keys = keys_for(actor)
    customers = sorted(customer_store.customers_of_company(actor.company_id),
                       key=lambda c: (c.name.casefold(), c.saas_customer_id))
    names = {c.saas_customer_id: c.name for c in customers}
    return KeysOverview([KeyRow(k, scope_names(k, names)) for k in keys], customers)


def revoke(rt: Runtime, actor: PortalUser, public_key: str) -> None:
    """Revoke one of the company's keys; the next API call with it is refused."""
    if not can(actor, "api_key.revoke"):
        raise Forbidden()
    store.revoke_api_key(actor.company_id, public_key, rt.clock.now())
    logs.event("api_key_revoked", company_id=actor.company_id, public_key=public_key)


def basic_credentials(authorization: str | None) -> tuple[str, str]:
    """(public key, secret) from an HTTP Basic Authorization header, or NotAuthenticated.

    Anything but `Basic base64(public:secret)` in ASCII, of the shape keys have, is refused before
    storage is read: non-ASCII text, bad base64, bytes that are not UTF-8, no `:`, overlong parts.
    """
    if (not authorization or len(authorization) > MAX_AUTHORIZATION or not authorization.isascii()
            or authorization[:6].lower() != "basic "):
        raise NotAuthenticated(BAD_CREDENTIALS)
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise NotAuthenticated(BAD_CREDENTIALS) from exc
    public_key, sep, secret = decoded.partition(":")
    if not sep or not PUBLIC_KEY_SHAPE.fullmatch(public_key) or not SECRET_SHAPE.fullmatch(secret):
        raise NotAuthenticated(BAD_CREDENTIALS)
    return public_key, secret


def verify(rt: Runtime, public_key: str, secret: str) -> ApiKey:
    """The live key these credentials name, or NotAuthenticated. One GetItem per call."""
    if not public_key or not secret or len(public_key) > 128 or len(secret) > 256:
        raise NotAuthenticated("Missing or invalid API credentials.")
    key = store.get_api_key(public_key)
    cache = verified_secrets(rt)
    digest = VerifiedSecrets.digest(public_key, secret)
    if key is None or key.revoked_at is not None:
        passwords.verify(None, secret)  # an unknown key costs as much as a wrong secret
        raise NotAuthenticated("Missing or invalid API credentials.")
    if not cache.holds(digest, key.secret_hash):
        if not passwords.verify(key.secret_hash, secret):
            raise NotAuthenticated("Missing or invalid API credentials.")
        cache.remember(digest, key.secret_hash)
    now = rt.clock.now()
    if key.last_used_at is None or now - key.last_used_at >= TOUCH_EVERY:
        store.mark_api_key_used(public_key, now)
    return key
