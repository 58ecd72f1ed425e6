"""Userinfo with and without a valid token, and the end-session endpoint."""

from __future__ import annotations

from contextlib import contextmanager
from urllib.parse import urlencode

from chalicelib.auth import lifecycle_events as events
from chalicelib.storage import tables
from chalicelib.storage.hub import users as store
from tests.auth.hub.oidc.flow import Rp, query_of, signed_in, verify_id_token


def issued(client, module="portal"):
    rp = Rp.builtin(module)
    return rp, rp.token(client, rp.code(client)).json


def bearer(body) -> dict[str, str]:
    return {"authorization": "Bearer " + body["access_token"]}


@contextmanager
def lifecycle_events():
    seen: list[events.LifecycleEvent] = []
    events.subscribe(seen.append)
    try:
        yield seen
    finally:
        events.unsubscribe(seen.append)


def test_userinfo_returns_the_users_claims_for_a_valid_token(client):
    account = signed_in(client)
    _, body = issued(client)
    with tables.counting_calls() as counter:
        reply = client.get("/hub/oidc/userinfo", headers=bearer(body))
    assert reply.status == 200 and counter.total == 2
    info = reply.json
    assert info["sub"] == account.user.user_id and info["email"] == account.user.email
    assert info["company_name"] == account.company.name and info["hub_role"] == "Master"
    post = client.request("POST", "/hub/oidc/userinfo", headers=bearer(body))
    assert post.status == 200


def test_userinfo_refuses_missing_wrong_and_expired_tokens(client, frozen_time):
    signed_in(client)
    _, body = issued(client)
    for headers in ({}, {"authorization": "Bearer not-a-token"},
                    {"authorization": "Basic " + body["access_token"]}):
        reply = client.get("/hub/oidc/userinfo", headers=headers)
        assert reply.status == 401 and reply.json["error"] == "invalid_token"
        assert reply.headers["www-authenticate"].startswith("Bearer")
    frozen_time.advance(minutes=16)
    assert client.get("/hub/oidc/userinfo", headers=bearer(body)).status == 401


def test_userinfo_stops_when_the_user_is_deactivated_or_loses_the_module(client):
    account = signed_in(client)
    _, portal = issued(client, "portal")
    _, itdocs = issued(client, "itdocs")
    store.update_user(account.user.user_id, modules=["itdocs"])
    assert client.get("/hub/oidc/userinfo", headers=bearer(portal)).status == 401
    assert client.get("/hub/oidc/userinfo", headers=bearer(itdocs)).status == 200
    store.update_user(account.user.user_id, status="deactivated")
    assert client.get("/hub/oidc/userinfo", headers=bearer(itdocs)).status == 401


def test_logout_with_the_modules_id_token_ends_the_session_and_returns(client, aws):
    account = signed_in(client)
    rp, body = issued(client)
    sid = verify_id_token(client, body["id_token"], audience="portal")["sid"]
    target = aws.settings.base_url + "/portal/login"
    with lifecycle_events() as seen:
        reply = client.get("/hub/oidc/logout?" + _query(id_token_hint=body["id_token"],
                                                        post_logout_redirect_uri=target,
                                                        state="bye-1"))
    assert reply.status == 303 and reply.location.startswith(target)
    assert query_of(reply.location) == {"state": "bye-1"}
    assert client.get("/hub/").status == 303  # the hub session is gone
    assert [(e.kind, e.subject, e.detail["sid"]) for e in seen] == [
        ("session.ended", account.user.user_id, sid)]


def test_logout_without_proof_asks_first(client):
    signed_in(client)
    confirm = client.get("/hub/oidc/logout?client_id=portal")
    assert confirm.status == 200 and "Log out of the Hub?" in confirm.text
    assert client.get("/hub/").status == 200  # still signed in
    done = client.post("/hub/oidc/logout", {"client_id": "portal"})
    assert done.status == 200 and "You are logged out" in done.text
    assert client.get("/hub/").status == 303


def test_logout_refuses_an_unregistered_return_address(client):
    signed_in(client)
    reply = client.get("/hub/oidc/logout?" + _query(client_id="portal",
                                                    post_logout_redirect_uri="https://evil.example/"))
    assert reply.status == 400 and "location" not in reply.headers
    assert client.get("/hub/").status == 200


def test_logout_with_a_forged_hint_is_refused(client):
    signed_in(client)
    _, body = issued(client)
    head, claims, signature = body["id_token"].split(".")
    forged = f"{head}.{claims}.{signature[::-1]}"
    reply = client.get("/hub/oidc/logout?" + _query(id_token_hint=forged))
    assert reply.status == 400 and client.get("/hub/").status == 200


def test_logout_of_a_session_already_ended_just_returns(client, aws):
    signed_in(client)
    _, body = issued(client, "itdocs")
    client.cookies.clear()
    target = aws.settings.base_url + "/itdocs/"
    reply = client.get("/hub/oidc/logout?" + _query(id_token_hint=body["id_token"],
                                                    post_logout_redirect_uri=target))
    assert reply.status == 303 and reply.location == target


def _query(**params: str) -> str:
    return urlencode(params)
