"""Partner companies: unique by name (a marker), their REST API budget and Security Admin roster."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pynamodb.attributes import (
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import UpdateError
from pynamodb.models import Model

from chalicelib.errors import AlreadyExists, NotFound
from chalicelib.storage.base import is_condition_failure, translated
from chalicelib.storage.portal import api_usage
from chalicelib.storage.portal.markers import portal_markers
from chalicelib.storage.transactions import Transaction, write_transaction


class PortalCompanyModel(Model):
    class Meta:
        logical_name = "portal_companies"
        table_name = "portal_companies"

    company_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    name_key = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    # Weighted REST API budget per hour for the whole partner (every key shares it).
    api_hourly_budget = NumberAttribute()
    # Ids of the active Security Admins, kept in step with their status in the same transaction,
    # so that "never remove the last one" is a condition, not a read followed by a write.
    security_admins = UnicodeSetAttribute(null=True)


@dataclass
class PortalCompany:
    company_id: str
    name: str
    created_at: dt.datetime
    api_hourly_budget: int
    security_admins: frozenset[str] | None = None  # None: not recorded yet (older data)


def company_from(m: PortalCompanyModel) -> PortalCompany:
    """The company an item holds (for reads made elsewhere, e.g. a page's batch read)."""
    return _company(m)


def _company(m: PortalCompanyModel) -> PortalCompany:
    admins = frozenset(m.security_admins) if m.security_admins is not None else None
    return PortalCompany(m.company_id, m.name, m.created_at, int(m.api_hourly_budget), admins)


def create_company(company: PortalCompany, name_key: str) -> None:
    """Company and its name marker in one transaction; a taken name raises AlreadyExists."""
    model = PortalCompanyModel(company.company_id, name=company.name, name_key=name_key,
                               created_at=company.created_at,
                               api_hourly_budget=company.api_hourly_budget)

    def write(tx: Transaction) -> None:
        portal_markers.claim(tx, f"company#{name_key}", company.company_id)
        tx.save(model, condition=PortalCompanyModel.company_id.does_not_exist())
        api_usage.budget_in(tx, company.company_id, company.api_hourly_budget)

    if write_transaction(write):
        raise AlreadyExists(f"A partner company named {company.name!r} already exists.")


def company_id_by_name_key(name_key: str) -> str | None:
    return portal_markers.owner(f"company#{name_key}")


def get_company(company_id: str) -> PortalCompany:
    try:
        with translated():
            return _company(PortalCompanyModel.get(company_id))
    except PortalCompanyModel.DoesNotExist as exc:
        raise NotFound("No such partner company.") from exc


def set_company_budget(company_id: str, budget: int) -> None:
    """The company's budget and the copy its API access item admits calls by, in one
    transaction; an unknown company is NotFound."""

    def write(tx: Transaction) -> None:
        tx.update(PortalCompanyModel(company_id),
                  actions=[PortalCompanyModel.api_hourly_budget.set(budget)],
                  condition=PortalCompanyModel.company_id.exists())
        api_usage.budget_in(tx, company_id, budget)

    if write_transaction(write):
        raise NotFound("No such partner company.")


def start_security_admin_roster(company_id: str, user_ids: set[str]) -> None:
    """Record the roster of a company created before it was kept (once; a race is harmless)."""
    if not user_ids:
        return
    try:
        with translated():
            PortalCompanyModel(company_id).update(
                actions=[PortalCompanyModel.security_admins.set(user_ids)],
                condition=PortalCompanyModel.company_id.exists()
                & PortalCompanyModel.security_admins.does_not_exist())
    except UpdateError as exc:
        if not is_condition_failure(exc):
            raise
