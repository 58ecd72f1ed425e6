"""Hub companies: unique by name (a marker), with the module tenants linked to them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from pynamodb.attributes import MapAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import UpdateError
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.errors import AlreadyExists, NotFound
from chalicelib.storage.base import is_condition_failure, translated
from chalicelib.storage.hub.markers import hub_markers
from chalicelib.storage.transactions import Transaction, write_transaction


class CompanyByName(GlobalSecondaryIndex):  # type: ignore[type-arg]
    class Meta:
        index_name = "by_name"
        projection = AllProjection()

    name_key = UnicodeAttribute(hash_key=True)


class HubCompanyModel(Model):
    class Meta:
        logical_name = "hub_companies"
        table_name = "hub_companies"

    company_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    name_key = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    # module name -> {"tenant_id": ..., "linked_at": iso, "launch_url": ...}
    linked_modules = MapAttribute(default=dict)  # type: ignore[var-annotated]
    by_name = CompanyByName()


@dataclass
class HubCompany:
    company_id: str
    name: str
    created_at: dt.datetime
    linked_modules: dict[str, dict[str, Any]] = field(default_factory=dict)


def company_of(m: HubCompanyModel) -> HubCompany:
    """The plain record of a stored company (for reads made together with other items)."""
    return HubCompany(
        company_id=m.company_id,
        name=m.name,
        created_at=m.created_at,
        linked_modules=dict(m.linked_modules.as_dict() if m.linked_modules else {}),
    )


def create_company(company: HubCompany, name_key: str) -> None:
    """Company and its name marker in one transaction; a taken name raises AlreadyExists."""
    model = HubCompanyModel(
        company.company_id,
        name=company.name,
        name_key=name_key,
        created_at=company.created_at,
        linked_modules=company.linked_modules,
    )

    def write(tx: Transaction) -> None:
        hub_markers.claim(tx, f"company#{name_key}", company.company_id)
        tx.save(model, condition=HubCompanyModel.company_id.does_not_exist())

    if write_transaction(write):
        raise AlreadyExists(f"A company named {company.name!r} already exists.")


def company_by_name_key(name_key: str) -> HubCompany | None:
    with translated():
        for m in HubCompanyModel.by_name.query(name_key, limit=1):
            return company_of(m)
    return None


def get_company(company_id: str) -> HubCompany:
    try:
        with translated():
            return company_of(HubCompanyModel.get(company_id))
    except HubCompanyModel.DoesNotExist as exc:
        raise NotFound("No such company.") from exc


def module_action(module: str, link: dict[str, Any] | None) -> Action:
    """Set the module's link on the company item, or remove it (None)."""
    linked = HubCompanyModel.linked_modules[module]  # type: ignore[index]
    return linked.set(link) if link is not None else linked.remove()  # type: ignore[no-any-return]


def set_company_module(company_id: str, module: str, link: dict[str, Any] | None) -> None:
    """Link (or unlink, with None) a module tenant to the hub company."""
    with translated():
        model = HubCompanyModel(company_id)
        action = module_action(module, link)
        try:
            model.update(actions=[action], condition=HubCompanyModel.company_id.exists())
        except UpdateError as exc:
            if is_condition_failure(exc):
                raise NotFound("No such company.") from exc
            raise
