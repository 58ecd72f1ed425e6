"""REST API keys of partner companies (secrets only as hashes) and the customers each may see."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pynamodb.attributes import NumberSetAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.errors import AlreadyExists, NotFound
from chalicelib.storage.base import is_condition_failure, translated
from chalicelib.storage.portal import list_positions
from chalicelib.storage.portal.audit import NewAuditEntry, add_audit_in
from chalicelib.storage.portal.saas_customers import (
    SaasCustomer,
    SaasCustomerModel,
    customer_from,
)
from chalicelib.storage.together import Wanted, read_together
from chalicelib.storage.transactions import Transaction, write_transaction


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
    last_used_at = UTCDateTimeAttribute(null=True)
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


def create_api_key(key: ApiKey, audited: NewAuditEntry | None = None) -> None:
    """Store a new key, with the audit entry recording it in the same transaction if given;
    a public key that exists already is AlreadyExists."""
    if key.customers is not None and not key.customers:
        raise ValueError("A key's scope names at least one customer; None means all of them.")
    model = ApiKeyModel(key.public_key, company_id=key.company_id, secret_hash=key.secret_hash,
                        label=key.label, created_by=key.created_by, created_at=key.created_at,
                        customers=set(key.customers) if key.customers else None)

    def write(tx: Transaction) -> None:
        tx.save(model, condition=ApiKeyModel.public_key.does_not_exist())
        if audited is not None:
            add_audit_in(tx, audited)

    if write_transaction(write):
        raise AlreadyExists("That public key already exists.")


def get_api_key(public_key: str) -> ApiKey | None:
    try:
        with translated():
            return _api_key(ApiKeyModel.get(public_key))
    except ApiKeyModel.DoesNotExist:
        return None


@dataclass(frozen=True)
class ListSizes:
    """Size items of one paged list to read with the key: its owner and the parts wanted."""

    owner: str
    parts: tuple[str, ...]


def get_api_key_with_customer(public_key: str, company_id: str, saas_customer_id: int | None,
                              sizes: ListSizes | None = None,
                              ) -> tuple[ApiKey | None, SaasCustomer | None, dict[str, int]]:
    """The key, a customer of the company it is believed to belong to (if an id is given) and a
    list's sizes, in one consistent BatchGetItem (the caller checks the key's company before
    using the rest)."""
    wanted = [Wanted(ApiKeyModel, public_key)]
    if saas_customer_id is not None:
        wanted.append(Wanted(SaasCustomerModel, company_id, saas_customer_id))
    parts = sizes.parts if sizes is not None else ()
    if sizes is not None:
        wanted.extend(list_positions.size_items(sizes.owner, parts))
    key, *rest = read_together(wanted)
    customer = rest.pop(0) if saas_customer_id is not None else None
    return (_api_key(key) if isinstance(key, ApiKeyModel) else None,
            customer_from(customer) if isinstance(customer, SaasCustomerModel) else None,
            list_positions.sizes_read(parts, rest))


def api_keys_of_company(company_id: str) -> list[ApiKey]:
    with translated():
        return [_api_key(m) for m in ApiKeyModel.by_company.query(company_id)]


def revoke_api_key(company_id: str, public_key: str, now: dt.datetime) -> None:
    """Revoke a key of this company (another company's key is NotFound); idempotent."""
    try:
        with translated():
            ApiKeyModel(public_key).update(
                actions=[ApiKeyModel.revoked_at.set(ApiKeyModel.revoked_at | now)],
                condition=ApiKeyModel.company_id == company_id,
            )
    except UpdateError as exc:
        if is_condition_failure(exc):
            raise NotFound("No such API key.") from exc
        raise


def set_api_key_scope(company_id: str, public_key: str, customers: frozenset[int] | None,
                      audited: NewAuditEntry | None = None) -> None:
    """Change which customers a live key of this company sees (None: all), with the audit entry
    recording it in the same transaction if given; else NotFound (nothing written)."""
    if customers is not None and not customers:
        raise ValueError("A key's scope names at least one customer; None means all of them.")
    action = (ApiKeyModel.customers.remove() if customers is None
              else ApiKeyModel.customers.set(set(customers)))

    def write(tx: Transaction) -> None:
        tx.update(ApiKeyModel(public_key), actions=[action],
                  condition=(ApiKeyModel.company_id == company_id)
                  & ApiKeyModel.revoked_at.does_not_exist())
        if audited is not None:
            add_audit_in(tx, audited)

    if write_transaction(write):
        raise NotFound("No such live API key.")


def mark_api_key_used(public_key: str, now: dt.datetime) -> None:
    try:
        with translated():
            ApiKeyModel(public_key).update(
                actions=[ApiKeyModel.last_used_at.set(now)],
                condition=ApiKeyModel.public_key.exists(),
            )
    except UpdateError as exc:
        if not is_condition_failure(exc):
            raise
