"""IT Docs storage: organizations (unique by exact name through a marker) and their contacts.

Both are keyed by account, so every read is a GetItem or a Query inside one tenant.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from pynamodb.attributes import ListAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import PutError, TransactWriteError, UpdateError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.errors import AlreadyExists, ConcurrentChange, NotFound
from chalicelib.storage import tables
from chalicelib.storage.base import is_condition_failure, transaction_outcome, translated
from chalicelib.storage.itdocs import ItDocsUniqueModel

# --------------------------------------------------------------------------------------------------
# Models


class ItDocsOrganizationModel(Model):
    class Meta:
        logical_name = "itdocs_organizations"
        table_name = "itdocs_organizations"

    account_id = UnicodeAttribute(hash_key=True)
    organization_id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    name_key = UnicodeAttribute()  # the exact-match key its marker is named by
    created_by = UnicodeAttribute(default="")
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()


class ItDocsContactModel(Model):
    class Meta:
        logical_name = "itdocs_contacts"
        table_name = "itdocs_contacts"

    account_id = UnicodeAttribute(hash_key=True)
    contact_key = UnicodeAttribute(range_key=True)  # "{organization_id}#{contact_id}"
    contact_id = UnicodeAttribute()
    organization_id = UnicodeAttribute()
    name = UnicodeAttribute()
    title = UnicodeAttribute(default="")
    phone = UnicodeAttribute(default="")
    emails = ListAttribute(of=UnicodeAttribute, default=list)  # type: ignore[var-annotated]
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()


# --------------------------------------------------------------------------------------------------
# Plain records


@dataclass
class OrganizationRecord:
    organization_id: str
    account_id: str
    name: str
    created_at: dt.datetime
    updated_at: dt.datetime
    created_by: str = ""


@dataclass
class ContactRecord:
    contact_id: str
    account_id: str
    organization_id: str
    name: str
    created_at: dt.datetime
    updated_at: dt.datetime
    emails: list[str] = field(default_factory=list)
    title: str = ""
    phone: str = ""


def name_marker(account_id: str, name_key: str) -> str:
    return f"orgname#{account_id}#{name_key}"


def contact_key(organization_id: str, contact_id: str) -> str:
    return f"{organization_id}#{contact_id}"


def _organization(m: ItDocsOrganizationModel) -> OrganizationRecord:
    return OrganizationRecord(m.organization_id, m.account_id, m.name, m.created_at,
                              m.updated_at, m.created_by or "")


def _contact(m: ItDocsContactModel) -> ContactRecord:
    return ContactRecord(m.contact_id, m.account_id, m.organization_id, m.name, m.created_at,
                         m.updated_at, [str(e) for e in m.emails or []], m.title or "",
                         m.phone or "")


def _taken(name: str) -> AlreadyExists:
    return AlreadyExists(f"An organization named {name!r} already exists.")


# --------------------------------------------------------------------------------------------------
# Organizations


def create_organization(record: OrganizationRecord, name_key: str) -> None:
    """The organization and its name marker in one transaction; a taken name is AlreadyExists."""
    model = ItDocsOrganizationModel(
        record.account_id, record.organization_id, name=record.name, name_key=name_key,
        created_by=record.created_by, created_at=record.created_at, updated_at=record.updated_at)
    marker = ItDocsUniqueModel(name_marker(record.account_id, name_key),
                               owner_id=record.organization_id)
    try:
        with translated(), TransactWrite(connection=tables.connection()) as tx:
            tx.save(marker, condition=ItDocsUniqueModel.key.does_not_exist())
            tx.save(model, condition=ItDocsOrganizationModel.organization_id.does_not_exist())
    except TransactWriteError as exc:
        if transaction_outcome(exc) == "condition":
            raise _taken(record.name) from exc
        raise ConcurrentChange() from exc  # a concurrent transaction on the marker: retry


def get_organization(account_id: str, organization_id: str) -> OrganizationRecord:
    try:
        with translated():
            return _organization(ItDocsOrganizationModel.get(account_id, organization_id))
    except ItDocsOrganizationModel.DoesNotExist as exc:
        raise NotFound("No such organization.") from exc


def organizations_of_account(account_id: str) -> list[OrganizationRecord]:
    with translated():
        return [_organization(m) for m in ItDocsOrganizationModel.query(account_id)]


def organization_by_name_key(account_id: str, name_key: str) -> str | None:
    try:
        with translated():
            return str(ItDocsUniqueModel.get(name_marker(account_id, name_key),
                                             consistent_read=True).owner_id)
    except ItDocsUniqueModel.DoesNotExist:
        return None


def rename_organization(current: OrganizationRecord, old_key: str, new_name: str, new_key: str,
                        now: dt.datetime) -> None:
    """Move the name marker and rename in one transaction, only if nobody renamed it meanwhile."""
    model = ItDocsOrganizationModel(current.account_id, current.organization_id)
    try:
        with translated(), TransactWrite(connection=tables.connection()) as tx:
            if new_key != old_key:
                tx.delete(ItDocsUniqueModel(name_marker(current.account_id, old_key)),
                          condition=ItDocsUniqueModel.owner_id == current.organization_id)
                tx.save(ItDocsUniqueModel(name_marker(current.account_id, new_key),
                                          owner_id=current.organization_id),
                        condition=ItDocsUniqueModel.key.does_not_exist())
            tx.update(model, actions=[
                ItDocsOrganizationModel.name.set(new_name),
                ItDocsOrganizationModel.name_key.set(new_key),
                ItDocsOrganizationModel.updated_at.set(now),
            ], condition=ItDocsOrganizationModel.name_key == old_key)
    except TransactWriteError as exc:
        taken = organization_by_name_key(current.account_id, new_key)
        if taken and taken != current.organization_id:
            raise _taken(new_name) from exc
        raise ConcurrentChange() from exc


# --------------------------------------------------------------------------------------------------
# Contacts


def save_new_contact(record: ContactRecord) -> None:
    model = ItDocsContactModel(
        record.account_id, contact_key(record.organization_id, record.contact_id),
        contact_id=record.contact_id, organization_id=record.organization_id, name=record.name,
        title=record.title, phone=record.phone, emails=list(record.emails),
        created_at=record.created_at, updated_at=record.updated_at)
    try:
        with translated():
            model.save(condition=ItDocsContactModel.contact_key.does_not_exist())
    except PutError as exc:
        if is_condition_failure(exc):
            raise AlreadyExists("Contact id collision.") from exc
        raise


def get_contact(account_id: str, organization_id: str, contact_id: str) -> ContactRecord:
    try:
        with translated():
            return _contact(ItDocsContactModel.get(account_id,
                                                   contact_key(organization_id, contact_id)))
    except ItDocsContactModel.DoesNotExist as exc:
        raise NotFound("No such contact.") from exc


def contacts_of_organization(account_id: str, organization_id: str) -> list[ContactRecord]:
    with translated():
        return [_contact(m) for m in ItDocsContactModel.query(
            account_id, ItDocsContactModel.contact_key.startswith(f"{organization_id}#"))]


def update_contact(record: ContactRecord) -> None:
    model = ItDocsContactModel(record.account_id,
                               contact_key(record.organization_id, record.contact_id))
    try:
        with translated():
            model.update(actions=[
                ItDocsContactModel.name.set(record.name),
                ItDocsContactModel.title.set(record.title),
                ItDocsContactModel.phone.set(record.phone),
                ItDocsContactModel.emails.set(list(record.emails)),  # type: ignore[arg-type]
                ItDocsContactModel.updated_at.set(record.updated_at),
            ], condition=ItDocsContactModel.contact_key.exists())
    except UpdateError as exc:
        if is_condition_failure(exc):
            raise NotFound("No such contact.") from exc
        raise
