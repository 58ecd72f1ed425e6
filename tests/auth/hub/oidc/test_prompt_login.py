"""`prompt=login`: the hub shows its login even to a browser signed in to it, and the request
resumed after that login is answered by the new session (a module's "Sign in as a different hub
user")."""

from __future__ import annotations

from urllib.parse import unquote

from tests.auth.hub.helpers import log_in, make_account
from tests.auth.hub.oidc.flow import Rp, path_of, query_of
from tests.auth.hub.oidc.test_authorize import log_in_steps_after_start


def test_prompt_login_shows_the_login_to_a_signed_in_browser(client):
    first = make_account(company_name="First Hub", username="first")
    log_in(client, first)
    rp = Rp.builtin("portal")
    plain = client.get(rp.authorize_path())
    assert plain.status == 303 and plain.location.startswith(rp.redirect_uri)  # session reused
    reply = client.get(rp.authorize_path(prompt="login"))
    assert reply.status == 303 and reply.location.startswith("/hub/login?next="), reply
    assert "code" not in query_of(reply.location)


def test_after_the_fresh_login_the_code_is_for_the_new_hub_user(client):
    first = make_account(company_name="First Hub", username="first")
    second = make_account(company_name="Second Hub", username="second")
    log_in(client, first)
    rp = Rp.builtin("portal")
    reply = client.get(rp.authorize_path(prompt="login"))
    next_path = unquote(query_of(reply.location)["next"])
    assert next_path.startswith("/hub/oidc/authorize?") and "prompt" not in query_of(next_path)
    client.get(path_of(reply.location))
    client.post("/hub/login", {"username": second.user.username,
                               "company": second.company.name, "next": next_path})
    done = log_in_steps_after_start(client, second)
    assert done.status == 303 and done.location == next_path
    back = client.get(done.location)  # no loop: the resumed request no longer asks for a login
    assert back.status == 303 and back.location.startswith(rp.redirect_uri)
    tokens = rp.token(client, query_of(back.location)["code"])
    assert tokens.status == 200
    userinfo = client.get("/hub/oidc/userinfo",
                          headers={"authorization": f"Bearer {tokens.json['access_token']}"})
    assert userinfo.json["preferred_username"] == "second"


def test_prompt_none_with_another_value_is_refused_to_the_client(client):
    rp = Rp.builtin()
    reply = client.get(rp.authorize_path(prompt="none login"))
    assert reply.status == 303 and query_of(reply.location)["error"] == "invalid_request"
