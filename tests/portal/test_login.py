"""Local login at /portal/login: email or username, one generic error, throttling, sessions."""

from __future__ import annotations

import re

import pytest

from chalicelib.auth import passwords, session_rules
from chalicelib.errors import LoginFailed
from chalicelib.portal import companies, portal_login, sessions, users
from chalicelib.portal.policy import ADMINISTRATOR, PRIMARY, SECURITY_ADMIN, TECHNICIAN
from chalicelib.storage import tables
from chalicelib.storage.portal import source_throttles
from chalicelib.storage.portal import users as store
from chalicelib.storage.portal.sessions import portal_sessions
from tests.portal.helpers import PASSWORD, log_in, make_user


def _alert(reply) -> str:
    return re.search(r'role="alert">([^<]+)<', reply.text).group(1)


def _company(aws, name="Northwind Test"):
    return companies.create_company(aws, name)


def test_login_with_username_or_email_lands_on_home(client, aws):
    company = _company(aws)
    user = make_user(company, "nadia", email="Nadia@Example.com")
    for identifier in ("nadia", "NADIA", "nadia@example.com", "  Nadia@Example.com "):
        client.cookies.clear()
        reply = log_in(client, identifier)
        assert reply.status == 303 and reply.location == "/portal/"
        home = client.get("/portal/")
        assert home.status == 200 and company.name in home.text and user.name in home.text


def test_one_message_for_unknown_user_wrong_password_and_inactive_account(client, aws):
    company = _company(aws)
    make_user(company, "active1")
    gone = make_user(company, "gone1")
    store.update_user(gone.user_id, status=users.DEACTIVATED)
    messages = set()
    for identifier, password in (("nobody", PASSWORD), ("nobody@example.com", PASSWORD),
                                 ("active1", "wrong-password-1"), ("gone1", PASSWORD)):
        reply = log_in(client, identifier, password)
        assert reply.status == 401
        messages.add(_alert(reply))
    assert len(messages) == 1


def test_every_login_costs_one_password_verification_and_the_same_reads(client, aws):
    """No enumeration by the work done: whether the account exists, how many accounts share the
    email, whether it is locked, each request costs one hash and the same DynamoDB calls."""
    company, other = _company(aws), _company(aws, "Other Partner")
    make_user(company, "known", TECHNICIAN, email="known@example.com")
    make_user(company, "shared.one", TECHNICIAN, email="shared@example.com")
    make_user(other, "shared.two", TECHNICIAN, email="shared@example.com")
    locked = make_user(company, "locked", TECHNICIAN)
    for _ in range(5):
        log_in(client, "locked", "wrong-password-1")
    assert store.get_user(locked.user_id).failures == 5
    work = {}
    for identifier in ("known", "nobody-at-all", "locked", "known@example.com",
                       "nobody@example.com", "shared@example.com"):
        with passwords.counting_verifications() as hashes, tables.counting_calls() as calls:
            assert log_in(client, identifier, "wrong-password-1").status == 401
        work[identifier] = (hashes.total, dict(calls.calls))
    assert {hashes for hashes, _ in work.values()} == {1}
    by_username = [work[i][1] for i in ("known", "nobody-at-all", "locked")]
    by_email = [work[i][1] for i in ("known@example.com", "nobody@example.com",
                                     "shared@example.com")]
    assert by_username[0] == by_username[1] == by_username[2], by_username
    assert by_email[0] == by_email[1] == by_email[2], by_email


def test_five_failures_lock_the_account_for_a_minute_then_it_opens_again(client, aws, frozen_time):
    user = make_user(_company(aws), "locky", TECHNICIAN)
    for _ in range(5):
        assert log_in(client, "locky", "wrong-password-1").status == 401
    assert store.get_user(user.user_id).failures == 5
    locked = log_in(client, "locky")  # even the right password is refused while locked
    assert locked.status == 401 and _alert(locked) == _alert(log_in(client, "nobody"))
    frozen_time.advance(seconds=61)
    assert log_in(client, "locky").status == 303
    assert store.get_user(user.user_id).failures == 0


def test_the_lock_doubles_and_is_capped(client, aws, frozen_time):
    make_user(_company(aws), "stubborn", TECHNICIAN)
    for _ in range(12):
        log_in(client, "stubborn", "wrong-password-1")
        frozen_time.advance(seconds=1)
    assert log_in(client, "stubborn").status == 401
    frozen_time.advance(minutes=15)
    assert log_in(client, "stubborn").status == 303


def test_a_wrong_password_every_13_minutes_no_longer_keeps_an_account_locked(
        client, aws, frozen_time):
    user = make_user(_company(aws), "patient", TECHNICIAN)
    for attempt in range(9):  # each waits out the last delay, until the delay is capped
        if attempt:
            frozen_time.advance(minutes=15)
        log_in(client, "patient", "wrong-password-1")
    locked_at = store.get_user(user.user_id)
    assert locked_at.failures == 9
    frozen_time.advance(minutes=13)
    assert log_in(client, "patient", "wrong-password-1").status == 401  # during the delay
    after = store.get_user(user.user_id)
    assert (after.failures, after.last_failure_at) == (locked_at.failures,
                                                       locked_at.last_failure_at)
    frozen_time.advance(minutes=2)  # 15 minutes after the last counted failure
    assert log_in(client, "patient").status == 303


