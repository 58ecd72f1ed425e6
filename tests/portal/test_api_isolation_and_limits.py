"""Over real HTTP: a key only sees its own partner; the hourly budget; secrets never in clear."""

from __future__ import annotations

import datetime as dt
import json
import time

import boto3
import pytest
import requests

from chalicelib.portal import api_keys, rate_limit
from chalicelib.storage.portal import api_keys as api_key_store
from tests.portal.helpers import make_partner

pytestmark = pytest.mark.ddblocal


@pytest.fixture
def within_one_hour():
    """The server runs on the real clock: start budget tests far enough from an hour boundary
    that all of their calls are charged to the same hour."""
    now = dt.datetime.now(dt.UTC)
    _, next_hour = rate_limit.hour_window(now)
    if (next_hour - now).total_seconds() < 30:
        time.sleep((next_hour - now).total_seconds() + 1)


def _get(live_server, path, partner):
    return requests.get(live_server.url(path), auth=partner.auth, timeout=10)


def test_each_key_sees_only_its_own_partners_customers(live_server, live):
    one, two = make_partner(), make_partner()
    for me, other in ((one, two), (two, one)):
        seen = {d["saasCustomerId"] for d in _get(live_server, "/api/v1/saas/domains", me).json()}
        assert seen == {c.saas_customer_id for c in me.customers}
        for customer in other.customers:
            for path in (f"/api/v1/saas/{customer.saas_customer_id}/seats",
                         f"/api/v1/saas/{customer.saas_customer_id}/applications"):
                reply = _get(live_server, path, me)
                assert reply.status_code == 404 and reply.json()["code"] == "not_found"
            bulk = requests.put(
                live_server.url(f"/api/v1/saas/{customer.saas_customer_id}/"
                                f"{customer.external_subscription_id}/bulkSeatChange"),
                json={"seat_type": "User", "action_type": "Unlicense",
                      "ids": [s.remote_id for s in other.seats[customer.saas_customer_id]][:3]},
                auth=me.auth, timeout=10)
            assert bulk.status_code == 404
    untouched = _get(live_server, f"/api/v1/saas/{two.customers[0].saas_customer_id}/seats", two)
    assert {s["seatState"] for s in untouched.json()} == {
        s.seat_state for s in two.seats[two.customers[0].saas_customer_id]}


def test_a_revoked_key_is_refused_at_once(live_server, live):
    partner = make_partner(customers=())
    assert _get(live_server, "/api/v1/saas/domains", partner).status_code == 200
    api_keys.revoke(live, partner.admin, partner.public_key)
    assert _get(live_server, "/api/v1/saas/domains", partner).status_code == 401


def test_calls_over_the_hourly_budget_get_429_with_retry_after(live_server, live, within_one_hour):
    partner = make_partner(customers=(("Office365", 2, True),), budget=4)
    customer = partner.customers[0]
    first = _get(live_server, "/api/v1/saas/domains", partner)
    assert first.headers["X-API-Limit-Remaining"] == "3"
    second = _get(live_server, f"/api/v1/saas/{customer.saas_customer_id}/applications", partner)
    assert second.status_code == 200 and second.headers["X-API-Limit-Remaining"] == "1"
    refused = _get(live_server, f"/api/v1/saas/{customer.saas_customer_id}/applications", partner)
    assert refused.status_code == 429
    assert refused.json()["code"] == "too_many_requests"
    assert 1 <= int(refused.headers["Retry-After"]) <= 3600
    assert refused.headers["X-API-Limit-Remaining"] == "1"
    assert refused.headers["X-API-Limit-Cost"] == "2"
    resets = dt.datetime.strptime(refused.headers["X-API-Limit-Resets"], "%Y-%m-%dT%H:%M:%SZ")
    assert resets.minute == 0 and resets.second == 0
    cheaper = _get(live_server, "/api/v1/saas/domains", partner)  # the last unit still buys this
    assert cheaper.status_code == 200 and cheaper.headers["X-API-Limit-Remaining"] == "0"
    assert _get(live_server, "/api/v1/saas/domains", partner).status_code == 429


def test_the_budget_is_shared_by_every_key_of_a_partner(live_server, live, within_one_hour):
    partner = make_partner(customers=(), budget=2)
    second_key = api_keys.issue(live, partner.company.company_id, "second", "tests")
    assert _get(live_server, "/api/v1/saas/domains", partner).status_code == 200
    other = requests.get(live_server.url("/api/v1/saas/domains"),
                         auth=(second_key.key.public_key, second_key.secret), timeout=10)
    assert other.status_code == 200 and other.headers["X-API-Limit-Remaining"] == "0"
    assert _get(live_server, "/api/v1/saas/domains", partner).status_code == 429


def test_the_secret_is_never_stored_or_logged_in_clear(live_server, live):
    partner = make_partner(customers=(("GoogleWorkspace", 2, True),))
    assert _get(live_server, "/api/v1/saas/domains", partner).status_code == 200
    bad = requests.get(live_server.url("/api/v1/saas/domains"),
                       auth=(partner.public_key, partner.secret[::-1]), timeout=10)
    assert bad.status_code == 401
    stored = api_key_store.get_api_key(partner.public_key)
    assert stored.secret_hash.startswith("$argon2id$") and partner.secret not in stored.secret_hash
    client = boto3.client("dynamodb", endpoint_url=live_server.endpoint)
    for name in client.list_tables()["TableNames"]:
        if not name.startswith(live_server.table_prefix):
            continue
        # Test-only full read of every table this server wrote, looking for the secret.
        for page in client.get_paginator("scan").paginate(TableName=name):
            dumped = json.dumps(page["Items"])
            assert partner.secret not in dumped and partner.secret[::-1] not in dumped
    log = live_server.output()
    assert partner.public_key in log or "/api/v1/saas/domains" in log
    assert partner.secret not in log and partner.secret[::-1] not in log
