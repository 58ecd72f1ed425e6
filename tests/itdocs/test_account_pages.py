"""Account > API Keys and Account > Single Sign-on; IT Docs API keys as the sync API checks them."""

from __future__ import annotations

import pytest

from chalicelib.errors import NotAuthenticated
from chalicelib.itdocs import accounts, api_keys
from chalicelib.itdocs.policy import ADMINISTRATOR, MANAGER, READ_ONLY
from chalicelib.storage.hub import companies as hub_store
from chalicelib.storage.itdocs import accounts as account_store
from chalicelib.storage.itdocs import users as user_store
from tests.auth.hub.helpers import log_in as hub_log_in
from tests.auth.hub.helpers import make_account as make_hub_account
from tests.auth.sso.helpers import path_of, use_loopback
from tests.itdocs.helpers import actor, make_account, make_user, sign_in


def test_an_administrator_creates_a_key_that_is_shown_once_and_verifies(client, aws):
    account = make_account()
    admin = make_user(account, ADMINISTRATOR)
    sign_in(client, admin)
    client.get("/itdocs/account/api-keys")
    page = client.post("/itdocs/account/api-keys", {"label": "Sync trigger"})
    assert page.status == 200 and "shown only once" in page.text
    presented = page.text.split('id="new-api-key">', 1)[1].split("<", 1)[0]
    owner = api_keys.verify(aws, presented)
    assert (owner.account_id, owner.user_id, owner.role) == (account.account_id, admin.user_id,
                                                             ADMINISTRATOR)
    again = client.get("/itdocs/account/api-keys")
    assert "Sync trigger" in again.text and presented not in again.text


def test_a_revoked_key_a_wrong_secret_and_a_deactivated_owner_are_refused(aws):
    account = make_account()
    admin = make_user(account, ADMINISTRATOR)
    created = api_keys.create(aws, actor(admin), "k")
    with pytest.raises(NotAuthenticated):
        api_keys.verify(aws, created.presented[:-2] + "xx")
    for junk in (None, "", "itd_", "nonsense", "itd_abc"):
        with pytest.raises(NotAuthenticated):
            api_keys.verify(aws, junk)
    user_store.update_user(admin.user_id, status=accounts.DEACTIVATED)
    with pytest.raises(NotAuthenticated):
        api_keys.verify(aws, created.presented)
    user_store.update_user(admin.user_id, status=accounts.ACTIVE)
    assert api_keys.verify(aws, created.presented).role == ADMINISTRATOR
    api_keys.revoke(aws, actor(admin), created.key.key_id)
    with pytest.raises(NotAuthenticated):
        api_keys.verify(aws, created.presented)


def test_the_owner_role_is_read_at_each_verification(aws):
    account = make_account()
    admin = make_user(account, ADMINISTRATOR)
    created = api_keys.create(aws, actor(admin), "k")
    user_store.update_user(admin.user_id, role=READ_ONLY)
    assert api_keys.verify(aws, created.presented).role == READ_ONLY


@pytest.mark.parametrize("role", [MANAGER, READ_ONLY])
def test_only_administrators_reach_api_keys_and_sign_on_settings(client, aws, role):
    sign_in(client, make_user(make_account(), role))
    assert client.get("/itdocs/account/api-keys").status == 403
    assert client.get("/itdocs/account/sso").status == 403


def test_an_administrator_sets_the_jit_default_role(client, aws):
    account = make_account()
    sign_in(client, make_user(account, ADMINISTRATOR))
    page = client.get("/itdocs/account/sso")
    assert "Not linked to a hub company" in page.text
    client.post("/itdocs/account/sso", {"default_role": "Editor"})
    saved = account_store.get_account(account.account_id)
    assert (saved.default_role, saved.jit_enabled) == ("Editor", False)


def start_link(client):
    """Account > Single Sign-on > Link with Hub, then the confirmation page's button."""
    page = client.get("/itdocs/account/sso/link")
    assert page.status == 200 and "Continue to the hub" in page.text
    return client.post("/itdocs/account/sso/link")


def _signed_in_everywhere(client):
    """An IT Docs Administrator whose browser also holds a hub Master's session."""
    use_loopback()
    hub = make_hub_account(company_name="Lure MSP", username="lou")
    account = make_account("Victim Docs", jit_enabled=True)
    admin = make_user(account, ADMINISTRATOR, email="victim-admin@example.com")
    hub_log_in(client, hub)
    sign_in(client, admin)
    return account


