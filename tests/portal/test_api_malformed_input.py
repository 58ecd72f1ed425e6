"""Malformed input to /api/v1 (issue 16, items 1-3 and 7), through `chalice.test.Client` on moto.

Each test sends what a fuzzer or an attacker would and checks the answer a client sees: a 4xx in
the vendor's `{code, message}` shape with X-Request-Id and the rate-limit headers, never a 500,
never another customer's data and never the caller's credentials echoed back.
"""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import pytest
from chalice.local import LambdaContext
from chalice.test import Client

from app import app
from tests.portal.helpers import Partner, basic, make_partner

RATE_LIMIT_HEADERS = ("X-API-Limit-Remaining", "X-API-Limit-Resets", "X-API-Limit-Cost")


def assert_vendor_error(status: int, headers: dict[str, str], body: bytes | str,
                        expected: int) -> dict[str, Any]:
    """The contract's error: the status, `{code, message}` only, and the API's headers."""
    assert status == expected, body
    assert headers["Content-Type"] == "application/json"
    data = json.loads(body)
    assert set(data) == {"code", "message"} and data["code"] and data["message"]
    assert headers["X-Request-Id"]
    for name in RATE_LIMIT_HEADERS:
        assert headers[name], name
    return data


def vendor_error(reply: Any, expected: int) -> dict[str, Any]:
    return assert_vendor_error(reply.status_code, reply.headers, reply.body, expected)


@pytest.fixture
def api(aws) -> Client:
    return Client(app)


@pytest.fixture
def partner(aws) -> Partner:
    return make_partner(customers=(("Office365", 4, True),))


def _bulk_path(customer_id: str, subscription: str) -> str:
    return f"/api/v1/saas/{customer_id}/{subscription}/bulkSeatChange"


def _bulk(api: Client, partner: Partner, path: str, body: bytes,
          content_type: str = "application/json") -> Any:
    return api.http.put(path, body=body, headers={"authorization": partner.authorization,
                                                  "content-type": content_type})


def _seat_states(api: Client, partner: Partner) -> dict[str, str]:
    customer = partner.customers[0]
    reply = api.http.get(f"/api/v1/saas/{customer.saas_customer_id}/seats",
                         headers={"authorization": partner.authorization})
    return {seat["remoteId"]: seat["seatState"] for seat in reply.json_body}


# -- item 1: ids and numbers are ASCII digits of bounded length -----------------------------------
@pytest.mark.parametrize("customer_id", [
    "%C2%B9", "\u00b9", "%C2%B2%C2%B3", "1" * 19, "9" * 5000, "-1", "+1", "1.0", "%201", "0x10",
])
def test_non_ascii_or_unbounded_customer_ids_are_404(api, partner, customer_id):
    for endpoint in ("seats", "applications"):
        reply = api.http.get(f"/api/v1/saas/{customer_id}/{endpoint}",
                             headers={"authorization": partner.authorization})
        assert vendor_error(reply, 404)["code"] == "not_found"


@pytest.mark.parametrize("customer_id", ["%C2%B9", "\u00b9", "9" * 5000])
def test_non_ascii_customer_ids_in_a_bulk_change_are_404_and_change_nothing(api, partner,
                                                                         customer_id):
    before = _seat_states(api, partner)
    customer = partner.customers[0]
    body = json.dumps({"seat_type": "User", "action_type": "Pause", "ids": list(before)})
    reply = _bulk(api, partner, _bulk_path(customer_id, customer.external_subscription_id),
                  body.encode())
    assert vendor_error(reply, 404)["code"] == "not_found"
    assert _seat_states(api, partner) == before


def test_arabic_indic_digits_do_not_name_the_customer_they_spell(api, partner):
    customer = partner.customers[0]
    arabic = "".join(chr(0x660 + int(digit)) for digit in str(customer.saas_customer_id))
    assert int(arabic) == customer.saas_customer_id  # what `isdigit()` + `int()` used to serve
    for path in (f"/api/v1/saas/{arabic}/seats",
                 f"/api/v1/saas/{arabic.encode().hex('%').upper()}/seats".replace(
                     "/saas/", "/saas/%"),
                 f"/api/v1/saas/{arabic}/applications"):
        reply = api.http.get(path, headers={"authorization": partner.authorization})
        vendor_error(reply, 404)
        assert customer.domain not in reply.body.decode()
    seats = partner.seats[customer.saas_customer_id]
    reply = _bulk(api, partner, _bulk_path(arabic, customer.external_subscription_id),
                  json.dumps({"seat_type": "User", "action_type": "Pause",
                              "ids": [seats[0].remote_id]}).encode())
    vendor_error(reply, 404)


@pytest.mark.parametrize("days", [
    "%C2%B2", "\u00b2", "\u0663", "1" * 5000, "9" * 7, "", "-1", "+3", "1e2", "3.0", "%203",
])
def test_malformed_days_until_is_400_naming_it(api, partner, days):
    customer = partner.customers[0]
    reply = api.http.get(f"/api/v1/saas/{customer.saas_customer_id}/applications?daysUntil={days}",
                         headers={"authorization": partner.authorization})
    body = vendor_error(reply, 400)
    assert body["code"] == "invalid_input" and "daysUntil" in body["message"]


