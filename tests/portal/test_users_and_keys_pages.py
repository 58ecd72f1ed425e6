"""Admin pages: users (create, deactivate ends sessions) and Admin > Integrations > API Keys."""

from __future__ import annotations

import re

from chalicelib.portal import companies
from chalicelib.portal.policy import ADMINISTRATOR, SECURITY_ADMIN, TECHNICIAN
from chalicelib.storage.portal import users as store
from chalicelib.storage.portal.api_keys import get_api_key
from tests.portal.helpers import PASSWORD, basic, log_in, make_user
from tests.web_client import WebClient


def _admin_client(aws, client, role=SECURITY_ADMIN, company=None):
    company = company or companies.create_company(aws, "Admin Co")
    admin = make_user(company, "boss", role=role)
    assert log_in(client, "boss").status == 303
    return company, admin


def test_admin_creates_a_user_who_can_then_log_in(client, aws):
    _admin_client(aws, client)
    page = client.get("/portal/admin/users")
    assert page.status == 200 and "boss" in page.text
    reply = client.post("/portal/admin/users", {"username": "tina", "email": "tina@x.example",
                                                "name": "Tina Tech", "role": TECHNICIAN,
                                                "password": "tina-first-password"})
    assert reply.status == 303
    assert "tina" in client.get("/portal/admin/users").text
    client.cookies.clear()
    assert log_in(client, "tina@x.example", "tina-first-password").status == 303


def test_user_form_errors_are_shown_on_the_page(client, aws):
    _admin_client(aws, client)
    client.get("/portal/admin/users")
    taken = client.post("/portal/admin/users", {"username": "boss", "email": "b2@x.example",
                                                "name": "", "role": TECHNICIAN,
                                                "password": "long-enough-pass"})
    assert taken.status == 400 and "taken" in taken.text
    short = client.post("/portal/admin/users", {"username": "newbie", "email": "n@x.example",
                                                "name": "", "role": TECHNICIAN,
                                                "password": "short"})
    assert short.status == 400 and "at least 8" in short.text


def test_deactivating_a_user_ends_their_live_session(client, aws):
    company, _ = _admin_client(aws, client)
    victim = make_user(company, "victim", role=TECHNICIAN)
    from app import app

    theirs = WebClient(app)
    log_in(theirs, "victim")
    assert theirs.get("/portal/").status == 200
    client.get("/portal/admin/users")
    reply = client.post(f"/portal/admin/users/{victim.user_id}", {"action": "deactivate"})
    assert reply.status == 303
    assert theirs.get("/portal/").status == 303
    assert list(store.users_of_company(company.company_id))
    assert log_in(theirs, "victim").status == 401
    client.get("/portal/admin/users")
    client.post(f"/portal/admin/users/{victim.user_id}", {"action": "reactivate"})
    assert log_in(theirs, "victim").status == 303


def test_a_company_always_keeps_an_active_security_admin(client, aws):
    company, admin = _admin_client(aws, client)
    second = make_user(company, "second", role=SECURITY_ADMIN)
    client.get("/portal/admin/users")
    assert client.post(f"/portal/admin/users/{admin.user_id}",
                       {"action": "deactivate"}).status == 403  # not yourself
    client.get("/portal/admin/users")
    assert client.post(f"/portal/admin/users/{second.user_id}",
                       {"action": "deactivate"}).status == 303
    assert store.get_user(admin.user_id).status == "active"
    client.cookies.clear()
    assert log_in(client, "second", PASSWORD).status == 401


def test_technicians_cannot_open_admin_pages(client, aws):
    _admin_client(aws, client, role=TECHNICIAN)
    assert client.get("/portal/admin/users").status == 403
    assert client.get("/portal/admin/api-keys").status == 403
    assert 'href="/portal/admin/users"' not in client.get("/portal/").text


def test_administrator_cannot_manage_a_security_admin(client, aws):
    company, _ = _admin_client(aws, client, role=ADMINISTRATOR)
    guarded = make_user(company, "guarded", role=SECURITY_ADMIN)
    page = client.get("/portal/admin/users")
    row = re.search(r'data-username="guarded">(.*?)</tr>', page.text, re.S).group(1)
    assert "Deactivate" not in row
    reply = client.post(f"/portal/admin/users/{guarded.user_id}", {"action": "deactivate"})
    assert reply.status == 403 and store.get_user(guarded.user_id).status == "active"


def test_api_key_secret_is_shown_once_then_listed_with_last_use_and_revocable(client, aws,
                                                                              frozen_time):
    _admin_client(aws, client)
    page = client.get("/portal/admin/api-keys")
    assert "No API keys yet" in page.text
    created = client.post("/portal/admin/api-keys", {"label": "IT Docs integration"})
    assert created.status == 201
    public_key = re.search(r"data-public-key>([^<]+)<", created.text).group(1)
    secret = re.search(r"data-secret-key>([^<]+)<", created.text).group(1)
    assert len(secret) >= 40
    listing = client.get("/portal/admin/api-keys")
    assert public_key in listing.text and secret not in listing.text
    assert "IT Docs integration" in listing.text and "never" in listing.text
    from app import app

    api = WebClient(app)
    frozen_time.advance(minutes=3)
    assert api.get("/api/v1/saas/domains",
                   headers={"authorization": basic(public_key, secret)}).status == 200
    assert "2026-01-05 09:03 UTC" in client.get("/portal/admin/api-keys").text
    frozen_time.advance(minutes=2)
    client.post(f"/portal/admin/api-keys/{public_key}/revoke", {})
    revoked = client.get("/portal/admin/api-keys").text
    assert "Revoked" in revoked and "2026-01-05 09:05 UTC" in revoked
    assert "2026-01-05 09:03 UTC" in revoked  # its last use kept with the revoked record
    assert api.get("/api/v1/saas/domains",
                   headers={"authorization": basic(public_key, secret)}).status == 401


def test_api_keys_of_another_company_cannot_be_revoked(client, aws):
    _admin_client(aws, client)
    other = companies.create_company(aws, "Other Co")
    from chalicelib.portal import api_keys

    theirs = api_keys.issue(aws, other.company_id, "theirs", "x")
    client.get("/portal/admin/api-keys")
    reply = client.post(f"/portal/admin/api-keys/{theirs.key.public_key}/revoke", {})
    assert reply.status == 404
    assert get_api_key(theirs.key.public_key).revoked_at is None


def test_secret_is_stored_only_as_argon2id_and_never_logged(client, aws, capsys):
    _admin_client(aws, client)
    client.get("/portal/admin/api-keys")
    created = client.post("/portal/admin/api-keys", {"label": "logged?"})
    public_key = re.search(r"data-public-key>([^<]+)<", created.text).group(1)
    secret = re.search(r"data-secret-key>([^<]+)<", created.text).group(1)
    from app import app

    WebClient(app).get("/api/v1/saas/domains",
                       headers={"authorization": basic(public_key, secret)})
    stored = get_api_key(public_key)
    assert stored.secret_hash.startswith("$argon2id$") and secret not in stored.secret_hash
    assert secret not in capsys.readouterr().out
