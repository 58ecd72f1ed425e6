"""Create Organization raced on DynamoDB Local: eight people creating an organization for one
customer at once make exactly one organization and one match; the others are told what the
customer is matched to, and no orphan organization is left."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from chalicelib.errors import ConcurrentChange, LinkhubError
from chalicelib.itdocs import organizations
from chalicelib.itdocs.accounts import ItDocsUser
from chalicelib.runtime import Runtime
from chalicelib.storage import tables
from chalicelib.storage.itdocs import match_decisions as store
from chalicelib.sync import match_actions
from tests.sync.helpers import as_user
from tests.sync.matching_helpers import Tenant, customer, make_integration, make_tenant, sync

pytestmark = pytest.mark.ddblocal

RACERS = 8


@pytest.fixture
def tenant(ddb: Runtime) -> Tenant:
    made = make_tenant(ddb, ["Contoso"], integration_id="")
    made.integration_id = make_integration(ddb, made.account_id)
    sync(ddb, made, [customer("1", "Contoso"), customer("9", "Tailspin Toys")])
    return made


def race(ddb: Runtime, tenant: Tenant, names: list[str]) -> tuple[list[str], list[LinkhubError]]:
    """Each name created for customer 9 by its own thread, all released at once."""
    barrier = threading.Barrier(len(names))
    made: list[str] = []
    refused: list[LinkhubError] = []

    def create(name: str) -> None:
        user = as_user(ddb, tenant.manager)
        barrier.wait()
        try:
            done = match_actions.create_organization(ddb, user, tenant.integration_id, "9",
                                                     name=name)
            made.append(done.organization_id or "")
        except LinkhubError as exc:
            refused.append(exc)

    threads = [threading.Thread(target=create, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return made, refused


def test_eight_creates_of_one_name_for_one_customer_make_one_organization_matched_once(
    ddb: Runtime, tenant: Tenant
) -> None:
    made, refused = race(ddb, tenant, ["Tailspin Toys"] * RACERS)

    everything = organizations.list_all(ddb, ItDocsUser.of(tenant.admin))
    named = [o for o in everything if o.name == "Tailspin Toys"]
    assert len(named) == 1 and len(everything) == 2
    assert made == [named[0].organization_id]
    record = store.get_match(tenant.integration_id, "9")
    assert record.status == "Matched" and record.organization_id == named[0].organization_id
    created = [e for e in store.audit_trail(tenant.integration_id)
               if e.action == "Created organization and matched"]
    assert [e.organization_id for e in created] == [named[0].organization_id]
    assert len(refused) == RACERS - 1
    assert all(isinstance(exc, ConcurrentChange) and
               "already matched to Tailspin Toys" in exc.message for exc in refused), refused


def test_eight_creates_of_different_names_for_one_customer_leave_no_orphan(
    ddb: Runtime, tenant: Tenant
) -> None:
    names = [f"Tailspin {n}" for n in range(RACERS)]

    made, refused = race(ddb, tenant, names)

    created = [o for o in organizations.list_all(ddb, ItDocsUser.of(tenant.admin))
               if o.name in names]
    assert len(created) == 1 and made == [created[0].organization_id]
    record = store.get_match(tenant.integration_id, "9")
    assert record.status == "Matched" and record.organization_id == created[0].organization_id
    assert len(refused) == RACERS - 1
    assert all(f"already matched to {created[0].name}" in exc.message for exc in refused)


def test_a_customer_ignored_between_the_read_and_the_write_gets_no_organization(
    ddb: Runtime, tenant: Tenant
) -> None:
    client = tables.connection().client
    ignored: list[bool] = []

    def someone_ignores_it_first(params: dict[str, Any], **_: Any) -> None:
        if b"itdocs_organizations" in params.get("body", b"") and not ignored:
            ignored.append(True)
            match_actions.ignore(ddb, as_user(ddb, tenant.manager), tenant.integration_id, "9")

    client.meta.events.register_first("before-call.dynamodb.TransactWriteItems",
                                      someone_ignores_it_first)
    try:
        with pytest.raises(ConcurrentChange) as refused:
            match_actions.create_organization(ddb, as_user(ddb, tenant.manager),
                                              tenant.integration_id, "9", name="Tailspin Late")
    finally:
        client.meta.events.unregister("before-call.dynamodb.TransactWriteItems",
                                      someone_ignores_it_first)

    assert ignored and "it is Ignored now" in refused.value.message
    assert all(o.name != "Tailspin Late"
               for o in organizations.list_all(ddb, ItDocsUser.of(tenant.admin)))
    assert store.get_match(tenant.integration_id, "9").status == "Ignored"
    assert organizations.list_all(ddb, ItDocsUser.of(tenant.admin))[0].name == "Contoso"
