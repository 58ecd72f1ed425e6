"""The sync queue's removal worker under faults: a worker stopped half way then delivered again
finishes with nothing lost or written twice; a delivery after completion does nothing; a malformed
message is logged and dropped; a throttled table makes the worker wait and try again, and when it
stays throttled the message goes back to the queue (the worker raises) and its next delivery
finishes. The request's own part is in `test_organization_delete.py` and
`test_integration_delete.py`."""

from __future__ import annotations

import json

import pytest

from chalicelib import queues, runtime
from chalicelib.errors import StorageUnavailable
from chalicelib.itdocs import contacts, organization_deletion
from chalicelib.itdocs.accounts import ItDocsUser
from chalicelib.itdocs.contacts import ContactDetails
from chalicelib.runtime import Runtime
from chalicelib.storage.itdocs import contacts as contact_store
from chalicelib.storage.itdocs import match_decisions as store
from chalicelib.storage.itdocs import organization_removal
from chalicelib.storage.itdocs import organizations as organization_store
from chalicelib.storage.itdocs.audit import itdocs_audit
from chalicelib.sync import integration_deletion
from chalicelib.sync.released_matches import RELEASED
from tests.fakes import build_for_tests, hold_sync_queue, use_sleep
from tests.itdocs.deleting import Throttle, throttled
from tests.itdocs.helpers import sign_in
from tests.sync.matching_helpers import Tenant, customer, make_integration, make_tenant, sync
from tests.web_client import WebClient
from workers.sync import REMOVAL_WAITS, run_sync_message

LARGE = 60  # contacts: more than one transaction's 100 items, so the removal goes in steps


@pytest.fixture
def tenant(aws: Runtime) -> Tenant:
    """Contoso with customer 1 matched to it and LARGE contacts."""
    made = make_tenant(aws, ["Contoso"], integration_id="")
    made.integration_id = make_integration(aws, made.account_id)
    sync(aws, made, [customer("1", "Contoso")])
    admin = ItDocsUser.of(made.admin)
    for n in range(LARGE):
        contacts.create(aws, admin, made.organizations["Contoso"], ContactDetails(f"P{n:02}", []))
    return made


def requested(rt: Runtime, tenant: Tenant) -> str:
    """The Administrator's request; the message the queue holds for the worker."""
    held = hold_sync_queue(rt)
    organization_deletion.request(rt, ItDocsUser.of(tenant.admin), tenant.organizations["Contoso"])
    (body,) = held.bodies
    return body


def audit_count(tenant: Tenant, action: str) -> int:
    return sum(e.action == action for e in itdocs_audit.audit_of(tenant.account_id, limit=500))


def assert_removed_once(tenant: Tenant) -> None:
    """Gone, each change audited exactly once, the customer Unmatched with one release entry."""
    contoso = tenant.organizations["Contoso"]
    assert [o.organization_id for o in organization_store.organizations_of_account(
        tenant.account_id)] == []
    assert contact_store.contacts_of_organization(tenant.account_id, contoso) == []
    assert audit_count(tenant, "contact.deleted") == LARGE
    assert audit_count(tenant, "organization.deleted") == 1
    assert audit_count(tenant, "organization.deletion_requested") == 1
    record = store.get_match(tenant.integration_id, "1")
    assert (record.status, record.organization_id) == ("Unmatched", None)
    trail = store.audit_trail(tenant.integration_id, limit=100)
    assert [e.action for e in trail if e.customer_id == "1"].count(RELEASED) == 1


