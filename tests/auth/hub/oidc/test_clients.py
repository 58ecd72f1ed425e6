"""Client registration by a Master user, with the secret shown once and stored only as a hash."""

from __future__ import annotations

import re

import pytest

from chalicelib.auth import passwords
from chalicelib.auth.hub.oidc import clients
from chalicelib.auth.modules import builtin_client
from chalicelib.errors import InvalidInput
from chalicelib.storage.hub import oidc_clients as oidc_store
from tests.auth.hub.helpers import log_in, make_account
from tests.auth.hub.oidc.flow import Rp, pkce_pair, signed_in, verify_id_token

CALLBACK = "https://wiki.example.com/oidc/callback"


def register(client, name="Team Wiki", uris=CALLBACK, follow=True):
    """Post the registration form; followed, the answer is the page showing the new secret."""
    client.get("/hub/admin/clients")
    return client.post("/hub/admin/clients", {"name": name, "redirect_uris": uris},
                       follow=follow)


def created(reply) -> tuple[str, str]:
    client_id = re.search(r'id="client-id">([^<]+)<', reply.text).group(1)
    secret = re.search(r'id="client-secret">([^<]+)<', reply.text).group(1)
    return client_id, secret


def test_master_registers_a_client_and_sees_its_secret_once(client):
    account = signed_in(client)
    listing = client.get("/hub/admin/clients")
    assert listing.status == 200
    assert "Partner Portal" in listing.text and "IT Docs" in listing.text
    assert "/portal/sso/callback" in listing.text

    reply = register(client, uris=f"{CALLBACK}\n\n  https://wiki.example.com/alt  \n")
    assert reply.status == 200
    client_id, secret = created(reply)
    assert client_id.startswith("hc_") and len(secret) >= 40

    again = client.get("/hub/admin/clients")
    assert client_id in again.text and "Team Wiki" in again.text
    assert "https://wiki.example.com/alt" in again.text
    assert secret not in again.text
    (stored,) = oidc_store.clients_of_company(account.company.company_id)
    assert stored.secret_hash.startswith("$argon2id$") and secret not in stored.secret_hash
    assert stored.redirect_uris == (CALLBACK, "https://wiki.example.com/alt")


def test_a_refresh_after_registering_registers_nothing_and_shows_the_secret_no_more(client):
    account = signed_in(client)
    posted = register(client, follow=False)
    assert posted.status == 303 and posted.location == "/hub/admin/clients/created"
    assert "hc_" not in posted.text  # the POST's answer carries no secret
    raw = posted.headers["set-cookie"]
    cookie = next(line for line in ([raw] if isinstance(raw, str) else raw)
                  if "lh_hub_client_secret=" in line)
    assert "Path=/hub/admin/clients/created" in cookie and "HttpOnly" in cookie
    assert "Max-Age=300" in cookie

    shown = client.get(posted.location)
    assert shown.status == 200
    client_id, secret = created(shown)
    assert shown.text.count(secret) == 1
    (stored,) = oidc_store.clients_of_company(account.company.company_id)
    assert stored.client_id == client_id and passwords.verify(stored.secret_hash, secret)

    refreshed = client.get(posted.location)  # the browser's refresh: the cookie went with the page
    assert refreshed.status == 303 and refreshed.location == "/hub/admin/clients"
    listing = client.get(refreshed.location)
    assert client_id in listing.text and secret not in listing.text
    assert len(oidc_store.clients_of_company(account.company.company_id)) == 1


def test_the_sealed_secret_opens_for_no_one_else_and_not_when_altered(client, aws):
    account = signed_in(client)
    posted = register(client, follow=False)
    sealed = client.cookies["lh_hub_client_secret"]
    assert "hc_" not in sealed  # neither the client id nor the secret reads in the cookie
    other = make_account(username="olga", company=account.company)  # another Master
    client.cookies.clear()
    log_in(client, other)
    client.cookies["lh_hub_client_secret"] = sealed
    assert client.get(posted.location).location == "/hub/admin/clients"
    assert clients.reveal_secret(aws, other.user, sealed) is None
    assert clients.reveal_secret(aws, account.user, sealed[:-3] + "abc") is None
    assert clients.reveal_secret(aws, account.user, sealed) is not None


