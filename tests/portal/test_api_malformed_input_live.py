"""Malformed input to /api/v1 over real HTTP (`chalice local` + DynamoDB Local): raw bytes in
headers and paths as a client sends them, which `chalice.test.Client` cannot (issue 16, 1-3, 7)."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
import requests

from tests.portal.helpers import make_partner

pytestmark = pytest.mark.ddblocal


def assert_vendor_error(reply: requests.Response, status: int) -> dict:
    assert reply.status_code == status, reply.text
    body = reply.json()
    assert set(body) == {"code", "message"}
    assert reply.headers["X-Request-Id"] and reply.headers["X-API-Limit-Remaining"]
    assert reply.headers["X-API-Limit-Resets"] and reply.headers["X-API-Limit-Cost"]
    return body


@pytest.fixture
def partner(live):
    return make_partner(customers=(("Office365", 3, True),))


def test_non_ascii_bytes_in_the_authorization_header_are_401(live_server, partner):
    for raw in (b"Basic \xc3\xa9", b"Basic \xe9\xe9\xe9\xe9", b"Basic \xff", b"\xc3\xa9"):
        reply = requests.get(live_server.url("/api/v1/saas/domains"),
                             headers={"Authorization": raw}, timeout=10)
        assert assert_vendor_error(reply, 401)["code"] == "not_authenticated"


def test_unicode_digits_in_paths_and_queries_are_4xx(live_server, partner):
    customer = partner.customers[0]
    arabic = "".join(chr(0x660 + int(d)) for d in str(customer.saas_customer_id))
    for path in ("/api/v1/saas/%C2%B9/seats", "/api/v1/saas/%C2%B9/applications",
                 f"/api/v1/saas/{quote(arabic)}/seats"):
        assert_vendor_error(requests.get(live_server.url(path), auth=partner.auth, timeout=10),
                            404)
    for days in ("%C2%B2", "1" * 5000):
        reply = requests.get(live_server.url(
            f"/api/v1/saas/{customer.saas_customer_id}/applications?daysUntil={days}"),
            auth=partner.auth, timeout=10)
        assert assert_vendor_error(reply, 400)["code"] == "invalid_input"


def test_a_deeply_nested_bulk_body_is_400_and_an_oversized_one_413(live_server, partner):
    customer = partner.customers[0]
    url = live_server.url(f"/api/v1/saas/{customer.saas_customer_id}/"
                          f"{customer.external_subscription_id}/bulkSeatChange")
    nested = requests.put(url, data=b"[" * 100_000, auth=partner.auth, timeout=10,
                          headers={"Content-Type": "application/json"})
    assert_vendor_error(nested, 400)
    huge = requests.put(url, data=json.dumps({"ids": ["x" * 200_000]}), auth=partner.auth,
                        timeout=10, headers={"Content-Type": "application/json"})
    assert_vendor_error(huge, 413)


def test_options_and_other_media_types_get_the_vendor_shape(live_server, partner):
    assert_vendor_error(requests.options(live_server.url("/api/v1/saas/domains"), timeout=10),
                        404)
    customer = partner.customers[0]
    reply = requests.put(live_server.url(f"/api/v1/saas/{customer.saas_customer_id}/"
                                         f"{customer.external_subscription_id}/bulkSeatChange"),
                         data=b"<ids/>", headers={"Content-Type": "application/xml"},
                         auth=partner.auth, timeout=10)
    assert assert_vendor_error(reply, 415)["code"] == "unsupported_media_type"
