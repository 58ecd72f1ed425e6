"""The device's signed requests (fresh, signed by the registered key, never replayed) and how
many DynamoDB calls each login request makes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from chalicelib.auth.hub.push import protocol
from chalicelib.storage import tables
from devstack import push_device
from tests.auth.hub.helpers import make_account
from tests.auth.hub.push.helpers import (
    only_pending,
    password_step,
    shown_number,
    signed_in_with_device,
)
from tests.web_client import WebClient


@contextmanager
def dynamodb_calls() -> Iterator[tables.CallCounter]:
    """Count every DynamoDB call, transactions included (all models share one client)."""
    with tables.counting_calls() as counter:
        yield counter


@pytest.fixture
def enrolled(client, chalice_app, key_file):
    account = make_account()
    device = signed_in_with_device(client, account, chalice_app, key_file)
    password_step(client, account)  # one sign-in request is waiting
    return account, device


def _pending_with(device, headers):
    return device.http.get(f"{device.base_url}/hub/push/pending", headers=headers)


def test_listing_pending_requests_needs_a_signature(enrolled):
    _, device = enrolled
    reply = _pending_with(device, {})
    assert reply.status_code == 401 and "not signed" in reply.json()["message"]


def test_a_request_signed_more_than_a_minute_ago_is_refused(enrolled, frozen_time):
    _, device = enrolled
    headers = device._signed_headers("pending")
    frozen_time.advance(seconds=61)
    reply = _pending_with(device, headers)
    assert reply.status_code == 401 and "too old" in reply.json()["message"]


def test_a_replayed_request_is_refused(enrolled):
    _, device = enrolled
    assert len(device.pending()) == 1
    replay = device.http.replay()
    assert replay.status_code == 401 and "replayed" in replay.json()["message"]


def test_a_request_signed_by_another_key_or_for_another_action_is_refused(enrolled):
    _, device = enrolled
    headers = device._signed_headers("pending")
    stranger = protocol.new_private_key(protocol.ED25519)
    message = protocol.request_message("pending", headers["x-push-user"],
                                       headers["x-push-device"],
                                       int(headers["x-push-timestamp"]), headers["x-push-nonce"])
    forged = dict(headers, **{"x-push-signature": protocol.sign(stranger, message)})
    assert _pending_with(device, forged).status_code == 401
    other_action = device._signed_headers("answer")
    assert _pending_with(device, other_action).status_code == 401
    unknown_device = dict(device._signed_headers("pending"), **{"x-push-device": "0" * 16})
    reply = _pending_with(device, unknown_device)
    assert reply.status_code == 401 and "not registered" in reply.json()["message"]


def test_a_device_sees_only_its_own_users_requests(client, enrolled, chalice_app, tmp_path):
    account, device = enrolled
    bob = make_account(company=account.company, username="bob", role="User")
    bobs_device = signed_in_with_device(WebClient(chalice_app), bob, chalice_app,
                                        tmp_path / "bob.json")
    assert bobs_device.pending() == []
    alices = only_pending(device)
    bobs_device_answering_alice = push_device.PendingChallenge(**{
        **alices.__dict__, "key_file": bobs_device.key_file})
    with pytest.raises(push_device.DeviceError, match="No such sign-in request"):
        bobs_device.answer(bobs_device_answering_alice, 42, approve=True)


def test_each_login_request_stays_within_its_dynamodb_call_budget(client, enrolled, frozen_time):
    account, device = enrolled
    frozen_time.advance(seconds=5)
    client.cookies.clear()
    client.get("/hub/login")
    client.post("/hub/login", {"username": "alice", "company": account.company.name})
    client.get("/hub/login/password")
    with dynamodb_calls() as calls:
        assert client.post("/hub/login/password", {"password": account.password}).status == 303
    # user query, the attempt taken before the password is checked, its reset (the password was
    # right), registration read (the user has a device), push transaction
    assert calls.total == 5, calls.calls
    with dynamodb_calls() as calls:
        number = shown_number(client)
    assert calls.total == 1, calls.calls
    with dynamodb_calls() as calls:
        assert client.get("/hub/login/push/status").json["state"] == "pending"
    assert calls.total == 1, calls.calls
    request = device.pending()[-1]  # the newest
    with dynamodb_calls() as calls:
        device.answer(request, number, approve=True)
    assert calls.total == 3, calls.calls  # registration, challenge, answer transaction
    with dynamodb_calls() as calls:
        device.pending()
    assert calls.total == 3, calls.calls  # registration, nonce put, index query
    client.get("/hub/login/push")
    with dynamodb_calls() as calls:
        assert client.post("/hub/login/push/complete").location == "/hub/"
    assert calls.total == 3, calls.calls  # user read, approval transaction, session put
