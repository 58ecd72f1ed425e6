"""The Users page as a Master reads it: sentences for each action, Delete asks first, deleted
users hidden until "Show deleted", and a refused form shown once after a redirect."""

from __future__ import annotations

import re

from chalicelib.storage.hub import users as user_store
from tests.auth.hub.helpers import PASSWORD, log_in, make_account


def _act(client, user_id, action, **extra):
    client.get("/hub/admin/users")
    return client.post(f"/hub/admin/users/{user_id}", {"action": action, **extra})


def _row(html: str, username: str) -> str:
    found = re.search(rf'<tr data-username="{username}">(.*?)</tr>', html, re.S)
    return found.group(1) if found else ""


def _signed_in_master_and_bob(client):
    master = make_account()
    bob = make_account(username="bob", role="User", company=master.company)
    log_in(client, master)
    return master, bob


def test_each_action_is_told_in_a_sentence(client):
    _, bob = _signed_in_master_and_bob(client)
    told = {
        ("deactivate", ""): "Deactivated bob: their sessions were ended and they cannot sign in.",
        ("reactivate", ""): "Reactivated bob: they can sign in again.",
        ("revoke", "portal"): "Revoked bob&#39;s access to Partner Portal.",
        ("grant", "portal"): "Granted bob access to Partner Portal.",
        ("reset_mfa", ""): "Reset two-factor authentication for bob",
    }
    for (action, module), sentence in told.items():
        reply = _act(client, bob.user.user_id, action, module=module)
        assert reply.status == 303
        page = client.get(reply.location)
        assert sentence in page.text, action
        assert f"{action} bob" not in page.text


def test_delete_asks_first_and_only_the_confirmation_deletes(client):
    _, bob = _signed_in_master_and_bob(client)
    asked = _act(client, bob.user.user_id, "delete")
    assert asked.status == 303 and asked.location.endswith(f"/{bob.user.user_id}/delete")
    confirm = client.get(asked.location)
    assert confirm.status == 200 and "Delete bob?" in confirm.text
    assert "cannot be undone" in confirm.text
    assert 'name="confirmed" value="yes"' in confirm.text and ">Cancel</a>" in confirm.text
    assert user_store.get_user(bob.user.user_id).status == "active"
    done = _act(client, bob.user.user_id, "delete", confirmed="yes")
    assert user_store.get_user(bob.user.user_id).status == "deleted"
    assert "Deleted bob" in client.get(done.location).text
    again = client.get(asked.location)  # a deleted user's confirmation page sends back
    assert again.status == 303 and "bob is already deleted." in client.get(again.location).text


def test_deleted_users_are_hidden_until_show_deleted_and_offer_no_grant(client):
    _, bob = _signed_in_master_and_bob(client)
    _act(client, bob.user.user_id, "delete", confirmed="yes")
    listed = client.get("/hub/admin/users").text
    assert 'data-username="bob"' not in listed
    assert 'href="/hub/admin/users?deleted=shown">Show deleted</a>' in listed
    assert "1 deleted user hidden" in listed
    shown = client.get("/hub/admin/users?deleted=shown").text
    row = _row(shown, "bob")
    assert "deleted" in row and "Partner Portal" in row
    assert "<button" not in row and "Grant" not in row and "revoke" not in row
    assert ">Hide deleted</a>" in shown


def test_a_refused_user_is_told_once_and_a_refresh_posts_nothing(client):
    master = make_account()
    log_in(client, master)
    client.get("/hub/admin/users")
    reply = client.post("/hub/admin/users", {
        "username": "dave", "email": "not-an-address", "name": "Dave", "password": PASSWORD,
        "role": "Master"})
    assert reply.status == 303 and reply.location == "/hub/admin/users#add-user"
    shown = client.get("/hub/admin/users")  # what a refresh of the redirect target repeats
    assert "Enter a valid email address." in shown.text
    assert 'value="dave"' in shown.text and 'value="not-an-address"' in shown.text
    assert '<option value="Master" selected>' in shown.text
    assert PASSWORD not in shown.text
    assert "Enter a valid email address." not in client.get("/hub/admin/users").text


def test_a_forged_problem_cookie_shows_nothing(client):
    master = make_account()
    log_in(client, master)
    client.cookies["lh_hub_problem"] = "eyJtIjoiQ2FsbCArMSA1NTUgbm93In0.forged"
    page = client.get("/hub/admin/users")
    assert page.status == 200 and 'role="alert"' not in page.text
