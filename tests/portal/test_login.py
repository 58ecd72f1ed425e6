"""Local login at /portal/login: email or username, one generic error, throttling, sessions."""

from __future__ import annotations

import re
import time

from chalicelib.auth import session_rules
from chalicelib.portal import companies, sessions, users
from chalicelib.portal.policy import ADMINISTRATOR, TECHNICIAN
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


def test_an_unknown_account_costs_a_password_verification(client, aws):
    make_user(_company(aws), "timed")

    def elapsed(identifier):
        started = time.perf_counter()
        log_in(client, identifier, "wrong-password-1")
        return time.perf_counter() - started

    known = min(elapsed("timed") for _ in range(3))
    unknown = min(elapsed("nobody-at-all") for _ in range(3))
    assert unknown > known * 0.5  # both pay for argon2id; no early return for unknown accounts


def test_five_failures_lock_the_account_for_a_minute_then_it_opens_again(client, aws, frozen_time):
    user = make_user(_company(aws), "locky")
    for _ in range(5):
        assert log_in(client, "locky", "wrong-password-1").status == 401
    assert store.get_user(user.user_id).failures == 5
    locked = log_in(client, "locky")  # even the right password is refused while locked
    assert locked.status == 401 and _alert(locked) == _alert(log_in(client, "nobody"))
    frozen_time.advance(seconds=61)
    assert log_in(client, "locky").status == 303
    assert store.get_user(user.user_id).failures == 0


def test_the_lock_doubles_and_is_capped(client, aws, frozen_time):
    make_user(_company(aws), "stubborn")
    for _ in range(12):
        log_in(client, "stubborn", "wrong-password-1")
        frozen_time.advance(seconds=1)
    assert log_in(client, "stubborn").status == 401
    frozen_time.advance(minutes=15)
    assert log_in(client, "stubborn").status == 303


def test_an_email_in_two_companies_opens_the_account_whose_password_matches(client, aws):
    first, second = _company(aws, "First Partner"), _company(aws, "Second Partner")
    make_user(first, "bob.first", TECHNICIAN, email="bob@acme.example", password=PASSWORD)
    make_user(second, "bob.second", ADMINISTRATOR, email="bob@acme.example",
              password="another-long-password-9")
    assert log_in(client, "bob@acme.example", "another-long-password-9").status == 303
    assert "Second Partner" in client.get("/portal/").text


def test_same_password_in_two_companies_asks_which_and_refuses_a_tampered_choice(client, aws):
    first, second, third = (_company(aws, n) for n in ("One Co", "Two Co", "Three Co"))
    one = make_user(first, "sam.one", email="sam@acme.example")
    make_user(second, "sam.two", email="sam@acme.example")
    outsider = make_user(third, "sam.three", email="other@acme.example")
    reply = log_in(client, "sam@acme.example")
    assert reply.status == 303 and reply.location == "/portal/login/choose"
    page = client.get("/portal/login/choose")
    assert "One Co" in page.text and "Two Co" in page.text and "Three Co" not in page.text
    tampered = client.post("/portal/login/choose", {"user_id": outsider.user_id})
    assert tampered.status == 401 and sessions.COOKIE not in str(client.cookies)
    client.get("/portal/login/choose")
    chosen = client.post("/portal/login/choose", {"user_id": one.user_id})
    assert chosen.status == 303 and "One Co" in client.get("/portal/").text


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
    cookie = next(c for c in reply.headers["set-cookie"] if c.startswith("lh_portal_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/portal" in cookie


def test_login_form_without_csrf_is_refused(client, aws):
    make_user(_company(aws), "csrfy")
    client.get("/portal/login")
    reply = client.post("/portal/login", {"identifier": "csrfy", "password": PASSWORD}, csrf=None)
    assert reply.status == 403
