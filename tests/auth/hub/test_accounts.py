"""What a Master user does on the Users page, and what the affected user notices."""

from __future__ import annotations

import pytest

from chalicelib.auth import lifecycle_events as events
from chalicelib.storage.hub import companies as company_store
from chalicelib.storage.hub import users as user_store
from tests.auth.hub.helpers import PASSWORD, log_in, make_account
from tests.web_client import WebClient


@pytest.fixture
def received():
    got: list[events.LifecycleEvent] = []
    events.subscribe(got.append)
    yield got
    events.unsubscribe(got.append)


def _user_row_action(client, user_id, action, **extra):
    client.get("/hub/admin/users")
    return client.post(f"/hub/admin/users/{user_id}", {"action": action, **extra})


def test_master_creates_a_user_who_enrolls_at_first_login(client):
    master = make_account()
    log_in(client, master)
    client.get("/hub/admin/users")
    reply = client.post("/hub/admin/users", {
        "username": "dave", "email": "dave@example.com", "name": "Dave", "password": PASSWORD,
        "role": "User", "module_portal": "on"})
    assert reply.status == 303
    page = client.get("/hub/admin/users")
    assert "dave" in page.text and "not set up" in page.text
    dave = user_store.user_by_login("acme msp/dave")
    assert dave.modules == ["portal"] and dave.role == "User"


def test_username_is_unique_within_a_company_ignoring_case(client):
    master = make_account()
    log_in(client, master)
    client.get("/hub/admin/users")
    reply = client.post("/hub/admin/users", {
        "username": "ALICE", "email": "a2@example.com", "name": "A2", "password": PASSWORD,
        "role": "User"})
    assert reply.status == 303 and reply.location == "/hub/admin/users#add-user"
    shown = client.get("/hub/admin/users")  # the form again, with the refusal and the values
    assert "already taken" in shown.text and 'value="a2@example.com"' in shown.text


def test_same_username_allowed_in_another_company(aws):
    make_account("Acme MSP", "alice")
    other = make_account("Beta IT", "alice")
    assert other.user.username == "alice"


def test_plain_user_cannot_open_the_users_page(client):
    account = make_account(username="bob", role="User")
    log_in(client, account)
    assert client.get("/hub/admin/users").status == 403


def test_deactivation_ends_the_users_live_session_and_tells_modules(client, aws, received):
    master = make_account()
    bob = make_account(username="bob", role="User", company=master.company)
    bob_browser = WebClient(__import__("app").app)
    log_in(bob_browser, bob)
    assert bob_browser.get("/hub/").status == 200
    log_in(client, master)
    assert _user_row_action(client, bob.user.user_id, "deactivate").status == 303
    assert bob_browser.get("/hub/").location.startswith("/hub/login")
    assert [e.kind for e in received] == ["user.deactivated", "sessions.revoked"]
    assert {e.subject for e in received} == {bob.user.user_id}
    assert received[1].detail["reason"] == "deactivated"
    bob_browser.cookies.clear()
    assert log_in(bob_browser, bob).status == 401


def test_reactivate_and_delete(client, received):
    master = make_account()
    bob = make_account(username="bob", role="User", company=master.company)
    log_in(client, master)
    _user_row_action(client, bob.user.user_id, "deactivate")
    _user_row_action(client, bob.user.user_id, "reactivate")
    assert user_store.get_user(bob.user.user_id).status == "active"
    asked = _user_row_action(client, bob.user.user_id, "delete")
    assert asked.location == f"/hub/admin/users/{bob.user.user_id}/delete"
    assert user_store.get_user(bob.user.user_id).status == "active"  # not before it is confirmed
    _user_row_action(client, bob.user.user_id, "delete", confirmed="yes")
    assert user_store.get_user(bob.user.user_id).status == "deleted"
    assert [e.kind for e in received] == ["user.deactivated", "sessions.revoked",
                                          "user.reactivated", "user.deleted", "sessions.revoked"]
    refused = _user_row_action(client, bob.user.user_id, "reactivate")
    assert refused.status == 303 and refused.location == "/hub/admin/users"
    assert "A deleted user cannot be reactivated." in client.get(refused.location).text


def test_reset_mfa_makes_the_user_enroll_again(client):
    master = make_account()
    bob = make_account(username="bob", role="User", company=master.company)
    log_in(client, master)
    _user_row_action(client, bob.user.user_id, "reset_mfa")
    other = WebClient(__import__("app").app)
    other.get("/hub/login")
    other.post("/hub/login", {"username": "bob", "company": "Acme MSP"})
    other.get("/hub/login/password")
    assert other.post("/hub/login/password", {"password": PASSWORD}).location == "/hub/login/enroll"


def test_every_administrative_kill_tells_every_module_to_end_sessions(client, received):
    master = make_account()
    bob = make_account(username="bob", role="User", company=master.company)
    log_in(client, master)
    for action in ("reset_mfa", "deactivate", "reactivate", "delete"):
        assert _user_row_action(client, bob.user.user_id, action, confirmed="yes").status == 303
    revoked = [e for e in received if e.kind == "sessions.revoked"]
    assert [e.detail["reason"] for e in revoked] == ["mfa_reset", "deactivated", "deleted"]
    assert all(e.subject == bob.user.user_id and "module" not in e.detail for e in revoked)
    assert all(e.hub_company_id == master.company.company_id for e in revoked)


def test_revoking_module_access_is_announced(client, received):
    master = make_account()
    bob = make_account(username="bob", role="User", company=master.company)
    log_in(client, master)
    _user_row_action(client, bob.user.user_id, "revoke", module="portal")
    assert user_store.get_user(bob.user.user_id).modules == ["itdocs"]
    assert [(e.kind, e.detail["module"]) for e in received] == [
        ("access.revoked", "portal"), ("sessions.revoked", "portal")]
    _user_row_action(client, bob.user.user_id, "grant", module="portal")
    assert user_store.get_user(bob.user.user_id).modules == ["itdocs", "portal"]


def test_another_companys_user_is_not_found(client):
    master = make_account()
    stranger = make_account("Beta IT", "eve", role="User")
    log_in(client, master)
    assert _user_row_action(client, stranger.user.user_id, "deactivate").status == 404
    assert user_store.get_user(stranger.user.user_id).status == "active"


def test_master_cannot_deactivate_themselves(client):
    master = make_account()
    log_in(client, master)
    refused = _user_row_action(client, master.user.user_id, "deactivate")
    assert refused.status == 303 and refused.location == "/hub/admin/users"
    assert "You do not have permission to do that." in client.get(refused.location).text
    assert user_store.get_user(master.user.user_id).status == "active"


def test_my_modules_lists_linked_modules_the_user_may_use(client):
    account = make_account(modules=["portal"])
    company_store.set_company_module(account.company.company_id, "portal",
                                     {"tenant_id": "p1", "launch_url": "/portal/sso/start"})
    company_store.set_company_module(account.company.company_id, "itdocs",
                                     {"tenant_id": "i1", "launch_url": "/itdocs/sso/start"})
    log_in(client, account)
    page = client.get("/hub/")
    assert 'data-module="portal"' in page.text and 'data-module="itdocs"' not in page.text


def test_logout_ends_the_session_and_tells_modules(client, received):
    account = make_account()
    log_in(client, account)
    client.get("/hub/")
    reply = client.post("/hub/logout", {})
    assert reply.location == "/hub/login"
    assert client.get("/hub/").location.startswith("/hub/login")
    assert received[-1].kind == "session.ended" and received[-1].detail["sid"]
