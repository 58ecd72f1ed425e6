"""The hub session cookie names its company and user before its secret: one read resumes it, and
the named ids are never trusted alone (a tampered, swapped or mangled token is no session)."""

from __future__ import annotations

import datetime as dt

from app import app
from chalicelib import runtime
from chalicelib.auth.hub import sessions
from chalicelib.auth.session_rules import ABSOLUTE_LIFETIME, session_key
from chalicelib.storage import tables
from chalicelib.storage.hub.sessions import HubSession, hub_sessions
from tests.auth.hub.helpers import log_in, make_account
from tests.web_client import WebClient

COOKIE = f"lh_hub_{sessions.COOKIE}"


def _signed_in(client):
    account = make_account()
    assert log_in(client, account).status == 303
    return account, client.cookies[COOKIE]


def test_the_cookie_names_company_and_user_and_one_read_resumes_it(client):
    account, token = _signed_in(client)
    company_id, user_id, secret = token.split(".")
    assert (company_id, user_id) == (account.company.company_id, account.user.user_id)
    assert len(secret) >= 40
    with tables.counting_calls() as counter:
        reply = client.get("/hub/admin/users")
    assert reply.status == 200 and "Acme MSP" in reply.text
    assert counter.calls == {"BatchGetItem": 1, "Query": 1}, counter.calls


def _refused(client, token: str) -> None:
    client.cookies[COOKIE] = token
    reply = client.get("/hub/account")
    assert reply.status == 303 and reply.location.startswith("/hub/login"), reply


def test_a_tampered_company_id_is_no_session(client):
    account, token = _signed_in(client)
    other = make_account(company_name="Other MSP", username="mallory")
    _, user_id, secret = token.split(".")
    _refused(client, f"{other.company.company_id}.{user_id}.{secret}")


def test_another_users_id_is_no_session(client):
    account, token = _signed_in(client)
    bob = make_account(username="bob", company=account.company)
    company_id, _, secret = token.split(".")
    _refused(client, f"{company_id}.{bob.user.user_id}.{secret}")
    client.cookies[COOKIE] = token  # the real one still works, as bob's never did
    assert client.get("/hub/account").status == 200


def test_mangled_tokens_are_no_session(client):
    _, token = _signed_in(client)
    for mangled in [token + ".x", token.replace(".", "", 1), "a.b", "..", token[:-1],
                    "a" * 64 + "." + "b" * 65 + ".c", "é.é.é"]:
        _refused(client, mangled)


def test_a_session_whose_stored_user_differs_from_the_named_one_is_ended(client):
    """Even a stored session under a token naming another user is refused and deleted."""
    account, _ = _signed_in(client)
    bob = make_account(username="bob", company=account.company)
    rt = runtime.current()
    token = f"{account.company.company_id}.{bob.user.user_id}.{rt.random.token(32)}"
    now = rt.clock.now()
    hub_sessions.create_session(HubSession(session_key(token), account.user.user_id,
                                           account.company.company_id, now, now,
                                           now + ABSOLUTE_LIFETIME))
    _refused(client, token)
    assert hub_sessions.get_session(session_key(token)) is None


def test_a_token_from_before_still_resumes_with_its_reads_one_by_one(client, frozen_time):
    account, _ = _signed_in(client)
    rt = runtime.current()
    old = rt.random.token(32)  # the format before: the secret alone
    now = rt.clock.now()
    hub_sessions.create_session(HubSession(session_key(old), account.user.user_id,
                                           account.company.company_id, now, now,
                                           now + ABSOLUTE_LIFETIME))
    client.cookies[COOKIE] = old
    with tables.counting_calls() as counter:
        reply = client.get("/hub/")
    assert reply.status == 200 and "My Modules" in reply.text
    assert counter.calls["GetItem"] == 3 and "BatchGetItem" not in counter.calls, counter.calls
    frozen_time.advance(seconds=int(dt.timedelta(hours=13).total_seconds()))
    _refused(client, old)  # and it still ends with its absolute lifetime


def test_a_deactivated_then_reactivated_users_old_session_stays_ended(client, frozen_time):
    """Deactivation ends every hub session at once (the user's session epoch moves on), so
    reactivating the user never brings an old session back."""
    master, _ = _signed_in(client)
    bob = make_account(username="bob", role="User", company=master.company)
    bob_browser = WebClient(app)
    assert log_in(bob_browser, bob).status == 303
    assert bob_browser.get("/hub/").status == 200
    for action in ("deactivate", "reactivate"):
        client.get("/hub/admin/users")
        assert client.post(f"/hub/admin/users/{bob.user.user_id}",
                           {"action": action}).status == 303
    reply = bob_browser.get("/hub/")
    assert reply.status == 303 and reply.location.startswith("/hub/login")
    bob_browser.cookies.clear()
    frozen_time.advance(seconds=30)  # a fresh code: the last one was used
    assert log_in(bob_browser, bob).status == 303  # a new login works again
    assert bob_browser.get("/hub/").status == 200