def test_well_formed_ids_and_numbers_still_answer(api, partner):
    customer = partner.customers[0]
    headers = {"authorization": partner.authorization}
    seats = api.http.get(f"/api/v1/saas/{customer.saas_customer_id}/seats", headers=headers)
    assert seats.status_code == 200 and len(seats.json_body) == len(
        partner.seats[customer.saas_customer_id])
    report = api.http.get(f"/api/v1/saas/{customer.saas_customer_id}/applications"
                          "?daysUntil=3&includeRemoteID=1", headers=headers)
    assert report.status_code == 200
    history = report.json_body[0]["items"][0]["suites"][0]["appTypes"][0]["backupHistory"]
    assert len(history) == 3


# -- item 2: malformed Basic credentials are a 401 ------------------------------------------------
def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


MALFORMED_AUTHORIZATION = [
    "Basic \u00e9",
    "Basic \u00e9\u00e9\u00e9\u00e9",
    "B\u00e4sic " + _b64(b"key:secret"),
    "Basic " + _b64(b"key:secret") + "\u2028",
    "Basic " + _b64("\u00e9:secret".encode()),
    "Basic " + _b64("key:s\u00e9cret".encode()),
    "Basic " + _b64(b"\xff\xfe:secret"),
    "Basic " + _b64(b"key:sec\x00ret"),
    "Basic " + _b64(b"key:"),
    "Basic " + _b64(b":secret"),
    "Basic " + _b64(b"no-colon"),
    "Basic " + _b64(b"k" * 129 + b":secret"),
    "Basic " + "A" * 100_000,
    "Basic ====",
    "Basic",
    "Digest username=key",
]


BULK_PAUSE_A = b'{"seat_type": "User", "action_type": "Pause", "ids": ["a"]}'


@pytest.mark.parametrize("authorization", MALFORMED_AUTHORIZATION)
def test_malformed_or_non_ascii_basic_credentials_are_401(api, partner, authorization):
    customer = partner.customers[0]
    for method, path in (
            ("GET", "/api/v1/saas/domains"),
            ("GET", f"/api/v1/saas/{customer.saas_customer_id}/seats"),
            ("GET", f"/api/v1/saas/{customer.saas_customer_id}/applications"),
            ("PUT", _bulk_path(str(customer.saas_customer_id),
                               customer.external_subscription_id))):
        reply = api.http.request(method, path, headers={"authorization": authorization},
                                 body=BULK_PAUSE_A)
        assert vendor_error(reply, 401)["code"] == "not_authenticated"
        assert reply.headers["WWW-Authenticate"].startswith("Basic ")
        assert reply.headers["X-API-Limit-Cost"] == "0"
        assert authorization[6:30] not in reply.body.decode() or len(authorization) < 8


def test_a_real_key_still_authenticates(api, partner):
    reply = api.http.get("/api/v1/saas/domains",
                         headers={"authorization": basic(partner.public_key, partner.secret)})
    assert reply.status_code == 200 and len(reply.json_body) == len(partner.customers)


# -- item 3: deep nesting is a 400, oversized bodies a 413 ----------------------------------------
@pytest.mark.parametrize("body", [b"[" * 100_000, b"{\"a\":" * 25_000, b"[" * 2_000 + b"]" * 2_000])
def test_deeply_nested_bulk_bodies_are_400_and_change_nothing(api, partner, body):
    before = _seat_states(api, partner)
    customer = partner.customers[0]
    reply = _bulk(api, partner, _bulk_path(str(customer.saas_customer_id),
                                           customer.external_subscription_id), body)
    assert vendor_error(reply, 400)["code"] == "invalid_input"
    assert _seat_states(api, partner) == before


def test_bulk_bodies_over_the_cap_are_413_before_credentials_are_checked(api, partner):
    customer = partner.customers[0]
    path = _bulk_path(str(customer.saas_customer_id), customer.external_subscription_id)
    too_big = b'{"ids": ["' + b"x" * (128 * 1024) + b'"]}'
    assert vendor_error(_bulk(api, partner, path, too_big), 413)["code"] == "payload_too_large"
    anonymous = api.http.put(path, body=too_big, headers={"content-type": "application/json"})
    assert vendor_error(anonymous, 413)["code"] == "payload_too_large"


def test_the_largest_valid_bulk_body_fits_under_the_cap(api, partner):
    customer = partner.customers[0]
    ids = [f"{i:03d}" + "\u00e9" * 197 for i in range(100)]
    body = json.dumps({"seat_type": "User", "action_type": "Pause", "ids": ids}).encode()
    assert len(body) > 100_000  # every id written as \uXXXX escapes
    reply = _bulk(api, partner, _bulk_path(str(customer.saas_customer_id),
                                           customer.external_subscription_id), body)
    assert reply.status_code == 200 and len(reply.json_body) == 100


