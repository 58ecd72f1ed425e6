"""Admitting one REST API call: its key, its charge and what it reads with them.

Steady state (the credentials verified earlier in this process, the key stamped): ONE conditional
write on the partner's access item proves the key live and unchanged, spends the call's cost in
its hour (a new hour too) and notes the key's use (`rate_limit.admit`), while the path's customer
and the list's sizes are read at the same time (one BatchGetItem, consistent) and used only once
the write admitted the key of that partner. A revoked or changed key fails that write: its record
is then read consistently, so a revoked key is refused on its very next call and a changed scope
applies at once.

Credentials this process has not verified yet: a public key of today's format names its partner
(`api_key_names`), so its record is read in the same consistent BatchGetItem as that partner's
customer and list sizes, the secret checked (and the record's company against the one named),
and only then the admission written: 3 calls, as in steady state, and a caller who knows only a
public key never spends the partner's budget. A key of the format before names no one: its record
is read first (one call more, once per process). A key made before stamps existed has its record
read with the customer on every call, and only the budget conditioned.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace

from chalicelib.errors import StorageUnavailable
from chalicelib.portal import api_keys, rate_limit
from chalicelib.portal.api_key_names import partner_named
from chalicelib.portal.api_keys import CustomerRead, KnownKey
from chalicelib.portal.rate_limit import Usage
from chalicelib.runtime import Runtime
from chalicelib.storage.portal.api_keys import ApiKey

# Times a key read afresh may find its stamp changed again before the call gives up (503).
FRESH_ATTEMPTS = 2
READERS = 4


@dataclass(frozen=True)
class Admitted:
    """A call let in: its key, what it was charged, and what was read with it."""

    key: KnownKey
    usage: Usage
    read: CustomerRead | None


@dataclass(frozen=True)
class Wanted:
    """What the call reads besides its key: the path's customer and the paged list."""

    saas_customer_id: int | None
    listing: str | None


class Readers:
    """The threads that read a call's customer while its admission is written: one small pool
    per process, started on first use (they hold no data, so runtimes can share them)."""

    def __init__(self) -> None:
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def submit(self, company_id: str, wanted: Wanted) -> Future[tuple[ApiKey | None,
                                                                      CustomerRead | None]]:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(READERS, thread_name_prefix="api-read")
        return self._pool.submit(api_keys.read_for_call, company_id, wanted.saas_customer_id,
                                 wanted.listing)


READ_BESIDE = Readers()


def admit(rt: Runtime, public_key: str, secret: str, endpoint: str, wanted: Wanted) -> Admitted:
    """Let the call in (NotAuthenticated, BudgetExceeded otherwise), charged and with its reads."""
    known = api_keys.known_key(rt, public_key, secret)
    if known is not None and known.stamped:
        admitted = _stamped(rt, known, endpoint, wanted)
        if admitted is not None:
            return admitted
        api_keys.forget(rt, known, public_key, secret)
    elif known is not None:
        return _unstamped(rt, known, public_key, secret, endpoint, wanted)
    named = partner_named(public_key)
    if named is not None:
        return _named(rt, named, public_key, secret, endpoint, wanted)
    return _afresh(rt, public_key, secret, endpoint, wanted)


def _named(rt: Runtime, company_id: str, public_key: str, secret: str, endpoint: str,
           wanted: Wanted) -> Admitted:
    """A key naming its partner: its record, the customer and the list sizes in one consistent
    BatchGetItem, the secret checked, then one conditional write with the stamp read (a key
    changed in between fails it and is read again)."""
    record, read = api_keys.read_for_call(company_id, wanted.saas_customer_id, wanted.listing,
                                          public_key)
    key = api_keys.verify(rt, public_key, secret, record=record, read_already=True)
    usage = rate_limit.admit(rt, key.company_id, key.public_key, endpoint, key.stamp())
    if usage is None:
        api_keys.forget(rt, key, public_key, secret)
        return _afresh(rt, public_key, secret, endpoint, wanted)
    return Admitted(key, usage, read)


def _stamped(rt: Runtime, key: KnownKey, endpoint: str, wanted: Wanted) -> Admitted | None:
    """One conditional write with the key's stamp, the reads beside it; None: stamp not there."""
    reading = None
    if wanted.saas_customer_id is not None or wanted.listing is not None:
        reading = READ_BESIDE.submit(key.company_id, wanted)
    try:
        usage = rate_limit.admit(rt, key.company_id, key.public_key, endpoint, key.stamp())
    finally:
        read = None if reading is None else reading.result()[1]
    return None if usage is None else Admitted(key, usage, read)


def _afresh(rt: Runtime, public_key: str, secret: str, endpoint: str,
            wanted: Wanted) -> Admitted:
    """The key's record read consistently and checked, then admitted by its stamp; a live key
    with no stamp at all was made before stamps (read on every call from then on)."""
    for _ in range(FRESH_ATTEMPTS):
        key = api_keys.verify(rt, public_key, secret)
        admitted = _stamped(rt, key, endpoint, wanted)
        if admitted is not None:
            return admitted
        if not rate_limit.has_stamp(key.company_id, public_key):
            old = replace(key, stamped=False)
            api_keys.remember(rt, old, secret)
            return _unstamped(rt, old, public_key, secret, endpoint, wanted)
    raise StorageUnavailable()


def _unstamped(rt: Runtime, known: KnownKey, public_key: str, secret: str, endpoint: str,
               wanted: Wanted) -> Admitted:
    """A key made before stamps: its record read with the customer (one BatchGetItem), checked,
    then the budget charged."""
    record, read = api_keys.read_for_call(known.company_id, wanted.saas_customer_id,
                                          wanted.listing, public_key)
    key = api_keys.verify(rt, public_key, secret, stamped=False, record=record,
                          read_already=True)
    usage = rate_limit.admit(rt, key.company_id, key.public_key, endpoint, None)
    if usage is None:  # pragma: no cover - without a stamp only the budget is conditioned
        raise StorageUnavailable()
    return Admitted(key, usage, read if key.company_id == known.company_id else None)
