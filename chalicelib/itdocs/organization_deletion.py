"""Delete organization (Administrators only): its matches go back to Unmatched and its contacts go
with it, every change audited. The request marks it; a worker on the sync queue removes it.

The order keeps a racing Match To (or a new contact) from pointing at a deleted organization:
1. the request marks the organization as being deleted, with its audit line, in one transaction
   (`request`: the session's read and this write, two DynamoDB calls whatever the organization
   holds); every write that attaches a match or a contact checks, in its own transaction, that no
   such mark is set, so from here on none can be added, and it leaves Match To's list and the
   sync's directory. The request queues the removal and answers: the pages show it as being
   deleted until the worker is done;
2. the worker (`handle_message`) reads the customers matched to it and its contacts with strongly
   consistent Queries, so whatever was attached before the mark is among them;
3. all of it is written in one transaction when it fits in DynamoDB's 100 items, otherwise in
   ordered steps (storage's `organization_removal`). When a step meets a change made meanwhile,
   the organization is read again and the rest written (a few passes). A worker that stops half
   way raises, so the queue delivers the message again and the next worker writes only what is
   left; a message for an organization already gone does nothing; Delete again sends another.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from chalicelib import logs, queues
from chalicelib.errors import ConcurrentChange, Forbidden, NotFound
from chalicelib.itdocs import acting, audit
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
KIND = "organization_removal"
FIELDS = ("account_id", "organization_id", "user_id", "role", "email", "name")


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


def request(rt: Runtime, actor: ItDocsUser, organization_id: str,
            seen: Organization | None = None) -> Organization:
    """Mark the organization as being deleted (audited) and queue its removal; Forbidden unless
    an Administrator, NotFound when it is gone or another account's. `seen`: as the page read it
    with the session (else it is read here)."""
    require(actor, "organization.delete")
    organization = seen if seen is not None else get(rt, actor, organization_id)
    line = audit.line(rt, actor.account_id, actor.email, "organization.deletion_requested",
                      organization.name)
    removal_store.mark(actor.account_id, organization.organization_id, rt.clock.now(), line)
    logs.event("organization_deletion_requested", account_id=actor.account_id,
               organization_id=organization.organization_id, actor=actor.email)
    rt.queues.sync.send(_message(actor, organization.organization_id))
    return organization


def _message(actor: ItDocsUser, organization_id: str) -> str:
    """The removal's message: the organization and who asked (the worker acts for them)."""
    return json.dumps({"kind": KIND, "account_id": actor.account_id,
                       "organization_id": organization_id, "user_id": actor.user_id,
                       "role": actor.role, "email": actor.email, "name": actor.name})


def handle_message(rt: Runtime, body: str) -> DeletedOrganization | None:
    """The worker: finish the removal the message names. A malformed message (or one naming
    someone who may not delete) is logged and dropped, one for an organization already gone does
    nothing (None); a removal that cannot finish raises, so the queue delivers it again."""
    fields = queues.text_fields(body, FIELDS)
    if fields is None:
        logs.event("removal_message_dropped", kind=KIND, reason="malformed")
        return None
    actor = _actor(fields)
    try:
        done = delete(rt, actor, fields["organization_id"])
    except NotFound:
        logs.event("organization_removal_done_already", organization_id=fields["organization_id"])
        return None
    except Forbidden:  # never sent by a request (it checks first): delivering it again won't help
        logs.event("removal_message_dropped", kind=KIND, reason="not an Administrator")
        return None
    logs.event("organization_deleted", account_id=actor.account_id,
               organization_id=fields["organization_id"], contacts=done.contacts,
               unmatched=done.unmatched, written=done.written)
    return done


def _actor(fields: dict[str, str]) -> ItDocsUser:
    """Who asked, as the request knew them: the worker acts with the role it checked."""
    return ItDocsUser(fields["account_id"], fields["user_id"], fields["role"], fields["email"],
                      fields["name"])


def delete(rt: Runtime, actor: ItDocsUser, organization_id: str) -> DeletedOrganization:
    """Remove one of the account's organizations now, as the module docstring orders it (the
    worker's part; NotFound once it is gone)."""
    require(actor, "organization.delete")
    for _ in range(PASSES):
        # Marked (again: the first mark's time is kept), and read as it stands now.
        record = store.mark_deleting(actor.account_id, organization_id, rt.clock.now())
        removal = _removal(rt, actor, record)
        # Queued before the writes too: a worker stopped after releasing them cannot find the
        # released customers again, and an extra queued sync only finds nothing to change.
        released_matches.queue_syncs(rt, removal.unmatched)
        try:
            written = removal_store.remove(removal)
        except ConcurrentChange:
            continue
        released_matches.queue_syncs(rt, removal.unmatched)
        return DeletedOrganization(record.name, len(removal.contacts), len(removal.unmatched),
                                   written)
    raise ConcurrentChange("The organization was changed while it was being deleted; "
                           "the removal is tried again.")


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
