"""Log In with Hub for IT Docs, through the hub's real OIDC endpoints (loopback transport)."""

from __future__ import annotations

import pytest

from chalicelib import runtime
from chalicelib.itdocs import accounts
from chalicelib.itdocs.policy import ADMINISTRATOR, MANAGER, READ_ONLY
from chalicelib.storage.itdocs import accounts as account_store
from chalicelib.storage.itdocs import users as user_store
from tests.auth.hub.helpers import log_in as hub_log_in
from tests.auth.hub.helpers import make_account as make_hub_account
from tests.auth.sso.helpers import path_of, use_loopback
from tests.itdocs.helpers import make_account, make_user
from tests.web_client import Reply, WebClient


@pytest.fixture
def linked(aws, client):
    """A hub company (Master sam) and an IT Docs account linked to it, with sam as Administrator."""
    use_loopback()
    hub = make_hub_account(company_name="Docs MSP", username="sam")
    account = make_account("Docs MSP", hub_issuer=aws.settings.hub_issuer,
                           hub_company_id=hub.company.company_id,
                           hub_company_name=hub.company.name)
    admin = make_user(account, ADMINISTRATOR, email="sam@example.com", name="Sam")
    return hub, account, admin


def hub_login_to_itdocs(browser: WebClient, next_path: str = "/itdocs/") -> Reply:
    reply = browser.get(f"/itdocs/sso/start?next={next_path}")
    assert reply.status == 303 and "/hub/oidc/authorize" in reply.location, reply
    reply = browser.get(path_of(reply.location))
    assert reply.status == 303 and "/itdocs/sso/callback" in reply.location, reply
    return browser.get(path_of(reply.location))


def test_the_login_page_has_a_log_in_with_hub_button(client):
    page = client.get("/itdocs/login?next=/itdocs/organizations")
    assert page.status == 200 and "Log In with Hub" in page.text
    assert "/itdocs/sso/start?next=/itdocs/organizations" in page.text


def test_pages_send_a_visitor_without_a_session_to_the_login_page(client):
    reply = client.get("/itdocs/")
    assert reply.status == 303 and reply.location.startswith("/itdocs/login")


def test_first_login_links_the_user_by_verified_email_then_by_identity(client, linked):
    hub, _, admin = linked
    hub_log_in(client, hub)
    reply = hub_login_to_itdocs(client, "/itdocs/organizations")
    assert reply.status == 303 and reply.location == "/itdocs/organizations"
    assert client.get("/itdocs/").location == "/itdocs/organizations"
    linked_user = user_store.get_user(admin.user_id)
    assert linked_user.hub_subject == hub.user.user_id
    user_store.update_user(admin.user_id, email="renamed@example.com")
    client.cookies.pop("lh_itdocs_session")
    assert hub_login_to_itdocs(client).status == 303
    assert client.get("/itdocs/").location == "/itdocs/organizations"


def test_a_new_hub_user_gets_the_accounts_default_role_just_in_time(client, linked):
    hub, account, _ = linked
    account_store.update_account(account.account_id, default_role=MANAGER)
    newcomer = make_hub_account(username="nina", role="User", company=hub.company)
    hub_log_in(client, newcomer)
    assert hub_login_to_itdocs(client).status == 303
    created = user_store.user_by_identity(runtime.current().settings.hub_issuer,
                                          newcomer.user.user_id)
    assert created is not None and created.role == MANAGER
    assert created.email == "nina@example.com"


def test_jit_creates_read_only_users_by_default(aws):
    assert make_account().default_role == READ_ONLY


def test_with_jit_off_a_new_hub_user_is_told_to_ask_an_administrator(client, linked):
    hub, account, _ = linked
    account_store.update_account(account.account_id, jit_enabled=False)
    newcomer = make_hub_account(username="olga", role="User", company=hub.company)
    hub_log_in(client, newcomer)
    page = hub_login_to_itdocs(client)
    assert page.status == 403 and "Ask your administrator" in page.text
    assert all(u.email != "olga@example.com"
               for u in user_store.users_of_account(account.account_id))


def test_a_hub_company_without_an_itdocs_account_is_told_plainly(client, aws):
    use_loopback()
    hub = make_hub_account(company_name="Lonely MSP", username="lou")
    hub_log_in(client, hub)
    page = hub_login_to_itdocs(client)
    assert page.status == 401 and "not enabled for your company" in page.text


def test_a_deactivated_itdocs_user_cannot_sign_in_and_their_sessions_end(client, linked):
    hub, _, admin = linked
    hub_log_in(client, hub)
    hub_login_to_itdocs(client)
    user_store.update_user(admin.user_id, status=accounts.DEACTIVATED)
    assert client.get("/itdocs/").location.startswith("/itdocs/login")
    page = hub_login_to_itdocs(client)
    assert page.status == 401 and "deactivated" in page.text


def test_the_hub_launch_opens_itdocs_through_the_hub(client, linked):
    reply = client.get("/itdocs/sso/launch")
    assert reply.status == 303 and reply.location.startswith("/itdocs/sso/start")
