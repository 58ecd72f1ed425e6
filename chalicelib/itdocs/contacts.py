"""IT Docs contacts: people of an organization, each with one or more email addresses."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.errors import InvalidInput, NotFound
from chalicelib.itdocs import audit
from chalicelib.itdocs.accounts import ItDocsUser
from chalicelib.itdocs.policy import require
from chalicelib.runtime import Runtime
from chalicelib.storage.itdocs import contacts as contact_store
from chalicelib.storage.itdocs import organizations as organization_store
from chalicelib.storage.itdocs.contacts import ContactRecord

MAX_EMAILS = 10
MAX_FIELD = 200


@dataclass(frozen=True)
class Contact:
    contact_id: str
    account_id: str
    organization_id: str
    name: str
    emails: list[str]
    title: str = ""
    phone: str = ""


@dataclass(frozen=True)
class ContactDetails:
    """What a user types in the contact form."""

    name: str
    emails: list[str]
    title: str = ""
    phone: str = ""


def _public(record: ContactRecord) -> Contact:
    return Contact(record.contact_id, record.account_id, record.organization_id, record.name,
                   list(record.emails), record.title, record.phone)


def parse_emails(text: str) -> list[str]:
    """Emails from a form field: one per line or separated by commas; duplicates dropped."""
    found: dict[str, str] = {}
    for part in text.replace(",", "\n").replace(";", "\n").split():
        email = part.strip()
        local, _, domain = email.partition("@")
        if not local or "." not in domain or len(email) > 254:
            raise InvalidInput(f"{email} is not an email address.", field="emails")
        found.setdefault(email.lower(), email)
    if len(found) > MAX_EMAILS:
        raise InvalidInput(f"A contact has at most {MAX_EMAILS} email addresses.", field="emails")
    return list(found.values())


def _checked(details: ContactDetails) -> ContactDetails:
    name = " ".join(details.name.split())
    if not name:
        raise InvalidInput("Enter the contact's name.", field="name")
    for value in (name, details.title, details.phone):
        if len(value) > MAX_FIELD:
            raise InvalidInput(f"Use at most {MAX_FIELD} characters per field.")
    return ContactDetails(name, list(details.emails), details.title.strip(), details.phone.strip())


def in_organization(rt: Runtime, actor: ItDocsUser, organization_id: str) -> list[Contact]:
    """The contacts of one of the user's organizations, by name (one Query)."""
    require(actor, "contact.view")
    records = contact_store.contacts_of_organization(actor.account_id, organization_id)
    return sorted((_public(r) for r in records), key=lambda c: c.name.casefold())


def get(rt: Runtime, actor: ItDocsUser, organization_id: str, contact_id: str) -> Contact:
    """One contact of one of the user's organizations, or NotFound."""
    require(actor, "contact.view")
    return _public(contact_store.get_contact(actor.account_id, organization_id, contact_id))


def from_read(actor: ItDocsUser, record: ContactRecord | None) -> Contact:
    """A contact read with the session (`signed_in.resume_page`), as `get` answers it."""
    require(actor, "contact.view")
    if record is None or record.account_id != actor.account_id:
        raise NotFound("No such contact.")
    return _public(record)


def create(rt: Runtime, actor: ItDocsUser, organization_id: str,
           details: ContactDetails) -> Contact:
    """A new contact in one of the actor's organizations (Editors and up); NotFound for another
    account's organization, or one being deleted (checked in the write itself)."""
    require(actor, "contact.create")
    checked = _checked(details)
    now = rt.clock.now()
    record = ContactRecord(rt.random.hex(8), actor.account_id, organization_id, checked.name,
                           now, now, checked.emails, checked.title, checked.phone)
    guard = organization_store.organization_guard(actor.account_id, organization_id)
    contact_store.save_new_contact(record, guard)
    audit.record(rt, actor.account_id, actor.email, "contact.created", checked.name)
    return _public(record)


def update(rt: Runtime, actor: ItDocsUser, organization_id: str, contact_id: str,
           details: ContactDetails) -> Contact:
    """Change one of the actor's contacts (Editors and up); NotFound when there is none (the
    update is conditional on it existing, and keeps its stored creation time)."""
    require(actor, "contact.edit")
    checked = _checked(details)
    now = rt.clock.now()
    record = ContactRecord(contact_id, actor.account_id, organization_id, checked.name,
                           now, now, checked.emails, checked.title, checked.phone)
    contact_store.update_contact(record)
    audit.record(rt, actor.account_id, actor.email, "contact.updated", checked.name)
    return _public(record)
