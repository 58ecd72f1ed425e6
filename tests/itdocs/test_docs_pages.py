"""Organization and contact pages, as each role sees them."""

from __future__ import annotations

import pytest

from chalicelib.itdocs import contacts, organizations
from chalicelib.itdocs.contacts import ContactDetails
from chalicelib.itdocs.policy import ADMINISTRATOR, EDITOR, MANAGER, READ_ONLY, ROLES
from tests.itdocs.helpers import actor, make_account, make_user, setup_admin, sign_in


@pytest.fixture
def account(aws):
    account = make_account()
    organizations.create(aws, setup_admin(account.account_id), "Bluebird Dental")
    return account


@pytest.mark.parametrize("role", ROLES)
def test_every_role_sees_the_organizations(client, account, role):
    sign_in(client, make_user(account, role))
    page = client.get("/itdocs/organizations")
    assert page.status == 200 and "Bluebird Dental" in page.text
    assert ("New organization" in page.text) is (role != READ_ONLY)
    assert ("Account › Integrations" in page.text) is (role in (ADMINISTRATOR, MANAGER))


def test_an_editor_creates_an_organization_and_lands_on_its_page(client, account):
    sign_in(client, make_user(account, EDITOR))
    client.get("/itdocs/organizations")
    reply = client.post("/itdocs/organizations", {"name": "Maple Street Bakery"}, follow=True)
    assert reply.status == 200 and "<h1>Maple Street Bakery</h1>" in reply.text


def test_the_same_name_twice_is_refused_on_the_form(client, account):
    sign_in(client, make_user(account, EDITOR))
    client.get("/itdocs/organizations")
    reply = client.post("/itdocs/organizations", {"name": "Bluebird Dental"})
    assert reply.status == 400 and "already exists" in reply.text
    names = [o.name for o in organizations.list_all(None, setup_admin(account.account_id))]  # type: ignore[arg-type]
    assert names == ["Bluebird Dental"]


def test_read_only_users_are_refused_when_they_post_anyway(client, account):
    sign_in(client, make_user(account, READ_ONLY))
    client.get("/itdocs/organizations")
    reply = client.post("/itdocs/organizations", {"name": "Sneaky Org"})
    assert reply.status == 403
    assert len(organizations.list_all(None, setup_admin(account.account_id))) == 1  # type: ignore[arg-type]


def test_search_filters_the_list(client, account, aws):
    organizations.create(aws, setup_admin(account.account_id), "Harbor Point Logistics")
    sign_in(client, make_user(account, READ_ONLY))
    page = client.get("/itdocs/organizations?q=harbor")
    assert "Harbor Point Logistics" in page.text and "Bluebird Dental" not in page.text


def test_an_organization_is_renamed_from_its_edit_page(client, account, aws):
    org = organizations.list_all(aws, setup_admin(account.account_id))[0]
    sign_in(client, make_user(account, MANAGER))
    client.get(f"/itdocs/organizations/{org.organization_id}/edit")
    reply = client.post(f"/itdocs/organizations/{org.organization_id}/edit",
                        {"name": "Bluebird Dental, LLC"}, follow=True)
    assert "<h1>Bluebird Dental, LLC</h1>" in reply.text


def test_another_accounts_organization_is_not_found(client, account, aws):
    other = make_account()
    hidden = organizations.create(aws, setup_admin(other.account_id), "Hidden")
    sign_in(client, make_user(account, ADMINISTRATOR))
    assert client.get(f"/itdocs/organizations/{hidden.organization_id}").status == 404


def test_a_contact_with_several_emails_is_created_and_shown(client, account, aws):
    org = organizations.list_all(aws, setup_admin(account.account_id))[0]
    sign_in(client, make_user(account, EDITOR))
    base = f"/itdocs/organizations/{org.organization_id}"
    form = client.get(f"{base}/contacts/new")
    assert form.status == 200 and 'for="contact-emails"' in form.text
    page = client.post(f"{base}/contacts", {
        "name": "Dana Diaz", "title": "Office Manager",
        "emails": "dana@bluebird.example\ndana.diaz@bluebird.example"}, follow=True)
    assert page.status == 200 and "<h1>Dana Diaz</h1>" in page.text
    assert "dana.diaz@bluebird.example" in page.text
    assert "No SaaS Protection seat matches" in page.text
    home = client.get(base)
    assert "Dana Diaz" in home.text and "SaaS Protection" not in home.text.split("Contacts")[0]


def test_a_bad_email_keeps_what_was_typed(client, account, aws):
    org = organizations.list_all(aws, setup_admin(account.account_id))[0]
    sign_in(client, make_user(account, EDITOR))
    base = f"/itdocs/organizations/{org.organization_id}"
    client.get(f"{base}/contacts/new")
    reply = client.post(f"{base}/contacts", {"name": "Eli", "emails": "eli-at-example"})
    assert reply.status == 400 and "eli-at-example is not an email address" in reply.text
    assert 'value="Eli"' in reply.text


def test_a_contact_is_edited(client, account, aws):
    org = organizations.list_all(aws, setup_admin(account.account_id))[0]
    editor = make_user(account, EDITOR)
    person = contacts.create(aws, actor(editor), org.organization_id,
                             ContactDetails("Finn", ["finn@example.com"]))
    sign_in(client, editor)
    path = f"/itdocs/organizations/{org.organization_id}/contacts/{person.contact_id}"
    client.get(f"{path}/edit")
    page = client.post(f"{path}/edit", {"name": "Finn Fox", "emails": "finn@example.com, "
                                        "ff@example.com"}, follow=True)
    assert "<h1>Finn Fox</h1>" in page.text and "ff@example.com" in page.text


def test_logout_ends_the_session(client, account):
    user = make_user(account, READ_ONLY)
    sign_in(client, user)
    token = client.cookies["lh_itdocs_session"]
    client.get("/itdocs/organizations")
    assert client.post("/itdocs/logout", {}).location == "/itdocs/login"
    client.cookies["lh_itdocs_session"] = token
    assert client.get("/itdocs/organizations").location.startswith("/itdocs/login")