def test_registered_client_completes_the_flow_with_its_secret(client):
    signed_in(client)
    client_id, secret = created(register(client))
    verifier, challenge = pkce_pair()
    rp = Rp(client_id, secret, CALLBACK, verifier, challenge)
    for method in ("basic", "post"):
        reply = rp.token(client, rp.code(client), method=method)
        assert reply.status == 200, reply.text
        assert verify_id_token(client, reply.json["id_token"], audience=client_id)["sub"]
    wrong = Rp(client_id, secret[:-2] + "zz", CALLBACK, verifier, challenge)
    assert wrong.token(client, rp.code(client)).status == 401
    assert rp.token(client, rp.code(client, redirect_uri=CALLBACK)).status == 200
    refused = client.get(rp.authorize_path(redirect_uri="https://wiki.example.com/oidc"))
    assert refused.status == 400


def test_users_of_another_company_cannot_use_a_registered_client(client):
    signed_in(client)
    client_id, secret = created(register(client))
    client.cookies.clear()
    signed_in(client, company_name="Other MSP", username="olga")
    rp = Rp(client_id, secret, CALLBACK, *pkce_pair())
    reply = client.get(rp.authorize_path())
    assert reply.status == 403 and "another company" in reply.text


def test_only_a_master_may_register_or_list_clients(client):
    master = make_account()
    user = make_account(username="bob", role="User", company=master.company)
    assert log_in(client, user).status == 303
    assert client.get("/hub/admin/clients").status == 403
    client.get("/hub/")
    reply = client.post("/hub/admin/clients", {"name": "Sneaky", "redirect_uris": CALLBACK})
    assert reply.status == 403
    assert oidc_store.clients_of_company(master.company.company_id) == []


def test_registration_needs_the_csrf_token(client):
    account = signed_in(client)
    reply = client.post("/hub/admin/clients", {"name": "X", "redirect_uris": CALLBACK}, csrf=None)
    assert reply.status == 403
    assert oidc_store.clients_of_company(account.company.company_id) == []


@pytest.mark.parametrize("uris", [
    "http://wiki.example.com/cb",
    "https://wiki.example.com/cb#frag",
    "https://user:pw@wiki.example.com/cb",
    "wiki.example.com/cb",
    "javascript:alert(1)",
    "",
])
def test_unsafe_redirect_uris_are_refused(client, uris):
    signed_in(client)
    reply = register(client, uris=uris, follow=False)
    assert reply.status == 303 and reply.location == "/hub/admin/clients"
    shown = client.get(reply.location)  # the form again, telling why (a refresh posts nothing)
    assert 'role="alert"' in shown.text and "hc_" not in shown.text


def test_http_localhost_only_on_a_local_stage(aws):
    local = "http://localhost:3000/callback"
    assert clients.parse_redirect_uris(aws.settings, local) == (local,)
    with pytest.raises(InvalidInput):
        clients.parse_redirect_uris(aws.settings.with_overrides(stage="prod"), local)
    with pytest.raises(InvalidInput):
        clients.parse_redirect_uris(aws.settings, "http://127.0.0.1.evil.example/cb")


def test_builtin_client_credentials_for_the_modules(aws):
    client_id, secret, redirect_uri = builtin_client(aws.settings, "itdocs")
    assert client_id == "itdocs"
    assert redirect_uri == aws.settings.base_url + "/itdocs/sso/callback"
    assert clients.authenticate(aws, client_id, secret).name == "IT Docs"
    other = aws.settings.with_overrides(signing_secret="another-deployment")
    assert builtin_client(other, "itdocs")[1] != secret
