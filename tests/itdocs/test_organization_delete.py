"""Delete organization: Administrators only, after a confirmation page; the request marks it
"Being deleted…" and the sync queue's worker removes it: its matches go back to Unmatched and its
contacts go with it, each change audited; an interrupted deletion is finished by deleting again,
and nothing is matched or added to an organization while it is being deleted."""

from __future__ import annotations

import pytest

from chalicelib.errors import ConcurrentChange, NotFound
from chalicelib.itdocs import contacts, organization_deletion, organizations, sessions
from chalicelib.itdocs.accounts import ItDocsUser
from chalicelib.itdocs.contacts import ContactDetails
from chalicelib.runtime import Runtime
from chalicelib.storage.itdocs import contacts as contact_store
from chalicelib.storage.itdocs import integrations as integration_store
from chalicelib.storage.itdocs import match_decisions as store
from chalicelib.storage.itdocs import organizations as organization_store
from chalicelib.storage.itdocs.audit import itdocs_audit
from chalicelib.storage.itdocs.organization_removal import IN_STEPS, ONE_TRANSACTION
from chalicelib.storage.itdocs.users import User
from chalicelib.sync import match_actions, matching_screen
from chalicelib.sync.released_matches import RELEASED
from tests.fakes import hold_sync_queue
from tests.itdocs.deleting import DeletesWhileMatching
from tests.itdocs.helpers import setup_admin
from tests.sync.helpers import as_user
from tests.sync.matching_helpers import Tenant, customer, make_integration, make_tenant, sync
from tests.web_client import WebClient


@pytest.fixture
def tenant(aws: Runtime) -> Tenant:
    """Contoso (customer 1 matched to it by exact name, two contacts) and Fabrikam."""
    made = make_tenant(aws, ["Contoso", "Fabrikam"], integration_id="")
    made.integration_id = make_integration(aws, made.account_id)
    sync(aws, made, [customer("1", "Contoso"), customer("2", "Tailspin Toys")])
    admin = ItDocsUser.of(made.admin)
    for name in ("Ann Contoso", "Bob Contoso"):
        contacts.create(aws, admin, made.organizations["Contoso"],
                        ContactDetails(name, [f"{name.split()[0].lower()}@contoso.example"]))
    return made


def sign_in(rt: Runtime, client: WebClient, user: User) -> WebClient:
    token, _ = sessions.start(rt, user)
    client.cookies["lh_itdocs_session"] = token
    return client


def org_path(tenant: Tenant, name: str = "Contoso", rest: str = "") -> str:
    return f"/itdocs/organizations/{tenant.organizations[name]}{rest}"


def audit_actions(tenant: Tenant) -> list[tuple[str, str]]:
    return [(e.action, e.detail) for e in itdocs_audit.audit_of(tenant.account_id, limit=500)]


def test_an_administrator_confirms_then_deletes_and_everything_follows(
    aws: Runtime, client: WebClient, tenant: Tenant
) -> None:
    contoso = tenant.organizations["Contoso"]
    home = sign_in(aws, client, tenant.admin).get(org_path(tenant))
    assert f'href="{org_path(tenant, rest="/delete")}">Delete organization</a>' in home.text

    confirm = client.get(org_path(tenant, rest="/delete"))
    assert confirm.status == 200 and "Delete Contoso?" in confirm.text
    assert "2 contacts will be deleted" in confirm.text
    assert "1 SaaS Protection customer matched to it will go back to Unmatched" in confirm.text
    assert organizations.get(aws, setup_admin(tenant.account_id), contoso)  # a GET deletes nothing

    held = hold_sync_queue(aws)
    marked = client.post(org_path(tenant, rest="/delete"), {}, follow=True)

    # Until the worker has run, the pages say so and the organization is still there.
    assert "Contoso is being deleted" in marked.text
    assert f'href="{org_path(tenant)}">Contoso</a> <span class="muted"' in marked.text
    assert 'data-gone-text="(deleted)">(being deleted…)</span>' in marked.text
    assert "Being deleted…" in client.get(org_path(tenant)).text
    assert store.get_match(tenant.integration_id, "1").status == "Matched"
    assert ("organization.deletion_requested", "Contoso") in audit_actions(tenant)
    assert held.deliver_all() == 1
    done = client.get("/itdocs/organizations")

    assert f'href="{org_path(tenant)}"' not in done.text
    with pytest.raises(NotFound):
        organizations.get(aws, setup_admin(tenant.account_id), contoso)
    assert contact_store.contacts_of_organization(tenant.account_id, contoso) == []
    record = store.get_match(tenant.integration_id, "1")
    assert (record.status, record.organization_id) == ("Unmatched", None)
    entry = store.audit_trail(tenant.integration_id)[0]
    assert (entry.action, entry.organization_name, entry.actor) == (
        RELEASED, "Contoso", tenant.admin.email)
    assert entry.previous_organization_id == contoso
    lines = audit_actions(tenant)
    assert ("organization.deleted",
            "Contoso: 2 contacts deleted, 1 backup customers back to Unmatched") in lines
    assert {detail for action, detail in lines if action == "contact.deleted"} == {
        "Ann Contoso (with Contoso)", "Bob Contoso (with Contoso)"}
    assert integration_store.get_integration(tenant.integration_id).queued_sync_at is not None
    # The name is free again, and the matching screen lists the customer as Unmatched.
    organizations.create(aws, setup_admin(tenant.account_id), "Contoso")
    screen = client.get(f"/itdocs/integrations/{tenant.integration_id}/matching")
    assert 'data-customer-id="1"' in screen.text and RELEASED in screen.text


