"""The three-step login: what a technician sees at each step, and the security baseline."""

from __future__ import annotations

import re

from chalicelib.auth import passwords
from chalicelib.auth.hub import totp
from chalicelib.storage import tables
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


def _password_step(client, company, username, password):
    client.cookies.clear()
    client.get("/hub/login")
    client.post("/hub/login", {"username": username, "company": company})
    client.get("/hub/login/password")
    return client.post("/hub/login/password", {"password": password})


def test_the_password_step_does_the_same_work_for_unknown_and_known_users(client, frozen_time):
    """No enumeration by the work done: the same DynamoDB calls and one password hash, whether
    the company or user exists, the password is wrong or the account is locked."""
    account = make_account()
    locked = make_account(company=account.company, username="locked")
    for _ in range(5):
        _password_step(client, account.company.name, "locked", "wrong-password-here")
    assert store.get_user(locked.user.user_id).password_failures == 5
    work = []
    for company, username in [("No Such Co", "alice"), (account.company.name, "nobody"),
                              (account.company.name, "alice"), (account.company.name, "locked")]:
        with passwords.counting_verifications() as hashes, tables.counting_calls() as calls:
            assert _password_step(client, company, username, "wrong-password-here").status == 401
        work.append((hashes.total, dict(calls.calls)))
    assert all(entry == work[0] for entry in work), work
    assert work[0][0] == 1


def test_a_wrong_password_every_13_minutes_no_longer_keeps_the_account_locked(
        client, frozen_time):
    account = make_account()
    for attempt in range(9):  # each waits out the last delay, until the delay is capped
        if attempt:
            frozen_time.advance(minutes=15)
        _password_step(client, account.company.name, "alice", "wrong-password-here")
    locked = store.get_user(account.user.user_id)
    assert locked.password_failures == 9
    frozen_time.advance(minutes=13)
    during = _password_step(client, account.company.name, "alice", "wrong-password-here")
    assert during.status == 401
    after = store.get_user(account.user.user_id)
    assert (after.password_failures, after.last_password_failure_at) == (
        locked.password_failures, locked.last_password_failure_at)  # refused, not counted
    frozen_time.advance(minutes=2)
    client.cookies.clear()
    assert log_in(client, account).status == 303
    assert store.get_user(account.user.user_id).password_failures == 0
