"""REST API keys: a public key and a secret shown once, stored only as an argon2id hash.

Successful verifications are remembered in-process, keyed by a SHA-256 of the presented
credentials: the key's company, scope and hash. A later call does not read the key record: its one
conditional write on the partner's access item (`rate_limit.admit`) requires the key's stamp,
which revocation removes and a scope change replaces in the same transaction as the record, so a
revoked or changed key fails on its very next call; the call then reads the record consistently
(a changed scope applies at once, a revoked key is refused). Keys made before stamps existed are
read on every call, as before. A public key names its partner (`api_key_names`), so the first
call of a process reads the record with the partner's customer in one BatchGetItem.

A key sees every customer of its company, or only a chosen set (its scope).
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
from chalicelib.portal import catalog, sessions
from chalicelib.portal.api_key_names import new_public_key, partner_named
from chalicelib.portal.policy import can
from chalicelib.portal.security_settings import audit_entry
from chalicelib.runtime import Runtime
from chalicelib.storage.portal import api_keys as store
from chalicelib.storage.portal import api_usage as usage_store
from chalicelib.storage.portal import list_positions
from chalicelib.storage.portal import saas_customers as customer_store
from chalicelib.storage.portal import saas_seats as seat_store
from chalicelib.storage.portal.api_keys import ApiKey
from chalicelib.storage.portal.saas_customers import SaasCustomer
from chalicelib.storage.portal.users import PortalUser

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
    """A key just created: the only moment its secret exists outside the caller's hands; with
    the names of the customers it is limited to (None: all), as the scope check read them."""

    key: ApiKey
    secret: str
    scope_names: tuple[str, ...] | None = None


@dataclass(frozen=True)
class CustomerRead:
    """What was read with the key, in the key's company: the path's customer (`customer` None: it
    has no such one; `saas_customer_id` None: no customer asked for) and the asked list's sizes."""

    saas_customer_id: int | None
    customer: SaasCustomer | None
    list_sizes: dict[str, int] | None = None


@dataclass(frozen=True)
class KnownKey:
    """A key whose secret verified in this process: what a call needs without reading its record.

    `stamped` False: a key made before stamps, whose record is read (consistently) on every
    call."""

    public_key: str
    company_id: str
    secret_hash: str
    customers: frozenset[int] | None
    stamped: bool = True

    def stamp(self) -> str | None:
        """The stamp the partner's access item must hold for this key, None for an unstamped
        key."""
        if not self.stamped:
            return None
        return store.key_stamp(self.company_id, self.public_key, self.customers)


class VerifiedSecrets:
    """A bounded in-process map: SHA-256(public:secret) -> the key those credentials verified.

    Only a live stamp (checked by the call's one conditional write) or a consistent read of the
    key record lets an entry be used, so no entry outlives a revocation or a scope change."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self._size = size
        self._entries: OrderedDict[str, KnownKey] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def digest(public_key: str, secret: str) -> str:
        return hashlib.sha256(f"{public_key}:{secret}".encode()).hexdigest()

    def known(self, digest: str) -> KnownKey | None:
        with self._lock:
            entry = self._entries.get(digest)
            if entry is not None:
                self._entries.move_to_end(digest)
            return entry

    def holds(self, digest: str, secret_hash: str) -> bool:
        """Whether these credentials verified against this very hash (constant-time compare)."""
        entry = self.known(digest)
        return entry is not None and hmac.compare_digest(entry.secret_hash, secret_hash)

    def remember(self, digest: str, key: KnownKey) -> None:
        with self._lock:
            self._entries[digest] = key
            self._entries.move_to_end(digest)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def forget(self, digest: str) -> None:
        with self._lock:
            self._entries.pop(digest, None)

    def __len__(self) -> int:
        return len(self._entries)


def verified_secrets(rt: Runtime) -> VerifiedSecrets:
    return rt.cache(VerifiedSecrets, lambda _: VerifiedSecrets())


def checked_scope(company_id: str, customers: Iterable[int] | None) -> frozenset[int] | None:
    """The scope itself when every id is one of the company's customers (at most MAX_SCOPE)."""
    chosen = checked_customers(company_id, customers)
    return None if chosen is None else frozenset(c.saas_customer_id for c in chosen)