@pytest.mark.parametrize("role", ["manager", "editor"])
def test_only_administrators_may_delete(
    aws: Runtime, client: WebClient, tenant: Tenant, role: str
) -> None:
    sign_in(aws, client, getattr(tenant, role))
    home = client.get(org_path(tenant))
    assert home.status == 200 and "Delete organization" not in home.text

    assert client.get(org_path(tenant, rest="/delete")).status == 403
    refused = client.post(org_path(tenant, rest="/delete"), {}, csrf=home.csrf)

    assert refused.status == 403 and "Only Administrators delete organizations" in refused.text
    assert organizations.get(aws, setup_admin(tenant.account_id), tenant.organizations["Contoso"])
    assert store.get_match(tenant.integration_id, "1").status == "Matched"
    assert len(contact_store.contacts_of_organization(
        tenant.account_id, tenant.organizations["Contoso"])) == 2


def test_another_accounts_organization_is_not_found(
    aws: Runtime, client: WebClient, tenant: Tenant
) -> None:
    other = make_tenant(aws, ["Elsewhere"], integration_id="")
    listing = sign_in(aws, client, other.admin).get("/itdocs/organizations")

    assert client.get(org_path(tenant, rest="/delete")).status == 404
    assert client.post(org_path(tenant, rest="/delete"), {}, csrf=listing.csrf).status == 404
    assert organizations.get(aws, setup_admin(tenant.account_id), tenant.organizations["Contoso"])
    assert store.get_match(tenant.integration_id, "1").status == "Matched"


def test_a_delete_without_the_forms_token_is_refused(
    aws: Runtime, client: WebClient, tenant: Tenant
) -> None:
    sign_in(aws, client, tenant.admin)

    assert client.post(org_path(tenant, rest="/delete"), {}, csrf=None).status in (400, 403)
    assert organizations.get(aws, setup_admin(tenant.account_id), tenant.organizations["Contoso"])


def test_a_small_organization_goes_in_one_transaction_a_large_one_in_steps(
    aws: Runtime, tenant: Tenant
) -> None:
    admin = ItDocsUser.of(tenant.admin)
    small = organization_deletion.delete(aws, admin, tenant.organizations["Fabrikam"])
    assert (small.written, small.contacts, small.unmatched) == (ONE_TRANSACTION, 0, 0)

    contoso = tenant.organizations["Contoso"]
    for n in range(50):  # 3 + 2 x 52 contacts + 2 x 1 customer: more than 100 items
        contacts.create(aws, admin, contoso, ContactDetails(f"Person {n:02}", []))
    large = organization_deletion.delete(aws, admin, contoso)

    assert (large.written, large.contacts, large.unmatched) == (IN_STEPS, 52, 1)
    assert contact_store.contacts_of_organization(tenant.account_id, contoso) == []
    assert store.get_match(tenant.integration_id, "1").status == "Unmatched"
    assert sum(action == "contact.deleted" for action, _ in audit_actions(tenant)) == 52


def test_an_interrupted_deletion_blocks_new_matches_and_contacts_and_deleting_again_finishes_it(
    aws: Runtime, client: WebClient, tenant: Tenant
) -> None:
    contoso = tenant.organizations["Contoso"]
    # A deletion that stopped after its first step (the mark), as a crashed request leaves it.
    organization_store.mark_deleting(tenant.account_id, contoso, aws.clock.now())
    manager = as_user(aws, tenant.manager)

    with pytest.raises(NotFound):
        match_actions.match_to(aws, manager, tenant.integration_id, "2", contoso)
    match_to = f"/itdocs/integrations/{tenant.integration_id}/matching/2/match-to"
    sign_in(aws, client, tenant.manager).get(match_to)
    refused = client.post(match_to, {"organization_id": contoso})
    assert refused.status == 409 and "Contoso is being deleted." in refused.text
    client.cookies.clear()
    with pytest.raises(NotFound):
        contacts.create(aws, ItDocsUser.of(tenant.admin), contoso, ContactDetails("Late", []))
    found = matching_screen.search_organizations(manager, "Contoso")
    assert "Contoso" not in [c.name for c in found]
    listing = sign_in(aws, client, tenant.admin).get("/itdocs/organizations")
    assert "Contoso</a> <span class=\"muted\"" in listing.text
    assert '"(deleted)">(being deleted…)</span>' in listing.text
    assert "Being deleted… Nothing can be matched or added to it meanwhile." in client.get(
        org_path(tenant)).text

    confirm = client.get(org_path(tenant, rest="/delete"))
    assert "If it is still here in a few minutes, delete it again to finish." in confirm.text
    finished = client.post(org_path(tenant, rest="/delete"), {}, follow=True)

    assert "Contoso is being deleted" in finished.text  # the worker ran inline: it is gone
    assert f'href="{org_path(tenant)}"' not in finished.text
    assert store.get_match(tenant.integration_id, "1").status == "Unmatched"
    assert contact_store.contacts_of_organization(tenant.account_id, contoso) == []
    again = client.post(org_path(tenant, rest="/delete"), {}, csrf=confirm.csrf)
    assert again.status == 404  # done; nothing left


def test_a_match_to_whose_organization_is_deleted_meanwhile_is_refused_and_nothing_dangles(
    aws: Runtime, tenant: Tenant
) -> None:
    fabrikam = tenant.organizations["Fabrikam"]
    racing = DeletesWhileMatching(aws, tenant)

    with pytest.raises(ConcurrentChange, match="Fabrikam was deleted at the same time"):
        match_actions.match_to(aws, racing, tenant.integration_id, "2", fabrikam)

    record = store.get_match(tenant.integration_id, "2")
    assert (record.status, record.organization_id) == ("Unmatched", None)
    assert store.customers_of_organization(tenant.account_id, fabrikam) == []
