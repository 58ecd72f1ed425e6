"""Enable Login with Hub shows whom the hub session belongs to before linking, and a wrong hub
user is never a dead end: "Sign in as a different hub user" asks the hub for its login."""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from chalicelib.portal import companies, enable_login, security_settings
from chalicelib.storage.portal.audit import portal_security_audit
from tests.auth.hub.helpers import current_code, make_account
from tests.auth.hub.helpers import log_in as hub_log_in
from tests.auth.sso.helpers import path_of, query_of, use_loopback
from tests.portal.helpers import log_in, make_user

SECURITY = "/portal/admin/security"
CONFIRM = "/portal/admin/security/link"


@pytest.fixture
def partner(aws, client):
    use_loopback()
    company = companies.create_company(aws, "Confirm Partner")
    admin = make_user(company, username="sadmin", email="sam@example.com")
    log_in(client, admin.username)
    return company, admin


def _to_callback(client, reply) -> object:
    """Follow the portal's redirect to the hub's authorize and from there to the callback."""
    assert reply.status == 303 and "/hub/oidc/authorize" in reply.location, reply
    reply = client.get(path_of(reply.location))
    assert reply.status == 303 and "/portal/sso/callback" in reply.location, reply
    reply = client.get(path_of(reply.location))
    assert reply.status == 303 and reply.location == CONFIRM, reply
    return client.get(CONFIRM)


def _enable(client) -> object:
    client.get(SECURITY)
    return _to_callback(client, client.post(SECURITY + "/link"))


def _hub_login_then(client, login_location: str, account) -> object:
    """The hub's login page reached from authorize: the three steps, then back to authorize."""
    next_path = unquote(query_of(login_location)["next"])
    client.get(path_of(login_location))
    client.post("/hub/login", {"username": account.user.username,
                               "company": account.company.name, "next": next_path})
    client.get("/hub/login/password")
    client.post("/hub/login/password", {"password": account.password})
    client.get("/hub/login/verify")
    return client.post("/hub/login/verify", {"code": current_code(account.totp_secret)})


def test_a_wrong_hub_user_is_shown_and_can_sign_in_as_a_different_one(client, partner, aws):
    company, _ = partner
    plain = make_account(company_name="Plain Hub", username="pat", role="User")
    master = make_account(company_name="Master Hub", username="sam")
    hub_log_in(client, plain)
    page = _enable(client)
    assert "You are signed in to the hub as" in page.text
    assert plain.user.name in page.text and "Plain Hub" in page.text
    assert "Only a Master user of the hub" in page.text and ">Continue<" not in page.text
    assert "Sign in as a different hub user" in page.text
    assert not security_settings.security_settings(aws, company.company_id).linked

    reply = client.post(SECURITY + "/link", {"fresh": "1"}, csrf=page.csrf)
    assert reply.status == 303 and query_of(reply.location).get("prompt") == "login"
    login = client.get(path_of(reply.location))  # the hub session of pat is not reused
    assert login.status == 303 and login.location.startswith("/hub/login?next=")
    assert "prompt" not in unquote(query_of(login.location)["next"])
    reply = _hub_login_then(client, login.location, master)
    page = _to_callback(client, reply)
    assert master.user.name in page.text and "Master Hub" in page.text
    assert ">Continue<" in page.text
    reply = client.post(CONFIRM + "/confirm", {"subject": master.user.user_id}, csrf=page.csrf)
    assert reply.status == 303, reply
    settings = security_settings.security_settings(aws, company.company_id)
    assert settings.linked and settings.hub_company_id == master.company.company_id
    assert any("by hub Master sam" in e.detail
               for e in portal_security_audit.audit_of(company.company_id))


def test_re_enabling_after_a_disable_asks_who_is_linking_again(client, partner, aws):
    company, _ = partner
    master = make_account(company_name="Master Hub", username="sam")
    hub_log_in(client, master)
    page = _enable(client)
    client.post(CONFIRM + "/confirm", {"subject": master.user.user_id}, csrf=page.csrf)
    client.get(SECURITY)
    client.post(SECURITY + "/unlink")
    assert not security_settings.security_settings(aws, company.company_id).linked
    page = _enable(client)
    assert "You are signed in to the hub as" in page.text and master.user.name in page.text
    assert not security_settings.security_settings(aws, company.company_id).linked


def test_a_confirmation_for_another_hub_user_than_shown_links_nothing(client, partner, aws):
    company, _ = partner
    master = make_account(company_name="Master Hub", username="sam")
    hub_log_in(client, master)
    page = _enable(client)
    reply = client.post(CONFIRM + "/confirm", {"subject": "someone-else"}, csrf=page.csrf)
    assert reply.status == 400 and "check who is linking" in reply.text
    assert not security_settings.security_settings(aws, company.company_id).linked


def test_the_sealed_sign_in_belongs_to_the_security_admin_who_started_it(client, partner, aws):
    company, _ = partner
    master = make_account(company_name="Master Hub", username="sam")
    hub_log_in(client, master)
    _enable(client)
    other = make_user(company, username="other-admin", email="other@example.com")
    log_in(client, other.username)
    page = client.get(CONFIRM)
    assert page.status == 400 and "expired" in page.text and master.user.name not in page.text
    reply = client.post(CONFIRM + "/confirm", {"subject": master.user.user_id}, csrf=page.csrf)
    assert reply.status == 400
    assert not security_settings.security_settings(aws, company.company_id).linked


def test_the_access_token_is_never_in_the_cookie_in_clear(client, partner, aws):
    master = make_account(company_name="Master Hub", username="sam")
    hub_log_in(client, master)
    _enable(client)
    values = " ".join(str(v) for v in client.cookies.values())
    waiting = enable_login.pending(aws, partner[1], next(
        v for k, v in client.cookies.items() if k.endswith(enable_login.COOKIE)))
    assert waiting.identity.access_token and waiting.identity.access_token not in values
