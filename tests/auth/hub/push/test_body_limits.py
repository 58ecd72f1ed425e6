"""Hostile bodies to the device API: deeply nested or oversized JSON is a 400, never a 500."""

from __future__ import annotations

import json

import pytest

from chalicelib.errors import InvalidInput
from chalicelib.web.json_body import json_object, nesting_depth
from tests.auth.hub.helpers import make_account

DEVICE_ROUTES = ("/hub/push/answer", "/hub/push/enroll")


def _post_json(client, path: str, body: bytes):
    return client.request("POST", path, body=body, headers={"content-type": "application/json"})


@pytest.mark.parametrize("path", DEVICE_ROUTES)
def test_a_hundred_thousand_nested_brackets_are_refused_with_400(client, path):
    for body in (b"[" * 100_000, b'{"a":' * 50_000, b"[" * 100_000 + b"]" * 100_000):
        reply = _post_json(client, path, body)
        assert reply.status == 400, reply.text[:200]
        assert "nest" in reply.json["message"] or "bytes" in reply.json["message"]


@pytest.mark.parametrize("path", DEVICE_ROUTES)
def test_an_oversized_body_is_refused_with_400(client, path):
    body = json.dumps({"user_id": "u", "name": "x" * 20_000}).encode()
    reply = _post_json(client, path, body)
    assert reply.status == 400 and "at most" in reply.json["message"]


@pytest.mark.parametrize("path", DEVICE_ROUTES)
def test_a_nested_body_within_the_size_cap_is_refused_with_400(client, path):
    reply = _post_json(client, path, b'{"user_id": [[[[["deep"]]]]]}')
    assert reply.status == 400


def test_an_ordinary_enrollment_body_is_still_read(client):
    make_account()
    body = json.dumps({"user_id": "nobody", "credential": "x", "algorithm": "ES256",
                       "public_key": "k", "name": "Phone [work] {1}"}).encode()
    reply = _post_json(client, "/hub/push/enroll", body)
    assert reply.status in (400, 401, 403, 404) and "nest" not in reply.text


def test_brackets_inside_strings_do_not_count():
    assert nesting_depth(b'{"a": "[[[[[[[[\\"[[[["}') == 1
    assert json_object(b'{"a": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}')["a"].startswith("[[")
    with pytest.raises(InvalidInput):
        json_object(b"[1]")
