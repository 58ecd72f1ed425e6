"""REST API keys: a public key and a secret shown once, stored only as an argon2id hash.

Successful verifications are remembered in-process, keyed by a SHA-256 of the presented
credentials and bound to the stored hash, so the API does not pay for argon2 on every call while
a revoked or replaced key still fails at once (the key record is read on every call). They also
remember the key's company, so a call naming a customer reads the key and that customer of the
company in one BatchGetItem; the customer is used only once the key read with it is verified and
belongs to that company.

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
from chalicelib.portal import catalog
from chalicelib.portal.policy import can
from chalicelib.portal.security_settings import audit_entry
from chalicelib.runtime import Runtime
from chalicelib.storage.portal import api_keys as store
from chalicelib.storage.portal import list_positions
from chalicelib.storage.portal import saas_customers as customer_store
from chalicelib.storage.portal import saas_seats as seat_store
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
# The paged lists whose sizes a call can read with its key: /saas/domains and a customer's seats.
CUSTOMER_LIST, SEAT_LIST = "domains", "seats"
SEAT_TYPES = tuple(sorted(catalog.ALL_SEAT_TYPES))


@dataclass(frozen=True)
class NewApiKey:
    """A key just created: the only moment its secret exists outside the caller's hands."""

    key: ApiKey
    secret: str


@dataclass(frozen=True)
class CustomerRead:
    """What was read with the key, in the key's company: the path's customer (`customer` None: it
    has no such one; `saas_customer_id` None: no customer asked for) and the asked list's sizes."""

    saas_customer_id: int | None
    customer: SaasCustomer | None
    list_sizes: dict[str, int] | None = None


class VerifiedSecrets:
    """A bounded in-process map: SHA-256(public:secret) -> the argon2 hash it verified against,
    and the company of the key it verified."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self._size = size
        self._entries: OrderedDict[str, tuple[str, str]] = OrderedDict()
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
        return hmac.compare_digest(cached[0], secret_hash)

    def company_of(self, digest: str) -> str | None:
        """The company of the key these credentials verified (a hint: the key is read anyway)."""
        with self._lock:
            cached = self._entries.get(digest)
        return None if cached is None else cached[1]

    def remember(self, digest: str, secret_hash: str, company_id: str) -> None:
        with self._lock:
            self._entries[digest] = (secret_hash, company_id)
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


def _new_key(rt: Runtime, company_id: str, label: str, created_by: str,
             customers: Iterable[int] | None, public_key: str | None,
             secret: str | None) -> NewApiKey:
    """A checked key pair for a company, not stored yet."""
    label = " ".join(label.split()) or "API key"
    if len(label) > 80:
        raise InvalidInput("Use at most 80 characters for the description.", field="label")
    scope = checked_scope(company_id, customers)
    secret = secret or rt.random.token(32)
    key = ApiKey(public_key=public_key or rt.random.hex(16), company_id=company_id,
                 secret_hash=passwords.hash_secret(secret), label=label, created_by=created_by,
                 created_at=rt.clock.now(), customers=scope)
    return NewApiKey(key, secret)


def _created(new_key: NewApiKey) -> NewApiKey:
    key = new_key.key
    logs.event("api_key_created", company_id=key.company_id, public_key=key.public_key,
               customers=None if key.customers is None else sorted(key.customers))
    return new_key


def issue(rt: Runtime, company_id: str, label: str, created_by: str, *,
          customers: Iterable[int] | None = None, public_key: str | None = None,
          secret: str | None = None) -> NewApiKey:
    """Create a key pair for a company, seeing all its customers or only the chosen ones."""
    new_key = _new_key(rt, company_id, label, created_by, customers, public_key, secret)
    store.create_api_key(new_key.key)
    return _created(new_key)


def create(rt: Runtime, actor: PortalUser, label: str,
           customers: Iterable[int] | None = None) -> NewApiKey:
    """An admin creates a key for their own company, audited with its scope in the same write;
    the secret is shown once."""
    if not can(actor, "api_key.create"):
        raise Forbidden()
    new_key = _new_key(rt, actor.company_id, label, actor.username, customers, None, None)
    key = new_key.key
    store.create_api_key(key, audit_entry(
        rt, actor.company_id, actor.username, "Created API key",
        f"{key.public_key} ({key.label}): {scope_text(key.customers)}"))
    return _created(new_key)


def change_scope(rt: Runtime, actor: PortalUser, public_key: str,
                 customers: Iterable[int] | None) -> None:
    """Change which customers a live key sees, audited in the same write; its next API call
    already obeys."""
    if not can(actor, "api_key.create"):
        raise Forbidden()
    scope = checked_scope(actor.company_id, customers)
    store.set_api_key_scope(actor.company_id, public_key, scope, audit_entry(
        rt, actor.company_id, actor.username, "Changed API key customers",
        f"{public_key}: {scope_text(scope)}"))
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


def verify(rt: Runtime, public_key: str, secret: str, saas_customer_id: int | None = None,
           listing: str | None = None) -> tuple[ApiKey, CustomerRead | None]:
    """The live key these credentials name, or NotAuthenticated, and the customer
    `saas_customer_id` of its company and the sizes of the `listing` (CUSTOMER_LIST, SEAT_LIST)
    when they could be read in the same call (credentials verified before in this process).
    One read per call, a last-used write once a minute."""
    if not public_key or not secret or len(public_key) > 128 or len(secret) > 256:
        raise NotAuthenticated("Missing or invalid API credentials.")
    cache = verified_secrets(rt)
    digest = VerifiedSecrets.digest(public_key, secret)
    company_id = cache.company_of(digest)
    key, read = _read_key(public_key, company_id, saas_customer_id, listing)
    if key is None or key.revoked_at is not None:
        passwords.verify(None, secret)  # an unknown key costs as much as a wrong secret
        raise NotAuthenticated("Missing or invalid API credentials.")
    if not cache.holds(digest, key.secret_hash):
        if not passwords.verify(key.secret_hash, secret):
            raise NotAuthenticated("Missing or invalid API credentials.")
        cache.remember(digest, key.secret_hash, key.company_id)
    now = rt.clock.now()
    if key.last_used_at is None or now - key.last_used_at >= TOUCH_EVERY:
        store.mark_api_key_used(public_key, now)
    return key, read if key.company_id == company_id else None


def _sizes_wanted(company_id: str, saas_customer_id: int | None,
                  listing: str | None) -> store.ListSizes | None:
    """The size items of the list an endpoint pages through, if it pages one."""
    if listing == CUSTOMER_LIST:
        return store.ListSizes(customer_store.customers_owner(company_id),
                               (list_positions.WHOLE_LIST,))
    if listing == SEAT_LIST and saas_customer_id is not None:
        return store.ListSizes(seat_store.seats_owner(saas_customer_id), SEAT_TYPES)
    return None


def _read_key(public_key: str, company_id: str | None, saas_customer_id: int | None,
              listing: str | None) -> tuple[ApiKey | None, CustomerRead | None]:
    """The key; with a company believed to be its own, the customer and list sizes too."""
    sizes = None if company_id is None else _sizes_wanted(company_id, saas_customer_id, listing)
    if company_id is None or (saas_customer_id is None and sizes is None):
        return store.get_api_key(public_key), None
    key, customer, part_sizes = store.get_api_key_with_customer(
        public_key, company_id, saas_customer_id, sizes)
    return key, CustomerRead(saas_customer_id, customer, None if sizes is None else part_sizes)
