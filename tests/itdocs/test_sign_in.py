"""Log In with Hub for IT Docs, through the hub's real OIDC endpoints (loopback transport)."""

from __future__ import annotations

import pytest

from chalicelib import runtime
from chalicelib.auth.sso.accounts import LinkRequired
from chalicelib.auth.sso.relying_party import HubIdentity
from chalicelib.itdocs import accounts, hub_sign_in
from chalicelib.itdocs.policy import ADMINISTRATOR, MANAGER, READ_ONLY
from chalicelib.storage.hub import users as hub_store
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
                           hub_company_name=hub.company.name, jit_enabled=True)
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


def link_to_hub(user, hub) -> None:
    """The user already linked to the hub identity (as JIT or the account's link would leave it)."""
    user_store.link_identity(user.user_id, runtime.current().settings.hub_issuer,
                             hub.user.user_id)


def test_an_administrator_with_the_hub_users_email_is_never_linked_by_it(client, linked):
    hub, _, admin = linked
    hub_log_in(client, hub)
    reply = hub_login_to_itdocs(client, "/itdocs/organizations")
    assert reply.status == 303 and reply.location == "/itdocs/sso/link"
    page = client.get("/itdocs/sso/link")
    assert page.status == 403 and "Link your accounts" in page.text
    assert "cannot be linked" in page.text and "sam@example.com" in page.text
    assert "lh_itdocs_session" not in client.cookies
    assert client.get("/itdocs/").location.startswith("/itdocs/login")
    assert user_store.get_user(admin.user_id).hub_subject is None


def test_a_hub_master_cannot_sign_in_as_an_administrator_with_a_look_alike_user(client, linked):
    hub, account, _ = linked
    victim = make_user(account, ADMINISTRATOR, email="ada@docs.example", name="Ada")
    look_alike = make_hub_account(username="ada", role="User", company=hub.company)
    hub_store.update_user(look_alike.user.user_id, email="ada@docs.example")
    hub_log_in(client, look_alike)
    reply = hub_login_to_itdocs(client)
    assert reply.status == 303 and reply.location == "/itdocs/sso/link"
    assert client.get("/itdocs/sso/link").status == 403
    assert "lh_itdocs_session" not in client.cookies
    assert user_store.get_user(victim.user_id).hub_subject is None
    assert user_store.user_by_identity(runtime.current().settings.hub_issuer,
                                       look_alike.user.user_id) is None


def test_once_linked_the_identity_not_the_email_finds_the_user(client, linked):
    hub, _, admin = linked
    link_to_hub(admin, hub)
    user_store.update_user(admin.user_id, email="renamed@example.com")
    hub_log_in(client, hub)
    reply = hub_login_to_itdocs(client, "/itdocs/organizations")
    assert reply.status == 303 and reply.location == "/itdocs/organizations"
    assert client.get("/itdocs/").location == "/itdocs/organizations"


def _identity(rt, hub, *, email: str, verified: bool,
              subject: str = "hub-subject-1") -> HubIdentity:
    return HubIdentity(issuer=rt.settings.hub_issuer, subject=subject, email=email,
                       email_verified=verified, username="someone", name="Someone",
                       hub_company_id=hub.company.company_id, hub_company_name=hub.company.name,
                       hub_role="User", sid="sid")


def test_a_verified_email_links_an_ordinary_user_but_never_an_administrator(linked, aws):
    hub, account, admin = linked
    manager = make_user(account, MANAGER, email="max@docs.example", name="Max")
    opened = hub_sign_in.user_for(aws, _identity(aws, hub, email="max@docs.example",
                                                 verified=True))
    assert opened.user_id == manager.user_id and opened.hub_subject == "hub-subject-1"
    with pytest.raises(LinkRequired):
        hub_sign_in.user_for(aws, _identity(aws, hub, email="sam@example.com", verified=True,
                                            subject="hub-subject-2"))
    assert user_store.get_user(admin.user_id).hub_subject is None


def test_an_unverified_email_links_nobody(linked, aws):
    hub, account, _ = linked
    manager = make_user(account, MANAGER, email="max@docs.example", name="Max")
    with pytest.raises(LinkRequired):
        hub_sign_in.user_for(aws, _identity(aws, hub, email="max@docs.example", verified=False))
    assert user_store.get_user(manager.user_id).hub_subject is None


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
    reply = hub_login_to_itdocs(client)  # back to the login page, which tells why
    assert reply.status == 303 and reply.location == "/itdocs/login"
    assert "Ask your administrator" in client.get(reply.location).text
    assert all(u.email != "olga@example.com"
               for u in user_store.users_of_account(account.account_id))


def test_a_hub_company_without_an_itdocs_account_is_told_plainly(client, aws):
    use_loopback()
    hub = make_hub_account(company_name="Lonely MSP", username="lou")
    hub_log_in(client, hub)
    reply = hub_login_to_itdocs(client)
    assert reply.status == 303 and reply.location == "/itdocs/login"
    page = client.get(reply.location)
    assert "not enabled for your company" in page.text
    assert "not enabled for your company" not in client.get(reply.location).text  # told once


def test_a_deactivated_itdocs_user_cannot_sign_in_and_their_sessions_end(client, linked):
    hub, _, admin = linked
    link_to_hub(admin, hub)
    hub_log_in(client, hub)
    hub_login_to_itdocs(client)
    user_store.update_user(admin.user_id, status=accounts.DEACTIVATED)
    assert client.get("/itdocs/").location.startswith("/itdocs/login")
    reply = hub_login_to_itdocs(client)
    assert reply.status == 303 and "deactivated" in client.get(reply.location).text


def test_the_hub_launch_opens_itdocs_through_the_hub(client, linked):
    reply = client.get("/itdocs/sso/launch")
    assert reply.status == 303 and reply.location.startswith("/itdocs/sso/start")


def test_a_verified_hub_email_links_a_manager_at_first_log_in_an_unverified_one_not(client,
                                                                                  linked):
    """Through the hub's real id token: linked by email only once the hub verified it."""
    hub, account, _ = linked
    manager = make_user(account, MANAGER, email="max@example.com", name="Max")
    max_hub = make_hub_account(username="max", role="User", company=hub.company)
    hub_log_in(client, max_hub)
    assert hub_login_to_itdocs(client).location == "/itdocs/sso/link"
    assert user_store.get_user(manager.user_id).hub_subject is None
    hub_store.update_user(max_hub.user.user_id, email_verified=True,
                          verified_email_key=hub_store.email_key("max@example.com"))
    reply = hub_login_to_itdocs(client)
    assert reply.status == 303 and "lh_itdocs_session" in client.cookies
    assert user_store.get_user(manager.user_id).hub_subject == max_hub.user.user_id
