"""An organization's list of the customers matched to it, as its pages and the matching actions
use it: an organization made before it kept the list is listed once from the index, a customer
still listed but no longer matched is not shown, and a match written with the name the page
showed is checked against the name stored (read only when it changed)."""

from __future__ import annotations

import pytest

from chalicelib.itdocs import organizations
from chalicelib.itdocs.accounts import ItDocsUser
from chalicelib.storage import tables
from chalicelib.storage.itdocs import backup_customers as customer_store
from chalicelib.storage.itdocs import match_decisions as match_store
from chalicelib.storage.itdocs.backup_customers import BackupCustomer
from chalicelib.storage.itdocs.organization_items import (
    ItDocsOrganizationModel,
    add_matched,
    matched_key,
)
from chalicelib.storage.itdocs.organizations import get_organization, mark_deleting
from chalicelib.storage.transactions import write_transaction
from tests.itdocs.helpers import sign_in
from tests.itdocs.world import FEW, World, admin_of, seed_world
from tests.web_client import WebClient

ORGANIZATION = "/itdocs/organizations/{organization}"
MATCH_TO = "/itdocs/integrations/{integration}/matching/{unmatched}/match-to"


def _forget_list(world: World) -> None:
    """Make the organization as it was stored before it listed its matches."""
    account_id = admin_of(world).account_id
    ItDocsOrganizationModel(account_id, world.values["organization"]).update(actions=[
        ItDocsOrganizationModel.matched.remove(), ItDocsOrganizationModel.matched_listed.remove()])


def _visit(client: WebClient, world: World):  # type: ignore[no-untyped-def]
    with tables.counting_calls() as calls:
        page = client.get(world.fill(ORGANIZATION))
    assert page.status == 200
    return page, calls


def test_an_organization_made_before_the_list_is_listed_from_the_index_at_its_first_visit(
        aws, client):
    world = seed_world(aws, FEW)
    _forget_list(world)
    sign_in(client, admin_of(world))
    client.get("/itdocs/organizations")

    first, first_calls = _visit(client, world)
    second, second_calls = _visit(client, world)

    assert "c1.example.com" in first.text and "c1.example.com" in second.text
    assert first_calls.calls["UpdateItem"] == 1  # the list, written once
    listed = get_organization(admin_of(world).account_id, world.values["organization"]).matched
    assert listed == ((world.values["integration"], "1"),)
    assert second_calls.total == 3 and second_calls.calls["UpdateItem"] == 0


def test_a_match_made_before_the_first_visit_of_an_unlisted_organization_is_kept(aws, client):
    world = seed_world(aws, FEW)
    _forget_list(world)
    admin = admin_of(world)
    sign_in(client, admin)
    client.get(world.fill(MATCH_TO))
    posted = client.post(world.fill(MATCH_TO), {"organization_id": world.values["organization"],
                                                "organization_name": "Contoso"})
    assert posted.status == 303

    _visit(client, world)

    listed = get_organization(admin.account_id, world.values["organization"]).matched
    assert listed == ((world.values["integration"], "1"), (world.values["integration"], "2"))


def test_a_customer_listed_but_no_longer_matched_is_not_shown(aws, client):
    world = seed_world(aws, FEW)
    admin = admin_of(world)
    integration_id, organization_id = world.values["integration"], world.values["organization"]
    customer_store.write_customers([BackupCustomer(
        integration_id, "3", admin.account_id, "Tailspin Toys", "Tailspin Toys",
        "tailspin.example.com", "Microsoft 365", 3, 4, 4, 100.0, 2, {"Active": 2}, {})])
    write_transaction(lambda tx: add_matched(tx, admin.account_id, organization_id,
                                             [matched_key(integration_id, "3")]))
    sign_in(client, admin)
    client.get("/itdocs/organizations")

    page, calls = _visit(client, world)

    assert "c1.example.com" in page.text and "tailspin.example.com" not in page.text
    assert calls.total == 3


def test_a_match_to_an_organization_renamed_since_the_page_records_its_current_name(
        aws, client):
    world = seed_world(aws, FEW)
    admin = admin_of(world)
    sign_in(client, admin)
    client.get(world.fill(MATCH_TO))
    organizations.rename(aws, ItDocsUser.of(admin), world.values["other"], "Fabrikam Group")

    with tables.counting_calls() as calls:
        posted = client.post(world.fill(MATCH_TO), {"organization_id": world.values["other"],
                                                    "organization_name": "Fabrikam, Inc."})

    assert posted.status == 303
    record = match_store.get_match(world.values["integration"], "2")
    assert record.status == "Matched" and record.organization_id == world.values["other"]
    entry = match_store.audit_trail(world.values["integration"])[0]
    assert entry.customer_id == "2" and entry.organization_name == "Fabrikam Group"
    assert calls.calls["GetItem"] == 1 and calls.calls["TransactWriteItems"] == 2


def test_a_forged_organization_name_never_reaches_the_audit_trail(aws, client):
    world = seed_world(aws, FEW)
    sign_in(client, admin_of(world))
    client.get(world.fill(MATCH_TO))

    posted = client.post(world.fill(MATCH_TO), {"organization_id": world.values["other"],
                                                "organization_name": "Someone Else Ltd"})

    assert posted.status == 303
    entry = match_store.audit_trail(world.values["integration"])[0]
    assert entry.organization_name == "Fabrikam, Inc."


def test_a_match_to_an_organization_of_another_account_is_refused(aws, client):
    world = seed_world(aws, FEW)
    elsewhere = seed_world(aws, FEW)
    sign_in(client, admin_of(world))
    client.get(world.fill(MATCH_TO))

    posted = client.post(world.fill(MATCH_TO), {"organization_id": elsewhere.values["other"],
                                                "organization_name": "Fabrikam, Inc."})

    assert posted.status == 409
    assert match_store.get_match(world.values["integration"], "2").status == "Unmatched"


@pytest.mark.ddblocal
def test_the_first_visit_lists_an_unlisted_organization_on_dynamodb_local(ddb, ddb_client):
    world = seed_world(ddb, FEW)
    _forget_list(world)
    sign_in(ddb_client, admin_of(world))
    ddb_client.get("/itdocs/organizations")

    first, _ = _visit(ddb_client, world)
    second, second_calls = _visit(ddb_client, world)

    assert "c1.example.com" in first.text and "c1.example.com" in second.text
    listed = get_organization(admin_of(world).account_id, world.values["organization"]).matched
    assert listed == ((world.values["integration"], "1"),) and second_calls.total == 3


def test_accepting_a_suggestion_whose_organization_is_being_deleted_says_so(aws, client):
    world = seed_world(aws, FEW)
    admin = admin_of(world)
    mark_deleting(admin.account_id, world.values["other"], aws.clock.now())
    sign_in(client, admin)
    client.get(world.fill("/itdocs/integrations/{integration}/matching"))

    reply = client.post(world.fill(
        "/itdocs/integrations/{integration}/matching/{unmatched}/accept"), {})

    assert reply.status == 409 and "was deleted at the same time" in reply.text
    assert match_store.get_match(world.values["integration"], "2").status == "Unmatched"
    listed = get_organization(admin.account_id, world.values["other"]).matched
    assert listed == ()