def checked_customers(company_id: str, customers: Iterable[int] | None,
                      ) -> list[SaasCustomer] | None:
    """The chosen customers (one BatchGetItem) when every id is one of the company's (at most
    MAX_SCOPE); None: all customers."""
    if customers is None:
        return None
    chosen = frozenset(customers)
    if not chosen:
        raise InvalidInput("Tick at least one customer, or choose All customers.",
                           field="customers")
    if len(chosen) > MAX_SCOPE:
        raise InvalidInput(f"A key can be limited to at most {MAX_SCOPE} customers; choose All "
                           "customers for more.", field="customers")
    found = customer_store.chosen_customers(company_id, list(chosen))
    unknown = chosen - {c.saas_customer_id for c in found}
    if unknown:
        raise InvalidInput(f"{len(unknown)} of the chosen customers are not among your SaaS "
                           "Protection customers. Reload the page and choose again.",
                           field="customers")
    return found


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
    chosen = checked_customers(company_id, customers)
    scope = None if chosen is None else frozenset(c.saas_customer_id for c in chosen)
    secret = secret or rt.random.token(32)
    key = ApiKey(public_key=new_public_key(rt, company_id, public_key), company_id=company_id,
                 secret_hash=passwords.hash_secret(secret), label=label, created_by=created_by,
                 created_at=rt.clock.now(), customers=scope)
    names = None if chosen is None else tuple(sorted(c.name for c in chosen))
    return NewApiKey(key, secret, names)


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
    """One key as the key list shows it, with the names of the customers it is limited to and
    when it was last used (None: never, as far as is known)."""

    key: ApiKey
    scope: tuple[str, ...] | None  # None: all customers
    last_used: dt.datetime | None = None


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
    """The company's keys with their scopes and last use, and its customers to choose from (two
    Queries; the keys' last uses as read with the session, else one more read)."""
    keys = keys_for(actor)
    customers = sorted(customer_store.customers_of_company(actor.company_id),
                       key=lambda c: (c.name.casefold(), c.saas_customer_id))
    names = {c.saas_customer_id: c.name for c in customers}
    seen = sessions.carried_key_uses(actor)
    if seen is None:
        seen = usage_store.last_used(actor.company_id)
    return KeysOverview([KeyRow(k, scope_names(k, names), seen.get(k.public_key, k.last_used_at))
                         for k in keys], customers)


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


def known_key(rt: Runtime, public_key: str, secret: str) -> KnownKey | None:
    """The key these credentials verified in this process, if they did (no call; a hint that
    the call's conditional write or a record read confirms)."""
    return verified_secrets(rt).known(VerifiedSecrets.digest(public_key, secret))


def forget(rt: Runtime, key: KnownKey | None, public_key: str, secret: str) -> None:
    """Drop what this process knew of these credentials (their key changed or went)."""
    if key is not None:
        verified_secrets(rt).forget(VerifiedSecrets.digest(public_key, secret))


def verify(rt: Runtime, public_key: str, secret: str, stamped: bool = True,
           record: ApiKey | None = None, read_already: bool = False) -> KnownKey:
    """The live key these credentials name, read consistently (or `record`, when
    `read_already`), or NotAuthenticated: the same answer, at the same argon2 cost, for an
    unknown key, a revoked one, one of another company than its public key names and a wrong
    secret. Remembered for the next calls."""
    if not public_key or not secret or len(public_key) > 128 or len(secret) > 256:
        raise NotAuthenticated(BAD_CREDENTIALS)
    key = record if read_already else store.get_api_key(public_key, consistent=True)
    if key is None or key.revoked_at is not None or partner_named(public_key) not in (
            None, key.company_id):
        passwords.verify(None, secret)  # an unknown key costs as much as a wrong secret
        raise NotAuthenticated(BAD_CREDENTIALS)
    cache, digest = verified_secrets(rt), VerifiedSecrets.digest(public_key, secret)
    if not cache.holds(digest, key.secret_hash) and not passwords.verify(key.secret_hash, secret):
        raise NotAuthenticated(BAD_CREDENTIALS)
    known = KnownKey(key.public_key, key.company_id, key.secret_hash, key.customers, stamped)
    cache.remember(digest, known)
    return known


def remember(rt: Runtime, key: KnownKey, secret: str) -> None:
    """Keep what these credentials verified to (e.g. that their key has no stamp)."""
    verified_secrets(rt).remember(VerifiedSecrets.digest(key.public_key, secret), key)


def sizes_wanted(company_id: str, saas_customer_id: int | None,
                 listing: str | None) -> store.ListSizes | None:
    """The size items of the list an endpoint pages through, if it pages one."""
    if listing == CUSTOMER_LIST:
        return store.ListSizes(customer_store.customers_owner(company_id),
                               (list_positions.WHOLE_LIST,))
    if listing == SEAT_LIST and saas_customer_id is not None:
        return store.ListSizes(seat_store.seats_owner(saas_customer_id), SEAT_TYPES)
    return None


def read_for_call(company_id: str, saas_customer_id: int | None, listing: str | None,
                  public_key: str | None = None) -> tuple[ApiKey | None, CustomerRead | None]:
    """What a call reads with (or, `public_key` None, beside) its key: the key record of an
    unstamped key, the path's customer of `company_id` and the listed list's sizes, in one
    consistent BatchGetItem; nothing to read is no call."""
    sizes = sizes_wanted(company_id, saas_customer_id, listing)
    if public_key is None and saas_customer_id is None and sizes is None:
        return None, None
    key, customer, part_sizes = store.read_for_call(public_key, company_id, saas_customer_id,
                                                    sizes)
    read = CustomerRead(saas_customer_id, customer, None if sizes is None else part_sizes)
    return key, read
