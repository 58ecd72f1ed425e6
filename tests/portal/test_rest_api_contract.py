"""The SaaS Protection REST API over real HTTP (`chalice local` + DynamoDB Local): every field's
name and type, every error status, and the headers on every response, as the contract says."""

from __future__ import annotations

import json
import re

import pytest
import requests

from chalicelib.portal import backup_report, catalog
from chalicelib.portal import seats as seats_service
from chalicelib.storage.portal import saas_seats as saas_store
from tests.portal.helpers import basic, make_partner

pytestmark = pytest.mark.ddblocal

ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:00:00Z$")
SEAT_DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$")
DOMAIN_FIELDS = {
    "saasCustomerId": int, "saasCustomerName": str, "organizationId": (int, type(None)),
    "organizationName": (str, type(None)), "domain": str, "productType": str, "seatsUsed": int,
    "retentionType": str, "externalSubscriptionId": str, "backupStats": dict,
}
SEAT_FIELDS = {"mainId": str, "name": str, "seatType": str, "seatState": str, "billable": str,
               "dateAdded": str, "remoteId": str}


def assert_fields(item: dict, spec: dict) -> None:
    assert set(item) == set(spec), set(item) ^ set(spec)
    for name, kind in spec.items():
        assert isinstance(item[name], kind), (name, item[name])
        assert not isinstance(item[name], bool), name


def assert_api_headers(reply: requests.Response, cost: int | None = None) -> None:
    assert re.fullmatch(r"[0-9a-f-]{16,}", reply.headers["X-Request-Id"])
    assert int(reply.headers["X-API-Limit-Remaining"]) >= 0
    assert ISO_Z.match(reply.headers["X-API-Limit-Resets"])
    if cost is not None:
        assert reply.headers["X-API-Limit-Cost"] == str(cost)


def assert_error(reply: requests.Response, status: int) -> dict:
    assert reply.status_code == status, reply.text
    assert reply.headers["Content-Type"].startswith("application/json")
    body = reply.json()
    assert set(body) == {"code", "message"}
    assert isinstance(body["code"], str) and isinstance(body["message"], str) and body["message"]
    assert_api_headers(reply)
    return body


@pytest.fixture
def partner(live):
    return make_partner()


def test_domains_is_a_bare_array_with_every_field_typed(live_server, partner):
    reply = requests.get(live_server.url("/api/v1/saas/domains"), auth=partner.auth,
                         params={"_page": 1, "_perPage": 100}, timeout=10)
    assert reply.status_code == 200
    assert_api_headers(reply, cost=1)
    body = reply.json()
    assert isinstance(body, list) and len(body) == 2
    for item in body:
        assert_fields(item, DOMAIN_FIELDS)
        assert item["productType"] in catalog.PRODUCTS
        assert re.fullmatch(r"Classic:(Office365|GoogleApps):\d+", item["externalSubscriptionId"])
        stats = item["backupStats"]
        assert set(stats) == {"activeServicesCount", "activeServicesWithRecentBackupCount",
                              "backupPercentage"}
        assert isinstance(stats["activeServicesCount"], int)
        assert isinstance(stats["activeServicesWithRecentBackupCount"], int)
        assert isinstance(stats["backupPercentage"], float)
    by_id = {item["saasCustomerId"]: item for item in body}
    linked, unlinked = partner.customers
    assert by_id[linked.saas_customer_id]["organizationName"] == partner.organizations[0].name
    assert by_id[linked.saas_customer_id]["organizationId"] == (
        partner.organizations[0].organization_id)
    assert by_id[unlinked.saas_customer_id]["organizationId"] is None
    assert by_id[unlinked.saas_customer_id]["organizationName"] is None
    seats = partner.seats[linked.saas_customer_id]
    assert by_id[linked.saas_customer_id]["seatsUsed"] == sum(s.billable == "1" for s in seats)


def test_seats_is_a_bare_array_with_every_field_typed(live_server, partner):
    customer = partner.customers[0]
    reply = requests.get(live_server.url(f"/api/v1/saas/{customer.saas_customer_id}/seats"),
                         auth=partner.auth, timeout=10)
    assert reply.status_code == 200
    assert_api_headers(reply, cost=1)
    body = reply.json()
    assert isinstance(body, list)
    assert {s["remoteId"] for s in body} == {
        s.remote_id for s in partner.seats[customer.saas_customer_id]}
    for seat in body:
        assert_fields(seat, SEAT_FIELDS)
        assert seat["billable"] in {"1", ""}
        assert seat["seatState"] in catalog.SEAT_STATES
        assert seat["seatType"] in catalog.SEAT_APPS[customer.product_type]
        assert SEAT_DATE.match(seat["dateAdded"])


