"""IT Docs demo data: linked to the hub demo company, names that mostly match the partner's."""

from __future__ import annotations

from chalicelib.itdocs import contacts, organizations
from chalicelib.storage.hub import companies as hub_store
from chalicelib.storage.itdocs import accounts as account_store
from chalicelib.storage.itdocs import users as user_store
from devstack.demo import hub as hub_demo
from devstack.demo import itdocs as demo
from devstack.demo import portal as portal_demo
from tests.itdocs.helpers import setup_admin


def test_demo_links_the_hub_company_and_mostly_matches_the_partners_names(aws):
    hub_demo.load(aws)
    portal_demo.load(aws)
    lines = demo.load(aws)
    assert any("IT Docs" in line for line in lines)
    company = hub_demo.demo_company(aws)
    account = account_store.account_for_hub_company(aws.settings.hub_issuer, company.company_id)
    assert account is not None and account.jit_enabled
    assert hub_store.get_company(company.company_id).linked_modules["itdocs"][
        "launch_url"].endswith("/itdocs/sso/launch")
    roles = {u.email: u.role for u in user_store.users_of_account(account.account_id)}
    assert roles["alice@acme-msp.example"] == "Administrator"
    assert len(roles) == len(hub_demo.USERS)
    # Linked to their hub users: the hub vouches for no email, and Administrators never by one.
    assert all(u.hub_subject for u in user_store.users_of_account(account.account_id))

    names = {o.name for o in organizations.list_all(aws, setup_admin(account.account_id))}
    portal_names = set(portal_demo.ORGANIZATIONS)
    exact = names & portal_names
    assert len(exact) >= len(portal_names) * 2 // 3
    assert "Harbor Point Logistics" in names and "Harbor Point Logistics, Inc." not in names
    assert not names & set(demo.ABSENT)

    admin = setup_admin(account.account_id)
    org_id = next(o.organization_id for o in organizations.list_all(aws, admin)
                  if o.name == "Integrity Health Group")
    people = contacts.in_organization(aws, setup_admin(account.account_id), org_id)
    assert people and all(c.emails for c in people)
    assert any(len(c.emails) == 2 for c in people)


def test_a_second_run_changes_nothing(aws):
    hub_demo.load(aws)
    portal_demo.load(aws)
    first = demo.load(aws)
    account = demo.demo_account(aws)
    before = len(organizations.list_all(aws, setup_admin(account.account_id)))
    assert demo.load(aws) == first
    assert len(organizations.list_all(aws, setup_admin(account.account_id))) == before
