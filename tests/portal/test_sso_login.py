"""Log In with Hub on the Partner Portal: account lookup, linking by identity, JIT, tenants."""

from __future__ import annotations

import pytest

from app import app
from chalicelib import runtime
from chalicelib.portal import companies, security_settings
from chalicelib.portal.policy import READ_ONLY, SECURITY_ADMIN, TECHNICIAN
from chalicelib.storage.hub import users as hub_store
from chalicelib.storage.portal import hub_identities as identity_store
from chalicelib.storage.portal import users as portal_store
from tests.auth.hub.helpers import log_in as hub_log_in
from tests.auth.hub.helpers import make_account
from tests.auth.sso.helpers import (
    hub_login_and_link,
    hub_login_to_portal,
    link_directly,
    use_loopback,
)
from tests.portal.helpers import PASSWORD, make_user
from tests.portal.helpers import log_in as portal_log_in
from tests.web_client import WebClient


@pytest.fixture
def linked(aws, client):
    """A hub company (Master sam, user tina) and a partner company linked to it."""
    use_loopback()
    hub = make_account(company_name="Hub MSP", username="sam")
    partner = companies.create_company(aws, "Partner MSP")
    admin = make_user(partner, username="sam-partner", email="sam@example.com")
    link_directly(partner.company_id, hub.company)
    return hub, partner, admin


def test_the_login_page_offers_log_in_with_hub(client):
    page = client.get("/portal/login?next=/portal/saas")
    assert page.status == 200
    assert 'href="/portal/sso/start?next=/portal/saas"' in page.text
    assert "Log In with Hub" in page.text


def test_the_portal_password_links_once_then_a_hub_session_lands_without_typing(client, linked):
    hub, _, admin = linked
    hub_log_in(client, hub)
    reply = hub_login_and_link(client, admin, "/portal/saas")
    assert reply.status == 303 and reply.location == "/portal/saas"
    home = client.get("/portal/")
    assert home.status == 200 and admin.name in home.text
    link = identity_store.identity_of_user(admin.user_id)
    assert link is not None and link.subject == hub.user.user_id
    client.cookies.pop("lh_portal_session")
    reply = hub_login_to_portal(client, "/portal/saas")
    assert reply.status == 303 and reply.location == "/portal/saas"


def test_once_linked_the_identity_not_the_email_finds_the_account(client, linked, aws):
    hub, _, admin = linked
    hub_log_in(client, hub)
    hub_login_and_link(client, admin)
    portal_store.update_user(admin.user_id, email="renamed@example.com", email_key="x")
    client.cookies.pop("lh_portal_session", None)
    assert hub_login_to_portal(client).location == "/portal/"
    assert client.get("/portal/").status == 200


def test_without_a_session_the_hub_shows_its_login_first(client, linked):
    reply = client.get("/portal/sso/start")
    reply = client.get(reply.location.split("8000", 1)[1])
    assert reply.status == 303 and reply.location.startswith("/hub/login?next=")


def test_a_hub_company_not_linked_gets_a_clear_page_and_nothing_is_created(client, aws):
    use_loopback()
    hub = make_account(company_name="Lonely Hub", username="lou")
    hub_log_in(client, hub)
    page = hub_login_to_portal(client)
    assert page.status == 403 and "not enabled for your company" in page.text


def test_without_automatic_creation_a_new_hub_user_is_told_to_ask_an_administrator(
        client, linked):
    hub, partner, _ = linked
    newcomer = make_account(username="nina", role="User", company=hub.company)
    hub_log_in(client, newcomer)
    page = hub_login_to_portal(client)
    assert page.status == 403 and "Ask your administrator" in page.text
    assert all(u.username != "nina" for u in portal_store.users_of_company(partner.company_id))


def test_automatic_creation_makes_one_user_with_the_default_role(client, linked, aws):
    hub, partner, admin = linked
    security_settings.set_auto_create(aws, admin, True, TECHNICIAN)
    newcomer = make_account(username="nina", role="User", company=hub.company)
    hub_log_in(client, newcomer)
    assert hub_login_to_portal(client).location == "/portal/"
    created = [u for u in portal_store.users_of_company(partner.company_id)
               if u.username == "nina"]
    assert len(created) == 1 and created[0].role == TECHNICIAN
    assert created[0].password_hash is None
    client.cookies.pop("lh_portal_session", None)
    hub_login_to_portal(client)
    again = [u for u in portal_store.users_of_company(partner.company_id)
             if u.email == "nina@example.com"]
    assert len(again) == 1