def test_seats_filter_by_seat_type_and_reject_unknown_types(live_server, partner):
    customer = partner.customers[0]
    url = live_server.url(f"/api/v1/saas/{customer.saas_customer_id}/seats")
    users = requests.get(url, params={"seatType": "User"}, auth=partner.auth, timeout=10).json()
    expected = [s for s in partner.seats[customer.saas_customer_id] if s.seat_type == "User"]
    assert {s["remoteId"] for s in users} == {s.remote_id for s in expected}
    both = requests.get(url, params={"seatType": "User,SharedMailbox"}, auth=partner.auth,
                        timeout=10)
    assert both.status_code == 200 and {s["seatType"] for s in both.json()} <= {
        "User", "SharedMailbox"}
    assert_error(requests.get(url, params={"seatType": "user"}, auth=partner.auth, timeout=10),
                 400)


def test_applications_is_an_array_of_envelopes(live_server, partner):
    customer = partner.customers[0]
    reply = requests.get(
        live_server.url(f"/api/v1/saas/{customer.saas_customer_id}/applications"),
        params={"daysUntil": 3, "includeRemoteID": 1}, auth=partner.auth, timeout=10)
    assert reply.status_code == 200
    assert_api_headers(reply, cost=2)
    body = reply.json()
    assert isinstance(body, list) and len(body) == 1
    envelope = body[0]
    assert set(envelope) == {"pagination", "items"}
    assert {k: type(v) for k, v in envelope["pagination"].items()} == {
        "page": int, "perPage": int, "totalPages": int, "count": int}
    (item,) = envelope["items"]
    assert item["customerId"] == customer.saas_customer_id
    assert item["customerName"] == customer.name and isinstance(item["usedBytes"], int)
    (suite,) = item["suites"]
    assert [a["appType"] for a in suite["appTypes"]] == list(catalog.APP_TYPES["Office365"])
    for app in suite["appTypes"]:
        assert set(app) == {"appType", "lastFullyProtectedTime", "uningestedServiceCount",
                            "usedBytes", "backupHistory"}
        last = app["lastFullyProtectedTime"]
        assert isinstance(last, (int, type(None))) or last == backup_report.OVER_BUCKET
        assert [w["timeWindow"] for w in app["backupHistory"]] == [
            "Between0dAnd1d", "Between1dAnd2d", "Between2dAnd3d"]
        for window in app["backupHistory"]:
            assert window["status"] in backup_report.HISTORY_STATUSES
            assert window["startTime"] - window["endTime"] == 86_400_000  # the later one first
            for name in ("totalServiceCount", "activeServiceCount",
                         "activeServiceWithBackupCount", "activeServiceWithPerfectBackupCount"):
                assert isinstance(window[name], int)
    remote = {row["seatType"]: row for row in item["remoteIds"]}
    all_ids = [i for row in remote.values() for i in row["remoteIds"]]
    assert sorted(all_ids) == sorted(s.remote_id for s in partner.seats[customer.saas_customer_id])
    for row in remote.values():
        assert row["discovered"] == len(row["remoteIds"]) == (
            row["active"] + row["paused"] + row["archived"] + row["unprotected"])
    without = requests.get(
        live_server.url(f"/api/v1/saas/{customer.saas_customer_id}/applications"),
        auth=partner.auth, timeout=10).json()
    assert "remoteIds" not in without[0]["items"][0]
    assert len(without[0]["items"][0]["suites"][0]["appTypes"][0]["backupHistory"]) == 10
    bad = requests.get(
        live_server.url(f"/api/v1/saas/{customer.saas_customer_id}/applications"),
        params={"daysUntil": "soon"}, auth=partner.auth, timeout=10)
    assert_error(bad, 400)


def _bulk(live_server, partner, customer, body, subscription=None):
    subscription = subscription or customer.external_subscription_id
    return requests.put(
        live_server.url(f"/api/v1/saas/{customer.saas_customer_id}/{subscription}/bulkSeatChange"),
        data=json.dumps(body) if not isinstance(body, bytes) else body,
        headers={"Content-Type": "application/json"}, auth=partner.auth, timeout=10)


def test_bulk_seat_change_applies_each_action(live_server, partner):
    customer = partner.customers[0]
    users = [s for s in partner.seats[customer.saas_customer_id] if s.seat_type == "User"][:2]
    ids = [s.remote_id for s in users]
    seats_url = live_server.url(f"/api/v1/saas/{customer.saas_customer_id}/seats")
    for action, state, billable in (("Unlicense", "Unprotected", ""), ("Pause", "Paused", ""),
                                    ("License", "Active", "1")):
        reply = _bulk(live_server, partner, customer,
                      {"seat_type": "User", "action_type": action, "ids": ids})
        assert reply.status_code == 200, reply.text
        assert_api_headers(reply, cost=5)
        results = reply.json()
        assert [r["id"] for r in results] == [
            seats_service.change_id(customer.saas_customer_id, i) for i in ids]
        for result in results:
            assert set(result) == {"action", "appType", "customerId", "id", "status"}
            assert result["action"] == action and result["status"] == "Success"
            assert result["customerId"] == customer.saas_customer_id
            assert isinstance(result["appType"], str)
        seats = {s["remoteId"]: s for s in requests.get(seats_url, auth=partner.auth,
                                                         timeout=10).json()}
        assert {seats[i]["seatState"] for i in ids} == {state}
        assert {seats[i]["billable"] for i in ids} == {billable}
    domains = requests.get(live_server.url("/api/v1/saas/domains"), auth=partner.auth,
                           timeout=10).json()
    now_billable = sum(s.billable == "1" for s in saas_store.seats_of_customer(
        customer.saas_customer_id))
    assert {d["saasCustomerId"]: d["seatsUsed"] for d in domains}[
        customer.saas_customer_id] == now_billable


