"""Push MFA's conditional writes on a real DynamoDB Local: the races a person (or an attacker)
could start, and the whole flow over HTTP."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.auth import throttle
from chalicelib.auth.hub import accounts, login
from chalicelib.auth.hub.push import challenges, devices, protocol
from chalicelib.errors import ConcurrentChange, InvalidInput, NotAuthenticated, NotFound
from chalicelib.storage.hub import push_challenges as challenge_store
from chalicelib.storage.hub import push_devices as device_store
from chalicelib.storage.hub import users as hub_store
from devstack import push_device
from tests.auth.hub.helpers import PASSWORD, log_in, make_account
from tests.auth.hub.push.helpers import (
    AppTransport,
    device_clock,
    enrollment_payload,
    only_pending,
    password_step,
    shown_number,
)
from tests.conftest import unique

pytestmark = pytest.mark.ddblocal


def _account_with_device(rt):
    account = make_account(unique("Push Co"))
    data = protocol.decode_payload(devices.start_enrollment(rt, account.user).payload)
    key = protocol.new_private_key(protocol.ED25519)
    _, device = devices.enroll(rt, user_id=account.user.user_id, credential=data["credential"],
                               algorithm=protocol.ED25519,
                               public_key=protocol.public_key_text(key), name="Phone")
    return account, device, key


def _push_attempt(rt, account):
    attempt = login.begin(rt, account.company.name, account.user.username, "/hub/")
    return login.check_password(rt, attempt, PASSWORD, "pytest")


def _answer(rt, account, device, key, challenge, number, decision):
    signature = protocol.sign(key, protocol.answer_message(
        challenge.challenge_id, challenge.nonce, number, decision))
    return challenges.answer(rt, user_id=account.user.user_id, device_id=device.device_id,
                             challenge_id=challenge.challenge_id, nonce=challenge.nonce,
                             number=number, decision=decision, signature=signature)


def test_racing_answers_record_exactly_one(ddb):
    account, device, key = _account_with_device(ddb)
    attempt = _push_attempt(ddb, account)
    challenge = challenge_store.get_challenge(attempt.challenge_id)
    decisions = [protocol.APPROVE, protocol.DENY] * 4

    def submit(decision):
        try:
            return _answer(ddb, account, device, key, challenge, challenge.number, decision)
        except ConcurrentChange:
            return "refused"

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(submit, decisions))
    assert outcomes.count("refused") == 7
    winner = next(o for o in outcomes if o != "refused")
    assert challenge_store.get_challenge(challenge.challenge_id).status == winner
    failures = hub_store.get_user(account.user.user_id).failures
    assert failures == (1 if winner == "denied" else 0)


def test_parallel_sign_ins_send_at_most_three_pushes(ddb):
    account, _, _ = _account_with_device(ddb)

    parallel = throttle.FREE_FAILURES  # more right passwords at once meet the login throttle
    with ThreadPoolExecutor(parallel) as pool:
        attempts = list(pool.map(lambda _: _push_attempt(ddb, account), range(parallel)))
    sent = [a for a in attempts if a.challenge_id]
    assert len(sent) == challenges.MAX_PUSHES
    assert all(a.step == "push" for a in attempts)  # the others see the push-limit message
    now = ddb.clock.now()
    assert len(challenge_store.pending_challenges(account.user.user_id, now - challenges.LIFETIME,
                                                  now)) == 3


def test_one_approval_starts_one_session_however_often_it_is_used(ddb):
    account, device, key = _account_with_device(ddb)
    attempt = _push_attempt(ddb, account)
    challenge = challenge_store.get_challenge(attempt.challenge_id)
    _answer(ddb, account, device, key, challenge, challenge.number, protocol.APPROVE)

    def complete(_):
        try:
            login.complete_push(ddb, attempt, None)
            return "signed in"
        except InvalidInput:
            return "refused"

    with ThreadPoolExecutor(6) as pool:
        outcomes = list(pool.map(complete, range(6)))
    assert outcomes.count("signed in") == 1 and outcomes.count("refused") == 5


def test_one_enrollment_code_registers_one_device_when_used_at_once(ddb):
    account = make_account(unique("Enroll Co"))
    credential = protocol.decode_payload(
        devices.start_enrollment(ddb, account.user).payload)["credential"]

    def enroll(index):
        key = protocol.new_private_key(protocol.ES256)
        try:
            devices.enroll(ddb, user_id=account.user.user_id, credential=credential,
                           algorithm=protocol.ES256, public_key=protocol.public_key_text(key),
                           name=f"Device {index}")
            return "added"
        except NotAuthenticated:
            return "refused"

    with ThreadPoolExecutor(6) as pool:
        outcomes = list(pool.map(enroll, range(6)))
    assert outcomes.count("added") == 1
    assert len(device_store.get_registration(account.user.user_id).devices) == 1


def test_a_master_reset_forgets_devices_and_withdraws_an_approval_not_yet_used(ddb):
    account, device, key = _account_with_device(ddb)
    attempt = _push_attempt(ddb, account)
    challenge = challenge_store.get_challenge(attempt.challenge_id)
    _answer(ddb, account, device, key, challenge, challenge.number, protocol.APPROVE)
    master = make_account(company=account.company, username=unique("master").replace(" ", ""))
    accounts.reset_mfa(ddb, master.user, account.user.user_id)
    assert device_store.get_registration(account.user.user_id) is None
    with pytest.raises(InvalidInput):
        login.complete_push(ddb, attempt, None)


def test_approve_a_login_over_http(ddb_client, tmp_path, frozen_time):
    from app import app

    account = make_account(unique("Http Push Co"))
    assert log_in(ddb_client, account).status == 303
    payload = enrollment_payload(ddb_client)
    device = push_device.enroll(payload, "Laptop", key_file=tmp_path / "d.json",
                                http=AppTransport(app), now=device_clock)
    ddb_client.cookies.clear()
    assert password_step(ddb_client, account).location == "/hub/login/push"
    number = shown_number(ddb_client)
    assert device.answer(only_pending(device), number, approve=True) == "approved"
    ddb_client.get("/hub/login/push")
    assert ddb_client.post("/hub/login/push/complete").location == "/hub/"
    frozen_time.advance(seconds=5)
    page = ddb_client.get("/hub/account")
    assert "Laptop" in page.text and page.text.count("2026-01-05 09:00 UTC") == 2
    frozen_time.advance(minutes=3)
    ddb_client.cookies.clear()
    password_step(ddb_client, account)
    frozen_time.advance(minutes=2)
    assert device.pending() == []  # expired requests are not offered


def test_removing_a_device_names_it_once_and_never_reaches_another_users(ddb):
    """One UpdateItem removes the device and returns its name (for the alert mail); removing it
    again, or naming another user's device, is NotFound and leaves that device in place."""
    account, device, _ = _account_with_device(ddb)
    other, theirs, _ = _account_with_device(ddb)
    assert device_store.remove_device(account.user.user_id, device.device_id) == "Phone"
    for device_id in (device.device_id, theirs.device_id):
        with pytest.raises(NotFound):
            device_store.remove_device(account.user.user_id, device_id)
    assert devices.devices_of(account.user) == []
    assert [d.device_id for d in devices.devices_of(other.user)] == [theirs.device_id]
