"""Logging in with a push approval: number matching, one answer, deny is final, expiry, the push
limit, binding to the login attempt, and "Use a 2FA token instead"."""

from __future__ import annotations

import re

import pytest

from chalicelib.auth import throttle
from chalicelib.storage.hub import push_devices as push_store
from chalicelib.storage.hub import users as hub_store
from devstack import push_device
from tests.auth.hub.helpers import current_code, make_account
from tests.auth.hub.push.helpers import (
    only_pending,
    password_step,
    shown_number,
    signed_in_with_device,
)
from tests.web_client import WebClient


@pytest.fixture
def enrolled(client, chalice_app, key_file):
    """Alice (Acme MSP) with a push device; her browser is signed out."""
    account = make_account()
    device = signed_in_with_device(client, account, chalice_app, key_file)
    return account, device


def _wrong(number, choices):
    return next(c for c in choices if c != number)


def test_after_the_password_the_browser_shows_a_number_and_the_device_offers_three(
    client, enrolled
):
    account, device = enrolled
    assert password_step(client, account).location == "/hub/login/push"
    page = client.get("/hub/login/push")
    assert "Approve the sign-in on your device" in page.text
    assert "Use a 2FA token instead" in page.text and 'src="/static/push.js"' in page.text
    number = shown_number(client)
    request = only_pending(device)
    assert number in request.choices and len(set(request.choices)) == 3
    assert request.company == "Acme MSP" and request.username == "alice"
    assert request.browser == "linkhub-tests"  # the browser's user agent
    assert request.requested_at.startswith("2026-01-05T09:00")
    raw = device.http.get(f"{device.base_url}/hub/push/pending",
                          headers=device._signed_headers("pending")).json()
    assert "number" not in raw["challenges"][0]  # the device never learns the answer


def test_approving_with_the_shown_number_signs_the_browser_in(client, enrolled, frozen_time):
    account, device = enrolled
    password_step(client, account)
    number = shown_number(client)
    assert client.get("/hub/login/push/status").json["state"] == "pending"
    frozen_time.advance(seconds=20)
    assert device.answer(only_pending(device), number, approve=True) == "approved"
    status = client.get("/hub/login/push/status").json
    assert status["state"] == "approved"
    client.get("/hub/login/push")
    done = client.post("/hub/login/push/complete")
    assert done.status == 303 and done.location == "/hub/"
    assert "My Modules" in client.get("/hub/").text
    assert "lh_hub_login" not in client.cookies
    account_page = client.get("/hub/account")
    shown = (r'<td><time datetime="2026-01-05T09:00:\d\dZ" data-local>'
             r"2026-01-05 09:00 UTC</time></td>")
    assert re.search(rf"{shown}\s*{shown}", account_page.text)  # added, last used


def test_the_login_cannot_complete_before_the_device_approves(client, enrolled):
    account, _ = enrolled
    password_step(client, account)
    client.get("/hub/login/push")
    reply = client.post("/hub/login/push/complete")
    assert reply.status == 400 and "has not been approved on your device" in reply.text
    assert client.get("/hub/").location.startswith("/hub/login")


def test_the_wrong_number_refuses_the_sign_in_for_good(client, enrolled):
    account, device = enrolled
    password_step(client, account)
    number = shown_number(client)
    request = only_pending(device)
    assert device.answer(request, _wrong(number, request.choices), approve=True) == "wrong_number"
    status = client.get("/hub/login/push/status").json
    assert status["state"] == "denied" and "did not match" in status["message"]
    client.get("/hub/login/push")
    assert client.post("/hub/login/push/complete").status == 400
    assert hub_store.get_user(account.user.user_id).failures == 1


def test_deny_is_final_and_counts_as_a_failed_login(client, enrolled):
    account, device = enrolled
    password_step(client, account)
    number = shown_number(client)
    request = only_pending(device)
    assert device.answer(request, number, approve=False) == "denied"
    page = client.get("/hub/login/push")
    assert "The sign-in was denied on your device." in page.text
    assert client.get("/hub/login/push/status").json["state"] == "denied"
    with pytest.raises(push_device.DeviceError, match="already answered"):
        device.answer(request, number, approve=True)
    client.get("/hub/login/push")
    assert client.post("/hub/login/push/complete").status == 400
    resend = client.post("/hub/login/push/resend")
    assert resend.status == 409 and "denied" in resend.text
    assert hub_store.get_user(account.user.user_id).failures == 1


