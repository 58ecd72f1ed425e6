"""The end-session endpoint is no open redirect: post-logout URIs are their own list, and honoured
only with a valid id_token_hint for the client that registered them."""

from __future__ import annotations

from urllib.parse import urlencode

from tests.auth.hub.helpers import log_in
from tests.auth.hub.oidc.flow import Rp, pkce_pair, signed_in
from tests.auth.hub.oidc.test_clients import created

CALLBACK = "https://evil.example/callback"
AFTER_LOGOUT = "https://wiki.example.com/bye"


def _register(client, post_logout: str = "") -> Rp:
    client.get("/hub/admin/clients")
    reply = client.post("/hub/admin/clients", {"name": "Mine", "redirect_uris": CALLBACK,
                                               "post_logout_redirect_uris": post_logout},
                        follow=True)
    assert reply.status == 200
    client_id, secret = created(reply)
    verifier, challenge = pkce_pair()
    return Rp(client_id, secret, CALLBACK, verifier, challenge)


def _logout(client, **params: str):
    return client.get("/hub/oidc/logout?" + urlencode(params))


def test_a_redirect_uri_is_not_a_post_logout_uri(client):
    signed_in(client)
    rp = _register(client)
    hint = rp.token(client, rp.code(client)).json["id_token"]
    client.cookies.clear()
    for params in ({"client_id": rp.client_id}, {"id_token_hint": hint}):
        reply = _logout(client, post_logout_redirect_uri=CALLBACK, **params)
        assert reply.status == 400 and "location" not in reply.headers


def test_an_outside_post_logout_uri_is_not_followed_without_the_clients_hint(client):
    signed_in(client)
    rp = _register(client, post_logout=AFTER_LOGOUT)
    other = Rp.builtin("portal")
    portal_hint = other.token(client, other.code(client)).json["id_token"]
    hint = rp.token(client, rp.code(client)).json["id_token"]
    client.cookies.clear()  # the attacker's victim is not signed in: nothing to confirm
    refused = (
        {"client_id": rp.client_id},  # no hint at all
        {"id_token_hint": portal_hint},  # another client's hint
        {"id_token_hint": portal_hint, "client_id": rp.client_id},
        {"id_token_hint": hint[:-4] + "AAAA"},  # a forged hint
    )
    for params in refused:
        reply = _logout(client, post_logout_redirect_uri=AFTER_LOGOUT, **params)
        assert reply.status == 400 and "location" not in reply.headers, params
    followed = _logout(client, post_logout_redirect_uri=AFTER_LOGOUT, id_token_hint=hint)
    assert followed.status == 303 and followed.location == AFTER_LOGOUT


def test_the_clients_page_lists_post_logout_uris_apart(client):
    signed_in(client)
    _register(client, post_logout=AFTER_LOGOUT)
    listing = client.get("/hub/admin/clients")
    assert "Post-logout" in listing.text and AFTER_LOGOUT in listing.text
    bad = client.post("/hub/admin/clients", {"name": "Bad", "redirect_uris": CALLBACK,
                                             "post_logout_redirect_uris": "http://evil.example/"})
    assert bad.status == 303
    shown = client.get("/hub/admin/clients")
    assert "must use https" in shown.text and 'value="Bad"' in shown.text


def test_the_confirmation_page_may_post_on_only_to_the_proven_return_address(client,
                                                                            frozen_time):
    account = signed_in(client)
    rp = _register(client, post_logout=AFTER_LOGOUT)
    hint = rp.token(client, rp.code(client)).json["id_token"]
    client.cookies.clear()  # another session in this browser: not the one the hint names
    frozen_time.advance(seconds=60)  # a fresh TOTP step
    assert log_in(client, account).status == 303
    confirm = _logout(client, id_token_hint=hint, post_logout_redirect_uri=AFTER_LOGOUT)
    assert confirm.status == 200 and "Log out of the Hub?" in confirm.text
    policy = confirm.headers["content-security-policy"]
    assert "form-action 'self' http://localhost:8000 https://wiki.example.com" in policy
    done = client.post("/hub/oidc/logout", {"id_token_hint": hint,
                                            "post_logout_redirect_uri": AFTER_LOGOUT})
    assert done.status == 303 and done.location == AFTER_LOGOUT
    assert "wiki.example.com" not in client.get("/hub/login").headers["content-security-policy"]
