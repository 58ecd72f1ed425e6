"""The matching screen's actions: each a conditional write with its audit entry, then a queued sync.

Accept Suggested Match (one or a selection), Match To, Create Organization (after listing similar
names; never an exact duplicate), Ignore, Un-ignore, Change Match and Unmatch. Each checks the
customer is in the state the button was shown for and, when the page sent the version it showed,
that nobody changed the customer since (`ConcurrentChange` otherwise); the write is conditional on
that version too. A change queues the integration's sync one hour later, so the SaaS Protection
card follows the new match. A match is written with a check that its organization exists and is
not being deleted (in the same transaction), so it never points at a deleted one; every write
checks the integration is not being deleted either (IntegrationBeingDeleted, 409), so none lands
that its removal would miss. Each acts for an IT Docs user (`acting.ActingUser`), who must be
allowed to see and change matches, and reads or creates organizations through that user.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

from chalicelib.errors import ConcurrentChange, InvalidInput, NotFound
from chalicelib.matching.exact import same_name_organizations
from chalicelib.matching.suggestions import Candidate, similar_names
from chalicelib.runtime import Runtime
from chalicelib.storage.itdocs import match_decisions as store
from chalicelib.storage.itdocs import person_decisions as decisions
from chalicelib.storage.itdocs.integrations import IntegrationBeingDeleted
from chalicelib.storage.itdocs.match_decisions import (
    IGNORED,
    MATCHED,
    UNMATCHED,
    AuditEntry,
    CustomerMatch,
)
from chalicelib.sync.acting import ActingUser
from chalicelib.sync.matching_screen import (
    current_customers,
    may_change,
    organization_names,
    reached_customer,
    stored_customer,
)
from chalicelib.sync.schedule import queue_sync

MAX_NAME_LENGTH = 200
ACCEPTED = "Accepted suggested match"


@dataclass(frozen=True)
class BulkAcceptOutcome:
    """Which selected customers were matched to their suggestion and which were left alone."""

    accepted: list[str]
    skipped: list[str]


@dataclass(frozen=True)
class CreationCheck:
    """What creating an organization named `name` would collide with, shown before confirming."""

    name: str
    duplicate: Candidate | None
    """An organization with exactly this name: creating is refused, Match To it instead."""
    similar: list[Candidate]


# --------------------------------------------------------------------------------------------------
# Matching to an organization


def accept_suggested(
    rt: Runtime,
    user: ActingUser,
    integration_id: str,
    customer_id: str,
    *,
    expected_version: int | None = None,
) -> CustomerMatch:
    """Match an Unmatched customer to its suggested organization."""
    record = _current(user, integration_id, customer_id, expected_version)
    _require(record, UNMATCHED)
    if not record.suggested_organization_id:
        raise InvalidInput(f"{record.customer_name} has no suggested match to accept.")
    changed = _matched(record, record.suggested_organization_id)
    return _save(rt, record, changed, ACCEPTED, user, record.suggested_organization_name,
                 named=True)


def accept_selected(
    rt: Runtime, user: ActingUser, integration_id: str, customer_ids: Iterable[str]
) -> BulkAcceptOutcome:
    """Accept the suggestion of each selected Unmatched customer: in one transaction when they
    fit one and none changed meanwhile, else one by one; one queued sync for them all."""
    may_change(user)
    selected = list(dict.fromkeys(customer_ids))
    found = current_customers(user, integration_id, selected)
    records = [r for c in selected if (r := found.get(c)) is not None
               and r.status == UNMATCHED and r.suggested_organization_id]
    accepted = _accept_together(rt, user, records) or _accept_one_by_one(rt, user, records)
    if accepted:
        queue_sync(rt, integration_id, reason=f"matching: {len(accepted)} suggestions accepted",
                   seen=user.integration_read(integration_id))
    return BulkAcceptOutcome(accepted=accepted,
                             skipped=[c for c in selected if c not in accepted])


def _accept_together(rt: Runtime, user: ActingUser, records: list[CustomerMatch]) -> list[str]:
    """The customers accepted in one transaction ([] when none, too many, or any condition
    failed: then nothing was written)."""
    if not 0 < len(records) <= decisions.BULK_DECISIONS:
        return []
    made = [decision_for(rt, r, _matched(r, r.suggested_organization_id or ""), ACCEPTED,
                         user.name, r.suggested_organization_name) for r in records]
    return [r.customer_id for r in records] if decisions.save_decisions(made) else []


def _accept_one_by_one(rt: Runtime, user: ActingUser,
                       records: list[CustomerMatch]) -> list[str]:
    """The customers accepted one transaction each (skipping those changed meanwhile, or whose
    organization is gone)."""
    accepted = []
    for record in records:
        try:
            _save(rt, record, _matched(record, record.suggested_organization_id or ""),
                  ACCEPTED, user, record.suggested_organization_name, queue=False, named=True)
        except IntegrationBeingDeleted:
            raise
        except (ConcurrentChange, NotFound):
            continue
        accepted.append(record.customer_id)
    return accepted


def match_to(
    rt: Runtime,
    user: ActingUser,
    integration_id: str,
    customer_id: str,
    organization_id: str,
    *,
    expected_version: int | None = None,
    organization_name: str | None = None,
) -> CustomerMatch:
    """Match an Unmatched customer to an organization the person picked (`organization_name`:
    its name as the page showed it, checked as it is written; read when not sent)."""
    record = _current(user, integration_id, customer_id, expected_version)
    _require(record, UNMATCHED)
    named = organization_name is not None
    if organization_name is None:
        organization_name = user.organization(organization_id).name
    changed = _matched(record, organization_id)
    return _save(rt, record, changed, "Matched to organization", user, organization_name,
                 named=named)


def change_match(
    rt: Runtime,
    user: ActingUser,
    integration_id: str,
    customer_id: str,
    organization_id: str,
    *,
    expected_version: int | None = None,
) -> CustomerMatch:
    """Match a Matched customer to another organization."""
    record = _current(user, integration_id, customer_id, expected_version)
    _require(record, MATCHED)
    organization = user.organization(organization_id)
    if organization.organization_id == record.organization_id:
        raise InvalidInput(f"{record.customer_name} is already matched to {organization.name}.")
    changed = _matched(record, organization.organization_id)
    return _save(rt, record, changed, "Changed match", user, organization.name)


# --------------------------------------------------------------------------------------------------
# Creating an organization for a customer


def creation_check(user: ActingUser, name: str) -> CreationCheck:
    """The organizations to list before creating one named `name`: an exact duplicate, if any,
    and those with similar names."""
    may_change(user)
    name = _valid_name(name)
    existing = organization_names(user)
    duplicates = same_name_organizations(name, existing)
    duplicate = Candidate(duplicates[0], existing[duplicates[0]], 100) if duplicates else None
    return CreationCheck(name=name, duplicate=duplicate, similar=similar_names(name, existing))


def create_organization(
    rt: Runtime,
    user: ActingUser,
    integration_id: str,
    customer_id: str,
    *,
    name: str,
    expected_version: int | None = None,
) -> CustomerMatch:
    """Create an IT Docs organization named `name` and match the Unmatched customer to it.

    The organization, its name marker and the customer's decision are one transaction,
    conditional on the version read: of N people creating for one customer at once, exactly one
    makes an organization and matches it; the others are told what the customer is matched to.
    IT Docs refuses an exact duplicate name (AlreadyExists) in the same transaction.
    """
    record = _current(user, integration_id, customer_id, expected_version)
    if record.status != UNMATCHED:
        raise _already_decided(user, record)
    made: list[store.Decision] = []

    def decide(organization_id: str, organization_name: str) -> store.Decision:
        made.append(decision_for(rt, record, _matched(record, organization_id),
                              "Created organization and matched", user.name, organization_name))
        return made[-1]

    try:
        user.create_organization(_valid_name(name), decide)
    except IntegrationBeingDeleted:
        raise
    except ConcurrentChange:
        raise _decided_meanwhile(user, integration_id, customer_id) from None
    queue_sync(rt, integration_id, reason="matching: created organization and matched",
               seen=user.integration_read(integration_id))
    return made[-1].record


def _decided_meanwhile(user: ActingUser, integration_id: str, customer_id: str) -> ConcurrentChange:
    """What a create that lost to another decision about the same customer tells the person."""
    return _already_decided(user, stored_customer(user.account_id, integration_id, customer_id))


def _already_decided(user: ActingUser, now: CustomerMatch) -> ConcurrentChange:
    """The customer is no longer Unmatched: say what it is matched to, or what it is now."""
    if now.status == MATCHED and now.organization_id:
        try:
            matched_to = user.organization(now.organization_id).name
        except NotFound:
            matched_to = "another organization"
        return ConcurrentChange(f"{now.customer_name} is already matched to {matched_to}. "
                                "No organization was created.")
    return ConcurrentChange(f"{now.customer_name} was changed by someone else (it is "
                            f"{now.status} now). No organization was created.")


# --------------------------------------------------------------------------------------------------
# Unmatching and ignoring


def unmatch(
    rt: Runtime,
    user: ActingUser,
    integration_id: str,
    customer_id: str,
    *,
    expected_version: int | None = None,
) -> CustomerMatch:
    """Back to Unmatched; later syncs leave it Unmatched (they still refresh its suggestion)."""
    record = _current(user, integration_id, customer_id, expected_version)
    _require(record, MATCHED)
    changed = dataclasses.replace(
        record, status=UNMATCHED, organization_id=None, matched_by=None, held=True
    )
    return _save(rt, record, changed, "Unmatched", user, None)


def ignore(
    rt: Runtime,
    user: ActingUser,
    integration_id: str,
    customer_id: str,
    *,
    expected_version: int | None = None,
) -> CustomerMatch:
    """Ignore an Unmatched customer: later syncs leave it and do not count it as unmatched."""
    record = _current(user, integration_id, customer_id, expected_version)
    _require(record, UNMATCHED)
    changed = dataclasses.replace(record, status=IGNORED, held=False)
    return _save(rt, record, changed, "Ignored", user, None)


def unignore(
    rt: Runtime,
    user: ActingUser,
    integration_id: str,
    customer_id: str,
    *,
    expected_version: int | None = None,
) -> CustomerMatch:
    """Back to Unmatched, where the next sync matches it by exact name or suggests again."""
    record = _current(user, integration_id, customer_id, expected_version)
    _require(record, IGNORED)
    changed = dataclasses.replace(record, status=UNMATCHED, held=False)
    return _save(rt, record, changed, "Un-ignored", user, None)


# --------------------------------------------------------------------------------------------------
# Shared steps


def _current(
    user: ActingUser, integration_id: str, customer_id: str, expected_version: int | None
) -> CustomerMatch:
    """The customer's record, in the user's account, at the version the page showed (if it sent
    one), once the user may change it."""
    may_change(user)
    record = reached_customer(user, integration_id, customer_id)
    if expected_version is not None and expected_version != record.version:
        raise ConcurrentChange(
            f"{record.customer_name} was changed by someone else since the page was loaded. "
            "Here it is as it stands now."
        )
    return record


def _require(record: CustomerMatch, status: str) -> None:
    if record.status != status:
        raise InvalidInput(f"{record.customer_name} is {record.status}, not {status}.")


def _matched(record: CustomerMatch, organization_id: str) -> CustomerMatch:
    return dataclasses.replace(
        record, status=MATCHED, organization_id=organization_id, matched_by="person", held=False
    )


def decision_for(
    rt: Runtime,
    before: CustomerMatch,
    after: CustomerMatch,
    action: str,
    actor: str,
    organization_name: str | None,
) -> store.Decision:
    """The change as written (the next version, who and when, the entry among its recent
    changes) with its audit entry."""
    now = rt.clock.now()
    written = dataclasses.replace(
        after, decided_by=actor, decided_at=now, updated_at=now, version=before.version + 1
    )
    entry = AuditEntry(
        integration_id=before.integration_id,
        entry_key=f"{now.isoformat()}#{rt.random.hex(6)}",
        account_id=before.account_id,
        customer_id=before.customer_id,
        customer_name=before.customer_name,
        action=action,
        actor=actor,
        organization_id=after.organization_id,
        organization_name=organization_name,
        previous_organization_id=before.organization_id,
        at=now,
    )
    return store.Decision(store.with_change(written, entry), entry)


def _save(
    rt: Runtime,
    before: CustomerMatch,
    after: CustomerMatch,
    action: str,
    user: ActingUser,
    organization_name: str | None,
    *,
    queue: bool = True,
    named: bool = False,
) -> CustomerMatch:
    """Write the change (conditional on the version read) with its audit entry; queue a sync
    (from the integration as read with the session, when it was).

    A match is written only while its organization exists and is not being deleted; `named`,
    only while it bears `organization_name` (as the page showed it, unread): otherwise the
    organization is read and the change written with its name as it stands (OrganizationChanged
    when it is gone or being deleted)."""
    decision = decision_for(rt, before, after, action, user.name, organization_name)
    try:
        decisions.save_decision(decision.record, decision.entry, named=named)
    except decisions.OrganizationChanged as changed:
        if not named or after.organization_id is None:
            raise
        try:
            name = user.organization(after.organization_id).name
        except NotFound:  # gone or being deleted, not renamed: say so
            raise changed from None
        return _save(rt, before, after, action, user, name, queue=queue)
    if queue:
        queue_sync(rt, before.integration_id, reason=f"matching: {action.lower()}",
                   seen=user.integration_read(before.integration_id))
    return decision.record


def _valid_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise InvalidInput("Enter the new organization's name.", field="name")
    if len(cleaned) > MAX_NAME_LENGTH:
        raise InvalidInput(
            f"An organization name has at most {MAX_NAME_LENGTH} characters.", field="name"
        )
    return cleaned