def test_a_large_body_on_a_get_is_413(api, partner):
    reply = api.http.request("GET", "/api/v1/saas/domains", body=b"x" * 4096,
                             headers={"authorization": partner.authorization})
    assert vendor_error(reply, 413)["code"] == "payload_too_large"


# -- item 7: every /api/v1 answer in the vendor's shape, credentials never echoed ------------------
def test_a_bulk_body_of_another_media_type_is_415_in_the_vendor_shape(api, partner):
    customer = partner.customers[0]
    reply = _bulk(api, partner, _bulk_path(str(customer.saas_customer_id),
                                           customer.external_subscription_id),
                  b"<ids/>", content_type="application/xml")
    assert vendor_error(reply, 415)["code"] == "unsupported_media_type"


def test_a_media_type_on_a_get_or_an_unknown_path_does_not_matter(api, partner):
    headers = {"authorization": partner.authorization, "content-type": "application/xml"}
    assert api.http.get("/api/v1/saas/domains", headers=headers).status_code == 200
    vendor_error(api.http.get("/api/v1/nothing/here", headers=headers), 404)


@pytest.mark.parametrize("method", ["OPTIONS", "PATCH", "DELETE", "POST"])
def test_other_methods_are_the_vendor_404(api, partner, method):
    reply = api.http.request(method, "/api/v1/saas/domains",
                             headers={"authorization": partner.authorization})
    assert vendor_error(reply, 404)["code"] == "not_found"


@pytest.mark.parametrize("method", ["TRACE", "PROPFIND"])
def test_methods_chalice_answers_itself_get_the_vendor_shape(api, partner, method):
    """Chalice answers these `{Code, Message}` with no API headers; the middleware reframes it."""
    reply = api.http.request(method, "/api/v1/saas/domains",
                             headers={"authorization": partner.authorization})
    assert vendor_error(reply, 405)["code"] == "method_not_allowed"
    assert partner.authorization not in reply.body.decode()


@pytest.mark.parametrize("path", [
    "/api/v1/a/b/c/d/e/f", "/api/v1/saas/domains/a/b/c/d", "/api/v1/saas/1/seats/a/b/c",
    "/api/v1/saas/1/2/bulkSeatChange/a/b", "/api/v1/saas/1/2/a/b/c",
])
def test_six_segments_deep_is_the_vendor_404_without_echoing_credentials(api, partner, path):
    reply = api.http.get(path, headers={"authorization": partner.authorization})
    assert vendor_error(reply, 404)["code"] == "not_found"
    assert partner.authorization[6:] not in reply.body.decode()


def _api_gateway_event(path: str, resource: str, path_parameters: dict[str, str],
                       authorization: str) -> dict[str, Any]:
    """The proxy event API Gateway sends Lambda for `path` matched to `resource`."""
    return {
        "resource": resource, "path": path, "httpMethod": "GET",
        "headers": {"Authorization": authorization, "Host": "api.example.com"},
        "multiValueHeaders": {"Authorization": [authorization]},
        "queryStringParameters": None, "multiValueQueryStringParameters": None,
        "pathParameters": path_parameters, "stageVariables": None, "body": None,
        "isBase64Encoded": False,
        "requestContext": {"httpMethod": "GET", "resourcePath": resource, "path": "/api" + path,
                           "requestId": str(uuid.uuid4()), "stage": "api"},
    }


@pytest.mark.parametrize("depth", [6, 7, 12, 60])
def test_paths_deeper_than_six_segments_in_lambda_are_the_vendor_404(aws, partner, depth):
    """API Gateway sends every path at depth six or more to the greedy `{p6+}` resource.

    `chalice local` and `chalice.test.Client` match routes segment by segment, so there a path of
    seven or more segments still gets their imitation of API Gateway's 403 "Missing Authentication
    Token" (which echoes the Authorization header); this is the event Lambda actually receives.
    """
    segments = [f"s{i}" for i in range(1, depth + 1)]
    resource = "/api/v1/{p1}/{p2}/{p3}/{p4}/{p5}/{p6+}"
    assert resource in app.routes
    parameters = {f"p{i}": segments[i - 1] for i in range(1, 6)}
    parameters["p6"] = "/".join(segments[5:])  # API Gateway names it without the `+`
    event = _api_gateway_event("/api/v1/" + "/".join(segments), resource, parameters,
                               partner.authorization)
    answer = app(event, LambdaContext("linkhub", 512))
    body = answer["body"]
    data = assert_vendor_error(answer["statusCode"], answer["headers"], body, 404)
    assert data["code"] == "not_found"
    assert answer["headers"]["X-Request-Id"] == event["requestContext"]["requestId"]
    assert answer["headers"]["X-API-Limit-Cost"] == "0"
    assert partner.authorization[6:] not in body and partner.secret not in body