def test_the_first_link_by_email_needs_the_hub_to_say_it_is_verified(linked, aws):
    from chalicelib.auth.sso import accounts
    from chalicelib.auth.sso.relying_party import HubIdentity
    from chalicelib.portal import hub_login

    hub, partner, admin = linked
    unverified = HubIdentity(issuer=aws.settings.hub_issuer, subject="someone-new",
                             email="sam@example.com", email_verified=False, username="zed",
                             name="Zed", hub_company_id=hub.company.company_id,
                             hub_company_name="Hub MSP", hub_role="User", sid="s")
    with pytest.raises(accounts.LinkRequired) as required:
        hub_login.accounts_for(aws, unverified)
    assert required.value.account_ids == [admin.user_id]
    assert identity_store.identity_of_user(admin.user_id) is None


def _link_both(hub, first, second_user) -> None:
    """Each account already linked to the hub identity (as after the Link page, once each)."""
    for user in (first, second_user):
        identity_store.link_identity(user.user_id, user.company_id,
                                     runtime.current().settings.hub_issuer, hub.user.user_id,
                                     runtime.current().clock.now())


def test_the_link_page_offers_every_matching_account_and_links_the_one_proven(client, linked,
                                                                              aws):
    hub, _, admin = linked
    second = companies.create_company(aws, "Second Partner")
    other = make_user(second, username="sam-second", email="sam@example.com", role=READ_ONLY)
    link_directly(second.company_id, hub.company)
    hub_log_in(client, hub)
    assert hub_login_to_portal(client).location == "/portal/sso/link"
    page = client.get("/portal/sso/link")
    assert "Partner MSP" in page.text and "Second Partner" in page.text
    assert client.post("/portal/sso/link", {"user_id": other.user_id,
                                            "password": PASSWORD}).status == 303
    assert "Second Partner" in client.get("/portal/").text
    assert identity_store.identity_of_user(admin.user_id) is None


def test_two_partner_companies_linked_to_one_hub_company_ask_which_account(client, linked, aws):
    hub, _, admin = linked
    second = companies.create_company(aws, "Second Partner")
    other = make_user(second, username="sam-second", email="sam@example.com", role=READ_ONLY)
    link_directly(second.company_id, hub.company)
    _link_both(hub, admin, other)
    hub_log_in(client, hub)
    reply = hub_login_to_portal(client)
    assert reply.location == "/portal/sso/choose"
    page = client.get("/portal/sso/choose")
    assert "Partner MSP" in page.text and "Second Partner" in page.text
    reply = client.post("/portal/sso/choose", {"user_id": other.user_id})
    assert reply.status == 303
    assert "Second Partner" in client.get("/portal/").text


def test_the_tenant_chooser_refuses_a_tampered_choice(client, linked, aws):
    hub, _, admin = linked
    second = companies.create_company(aws, "Second Partner")
    other = make_user(second, username="sam-second", email="sam@example.com")
    link_directly(second.company_id, hub.company)
    _link_both(hub, admin, other)
    stranger_company = companies.create_company(aws, "Stranger Partner")
    stranger = make_user(stranger_company, username="mallory", role=SECURITY_ADMIN)
    hub_log_in(client, hub)
    hub_login_to_portal(client)
    client.get("/portal/sso/choose")
    reply = client.post("/portal/sso/choose", {"user_id": stranger.user_id})
    assert reply.status == 401
    assert "lh_portal_session" not in client.cookies
    cookie = client.cookies["lh_portal_sso_choice"]
    client.cookies["lh_portal_sso_choice"] = cookie[:-3] + ("AAA" if cookie[-3:] != "AAA"
                                                             else "BBB")
    client.get("/portal/login")
    assert client.post("/portal/sso/choose", {"user_id": stranger.user_id}).status == 401
    assert "lh_portal_session" not in client.cookies