def test_denied_pushes_lock_the_account_like_wrong_passwords(client, enrolled, frozen_time):
    account, device = enrolled
    for attempt in range(5):
        if attempt:
            frozen_time.advance(minutes=4)  # stay under the push limit
        client.cookies.clear()
        assert password_step(client, account).location == "/hub/login/push"
        device.answer(only_pending(device), 0, approve=False)
    client.cookies.clear()
    assert hub_store.get_user(account.user.user_id).failures == 5
    assert password_step(client, account).status == 401  # locked: even the right password
    frozen_time.advance(minutes=2)
    assert password_step(client, account).location == "/hub/login/push"


def test_a_denial_during_the_delay_does_not_extend_it(client, enrolled, frozen_time):
    account, device = enrolled
    password_step(client, account)
    pending = only_pending(device)  # a push the attacker started, answered after the lock began
    user_id = account.user.user_id
    for _ in range(5):
        assert hub_store.take_code_attempt(user_id, throttle.gate(frozen_time.now()))
    locked = hub_store.get_user(user_id)
    assert device.answer(pending, 0, approve=False) == "denied"
    after = hub_store.get_user(user_id)
    assert (after.failures, after.last_failure_at) == (locked.failures, locked.last_failure_at)
    frozen_time.advance(seconds=61)
    client.cookies.clear()
    assert password_step(client, account).location == "/hub/login/push"  # the delay ended on time


def test_a_replayed_answer_is_refused(client, enrolled):
    account, device = enrolled
    password_step(client, account)
    number = shown_number(client)
    device.answer(only_pending(device), number, approve=True)
    replay = device.http.replay()
    assert replay.status_code == 409 and "already answered" in replay.json()["message"]


def test_answers_must_carry_the_registered_keys_signature_over_every_field(
    client, enrolled, chalice_app, tmp_path
):
    account, device = enrolled
    password_step(client, account)
    number = shown_number(client)
    request = only_pending(device)
    other = signed_in_with_device(WebClient(chalice_app), make_account(
        company=account.company, username="mallory", role="User"), chalice_app,
        tmp_path / "mallory.json")
    forged_by_other_key = push_device.Device(device.key_file, http=device.http, now=device.now)
    forged_by_other_key.private_key = other.private_key
    with pytest.raises(push_device.DeviceError, match="signature is not valid"):
        forged_by_other_key.answer(request, number, approve=True)
    device.answer(request, number, approve=False)
    signed = device.http.sent[-1][3]
    tampered = dict(signed, decision="approve", challenge_id=request.challenge_id)
    device.http.sent.append(("POST", "/hub/push/answer", {}, tampered))
    reply = device.http.replay()
    assert reply.status_code == 401
    assert client.get("/hub/login/push/status").json["state"] == "denied"


def test_a_challenge_expires_after_two_minutes(client, enrolled, frozen_time):
    account, device = enrolled
    password_step(client, account)
    number = shown_number(client)
    request = only_pending(device)
    frozen_time.advance(minutes=2)
    status = client.get("/hub/login/push/status").json
    assert status["state"] == "expired" and "expired" in status["message"]
    assert device.pending() == []
    with pytest.raises(push_device.DeviceError, match="expired"):
        device.answer(request, number, approve=True)
    page = client.get("/hub/login/push")
    assert "Send a new request to my device" in page.text
    again = client.post("/hub/login/push/resend")
    assert again.location == "/hub/login/push"
    fresh = only_pending(device)
    assert fresh.challenge_id != request.challenge_id
    assert device.answer(fresh, shown_number(client), approve=True) == "approved"
    assert client.post("/hub/login/push/complete").location == "/hub/"