def test_bulk_seat_change_reports_unknown_ids_one_by_one(live_server, partner):
    customer = partner.customers[0]
    user = next(s for s in partner.seats[customer.saas_customer_id] if s.seat_type == "User")
    reply = _bulk(live_server, partner, customer, {
        "seat_type": "User", "action_type": "License", "ids": [user.remote_id, "no-such-seat"]})
    assert reply.status_code == 200
    assert [r["status"] for r in reply.json()] == ["Success", "Failed"]


@pytest.mark.parametrize("body", [
    {"seat_type": "User", "action_type": "license", "ids": ["a"]},
    {"seat_type": "user", "action_type": "License", "ids": ["a"]},
    {"seat_type": "SharedDrive", "action_type": "License", "ids": ["a"]},
    {"seat_type": "User", "action_type": "License", "ids": []},
    {"seat_type": "User", "action_type": "License", "ids": [f"id{i}" for i in range(101)]},
    {"seat_type": "User", "action_type": "License", "ids": "abc"},
    {"seat_type": "User", "action_type": "License", "ids": [1, 2]},
    {"seat_type": "User", "action_type": "License"},
    ["User", "License"],
    b"{not json",
])
def test_bulk_seat_change_validation_is_400(live_server, partner, body):
    assert_error(_bulk(live_server, partner, partner.customers[0], body), 400)


def test_bulk_seat_change_accepts_exactly_100_ids(live_server, partner):
    reply = _bulk(live_server, partner, partner.customers[0], {
        "seat_type": "User", "action_type": "Pause", "ids": [f"x{i}" for i in range(100)]})
    assert reply.status_code == 200 and len(reply.json()) == 100


def test_bulk_seat_change_unknown_subscription_is_404(live_server, partner):
    customer = partner.customers[0]
    body = {"seat_type": "User", "action_type": "License", "ids": ["a"]}
    assert_error(_bulk(live_server, partner, customer, body, "Classic:Office365:1"), 404)
    encoded = customer.external_subscription_id.replace(":", "%3A")
    reply = _bulk(live_server, partner, customer, {**body, "ids": ["nope"]}, encoded)
    assert reply.status_code == 200  # a percent-encoded subscription id is the same id


@pytest.mark.parametrize("path", [
    "/api/v1", "/api/v1/nothing", "/api/v1/saas", "/api/v1/saas/123", "/api/v1/saas/123/nothing",
    "/api/v1/saas/domains/extra", "/api/v1/saas/123/seats/extra", "/api/v1/saas/1/2/3",
    "/api/v1/saas/1/2/bulkSeatChange/4", "/api/v1/a/b", "/api/v1/a/b/c/d/e/f",
    "/api/v1/saas/1/2/3/4/5", "/api/v1/saas/domains/a/b/c/d",
])
def test_unknown_route_is_404_before_auth(live_server, path):
    body = assert_error(requests.get(live_server.url(path), timeout=10), 404)
    assert body["code"] == "not_found"


def test_wrong_method_on_a_known_path_is_404_before_auth(live_server, partner):
    assert_error(requests.post(live_server.url("/api/v1/saas/domains"), timeout=10), 404)
    assert_error(requests.get(live_server.url(
        f"/api/v1/saas/1/{partner.customers[0].external_subscription_id}/bulkSeatChange"),
        timeout=10), 404)


@pytest.mark.parametrize("authorization", [
    None, "Bearer abc", "Basic !!!not-base64", basic("no-such-key", "whatever"), "Basic ",
])
def test_missing_or_bad_credentials_are_401(live_server, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    for path in ("/api/v1/saas/domains", "/api/v1/saas/1/seats", "/api/v1/saas/1/applications"):
        reply = requests.get(live_server.url(path), headers=headers, timeout=10)
        assert_error(reply, 401)
        assert reply.headers["WWW-Authenticate"].startswith("Basic ")
        assert reply.headers["X-API-Limit-Cost"] == "0"


def test_wrong_secret_for_a_real_key_is_401(live_server, partner):
    reply = requests.get(live_server.url("/api/v1/saas/domains"),
                         auth=(partner.public_key, partner.secret + "x"), timeout=10)
    assert_error(reply, 401)


def test_unknown_or_malformed_customer_id_is_404(live_server, partner):
    for customer_id in ("999999999", "abc", "-1"):
        assert_error(requests.get(live_server.url(f"/api/v1/saas/{customer_id}/seats"),
                                  auth=partner.auth, timeout=10), 404)


def test_every_response_has_a_distinct_request_id(live_server, partner):
    ids = {requests.get(live_server.url("/api/v1/saas/domains"), auth=partner.auth,
                        timeout=10).headers["X-Request-Id"] for _ in range(3)}
    assert len(ids) == 3
