"""Delete organization (Administrators only): its matches go back to Unmatched and its contacts go
with it, every change audited.

The order keeps a racing Match To (or a new contact) from pointing at a deleted organization:
1. the organization is marked as being deleted (a conditional update); every write that attaches
   a match or a contact checks, in its own transaction, that no such mark is set, so from here on
   none can be added, and it leaves Match To's list and the sync's directory;
2. the customers matched to it and its contacts are read with strongly consistent Queries, so
   whatever was attached before the mark is among them;
3. all of it is written in one transaction when it fits in DynamoDB's 100 items, otherwise in
   ordered steps (storage's `organization_removal`). When a step meets a change made meanwhile,
   the organization is read again and the rest written (a few passes); if it still does not
   finish, the organization stays marked and Delete again completes it.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.errors import ConcurrentChange
from chalicelib.itdocs import acting
from chalicelib.itdocs.accounts import ItDocsUser
from chalicelib.itdocs.organizations import Organization, get
from chalicelib.itdocs.policy import require
from chalicelib.matching.names import exact_key
from chalicelib.runtime import Runtime
from chalicelib.storage.itdocs import contacts as contact_store
from chalicelib.storage.itdocs import organization_removal as removal_store
from chalicelib.storage.itdocs import organizations as store
from chalicelib.storage.itdocs.organization_removal import AuditLine, Removal
from chalicelib.storage.itdocs.organizations import OrganizationRecord
from chalicelib.sync import matching_screen, released_matches

PASSES = 3


@dataclass(frozen=True)
class DeletionPreview:
    """What the confirmation step tells the Administrator before they confirm."""

    organization: Organization
    contacts: int
    matched_customers: int


@dataclass(frozen=True)
class DeletedOrganization:
    """What a deletion did, for the notice and the log."""

    name: str
    contacts: int
    unmatched: int
    written: str
    """removal_store.ONE_TRANSACTION or IN_STEPS."""


def preview(rt: Runtime, actor: ItDocsUser, organization_id: str,
            seen: Organization | None = None) -> DeletionPreview:
    """The organization and what deleting it takes along; Forbidden unless an Administrator,
    NotFound for another account's organization. `seen`: the organization as the page read it
    with the session (else it is read here)."""
    require(actor, "organization.delete")
    organization = seen if seen is not None else get(rt, actor, organization_id)
    people = contact_store.contacts_of_organization(actor.account_id, organization_id)
    matched = matching_screen.customers_for_organization(rt, acting.for_page(rt, actor),
                                                         organization_id)
    return DeletionPreview(organization, len(people), len(matched))


def delete(rt: Runtime, actor: ItDocsUser, organization_id: str) -> DeletedOrganization:
    """Delete one of the account's organizations, as the module docstring orders it."""
    require(actor, "organization.delete")
    for _ in range(PASSES):
        # Marked (again: the first mark's time is kept), and read as it stands now.
        record = store.mark_deleting(actor.account_id, organization_id, rt.clock.now())
        removal = _removal(rt, actor, record)
        try:
            written = removal_store.remove(removal)
        except ConcurrentChange:
            continue
        released_matches.queue_syncs(rt, removal.unmatched)
        return DeletedOrganization(record.name, len(removal.contacts), len(removal.unmatched),
                                   written)
    raise ConcurrentChange("The organization was changed while it was being deleted. "
                           "Delete it again to finish.")


def _removal(rt: Runtime, actor: ItDocsUser, record: OrganizationRecord) -> Removal:
    """What to write, read now (strongly consistent) for the organization marked for deletion."""
    user = acting.for_page(rt, actor)
    unmatched = released_matches.release_decisions(rt, user, record.organization_id, record.name)
    people = contact_store.contacts_of_organization(actor.account_id, record.organization_id,
                                                    consistent=True)
    contacts = [(c, _line(rt, actor, "contact.deleted", f"{c.name} (with {record.name})"))
                for c in people]
    summary = (f"{record.name}: {len(people)} contacts deleted, {len(unmatched)} backup "
               "customers back to Unmatched")
    return Removal(organization=record, name_key=exact_key(record.name),
                   deleted=_line(rt, actor, "organization.deleted", summary),
                   contacts=contacts, unmatched=unmatched)


def _line(rt: Runtime, actor: ItDocsUser, action: str, detail: str) -> AuditLine:
    now = rt.clock.now()
    return AuditLine(f"{now.isoformat()}#{rt.random.hex(4)}", actor.email, action, detail, now)