def test_a_worker_stopped_half_way_is_finished_by_the_next_delivery(
    aws: Runtime, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = requested(aws, tenant)
    write = organization_removal._write
    steps: list[int] = []

    def stopped_after_two_steps(built: object) -> None:
        steps.append(1)
        if len(steps) > 2:  # the customers, then the first contacts were written
            raise RuntimeError("the worker's Lambda was stopped")
        write(built)  # type: ignore[arg-type]

    monkeypatch.setattr(organization_removal, "_write", stopped_after_two_steps)
    with pytest.raises(RuntimeError):  # the queue keeps the message and delivers it again
        run_sync_message(body)
    monkeypatch.undo()
    contoso = tenant.organizations["Contoso"]
    left = contact_store.contacts_of_organization(tenant.account_id, contoso)
    assert 0 < len(left) < LARGE and store.get_match(tenant.integration_id, "1").status == (
        "Unmatched")
    assert organization_store.get_organization(tenant.account_id, contoso).deleting_since

    run_sync_message(body)

    assert_removed_once(tenant)


def test_a_delivery_after_completion_does_nothing(
    aws: Runtime, tenant: Tenant, caplog: pytest.LogCaptureFixture
) -> None:
    body = requested(aws, tenant)
    run_sync_message(body)

    assert organization_deletion.handle_message(aws, body) is None
    run_sync_message(body)

    assert_removed_once(tenant)
    assert caplog.text.count('"organization_removal_done_already"') == 2


@pytest.mark.parametrize("body", [
    json.dumps({"kind": organization_deletion.KIND}),
    json.dumps({"kind": organization_deletion.KIND, "account_id": 7, "organization_id": "x",
                "user_id": "u", "role": "Administrator", "email": "e", "name": "n"}),
    json.dumps({"kind": integration_deletion.KIND, "integration_id": ""}),
    json.dumps({"kind": integration_deletion.KIND, "integration_id": ["a"], "actor": "x"}),
])
def test_a_malformed_message_is_logged_and_dropped(
    aws: Runtime, tenant: Tenant, caplog: pytest.LogCaptureFixture, body: str
) -> None:
    run_sync_message(body)  # no error: the queue drops it rather than deliver it forever

    assert '"event":"removal_message_dropped"' in caplog.text
    assert '"reason":"malformed"' in caplog.text
    assert len(organization_store.organizations_of_account(tenant.account_id)) == 1


def test_a_message_naming_someone_who_may_not_delete_is_dropped(
    aws: Runtime, tenant: Tenant, caplog: pytest.LogCaptureFixture
) -> None:
    body = json.loads(requested(aws, tenant))
    forged = json.dumps({**body, "role": "Editor"})

    run_sync_message(forged)

    assert '"reason":"not an Administrator"' in caplog.text
    assert len(contact_store.contacts_of_organization(
        tenant.account_id, tenant.organizations["Contoso"])) == LARGE


def test_a_throttled_table_makes_the_worker_wait_and_try_again(
    aws: Runtime, tenant: Tenant, caplog: pytest.LogCaptureFixture
) -> None:
    body = requested(aws, tenant)
    waits: list[float] = []
    use_sleep(aws, waits.append)

    with throttled(Throttle("TransactWriteItems", "itdocs_contacts", times=2)) as throttle:
        run_sync_message(body)

    assert throttle.answered == 2 and waits == list(REMOVAL_WAITS[:2])
    assert caplog.text.count('"event":"removal_throttled"') == 2
    assert_removed_once(tenant)


def test_a_table_that_stays_throttled_returns_the_message_to_the_queue(
    aws: Runtime, tenant: Tenant
) -> None:
    body = requested(aws, tenant)
    waits: list[float] = []
    use_sleep(aws, waits.append)

    with throttled(Throttle("TransactWriteItems", "itdocs_contacts")), \
            pytest.raises(StorageUnavailable):
        run_sync_message(body)

    assert waits == list(REMOVAL_WAITS)
    contoso = tenant.organizations["Contoso"]
    assert organization_store.get_organization(tenant.account_id, contoso).deleting_since
    run_sync_message(body)  # SQS delivers it again once DynamoDB serves
    assert_removed_once(tenant)


def test_the_local_stack_serves_the_removal_on_its_background_queue(
    aws: Runtime, tenant: Tenant, client: WebClient
) -> None:
    """As under `make run`: the request answers with the organization marked, a worker thread of
    the process removes it, and the listing no longer shows it."""
    settings = aws.settings.with_overrides(local_queues="background")
    runtime.install(build_for_tests(settings, clock=aws.clock))  # type: ignore[arg-type]
    contoso = tenant.organizations["Contoso"]
    path = f"/itdocs/organizations/{contoso}"
    sign_in(client, tenant.admin)
    client.get(path + "/delete")

    answered = client.post(path + "/delete", {})

    assert answered.status == 303 and "=deleting&" in answered.location, answered
    assert queues.SYNC_BACKGROUND.drain(timeout=30)
    assert f'href="{path}"' not in client.get("/itdocs/organizations").text
    assert_removed_once(tenant)
