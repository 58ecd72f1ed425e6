"""Adding a push device from the account page: one-time credential, key registration, list,
Remove, and a Master's Reset MFA."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from chalicelib import runtime
from chalicelib.auth.hub.push import devices, protocol
from chalicelib.errors import InvalidInput
from chalicelib.storage.hub import push_challenges as challenge_store
from chalicelib.storage.hub import push_devices as device_store
from chalicelib.storage.hub import users as hub_store
from devstack import push_device
from tests.auth.hub.helpers import log_in, make_account
from tests.auth.hub.push.helpers import (
    AppTransport,
    device_clock,
    enroll_device,
    enrollment_payload,
    log_in_with_code,
    password_step,
)
from tests.web_client import WebClient


def _now():
    return runtime.current().clock.now()


def _minutes(n):
    return dt.timedelta(minutes=n)


def _enroll_again(chalice_app, payload, tmp_path, name="Second"):
    return push_device.enroll(payload, name, key_file=tmp_path / f"{name}.json",
                              http=AppTransport(chalice_app), now=device_clock)


def test_the_account_page_shows_a_qr_code_and_a_one_time_enrollment_code(client):
    account = make_account()
    log_in(client, account)
    page = client.get("/hub/account")
    assert page.status == 200 and "No push devices yet." in page.text
    assert "Add a device" in page.text
    enroll = client.post("/hub/account/push/enroll")
    assert 'src="data:image/svg+xml' in enroll.text and "expires in 10 minutes" in enroll.text
    payload = re.search(r'id="push-enroll-payload">([^<]+)<', enroll.text).group(1)
    data = protocol.decode_payload(payload)
    assert data["user_id"] == account.user.user_id and data["username"] == "alice"
    assert data["company"] == account.company.name and len(data["credential"]) >= 40
    stored = device_store.get_registration(account.user.user_id)
    assert data["credential"] not in json.dumps(stored.__dict__, default=str)  # only its hash


def test_a_device_registers_its_key_and_is_listed_with_name_added_and_last_used(
    client, chalice_app, key_file, frozen_time
):
    account = make_account()
    log_in(client, account)
    device = enroll_device(client, chalice_app, key_file, name="Work laptop")

    saved = json.loads(key_file.read_text())
    assert saved["user_id"] == account.user.user_id and "PRIVATE KEY" in saved["private_key"]
    assert key_file.stat().st_mode & 0o077 == 0  # readable by its owner only
    assert device.data["name"] == "Work laptop"
    frozen_time.advance(seconds=31)
    assert log_in_with_code(client, account).status == 303
    listed = client.get("/hub/account")
    row = re.search(r'<tr data-device-id="[0-9a-f]+">(.*?)</tr>', listed.text, re.S).group(1)
    assert "Work laptop" in row and "2026-01-05 09:00 UTC" in row and "never" in row


def test_the_enrollment_code_works_once(client, chalice_app, key_file, tmp_path):
    account = make_account()
    log_in(client, account)
    payload = enrollment_payload(client)
    push_device.enroll(payload, "First", key_file=key_file, http=AppTransport(chalice_app),
                       now=device_clock)
    with pytest.raises(push_device.DeviceError, match="already used"):
        _enroll_again(chalice_app, payload, tmp_path)
    assert len(device_store.get_registration(account.user.user_id).devices) == 1


def test_the_enrollment_code_expires_after_ten_minutes(client, chalice_app, tmp_path,
                                                       frozen_time):
    account = make_account()
    log_in(client, account)
    payload = enrollment_payload(client)
    frozen_time.advance(minutes=10)
    with pytest.raises(push_device.DeviceError, match="expired"):
        _enroll_again(chalice_app, payload, tmp_path)


def test_a_newer_enrollment_code_replaces_the_older_one(client, chalice_app, tmp_path):
    account = make_account()
    log_in(client, account)
    older = enrollment_payload(client)
    newer = enrollment_payload(client)
    with pytest.raises(push_device.DeviceError, match="replaced by a newer one"):
        _enroll_again(chalice_app, older, tmp_path, "Old")
    assert _enroll_again(chalice_app, newer, tmp_path, "New").data["name"] == "New"


def test_an_ecdsa_p256_device_enrolls_too(client, chalice_app, key_file):
    account = make_account()
    log_in(client, account)
    device = enroll_device(client, chalice_app, key_file, algorithm="ES256")
    stored = device_store.get_registration(account.user.user_id).devices[device.data["device_id"]]
    assert stored.algorithm == "ES256"


@pytest.mark.parametrize(
    "algorithm, key_from, message",
    [
        ("RS256", "Ed25519", "Unsupported key algorithm"),
        ("ES256", "Ed25519", "does not match the algorithm"),
        ("Ed25519", None, "not readable"),
    ],
)
def test_unusable_public_keys_are_refused(client, chalice_app, algorithm, key_from, message):
    account = make_account()
    log_in(client, account)
    data = protocol.decode_payload(enrollment_payload(client))
    public_key = (protocol.public_key_text(protocol.new_private_key(key_from))
                  if key_from else "bm90LWEta2V5")
    reply = AppTransport(chalice_app).post("http://hub/hub/push/enroll", json={
        "user_id": data["user_id"], "credential": data["credential"], "algorithm": algorithm,
        "public_key": public_key, "name": "Phone"})
    assert reply.status_code == 400 and message in reply.json()["message"]
    assert device_store.get_registration(account.user.user_id).devices == {}


def test_push_enrollment_needs_a_2fa_token_first(aws):
    account = make_account(enrolled=False)
    with pytest.raises(InvalidInput, match="2FA token"):
        devices.start_enrollment(runtime.current(), account.user)


def test_a_user_removes_their_device_and_logs_in_with_the_code_again(client, chalice_app,
                                                                    key_file, frozen_time):
    account = make_account()
    log_in(client, account)
    device = enroll_device(client, chalice_app, key_file)
    frozen_time.advance(seconds=31)
    assert log_in_with_code(client, account).status == 303
    assert password_step(WebClient(chalice_app), account).location == "/hub/login/push"
    assert len(device.pending()) == 1  # a sign-in from elsewhere is waiting
    client.get("/hub/account")
    device_id = device.data["device_id"]
    done = client.post(f"/hub/account/push/devices/{device_id}/remove", follow=True)
    assert "Device removed" in done.text and "No push devices yet." in done.text
    with pytest.raises(push_device.DeviceError, match="not registered"):
        device.pending()
    assert challenge_store.pending_challenges(account.user.user_id, _now() - _minutes(2),
                                              _now()) == []
    client.cookies.clear()
    assert password_step(client, account).location == "/hub/login/verify"


def test_nobody_removes_another_users_device(client, chalice_app, key_file):
    owner = make_account()
    log_in(client, owner)
    device = enroll_device(client, chalice_app, key_file)
    other = make_account(company=owner.company, username="bob", role="User")
    log_in(client, other)
    client.get("/hub/account")
    reply = client.post(f"/hub/account/push/devices/{device.data['device_id']}/remove")
    assert reply.status == 404
    assert device.data["device_id"] in device_store.get_registration(owner.user.user_id).devices


def test_a_masters_reset_mfa_removes_the_push_devices(client, chalice_app, key_file):
    member = make_account(username="bob", role="User")
    log_in(client, member)
    enroll_device(client, chalice_app, key_file)
    assert password_step(client, member).location == "/hub/login/push"
    client.cookies.clear()
    master = make_account(company=member.company, username="alice", role="Master")
    log_in(client, master)
    client.get("/hub/admin/users")
    reply = client.post(f"/hub/admin/users/{member.user.user_id}", {"action": "reset_mfa"})
    assert reply.status == 303
    assert device_store.get_registration(member.user.user_id) is None
    assert hub_store.get_user(member.user.user_id).totp_secret is None
    client.cookies.clear()
    assert password_step(client, member).location == "/hub/login/enroll"
