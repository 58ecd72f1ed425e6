"""SaaS Protection customers, keyed by partner, with the summaries of their seats."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from pynamodb.attributes import (
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import PutError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.indexes import GlobalSecondaryIndex, IncludeProjection
from pynamodb.models import Model

from chalicelib.errors import AlreadyExists, NotFound
from chalicelib.storage.base import is_condition_failure, translated
from chalicelib.storage.portal import list_positions

# What /saas/domains returns of a customer (its index holds these, and the keys).
LISTED_FIELDS = ["name", "domain", "product_type", "retention_type", "external_subscription_id",
                 "organization_id", "organization_name", "seats_used", "active_services",
                 "recent_backup_services", "created_at"]
# Read by BatchGetItem (a scoped key's customers): the keys as well.
_BATCH_FIELDS = ["company_id", "saas_customer_id", *LISTED_FIELDS]


class SaasCustomerByListKey(GlobalSecondaryIndex):  # type: ignore[type-arg]
    class Meta:
        index_name = "by_list_key"
        projection = IncludeProjection(LISTED_FIELDS)

    company_id = UnicodeAttribute(hash_key=True)
    list_key = UnicodeAttribute(range_key=True)


class SaasCustomerModel(Model):
    class Meta:
        logical_name = "portal_saas_customers"
        table_name = "portal_saas_customers"

    company_id = UnicodeAttribute(hash_key=True)  # the partner
    saas_customer_id = NumberAttribute(range_key=True)
    name = UnicodeAttribute()
    domain = UnicodeAttribute()
    product_type = UnicodeAttribute()  # Office365 | GoogleWorkspace
    retention_type = UnicodeAttribute()
    external_subscription_id = UnicodeAttribute()
    # The organization link; its name is copied here so /saas/domains is one Query.
    organization_id = NumberAttribute(null=True)
    organization_name = UnicodeAttribute(null=True)
    # Summaries of the seats, rewritten after seats change (see seats_version).
    seats_used = NumberAttribute(default=0)
    active_services = NumberAttribute(default=0)
    recent_backup_services = NumberAttribute(default=0)
    # What keeps `recent_backup_services` exact as time passes (portal/seat_summary.py): the
    # cutoff it was counted at (epoch ms), the oldest backup times it counted, and the least of
    # those it left out. Absent: the summary was written without them (count every seat again).
    recent_cutoff_ms = NumberAttribute(null=True)
    recent_oldest_ms = ListAttribute(of=NumberAttribute, null=True)  # type: ignore[var-annotated]
    recent_beyond_ms = NumberAttribute(null=True)
    # Bumped, with `seats_changed_at`, in the same write as any change to the customer's seats:
    # the REST API's seat list ETag is derived from it.
    seats_version = NumberAttribute(default=0)
    seats_changed_at = UTCDateTimeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    # `all#<position>`: the customer's place in /saas/domains' pages (see list_positions).
    list_key = UnicodeAttribute(null=True)
    by_list_key = SaasCustomerByListKey()


@dataclass
class SaasCustomer:
    company_id: str
    saas_customer_id: int
    name: str
    domain: str
    product_type: str
    retention_type: str
    external_subscription_id: str
    created_at: dt.datetime
    organization_id: int | None = None
    organization_name: str | None = None
    seats_used: int = 0
    active_services: int = 0
    recent_backup_services: int = 0
    seats_version: int = 0
    seats_changed_at: dt.datetime | None = None
    recent_cutoff_ms: int | None = None
    recent_oldest_ms: list[int] = field(default_factory=list)
    recent_beyond_ms: int | None = None


_CUSTOMER_FIELDS = list(SaasCustomer.__dataclass_fields__)
_CUSTOMER_INTS = {"saas_customer_id", "seats_used", "active_services", "recent_backup_services",
                  "seats_version"}


@dataclass(frozen=True)
class CustomerPage:
    """One page of a partner's customers, and how many the whole list holds."""

    customers: list[SaasCustomer]
    total: int


def customers_owner(company_id: str) -> str:
    return f"customers#{company_id}"


def customer_from(m: SaasCustomerModel) -> SaasCustomer:
    """The customer an item holds (for reads made elsewhere, e.g. with an API key)."""
    return _customer(m)


def _customer(m: SaasCustomerModel) -> SaasCustomer:
    values = {name: getattr(m, name) for name in _CUSTOMER_FIELDS}
    for name in _CUSTOMER_INTS:
        values[name] = int(values[name] or 0)
    for name in ("organization_id", "recent_cutoff_ms", "recent_beyond_ms"):
        if values[name] is not None:
            values[name] = int(values[name])
    values["recent_oldest_ms"] = [int(t) for t in values["recent_oldest_ms"] or []]
    return SaasCustomer(**values)


def _customer_model(c: SaasCustomer) -> SaasCustomerModel:
    model = SaasCustomerModel(c.company_id, c.saas_customer_id)
    for name in _CUSTOMER_FIELDS:
        setattr(model, name, getattr(c, name))
    if c.recent_cutoff_ms is None:  # counted without a clock: none is stored
        model.recent_oldest_ms = None
    return model


