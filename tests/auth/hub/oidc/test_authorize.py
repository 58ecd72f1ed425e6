"""The authorization endpoint: PKCE, exact redirect URIs, state, iss, and who may get a code."""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

from chalicelib.storage import tables
from chalicelib.storage.hub import users as store
from tests.auth.hub.helpers import log_in, make_account
from tests.auth.hub.oidc.flow import Rp, path_of, query_of, signed_in


def test_discovery_names_every_endpoint_under_the_hub_issuer(client, aws):
    meta = client.get("/hub/.well-known/openid-configuration").json
    issuer = aws.settings.hub_issuer
    assert meta["issuer"] == issuer == aws.settings.base_url + "/hub"
    assert meta["authorization_endpoint"] == issuer + "/oidc/authorize"
    assert meta["token_endpoint"] == issuer + "/oidc/token"
    assert meta["jwks_uri"] == issuer + "/oidc/jwks"
    assert meta["userinfo_endpoint"] == issuer + "/oidc/userinfo"
    assert meta["end_session_endpoint"] == issuer + "/oidc/logout"
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["response_types_supported"] == ["code"]
    assert meta["id_token_signing_alg_values_supported"] == ["ES256"]
    assert meta["authorization_response_iss_parameter_supported"] is True


def test_code_comes_back_with_state_and_iss(client, aws):
    signed_in(client)
    rp = Rp.builtin("portal")
    reply = client.get(rp.authorize_path())
    assert reply.status == 303
    target = urlsplit(reply.location)
    assert f"{target.scheme}://{target.netloc}{target.path}" == rp.redirect_uri
    params = query_of(reply.location)
    assert params["state"] == "state-123"
    assert params["iss"] == aws.settings.hub_issuer
    assert len(params["code"]) >= 40


def test_missing_or_plain_pkce_is_refused_back_to_the_client(client):
    signed_in(client)
    rp = Rp.builtin()
    for overrides in ({"code_challenge": None, "code_challenge_method": None},
                      {"code_challenge_method": None},
                      {"code_challenge_method": "plain"},
                      {"code_challenge": "too-short"}):
        reply = client.get(rp.authorize_path(**overrides))
        assert reply.status == 303, overrides
        params = query_of(reply.location)
        assert params["error"] == "invalid_request" and "code" not in params
        assert params["state"] == "state-123" and "iss" in params


def test_redirect_uri_must_match_exactly_and_is_never_followed_otherwise(client, aws):
    signed_in(client)
    rp = Rp.builtin()
    for wrong in (rp.redirect_uri + "/", rp.redirect_uri + "?x=1", rp.redirect_uri.upper(),
                  rp.redirect_uri.replace("/sso/callback", "/sso"), "https://evil.example/cb",
                  None):
        reply = client.get(rp.authorize_path(redirect_uri=wrong))
        assert reply.status == 400, wrong
        assert "location" not in reply.headers
        assert "not registered" in reply.text


def test_unknown_client_gets_an_error_page_not_a_redirect(client):
    signed_in(client)
    rp = Rp.builtin()
    reply = client.get(rp.authorize_path(client_id="hc_doesnotexist"))
    assert reply.status == 400 and "location" not in reply.headers
    assert "not registered" in reply.text


def test_other_protocol_errors_return_to_the_client(client):
    signed_in(client)
    rp = Rp.builtin()
    cases = {"unsupported_response_type": {"response_type": "token"},
             "invalid_scope": {"scope": "profile"},
             "request_not_supported": {"request": "eyJ.x.y"}}
    for error, overrides in cases.items():
        reply = client.get(rp.authorize_path(**overrides))
        assert reply.status == 303 and query_of(reply.location)["error"] == error


def test_without_a_hub_session_the_user_logs_in_then_returns_to_authorize(client):
    account = make_account()
    rp = Rp.builtin("itdocs")
    first = client.get(rp.authorize_path())
    assert first.status == 303 and first.location.startswith("/hub/login?next=")
    next_path = unquote(parse_qs(urlsplit(first.location).query)["next"][0])
    assert next_path.startswith("/hub/oidc/authorize?")
    assert query_of(next_path) == query_of(rp.authorize_path())
    client.get(path_of(first.location))
    client.post("/hub/login", {"username": account.user.username,
                               "company": account.company.name, "next": next_path})
    done = log_in_steps_after_start(client, account)
    assert done.status == 303 and done.location == next_path
    back = client.get(done.location)
    assert back.status == 303 and back.location.startswith(rp.redirect_uri)
    assert query_of(back.location)["state"] == "state-123"


def log_in_steps_after_start(client, account):
    from tests.auth.hub.helpers import current_code

    client.get("/hub/login/password")
    client.post("/hub/login/password", {"password": account.password})
    client.get("/hub/login/verify")
    return client.post("/hub/login/verify", {"code": current_code(account.totp_secret)})


def test_prompt_none_without_session_answers_login_required(client):
    rp = Rp.builtin()
    reply = client.get(rp.authorize_path(prompt="none"))
    assert reply.status == 303 and reply.location.startswith(rp.redirect_uri)
    assert query_of(reply.location)["error"] == "login_required"


def test_user_without_the_module_grant_is_refused_with_a_clear_page(client):
    account = make_account()
    store.update_user(account.user.user_id, modules=["itdocs"])
    assert log_in(client, account).status == 303
    refused = client.get(Rp.builtin("portal").authorize_path())
    assert refused.status == 403 and "location" not in refused.headers
    assert "does not have access to Partner Portal" in refused.text
    allowed = client.get(Rp.builtin("itdocs").authorize_path())
    assert allowed.status == 303 and "code=" in allowed.location


def test_authorize_makes_at_most_three_dynamodb_calls(client):
    signed_in(client)
    rp = Rp.builtin()
    with tables.counting_calls() as counter:
        reply = client.get(rp.authorize_path())
    assert reply.status == 303
    assert counter.total <= 3 and "Scan" not in counter.calls, counter.calls


def test_authorize_accepts_a_form_post(client):
    signed_in(client)
    rp = Rp.builtin()
    params = query_of(rp.authorize_path())
    reply = client.post("/hub/oidc/authorize", params, csrf=None)
    assert reply.status == 303 and reply.location.startswith(rp.redirect_uri)
    assert query_of(reply.location)["state"] == "state-123"


def test_a_repeated_client_id_or_redirect_uri_is_refused_on_the_page(client):
    signed_in(client)
    rp = Rp.builtin()
    twice = rp.authorize_path() + "&redirect_uri=https%3A%2F%2Fevil.example%2Fcb"
    reply = client.get(twice)
    assert reply.status == 400 and "location" not in reply.headers