def test_launch_from_my_modules_signs_in_the_same_way(client, linked):
    hub, _, admin = linked
    hub_log_in(client, hub)
    hub_login_and_link(client, admin)
    client.cookies.pop("lh_portal_session")
    reply = client.get("/portal/sso/launch")
    assert reply.status == 303 and "/hub/oidc/authorize" in reply.location
    reply = client.get(reply.location.split("8000", 1)[1])
    reply = client.get(reply.location.split("8000", 1)[1])
    assert reply.status == 303 and reply.location == "/portal/"
    assert admin.name in client.get("/portal/").text


def test_a_callback_without_the_state_cookie_is_refused(client, linked):
    hub, _, _ = linked
    hub_log_in(client, hub)
    reply = client.get("/portal/sso/start")
    reply = client.get(reply.location.split("8000", 1)[1])
    client.cookies.pop("lh_portal_sso")
    refused = client.get(reply.location.split("8000", 1)[1])
    # Back to the login page, which says why once: a refresh never replays the hub's answer.
    assert refused.status == 303 and refused.location == "/portal/login"
    assert "lh_portal_session" not in client.cookies
    assert "expired or was started in another browser" in client.get("/portal/login").text
    assert "expired or was started in another browser" not in client.get("/portal/login").text


def _log_out_of_the_hub(client):
    client.get("/hub/")
    assert client.post("/hub/logout", {}).status == 303


def test_logging_out_of_the_hub_ends_the_portal_session_it_started(client, linked):
    hub, _, admin = linked
    hub_log_in(client, hub)
    hub_login_and_link(client, admin)
    assert client.get("/portal/").status == 200
    _log_out_of_the_hub(client)
    reply = client.get("/portal/")
    assert reply.status == 303 and reply.location.startswith("/portal/login")


def test_hub_logout_also_ends_a_session_opened_through_the_tenant_chooser(client, linked, aws):
    hub, _, admin = linked
    second = companies.create_company(aws, "Second Partner")
    other = make_user(second, username="sam-second", email="sam@example.com", role=READ_ONLY)
    link_directly(second.company_id, hub.company)
    _link_both(hub, admin, other)
    hub_log_in(client, hub)
    hub_login_to_portal(client)
    client.get("/portal/sso/choose")
    client.post("/portal/sso/choose", {"user_id": other.user_id})
    assert "Second Partner" in client.get("/portal/").text
    _log_out_of_the_hub(client)
    assert client.get("/portal/").status == 303


def test_a_local_portal_login_is_not_ended_by_someone_elses_hub_logout(client, linked, aws):
    hub, partner, admin = linked
    make_user(partner, username="lena", email="lena@example.com", role=TECHNICIAN)
    other = WebClient(app)
    assert portal_log_in(other, "lena").status == 303
    hub_log_in(client, hub)
    hub_login_and_link(client, admin)
    _log_out_of_the_hub(client)
    assert other.get("/portal/").status == 200


def test_an_oversized_or_foreign_user_id_in_the_tenant_choice_signs_nobody_in(client, linked, aws):
    hub, _, admin = linked
    second = companies.create_company(aws, "Second Partner")
    other = make_user(second, username="sam-second", email="sam@example.com")
    link_directly(second.company_id, hub.company)
    _link_both(hub, admin, other)
    hub_log_in(client, hub)
    hub_login_to_portal(client)
    for value in ("u" * 3000, "١٠", ""):
        client.get("/portal/login")
        assert client.post("/portal/sso/choose", {"user_id": value}).status == 401
    assert "lh_portal_session" not in client.cookies


def test_a_verified_hub_email_links_an_ordinary_account_at_first_log_in_an_unverified_one_not(
        client, linked):
    """The hub's id token says `email_verified` only once the address was proven by its link."""
    hub, partner, _ = linked
    tech = make_user(partner, username="tina-partner", email="tina@example.com", role=TECHNICIAN)
    tina = make_account(username="tina", role="User", company=hub.company)
    hub_log_in(client, tina)
    assert hub_login_to_portal(client).location == "/portal/sso/link"
    assert identity_store.identity_of_user(tech.user_id) is None
    hub_store.update_user(tina.user.user_id, email_verified=True,
                          verified_email_key=hub_store.email_key("tina@example.com"))
    reply = hub_login_to_portal(client)
    assert reply.status == 303 and reply.location == "/portal/"
    link = identity_store.identity_of_user(tech.user_id)
    assert link is not None and link.subject == tina.user.user_id