def _placed(customers: list[SaasCustomer]) -> list[SaasCustomerModel]:
    """Models of new customers, each given the next free position of its partner's list."""
    groups: dict[str, list[SaasCustomer]] = defaultdict(list)
    for customer in customers:
        groups[customer.company_id].append(customer)
    models = []
    for company_id, group in groups.items():
        first = list_positions.reserve(customers_owner(company_id), list_positions.WHOLE_LIST,
                                       len(group))
        for offset, customer in enumerate(group):
            model = _customer_model(customer)
            model.list_key = list_positions.list_key(list_positions.WHOLE_LIST, first + offset)
            models.append(model)
    return models


def create_customer(customer: SaasCustomer) -> None:
    """A new customer at the next position of its partner's list; a refused duplicate gives the
    position back (or, if another was reserved since, leaves it empty: no customer is missed)."""
    (model,) = _placed([customer])
    try:
        with translated():
            model.save(condition=SaasCustomerModel.saas_customer_id.does_not_exist())
    except PutError as exc:
        if is_condition_failure(exc):
            list_positions.release(customers_owner(customer.company_id), list_positions.WHOLE_LIST,
                                   _position(model))
            raise AlreadyExists("That SaaS Protection customer already exists.") from exc
        raise


def _position(model: SaasCustomerModel) -> int:
    return int(str(model.list_key).rsplit("#", 1)[1])


def save_customers(customers: Iterable[SaasCustomer]) -> None:
    """Bulk load of new customers (demo data, generated partners): batch writes of 25."""
    models = _placed(list(customers))
    with translated(), SaasCustomerModel.batch_write() as batch:
        for model in models:
            batch.save(model)


def get_customer(company_id: str, saas_customer_id: int, consistent: bool = False) -> SaasCustomer:
    """The partner's customer; another partner's customer is NotFound (one GetItem)."""
    try:
        with translated():
            return _customer(SaasCustomerModel.get(company_id, saas_customer_id,
                                                   consistent_read=consistent))
    except SaasCustomerModel.DoesNotExist as exc:
        raise NotFound("No such SaaS Protection customer.") from exc


def customers_of_company(company_id: str) -> Iterator[SaasCustomer]:
    """Every customer of a partner: one Query, followed through its pages."""
    with translated():
        for m in SaasCustomerModel.query(company_id):
            yield _customer(m)


def customer_page(company_id: str, offset: int, limit: int,
                  part_sizes: dict[str, int] | None = None) -> CustomerPage:
    """Customers [offset, offset + limit) of a partner in creation order: O(page), one Query
    (two without `part_sizes`, the list's sizes read already, e.g. with the API key)."""
    if part_sizes is None:
        part_sizes = list_positions.sizes(customers_owner(company_id))
    found: list[SaasCustomer] = []
    for key_range in list_positions.page_ranges(part_sizes, list(part_sizes), offset, limit):
        condition = SaasCustomerModel.list_key.between(key_range.first, key_range.last)
        with translated():
            found.extend(_customer(m) for m in SaasCustomerModel.by_list_key.query(
                company_id, condition, limit=key_range.count,
                attributes_to_get=["company_id", "saas_customer_id", *LISTED_FIELDS]))
    return CustomerPage(found, part_sizes.get(list_positions.WHOLE_LIST, 0))


def chosen_customers(company_id: str, saas_customer_ids: Sequence[int]) -> list[SaasCustomer]:
    """The partner's customers among these ids, by id (BatchGetItem; unknown ids are skipped)."""
    keys = [(company_id, customer_id) for customer_id in sorted(set(saas_customer_ids))]
    with translated():
        found = [_customer(m) for m in SaasCustomerModel.batch_get(
            keys, attributes_to_get=_BATCH_FIELDS)]
    return sorted(found, key=lambda c: c.saas_customer_id)


def first_customer(company_id: str) -> SaasCustomer | None:
    with translated():
        for m in SaasCustomerModel.query(company_id, limit=1):
            return _customer(m)
    return None


def set_customer_organization(company_id: str, saas_customer_id: int, organization_id: int | None,
                              organization_name: str | None) -> SaasCustomer:
    """Link (or, with None, unlink) a customer to an organization in one conditional write."""
    actions: list[Action]
    if organization_id is None or organization_name is None:
        actions = [SaasCustomerModel.organization_id.remove(),
                   SaasCustomerModel.organization_name.remove()]
    else:
        actions = [SaasCustomerModel.organization_id.set(organization_id),
                   SaasCustomerModel.organization_name.set(organization_name)]
    model = SaasCustomerModel(company_id, saas_customer_id)
    try:
        with translated():
            model.update(actions=actions,
                         condition=SaasCustomerModel.saas_customer_id.exists())
    except UpdateError as exc:
        if is_condition_failure(exc):
            raise NotFound("No such SaaS Protection customer.") from exc
        raise
    return _customer(model)
