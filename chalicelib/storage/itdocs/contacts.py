"""IT Docs contacts, keyed by account and "<organization>#<contact>" (an organization's contacts
are one Query).

A new contact is written with the organization's guard (`organizations.organization_guard`) in the
same transaction, so no contact is added to an organization whose deletion has begun.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from pynamodb.attributes import ListAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import PutError, UpdateError
from pynamodb.models import Model

from chalicelib.errors import AlreadyExists, NotFound
from chalicelib.storage.base import is_condition_failure, translated
from chalicelib.storage.transactions import Transaction, write_transaction


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


def contact_key(organization_id: str, contact_id: str) -> str:
    return f"{organization_id}#{contact_id}"


def contact_from(m: ItDocsContactModel) -> ContactRecord:
    """The plain contact of a stored item."""
    return ContactRecord(m.contact_id, m.account_id, m.organization_id, m.name, m.created_at,
                         m.updated_at, [str(e) for e in m.emails or []], m.title or "",
                         m.phone or "")


def save_new_contact(record: ContactRecord,
                     guard: Callable[[Transaction], None] | None = None) -> None:
    """Write a new contact; with `guard` (the organization's), in one transaction with it:
    NotFound when the organization is gone or being deleted."""
    if guard is not None:
        _save_guarded(_new_model(record), guard)
        return
    model = _new_model(record)
    try:
        with translated():
            model.save(condition=ItDocsContactModel.contact_key.does_not_exist())
    except PutError as exc:
        if is_condition_failure(exc):
            raise AlreadyExists("Contact id collision.") from exc
        raise


def _save_guarded(model: ItDocsContactModel, guard: Callable[[Transaction], None]) -> None:
    def write(tx: Transaction) -> None:
        guard(tx)
        tx.save(model, condition=ItDocsContactModel.contact_key.does_not_exist())

    failed = write_transaction(write)
    if 0 in failed:
        raise NotFound("No such organization.")
    if failed:
        raise AlreadyExists("Contact id collision.")


def _new_model(record: ContactRecord) -> ItDocsContactModel:
    return ItDocsContactModel(
        record.account_id, contact_key(record.organization_id, record.contact_id),
        contact_id=record.contact_id, organization_id=record.organization_id, name=record.name,
        title=record.title, phone=record.phone, emails=list(record.emails),
        created_at=record.created_at, updated_at=record.updated_at)


def get_contact(account_id: str, organization_id: str, contact_id: str) -> ContactRecord:
    try:
        with translated():
            return contact_from(ItDocsContactModel.get(account_id,
                                                   contact_key(organization_id, contact_id)))
    except ItDocsContactModel.DoesNotExist as exc:
        raise NotFound("No such contact.") from exc


def contacts_of_organization(account_id: str, organization_id: str, *,
                             consistent: bool = False) -> list[ContactRecord]:
    """The organization's contacts (one Query; `consistent` reads every write made before it)."""
    with translated():
        return [contact_from(m) for m in ItDocsContactModel.query(
            account_id, ItDocsContactModel.contact_key.startswith(f"{organization_id}#"),
            consistent_read=consistent)]


def add_contact_delete(tx: Transaction, record: ContactRecord) -> None:
    """Delete the contact in `tx` (it must still exist)."""
    model = ItDocsContactModel(record.account_id,
                               contact_key(record.organization_id, record.contact_id))
    tx.delete(model, condition=ItDocsContactModel.contact_key.exists())


def update_contact(record: ContactRecord) -> None:
    """Write the contact's fields but its creation time; NotFound when it does not exist."""
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
