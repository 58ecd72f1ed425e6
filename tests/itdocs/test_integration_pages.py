"""Account > Integrations: connect SaaS Protection against the app's own REST API, choose the
options, run a manual sync and see the card; errors on the form; who may reach these pages."""

from __future__ import annotations

import pytest

from chalicelib import runtime
from chalicelib.itdocs import organizations
from chalicelib.itdocs.policy import ADMINISTRATOR, EDITOR, MANAGER, READ_ONLY
from chalicelib.portal import catalog
from tests.auth.sso.helpers import use_loopback
from tests.fakes import use_transport
from tests.itdocs.helpers import make_account, make_user, setup_admin, sign_in
from tests.loopback import LoopbackTransport
from tests.portal.helpers import make_partner

NEW = "/itdocs/account/integrations/new/saas-protection"


@pytest.fixture
def partner(aws):
    use_loopback()
    return make_partner(customers=((catalog.OFFICE365, 7, True), (catalog.GOOGLE_WORKSPACE, 3,
                                                                   True)))


def connect(client, public_key: str, secret_key: str):
    client.get(NEW)
    return client.post(NEW, {"public_key": public_key, "secret_key": secret_key})


@pytest.mark.parametrize(("role", "allowed"), [
    (ADMINISTRATOR, True), (MANAGER, True), (EDITOR, False), (READ_ONLY, False)])
def test_only_administrators_and_managers_reach_integrations(client, aws, role, allowed):
    sign_in(client, make_user(make_account(), role))
    for path in ("/itdocs/account/integrations", "/itdocs/account/integrations/new", NEW):
        assert client.get(path).status == (200 if allowed else 403)


def test_read_only_users_cannot_connect_by_posting_anyway(client, partner):
    sign_in(client, make_user(make_account(), READ_ONLY))
    client.get("/itdocs/organizations")
    reply = client.post(NEW, {"public_key": partner.public_key, "secret_key": partner.secret})
    assert reply.status == 403


def test_refused_keys_are_said_on_the_form_and_nothing_is_stored(client, partner):
    sign_in(client, make_user(make_account(), MANAGER))
    reply = connect(client, partner.public_key, "not-the-secret")
    assert reply.status == 400 and 'role="alert"' in reply.text and "refused" in reply.text
    assert f'value="{partner.public_key}"' in reply.text
    listing = client.get("/itdocs/account/integrations")
    assert "No integrations yet" in listing.text


def test_an_unreachable_host_is_said_on_the_form(client, aws):
    rt = runtime.current()
    from app import app

    use_transport(rt, LoopbackTransport(app, "http://nowhere.invalid"))
    sign_in(client, make_user(make_account(), MANAGER))
    reply = connect(client, "a" * 32, "b" * 40)
    assert reply.status == 502 and "could not be reached" in reply.text


def test_the_procedure_from_new_to_a_card_on_an_organization(client, partner, aws):
    account = make_account()
    org_name = partner.organizations[0].name
    org = organizations.create(aws, setup_admin(account.account_id), org_name)
    sign_in(client, make_user(account, MANAGER))

    reply = connect(client, partner.public_key, partner.secret)
    assert reply.status == 303 and reply.location.endswith("/edit?connected=1")
    options = client.get(reply.location)
    assert "Sync SaaS Protection backup information" in options.text
    assert "Leave for Review" in options.text and "Accept All Automatically" in options.text
    edit_path = reply.location.split("?")[0]
    integration_id = edit_path.split("/")[-2]
    saved = client.post(edit_path, {"sync_enabled": "on", "matching": "accept"}, follow=True)
    assert "Accept All Automatically" in saved.text and "Matching" in saved.text

    client.get("/itdocs/account/integrations")
    started = client.post(f"/itdocs/account/integrations/{integration_id}/sync", {}, follow=True)
    assert "Manual sync started" in started.text
    assert 'class="status-ok">OK<' in started.text

    again = client.post(f"/itdocs/account/integrations/{integration_id}/sync", {})
    assert again.status == 429 and "available at" in again.text
    assert int(again.headers["retry-after"]) > 0

    active = sum(1 for s in partner.seats[partner.customers[0].saas_customer_id]
                 if s.seat_state == catalog.ACTIVE)
    home = client.get(f"/itdocs/organizations/{org.organization_id}")
    assert f'<strong id="protected-seats">{active}</strong>' in home.text
    assert "Microsoft 365" in home.text and "not counted" in home.text

    logs = client.get(f"/itdocs/account/integrations/{integration_id}/logs")
    assert logs.status == 200 and "manual" in logs.text.lower()


def test_an_integration_is_deleted_after_confirming(client, partner, aws):
    sign_in(client, make_user(make_account(), ADMINISTRATOR))
    reply = connect(client, partner.public_key, partner.secret)
    integration_id = reply.location.split("/")[-2]
    confirm = client.get(f"/itdocs/account/integrations/{integration_id}/delete")
    assert "Delete the SaaS Protection integration?" in confirm.text
    done = client.post(f"/itdocs/account/integrations/{integration_id}/delete", {}, follow=True)
    assert "No integrations yet" in done.text


def test_another_accounts_integration_is_not_found(client, partner, aws):
    sign_in(client, make_user(make_account(), ADMINISTRATOR))
    integration_id = connect(client, partner.public_key, partner.secret).location.split("/")[-2]
    other = make_user(make_account(), ADMINISTRATOR)
    client.cookies.clear()
    sign_in(client, other)
    assert client.get(f"/itdocs/account/integrations/{integration_id}/edit").status == 404
