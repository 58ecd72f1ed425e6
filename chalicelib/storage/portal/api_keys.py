"""REST API keys of partner companies (secrets only as hashes) and the customers each may see.

Each live key also has a stamp on its partner's API access item (`api_usage`): a digest of what a
call must know about the key (its company and scope), set or removed in the same transaction as
every change of the key record, so one conditional write on the access item proves a key is
still live and unchanged (the secret's hash never changes for a public key).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from functools import partial
from typing import Any

from pynamodb.attributes import NumberSetAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.errors import AlreadyExists, NotFound, StorageRejected, StorageUnavailable
from chalicelib.storage import low_level
from chalicelib.storage.base import translated
from chalicelib.storage.dynamodb_wire import Refused, Unreachable
from chalicelib.storage.portal import api_usage, list_positions
from chalicelib.storage.portal.audit import NewAuditEntry, add_audit_in
from chalicelib.storage.portal.saas_customers import (
    SaasCustomer,
    SaasCustomerModel,
    customer_from,
)
from chalicelib.storage.together import Wanted, read_together
from chalicelib.storage.transactions import Transaction, write_transaction

# Times a revocation reads the key's last use again when calls keep changing it meanwhile.
REVOKE_ATTEMPTS = 5


class ApiKeyByCompany(GlobalSecondaryIndex):  # type: ignore[type-arg]
    class Meta:
        index_name = "by_company"
        projection = AllProjection()

    company_id = UnicodeAttribute(hash_key=True)
    public_key = UnicodeAttribute(range_key=True)


class ApiKeyModel(Model):
    class Meta:
        logical_name = "portal_api_keys"
        table_name = "portal_api_keys"

    public_key = UnicodeAttribute(hash_key=True)
    company_id = UnicodeAttribute()
    secret_hash = UnicodeAttribute()  # argon2id; the secret itself is never stored
    label = UnicodeAttribute()
    created_by = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    last_used_at = UTCDateTimeAttribute(null=True)  # written before the access item kept it
    revoked_at = UTCDateTimeAttribute(null=True)
    # The SaaS Protection customer ids the key may see; absent (keys made before scopes too): all.
    customers = NumberSetAttribute(null=True)
    by_company = ApiKeyByCompany()


@dataclass
class ApiKey:
    public_key: str
    company_id: str
    secret_hash: str
    label: str
    created_by: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None = None
    revoked_at: dt.datetime | None = None
    customers: frozenset[int] | None = None  # None: every customer of the company


def _scope(stored: set[float] | None) -> frozenset[int] | None:
    """The stored number set as ids; DynamoDB has no empty set, so absent means all customers."""
    return None if not stored else frozenset(int(c) for c in stored)


def _api_key(m: ApiKeyModel) -> ApiKey:
    return ApiKey(m.public_key, m.company_id, m.secret_hash, m.label, m.created_by, m.created_at,
                  m.last_used_at, m.revoked_at, _scope(m.customers))


def key_stamp(company_id: str, public_key: str, customers: frozenset[int] | None) -> str:
    """The stamp of a key as it is now: changes with its scope, never with anything else."""
    scope = "*" if customers is None else ",".join(str(c) for c in sorted(customers))
    return hashlib.sha256(f"{company_id}\n{public_key}\n{scope}".encode()).hexdigest()[:32]


def create_api_key(key: ApiKey, audited: NewAuditEntry | None = None) -> None:
    """Store a new key and its stamp, with the audit entry recording it in the same transaction
    if given; a public key that exists already is AlreadyExists."""
    if key.customers is not None and not key.customers:
        raise ValueError("A key's scope names at least one customer; None means all of them.")
    model = ApiKeyModel(key.public_key, company_id=key.company_id, secret_hash=key.secret_hash,
                        label=key.label, created_by=key.created_by, created_at=key.created_at,
                        customers=set(key.customers) if key.customers else None)

    def write(tx: Transaction) -> None:
        tx.save(model, condition=ApiKeyModel.public_key.does_not_exist())
        api_usage.stamp_in(tx, key.company_id, key.public_key,
                           key_stamp(key.company_id, key.public_key, key.customers))
        if audited is not None:
            add_audit_in(tx, audited)

    if write_transaction(write):
        raise AlreadyExists("That public key already exists.")


def get_api_key(public_key: str, consistent: bool = False) -> ApiKey | None:
    try:
        with translated():
            return _api_key(ApiKeyModel.get(public_key, consistent_read=consistent))
    except ApiKeyModel.DoesNotExist:
        return None


@dataclass(frozen=True)
class ListSizes:
    """Size items of one paged list to read with the key: its owner and the parts wanted."""

    owner: str
    parts: tuple[str, ...]


def read_for_call(public_key: str | None, company_id: str, saas_customer_id: int | None,
                  sizes: ListSizes | None = None,
                  ) -> tuple[ApiKey | None, SaasCustomer | None, dict[str, int]]:
    """What a call reads of its partner: the key record (when `public_key` is given: a key
    without a stamp), a customer of the company (if an id is given) and a list's sizes, in one
    consistent BatchGetItem (the caller checks the key and its company before using the rest)."""
    wanted = [] if public_key is None else [Wanted(ApiKeyModel, public_key)]
    if saas_customer_id is not None:
        wanted.append(Wanted(SaasCustomerModel, company_id, saas_customer_id))
    parts = sizes.parts if sizes is not None else ()
    if sizes is not None:
        wanted.extend(list_positions.size_items(sizes.owner, parts))
    rest = _read_lean(wanted) if wanted else []
    key = rest.pop(0) if public_key is not None else None
    customer = rest.pop(0) if saas_customer_id is not None else None
    return (_api_key(key) if isinstance(key, ApiKeyModel) else None,
            customer_from(customer) if isinstance(customer, SaasCustomerModel) else None,
            list_positions.sizes_read(parts, rest))


def _read_lean(wanted: list[Wanted]) -> list[Model | None]:
    """The items in one consistent BatchGetItem on the lean transport of the hot calls (one per
    API call); when DynamoDB leaves keys unprocessed, `read_together` asks again with pauses."""
    request: dict[str, Any] = {}
    for item in wanted:
        request.setdefault(item.table(), {"Keys": [], "ConsistentRead": True})["Keys"].append(
            item.key())
    try:
        answer = low_level.post("BatchGetItem", {"RequestItems": request})
    except Refused as exc:
        if exc.code == "ValidationException":
            raise StorageRejected(exc.message[:300]) from exc
        raise StorageUnavailable() from exc
    except Unreachable as exc:
        raise StorageUnavailable() from exc
    if answer.get("UnprocessedKeys"):
        return read_together(wanted)
    return [_found(item, answer.get("Responses", {}).get(item.table(), [])) for item in wanted]


def _found(wanted: Wanted, items: list[dict[str, Any]]) -> Model | None:
    """The wanted item among those a table answered with, as its model."""
    key = wanted.key()
    for item in items:
        if all(item.get(name) == value for name, value in key.items()):
            return wanted.model.from_raw_data(item)
    return None


def api_keys_of_company(company_id: str) -> list[ApiKey]:
    with translated():
        return [_api_key(m) for m in ApiKeyModel.by_company.query(company_id)]


def revoke_api_key(company_id: str, public_key: str, now: dt.datetime) -> None:
    """Revoke a key of this company and remove its stamp in one transaction (another company's
    key is NotFound); idempotent. Its last use moves from the access item to its record in the
    same transaction, which a call admitted meanwhile makes fail: then read and written again
    (the last attempt regardless: a key in constant use is still revoked, its last use then
    up to that attempt's read)."""
    for attempt in range(REVOKE_ATTEMPTS):
        seen = api_usage.last_used(company_id).get(public_key)
        failed = write_transaction(partial(_revoke_in, company_id=company_id,
                                           public_key=public_key, now=now, seen=seen,
                                           exact=attempt < REVOKE_ATTEMPTS - 1))
        if not failed:
            return
        if 0 in failed:
            raise NotFound("No such API key.")
    raise AssertionError("unreachable")  # pragma: no cover - the last attempt has no condition


def _revoke_in(tx: Transaction, company_id: str, public_key: str, now: dt.datetime,
               seen: dt.datetime | None, exact: bool) -> None:
    """Within `tx`: the record revoked (first revocation's time kept) with its last use, and
    its stamp and last use gone from the access item."""
    actions = [ApiKeyModel.revoked_at.set(ApiKeyModel.revoked_at | now)]
    if seen is not None:
        actions.append(ApiKeyModel.last_used_at.set(seen))
    tx.update(ApiKeyModel(public_key), actions=actions,
              condition=ApiKeyModel.company_id == company_id)
    api_usage.retire_in(tx, company_id, public_key, seen, exact)


def set_api_key_scope(company_id: str, public_key: str, customers: frozenset[int] | None,
                      audited: NewAuditEntry | None = None) -> None:
    """Change which customers a live key of this company sees (None: all) and its stamp, with
    the audit entry recording it in the same transaction if given; else NotFound (nothing
    written)."""
    if customers is not None and not customers:
        raise ValueError("A key's scope names at least one customer; None means all of them.")
    action = (ApiKeyModel.customers.remove() if customers is None
              else ApiKeyModel.customers.set(set(customers)))

    def write(tx: Transaction) -> None:
        tx.update(ApiKeyModel(public_key), actions=[action],
                  condition=(ApiKeyModel.company_id == company_id)
                  & ApiKeyModel.revoked_at.does_not_exist())
        api_usage.stamp_in(tx, company_id, public_key,
                           key_stamp(company_id, public_key, customers))
        if audited is not None:
            add_audit_in(tx, audited)

    if write_transaction(write):
        raise NotFound("No such live API key.")