def test_opening_the_link_url_links_nothing(client, aws):
    account = _signed_in_everywhere(client)
    reply = client.get("/itdocs/account/sso/link")  # an <img src> or a link in a mail
    assert reply.status == 200 and "/hub/oidc/authorize" not in reply.location
    assert "Automatic user creation starts <strong>off</strong>" in reply.text
    assert "lh_itdocs_sso" not in client.cookies  # no sign-in to the hub was started
    assert not account_store.get_account(account.account_id).linked_to_hub


def test_a_link_post_without_the_csrf_token_is_refused(client, aws):
    account = _signed_in_everywhere(client)
    client.get("/itdocs/account/sso")
    for token in (None, "forged"):
        reply = client.post("/itdocs/account/sso/link", csrf=token)
        assert reply.status == 403 and "/hub/oidc/authorize" not in reply.location
    assert not account_store.get_account(account.account_id).linked_to_hub


def test_a_confirmed_link_starts_with_automatic_user_creation_off(client, aws):
    account = _signed_in_everywhere(client)
    assert account_store.get_account(account.account_id).jit_enabled
    reply = start_link(client)
    assert "lh_itdocs_sso" in client.cookies
    reply = client.get(path_of(reply.location))
    reply = client.get(path_of(reply.location))
    assert reply.status == 303 and reply.location.startswith("/itdocs/account/sso"), reply
    linked = account_store.get_account(account.account_id)
    assert linked.linked_to_hub and not linked.jit_enabled
    page = client.get("/itdocs/account/sso")
    assert 'id="jit" name="jit_enabled" type="checkbox" value="on" >' in page.text
    assert "Ending sessions is not optional" in page.text
    page = client.get("/itdocs/account/sso/link")
    assert "already linked" in page.text and "Continue to the hub" not in page.text
    client.get("/itdocs/account/sso")
    assert client.post("/itdocs/account/sso/link").status == 400


def test_a_new_account_has_automatic_user_creation_off(aws):
    assert not accounts.create_account(aws, "Fresh MSP").jit_enabled


def test_a_hub_master_links_the_account_and_the_hub_shows_it_in_my_modules(client, aws):
    use_loopback()
    hub = make_hub_account(company_name="Linking MSP", username="max")
    account = make_account("Linking MSP")
    admin = make_user(account, ADMINISTRATOR, email="someone-else@example.com")
    hub_log_in(client, hub)
    sign_in(client, admin)
    reply = start_link(client)
    assert "/hub/oidc/authorize" in reply.location
    reply = client.get(path_of(reply.location))
    reply = client.get(path_of(reply.location))
    assert reply.status == 303 and reply.location.startswith("/itdocs/account/sso"), reply
    linked = account_store.get_account(account.account_id)
    assert linked.hub_company_id == hub.company.company_id
    launch = hub_store.get_company(hub.company.company_id).linked_modules["itdocs"]
    assert launch["launch_url"].endswith("/itdocs/sso/launch")
    assert user_store.get_user(admin.user_id).hub_subject == hub.user.user_id
    assert "Linked to the hub company" in client.get("/itdocs/account/sso").text


def test_an_administrator_changes_a_users_role_but_not_their_own_away(client, aws):
    account = make_account()
    admin = make_user(account, ADMINISTRATOR, name="Ada Admin")
    viewer = make_user(account, READ_ONLY, name="Vic Viewer")
    sign_in(client, admin)
    page = client.get("/itdocs/account/users")
    assert "Vic Viewer" in page.text and 'for="role-' in page.text
    done = client.post(f"/itdocs/account/users/{viewer.user_id}", {"role": MANAGER}, follow=True)
    assert "Vic Viewer is now Manager" in done.text
    assert user_store.get_user(viewer.user_id).role == MANAGER
    refused = client.post(f"/itdocs/account/users/{admin.user_id}", {"role": READ_ONLY})
    assert refused.status == 400 and user_store.get_user(admin.user_id).role == ADMINISTRATOR


def test_another_accounts_user_cannot_be_changed(client, aws):
    stranger = make_user(make_account(), READ_ONLY)
    sign_in(client, make_user(make_account(), ADMINISTRATOR))
    client.get("/itdocs/account/users")
    reply = client.post(f"/itdocs/account/users/{stranger.user_id}", {"role": ADMINISTRATOR})
    assert reply.status == 404 and user_store.get_user(stranger.user_id).role == READ_ONLY
