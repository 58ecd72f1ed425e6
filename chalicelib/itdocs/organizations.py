"""IT Docs organizations: listed per account, unique by exact name (a conditional marker write).

Every function acts for a user and asks the policy first; `list_for_sync` is the one entry point
with no user, for the scheduled sync's matching (`directory.ItDocsDirectory`).
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.errors import InvalidInput, NotFound
from chalicelib.itdocs import audit
from chalicelib.itdocs.accounts import ItDocsUser
from chalicelib.itdocs.policy import require
from chalicelib.matching.names import exact_key
from chalicelib.runtime import Runtime
from chalicelib.storage.itdocs import organizations as store
from chalicelib.storage.itdocs.match_decisions import DecisionFor
from chalicelib.storage.itdocs.organizations import OrganizationRecord

MAX_NAME = 200


@dataclass(frozen=True)
class Organization:
    organization_id: str
    account_id: str
    name: str
    deleting: bool = False
    """A deletion began and did not finish: nothing is matched or added to it; Delete finishes."""
    matched: tuple[tuple[str, str], ...] | None = None
    """(integration id, customer id) the organization lists as matched to it; None when it was
    made before it listed them (its card reads the index once)."""


def _public(record: OrganizationRecord) -> Organization:
    return Organization(record.organization_id, record.account_id, record.name,
                        record.deleting_since is not None, record.matched)


def clean_name(name: str) -> str:
    """The name as stored: trimmed, inner whitespace collapsed; blank or too long is refused."""
    cleaned = " ".join(name.split())
    if not exact_key(cleaned):
        raise InvalidInput("Enter the organization's name.", field="name")
    if len(cleaned) > MAX_NAME:
        raise InvalidInput(f"Use at most {MAX_NAME} characters.", field="name")
    return cleaned


def list_all(rt: Runtime, actor: ItDocsUser) -> list[Organization]:
    """Every organization of the user's account, by name (one Query on the account's partition)."""
    require(actor, "organization.view")
    return _listed(actor.account_id)


def list_for_sync(rt: Runtime, account_id: str) -> list[Organization]:
    """The organizations of the account a sync run may match to (none being deleted), by name."""
    return [o for o in _listed(account_id) if not o.deleting]


def _listed(account_id: str) -> list[Organization]:
    records = store.organizations_of_account(account_id)
    return sorted((_public(r) for r in records), key=lambda o: (o.name.casefold(), o.name))


def get(rt: Runtime, actor: ItDocsUser, organization_id: str) -> Organization:
    """One organization of the user's account, or NotFound (also for another account's ids)."""
    require(actor, "organization.view")
    return _public(store.get_organization(actor.account_id, organization_id))


def from_read(actor: ItDocsUser, record: OrganizationRecord | None) -> Organization:
    """An organization read with the session (`signed_in.resume_page`), as `get` answers it."""
    require(actor, "organization.view")
    if record is None or record.account_id != actor.account_id:
        raise NotFound("No such organization.")
    return _public(record)


def create(rt: Runtime, actor: ItDocsUser, name: str,
           decision: DecisionFor | None = None) -> Organization:
    """A user creates an organization in their account (Editors and up); AlreadyExists when one
    with the exact same name exists.

    The name marker and the audit entry are written in the same transaction as the organization,
    so two concurrent creates of one name make exactly one organization (storage writes a
    transaction that collided with another in flight again; that retry sees the marker and
    reports the name as taken). A matching `decision` joins the transaction (see
    `store.create_organization`).
    """
    require(actor, "organization.create")
    cleaned = clean_name(name)
    now = rt.clock.now()
    record = OrganizationRecord(organization_id=rt.random.hex(8), account_id=actor.account_id,
                                name=cleaned, created_at=now, updated_at=now,
                                created_by=actor.email)
    store.create_organization(record, exact_key(cleaned), decision,
                              audit.line(rt, actor.account_id, actor.email,
                                         "organization.created", cleaned))
    return _public(record)


def rename(rt: Runtime, actor: ItDocsUser, organization_id: str, name: str,
           seen: Organization | None = None) -> Organization:
    """Rename, moving the name marker atomically; AlreadyExists if the new name is taken.

    `seen`: the organization as the page read it in this request (else it is read here); the
    write is conditional on the name it had then, so a rename made meanwhile is not undone."""
    require(actor, "organization.edit")
    cleaned = clean_name(name)
    current = seen or _public(store.get_organization(actor.account_id, organization_id))
    if cleaned == current.name:
        return current
    store.rename_organization(actor.account_id, organization_id, exact_key(current.name),
                              cleaned, exact_key(cleaned), rt.clock.now())
    audit.record(rt, actor.account_id, actor.email, "organization.renamed",
                 f"{current.name} -> {cleaned}")
    return Organization(organization_id, actor.account_id, cleaned)