@pytest.mark.parametrize("role", [SECURITY_ADMIN, PRIMARY])
def test_an_attacker_cannot_lock_a_break_glass_account_from_another_address(aws, frozen_time,
                                                                            role):
    owner = make_user(_company(aws), "breakglass", role)
    attacker, home = "198.51.100.7", "203.0.113.9"
    for _ in range(12):
        with pytest.raises(LoginFailed):
            portal_login.check_password(aws, "breakglass", "wrong-password-1", attacker)
    assert source_throttles.failures_from(owner.user_id, attacker) == 5  # refused, not counted
    with passwords.counting_verifications() as hashes:  # even the right password: not evaluated
        with pytest.raises(LoginFailed):
            portal_login.check_password(aws, "breakglass", PASSWORD, attacker)
    assert (hashes.of_accounts, hashes.of_dummy) == (0, 1)
    assert portal_login.check_password(aws, "breakglass", PASSWORD, home).user_id == owner.user_id
    frozen_time.advance(minutes=1)
    assert portal_login.check_password(aws, "breakglass", PASSWORD, attacker).user_id == (
        owner.user_id)  # the delay always ends, and a success restarts that address's count
    assert source_throttles.failures_from(owner.user_id, attacker) == 0


def test_an_email_in_two_companies_names_no_single_account_so_each_uses_its_username(
        client, aws):
    """One password hash per request: an email shared by two accounts cannot be checked against
    both, so it opens neither (with the one generic error), and each account's username does."""
    first, second = _company(aws, "First Partner"), _company(aws, "Second Partner")
    make_user(first, "bob.first", TECHNICIAN, email="bob@acme.example", password=PASSWORD)
    make_user(second, "bob.second", ADMINISTRATOR, email="bob@acme.example",
              password="another-long-password-9")
    with passwords.counting_verifications() as hashes:
        refused = log_in(client, "bob@acme.example", "another-long-password-9")
    assert refused.status == 401 and _alert(refused) == _alert(log_in(client, "nobody"))
    assert (hashes.of_accounts, hashes.of_dummy) == (0, 1)
    assert log_in(client, "bob.second", "another-long-password-9").status == 303
    assert "Second Partner" in client.get("/portal/").text


def test_pages_need_a_session_and_send_you_back_after_login(client, aws):
    make_user(_company(aws), "returner")
    reply = client.get("/portal/saas")
    assert reply.status == 303 and reply.location == "/portal/login?next=/portal/saas"
    page = client.get(reply.location)
    assert 'value="/portal/saas"' in page.text
    done = client.post("/portal/login", {"identifier": "returner", "password": PASSWORD,
                                         "next": "/portal/saas"})
    assert done.location == "/portal/saas"
    evil = log_in(client, "returner")
    assert evil.location == "/portal/"
    client.get("/portal/login?next=https://evil.example/")
    away = client.post("/portal/login", {"identifier": "returner", "password": PASSWORD,
                                         "next": "https://evil.example/"})
    assert away.location == "/portal/"


def test_a_new_session_id_at_each_login_and_logout_ends_it(client, aws):
    make_user(_company(aws), "sessiony")
    log_in(client, "sessiony")
    first = client.cookies["lh_portal_session"]
    log_in(client, "sessiony")
    second = client.cookies["lh_portal_session"]
    assert first != second
    assert portal_sessions.get_session(sessions.session_key(first)) is None
    client.get("/portal/")
    client.post("/portal/logout", {})
    assert portal_sessions.get_session(sessions.session_key(second)) is None
    client.cookies["lh_portal_session"] = second
    assert client.get("/portal/").status == 303


def test_sessions_end_after_idle_and_absolute_limits(client, aws, frozen_time):
    make_user(_company(aws), "sleepy")
    log_in(client, "sleepy")
    frozen_time.advance(minutes=29)
    assert client.get("/portal/").status == 200
    frozen_time.advance(minutes=31)
    assert client.get("/portal/").status == 303
    log_in(client, "sleepy")
    started = frozen_time.now()
    while client.get("/portal/").status == 200:  # active all day, never idle for long
        frozen_time.advance(minutes=25)
    assert frozen_time.now() - started >= sessions.ABSOLUTE_LIFETIME
    assert frozen_time.now() - started < sessions.ABSOLUTE_LIFETIME + session_rules.IDLE_TIMEOUT


def test_session_cookie_is_http_only_lax_and_scoped_to_the_portal(client, aws):
    make_user(_company(aws), "cookied")
    reply = log_in(client, "cookied")
    raw = reply.headers["set-cookie"]
    cookie = next(c for c in ([raw] if isinstance(raw, str) else raw)
                  if c.startswith("lh_portal_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/portal" in cookie


def test_login_form_without_csrf_is_refused(client, aws):
    make_user(_company(aws), "csrfy")
    client.get("/portal/login")
    reply = client.post("/portal/login", {"identifier": "csrfy", "password": PASSWORD}, csrf=None)
    assert reply.status == 403
