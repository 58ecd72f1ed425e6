"""Delete organization raced against Match To on DynamoDB Local (real transactions, real conflicts):
the Administrator's request marks it and the sync queue's worker removes it; however the writes
interleave, no customer is left matched to the deleted organization, every
Match To either was written and then released by the deletion (both audited) or was refused, and
the organization, its name and its contacts are gone."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from chalicelib.errors import ConcurrentChange, LinkhubError, NotFound
from chalicelib.itdocs import contacts, organization_deletion, organizations
from chalicelib.itdocs.accounts import ItDocsUser
from chalicelib.itdocs.contacts import ContactDetails
from chalicelib.runtime import Runtime
from chalicelib.storage.itdocs import contacts as contact_store
from chalicelib.storage.itdocs import match_decisions as store
from chalicelib.sync import match_actions
from chalicelib.sync.released_matches import RELEASED
from tests.fakes import hold_sync_queue
from tests.itdocs.deleting import DeletesWhileMatching
from tests.racing import at_once
from tests.sync.helpers import as_user
from tests.sync.matching_helpers import Tenant, customer, make_integration, make_tenant, sync
from workers.sync import run_sync_message

pytestmark = pytest.mark.ddblocal

ROUNDS = 8
MATCHERS = 4


def setting(ddb: Runtime) -> Tenant:
    """An account with the organization "Target" (one contact) and MATCHERS Unmatched customers."""
    tenant = make_tenant(ddb, ["Target"], integration_id="")
    tenant.integration_id = make_integration(ddb, tenant.account_id)
    sync(ddb, tenant, [customer(str(n), f"Unrelated Name {n}") for n in range(MATCHERS)])
    contacts.create(ddb, ItDocsUser.of(tenant.admin), tenant.organizations["Target"],
                    ContactDetails("Tess Target", ["tess@target.example"]))
    return tenant


def all_at_once(jobs: list[Callable[[], None]]) -> None:
    """The jobs released together; none may fail unexpectedly (each catches what it expects)."""
    assert at_once(list(jobs)) == []


def race(ddb: Runtime, tenant: Tenant) -> tuple[list[str], list[LinkhubError], list[object]]:
    """One Administrator deletes Target while MATCHERS Managers each Match To a customer onto it."""
    target = tenant.organizations["Target"]
    matched: list[str] = []
    refused: list[LinkhubError] = []
    deleted: list[object] = []

    held = hold_sync_queue(ddb)

    def delete() -> None:
        """The Administrator's request (the mark), then the queue's worker on its message; a
        worker that raises has its message delivered again, as SQS would."""
        organization_deletion.request(ddb, ItDocsUser.of(tenant.admin), target)
        (body,) = held.bodies
        try:
            run_sync_message(body)
        except ConcurrentChange:
            run_sync_message(body)
        deleted.append(body)

    def match(customer_id: str) -> Callable[[], None]:
        def job() -> None:
            try:
                match_actions.match_to(ddb, as_user(ddb, tenant.manager), tenant.integration_id,
                                       customer_id, target)
                matched.append(customer_id)
            except (ConcurrentChange, NotFound) as exc:
                refused.append(exc)

        return job

    all_at_once([delete, *(match(str(n)) for n in range(MATCHERS))])
    return matched, refused, deleted


def test_delete_racing_match_to_leaves_no_dangling_match(ddb: Runtime) -> None:
    outcomes = {"written then released": 0, "refused": 0}
    for _ in range(ROUNDS):
        tenant = setting(ddb)
        target = tenant.organizations["Target"]
        matched, refused, deleted = race(ddb, tenant)

        assert len(deleted) == 1
        with pytest.raises(NotFound):
            organizations.get(ddb, ItDocsUser.of(tenant.admin), target)
        assert contact_store.contacts_of_organization(tenant.account_id, target,
                                                      consistent=True) == []
        records = store.matches_of_integration(tenant.integration_id)
        assert [r.customer_id for r in records if r.organization_id == target] == []
        assert all(r.status == "Unmatched" for r in records)
        trail = store.audit_trail(tenant.integration_id, limit=100)
        for customer_id in matched:  # written, then released by the deletion: both audited
            actions = [e.action for e in trail if e.customer_id == customer_id]
            assert sorted(actions) == sorted(["Matched to organization", RELEASED]), actions
        assert len(matched) + len(refused) == MATCHERS
        said = [exc.message for exc in refused]
        assert all("Target" in m or m == "No such organization." for m in said), said
        outcomes["written then released"] += len(matched)
        outcomes["refused"] += len(refused)
        # The name is free for a new organization.
        organizations.create(ddb, ItDocsUser.of(tenant.admin), "Target")
    print(f"\nMatch To outcomes over {ROUNDS} rounds: {outcomes}")


def test_the_worst_interleaving_on_dynamodb_local_is_refused(ddb: Runtime) -> None:
    tenant = setting(ddb)
    target = tenant.organizations["Target"]

    with pytest.raises(ConcurrentChange, match="Target was deleted at the same time"):
        match_actions.match_to(ddb, DeletesWhileMatching(ddb, tenant), tenant.integration_id,
                               "0", target)

    record = store.get_match(tenant.integration_id, "0")
    assert (record.status, record.organization_id) == ("Unmatched", None)


def test_match_to_between_the_request_and_the_worker_is_refused(ddb: Runtime) -> None:
    """Once the request has marked it, every Match To onto it is refused, all at once, before the
    worker has run; the worker then finds nothing of theirs to release."""
    tenant = setting(ddb)
    target = tenant.organizations["Target"]
    held = hold_sync_queue(ddb)
    organization_deletion.request(ddb, ItDocsUser.of(tenant.admin), target)
    refused: list[str] = []

    def match(customer_id: str) -> Callable[[], None]:
        def job() -> None:
            try:
                match_actions.match_to(ddb, as_user(ddb, tenant.manager), tenant.integration_id,
                                       customer_id, target)
            except (ConcurrentChange, NotFound) as exc:
                refused.append(exc.message)

        return job

    all_at_once([match(str(n)) for n in range(MATCHERS)])
    assert refused == ["Target is being deleted."] * MATCHERS
    assert held.deliver_all() == 1

    records = store.matches_of_integration(tenant.integration_id)
    assert all(r.status == "Unmatched" and r.organization_id is None for r in records)
    trail = store.audit_trail(tenant.integration_id, limit=100)
    assert [e.action for e in trail] == []  # nothing was matched, so nothing was released
    with pytest.raises(NotFound):
        organizations.get(ddb, ItDocsUser.of(tenant.admin), target)
