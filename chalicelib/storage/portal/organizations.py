"""Partner organizations (the portal's, keyed by partner company and an integer id)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import PutError
from pynamodb.models import Model

from chalicelib.errors import AlreadyExists, NotFound
from chalicelib.storage.base import is_condition_failure, translated


class OrganizationModel(Model):
    class Meta:
        logical_name = "portal_organizations"
        table_name = "portal_organizations"

    company_id = UnicodeAttribute(hash_key=True)
    organization_id = NumberAttribute(range_key=True)
    name = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()


@dataclass
class Organization:
    company_id: str
    organization_id: int
    name: str
    created_at: dt.datetime


def _organization(m: OrganizationModel) -> Organization:
    return Organization(m.company_id, int(m.organization_id), m.name, m.created_at)


def create_organization(organization: Organization) -> None:
    model = OrganizationModel(organization.company_id, organization.organization_id,
                              name=organization.name, created_at=organization.created_at)
    try:
        with translated():
            model.save(condition=OrganizationModel.organization_id.does_not_exist())
    except PutError as exc:
        if is_condition_failure(exc):
            raise AlreadyExists("That organization already exists.") from exc
        raise


def save_organizations(organizations: list[Organization]) -> None:
    """Bulk load (demo data, generated partners): batch writes, no conditions."""
    with translated(), OrganizationModel.batch_write() as batch:
        for org in organizations:
            batch.save(OrganizationModel(org.company_id, org.organization_id, name=org.name,
                                         created_at=org.created_at))


def get_organization(company_id: str, organization_id: int) -> Organization:
    try:
        with translated():
            return _organization(OrganizationModel.get(company_id, organization_id))
    except OrganizationModel.DoesNotExist as exc:
        raise NotFound("No such organization.") from exc


def organizations_of_company(company_id: str) -> list[Organization]:
    with translated():
        return [_organization(m) for m in OrganizationModel.query(company_id)]