def test_at_most_three_pushes_per_user_in_ten_minutes(client, enrolled, frozen_time):
    account, device = enrolled
    for _ in range(3):
        client.cookies.clear()
        assert password_step(client, account).location == "/hub/login/push"
        frozen_time.advance(minutes=3)
    client.cookies.clear()
    assert password_step(client, account).location == "/hub/login/push"
    page = client.get("/hub/login/push")
    assert "Too many sign-in requests were sent to your device" in page.text
    assert client.get("/hub/login/push/status").json["state"] == "limited"
    assert device.pending() == []
    client.get("/hub/login/push")
    assert client.post("/hub/login/push/resend").location == "/hub/login/push"
    assert client.get("/hub/login/push/status").json["state"] == "limited"
    frozen_time.advance(minutes=1, seconds=1)  # the first push leaves the ten-minute window
    client.get("/hub/login/push")
    assert client.post("/hub/login/push/resend").location == "/hub/login/push"
    assert client.get("/hub/login/push/status").json["state"] == "pending"
    assert len(device.pending()) == 1


def test_use_a_2fa_token_instead_withdraws_the_push(client, enrolled, frozen_time):
    account, device = enrolled
    frozen_time.advance(seconds=30)  # a code newer than the one used to enroll
    password_step(client, account)
    client.get("/hub/login/push")
    moved = client.post("/hub/login/push/use-token")
    assert moved.location == "/hub/login/verify"
    assert device.pending() == []
    client.get("/hub/login/verify")
    done = client.post("/hub/login/verify", {"code": current_code(account.totp_secret)})
    assert done.status == 303 and done.location == "/hub/"


def test_an_approval_completes_only_its_own_login_attempt(
    client, enrolled, chalice_app, frozen_time
):
    account, device = enrolled
    password_step(client, account)
    number = shown_number(client)
    frozen_time.advance(seconds=5)
    other_browser = WebClient(chalice_app)
    password_step(other_browser, account)
    other_browser.get("/hub/login/push")
    mine, theirs = device.pending()  # oldest first
    assert mine.challenge_id != theirs.challenge_id
    device.answer(mine, number, approve=True)
    assert other_browser.get("/hub/login/push/status").json["state"] == "pending"
    other_browser.get("/hub/login/push")
    assert other_browser.post("/hub/login/push/complete").status == 400
    assert other_browser.get("/hub/").location.startswith("/hub/login")
    client.get("/hub/login/push")
    assert client.post("/hub/login/push/complete").location == "/hub/"


def test_an_approval_starts_one_session_only(client, enrolled):
    account, device = enrolled
    password_step(client, account)
    number = shown_number(client)
    device.answer(only_pending(device), number, approve=True)
    attempt_cookie = client.cookies["lh_hub_login"]
    assert client.post("/hub/login/push/complete").location == "/hub/"
    client.cookies["lh_hub_login"] = attempt_cookie  # replay the finished attempt
    client.get("/hub/login/push")
    again = client.post("/hub/login/push/complete")
    assert again.status == 400
    assert client.get("/hub/login/push/status").json["state"] == "expired"


def test_the_status_endpoint_needs_the_login_attempt(client, enrolled):
    reply = client.get("/hub/login/push/status")
    assert reply.status == 401 and reply.headers["content-type"] == "application/json"


def test_an_approval_must_be_used_within_a_minute(client, enrolled, frozen_time):
    account, device = enrolled
    password_step(client, account)
    device.answer(only_pending(device), shown_number(client), approve=True)
    frozen_time.advance(seconds=61)
    assert client.get("/hub/login/push/status").json["state"] == "expired"
    client.get("/hub/login/push")
    assert client.post("/hub/login/push/complete").status == 400


def test_users_without_a_device_keep_the_code_step(client):
    account = make_account()
    assert password_step(client, account).location == "/hub/login/verify"
    assert push_store.get_registration(account.user.user_id) is None
    assert "2FA token" in client.get("/hub/login/verify").text


def test_a_user_from_before_the_push_flag_is_still_asked_on_their_device(client, enrolled):
    """Users stored before `push_devices` existed carry no flag: the login reads their devices."""
    account, _ = enrolled
    hub_store.update_user(account.user.user_id, push_devices=None)
    assert hub_store.get_user(account.user.user_id).push_devices is None
    assert password_step(client, account).location == "/hub/login/push"


def test_enrolling_a_device_marks_the_user_before_the_device_exists(enrolled):
    account, _ = enrolled
    assert hub_store.get_user(account.user.user_id).push_devices == "some"
    newcomer = make_account(username="nina", company=account.company)
    assert newcomer.user.push_devices == "none"  # never began an enrollment: no device read
