"""The three-step login: what a technician sees at each step, and the security baseline."""

from __future__ import annotations

import re

from chalicelib.auth.hub import totp
from chalicelib.storage.hub import users as store
from tests.auth.hub.helpers import current_code, log_in, make_account


def test_three_steps_lead_to_my_modules(client):
    account = make_account()
    reply = log_in(client, account)
    assert reply.status == 303 and reply.location == "/hub/"
    page = client.get("/hub/")
    assert page.status == 200 and "My Modules" in page.text and "Alice" in page.text


def test_step_one_reveals_nothing_and_touches_no_table(client):
    client.get("/hub/login")
    reply = client.post("/hub/login", {"username": "nobody", "company": "No Such Co"})
    assert reply.status == 303 and reply.location == "/hub/login/password"


def test_same_error_for_unknown_company_unknown_user_and_wrong_password(client):
    account = make_account()
    messages = []
    for company, username, password in [
        ("No Such Co", "alice", account.password),
        (account.company.name, "nobody", account.password),
        (account.company.name, "alice", "wrong-password-here"),
    ]:
        client.get("/hub/login")
        client.post("/hub/login", {"username": username, "company": company})
        client.get("/hub/login/password")
        reply = client.post("/hub/login/password", {"password": password})
        assert reply.status == 401
        messages.append(re.search(r'role="alert">([^<]+)<', reply.text).group(1))
    assert len(set(messages)) == 1


def test_company_and_username_are_case_and_space_insensitive(client):
    account = make_account(company_name="Acme  MSP")
    account.company.name = "  acme msp "
    assert log_in(client, account).status == 303


def test_totp_code_is_single_use(client, frozen_time):
    account = make_account()
    code = current_code(account.totp_secret)
    assert log_in(client, account, code).status == 303
    client.cookies.clear()
    replay = log_in(client, account, code)
    assert replay.status == 400 and "already used" in replay.text
    frozen_time.advance(seconds=30)
    client.cookies.clear()
    assert log_in(client, account).status == 303


def test_wrong_codes_lock_the_account_across_fresh_attempts(client, frozen_time):
    account = make_account()
    for _ in range(5):
        client.cookies.clear()
        reply = log_in(client, account, code="000000")
        assert reply.status == 400
    client.cookies.clear()
    locked = log_in(client, account)  # right password, right code, but locked
    assert locked.status == 401 and "incorrect" in locked.text
    frozen_time.advance(minutes=2)
    client.cookies.clear()
    assert log_in(client, account).status == 303


def test_first_login_enrolls_totp_before_completing(client):
    account = make_account(enrolled=False)
    client.get("/hub/login")
    client.post("/hub/login", {"username": "alice", "company": account.company.name})
    client.get("/hub/login/password")
    reply = client.post("/hub/login/password", {"password": account.password})
    assert reply.location == "/hub/login/enroll"
    assert client.get("/hub/").location.startswith("/hub/login")  # not signed in yet
    page = client.get("/hub/login/enroll")
    uri = re.search(r'id="otpauth-uri">([^<]+)<', page.text).group(1).replace("&amp;", "&")
    assert uri.startswith("otpauth://totp/") and 'src="data:image/svg+xml' in page.text
    secret = re.search(r"secret=([A-Z2-7]+)", uri).group(1)
    done = client.post("/hub/login/enroll", {"code": totp.code_at(secret, _now())})
    assert done.status == 303 and done.location == "/hub/"
    assert store.get_user(account.user.user_id).totp_secret is not None


def _now():
    from chalicelib import runtime

    return runtime.current().clock.now()


def test_each_login_issues_a_new_session_id(client, frozen_time):
    account = make_account()
    log_in(client, account)
    first = client.cookies["lh_hub_session"]
    frozen_time.advance(seconds=31)
    log_in(client, account)
    second = client.cookies["lh_hub_session"]
    assert first != second


def test_session_idle_timeout_and_absolute_lifetime(client, frozen_time):
    account = make_account()
    log_in(client, account)
    frozen_time.advance(minutes=29)
    assert client.get("/hub/").status == 200
    frozen_time.advance(minutes=31)
    assert client.get("/hub/").location.startswith("/hub/login")


def test_forms_without_csrf_token_are_refused(client):
    client.get("/hub/login")
    reply = client.post("/hub/login", {"username": "a", "company": "b"}, csrf=None)
    assert reply.status == 403
    forged = client.post("/hub/login", {"username": "a", "company": "b"}, csrf="x.y")
    assert forged.status == 403


def test_next_only_accepts_local_paths(client):
    account = make_account()
    client.get("/hub/login")
    client.post("/hub/login", {"username": "alice", "company": account.company.name,
                               "next": "https://evil.example/"})
    client.get("/hub/login/password")
    client.post("/hub/login/password", {"password": account.password})
    client.get("/hub/login/verify")
    reply = client.post("/hub/login/verify", {"code": current_code(account.totp_secret)})
    assert reply.location == "/hub/"
