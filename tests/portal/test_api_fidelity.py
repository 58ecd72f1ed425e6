"""The REST API as the vendor behaves (issue 16, item 10), through `chalice.test.Client` on moto.

Each test reads what a client of the vendor's API would read: the backup report's windows and
words, `lastFullyProtectedTime` as epoch milliseconds or its text bucket, bulk results with integer
ids, the Google Workspace refusal, and which answers are charged to the hourly budget.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from chalice.test import Client

from app import app
from chalicelib.portal import api_keys, backup_report, catalog, seats
from chalicelib.storage.portal import saas_seats as seat_store
from chalicelib.storage.portal.saas_seats import Seat
from tests.portal.helpers import Partner, basic, make_partner

HOUR_MS = 3600 * 1000
DAY_MS = 24 * HOUR_MS


@pytest.fixture
def api(aws) -> Client:
    return Client(app)


@pytest.fixture
def partner(aws) -> Partner:
    return make_partner(customers=((catalog.OFFICE365, 0, True),
                                   (catalog.GOOGLE_WORKSPACE, 3, True)))


def now_ms(aws) -> int:
    return int(aws.clock.now().timestamp() * 1000)


def seat(partner: Partner, remote_id: str, seat_type: str, added_days_ago: float,
         services: dict[str, dict[str, Any]], state: str = catalog.ACTIVE) -> Seat:
    """A seat of the partner's Microsoft 365 customer, added so many days before now."""
    customer = partner.customers[0]
    now = customer.created_at
    return Seat(customer.saas_customer_id, remote_id, f"{remote_id}@example.com",
                remote_id.title(), seat_type, state, "1",
                now - dt.timedelta(days=added_days_ago), services)


def backup(at_ms: int, status: str = "Perfect") -> dict[str, Any]:
    return {"at": at_ms, "status": status, "bytes": 1024}


def report(api: Client, partner: Partner, query: str = "") -> dict[str, dict[str, Any]]:
    """The Microsoft 365 customer's applications by appType."""
    customer = partner.customers[0]
    reply = api.http.get(f"/api/v1/saas/{customer.saas_customer_id}/applications{query}",
                         headers={"authorization": partner.authorization})
    assert reply.status_code == 200, reply.body
    (suite,) = reply.json_body[0]["items"][0]["suites"]
    return {app_["appType"]: app_ for app_ in suite["appTypes"]}


@pytest.fixture
def known_backups(aws, partner: Partner) -> int:
    """Seats whose windows are known: SharePoint perfect, Teams new, Exchange with issues."""
    now = now_ms(aws)
    seat_store.save_seats([
        seat(partner, "site", "Site", 20, {"Office365SharePoint": backup(now - HOUR_MS)}),
        seat(partner, "team", "Team", 2.5, {"Office365Teams": backup(now - HOUR_MS)}),
        seat(partner, "box-1", "SharedMailbox", 20, {"Office365Exchange": backup(now - HOUR_MS)}),
        seat(partner, "box-2", "SharedMailbox", 20,
             {"Office365Exchange": backup(now - 12 * DAY_MS)}),
    ])
    return now


def test_days_until_defaults_to_10_and_has_no_upper_limit_of_90(api, partner, known_backups):
    assert len(report(api, partner)["Office365SharePoint"]["backupHistory"]) == 10
    assert len(report(api, partner, "?daysUntil=1")["Office365SharePoint"]["backupHistory"]) == 1
    for days in (91, 365, 999999):  # accepted; the history the vendor keeps is 30 days
        history = report(api, partner, f"?daysUntil={days}")["Office365SharePoint"]
        assert len(history["backupHistory"]) == backup_report.HISTORY_DAYS


def test_days_until_below_1_is_a_400_naming_it(api, partner):
    customer = partner.customers[0]
    reply = api.http.get(f"/api/v1/saas/{customer.saas_customer_id}/applications?daysUntil=0",
                         headers={"authorization": partner.authorization})
    assert reply.status_code == 400
    assert reply.json_body["code"] == "invalid_input" and "daysUntil" in reply.json_body["message"]


def test_windows_use_the_live_words_and_start_at_the_later_time(api, partner, known_backups):
    apps = report(api, partner, "?daysUntil=5")
    statuses = {name: [w["status"] for w in app_["backupHistory"]] for name, app_ in apps.items()}
    assert statuses["Office365SharePoint"] == ["Perfect"] * 5
    assert statuses["Office365Teams"] == ["Perfect"] * 3 + ["Insufficient History"] * 2
    assert statuses["Office365Exchange"] == ["Backup With Issues"] * 5
    assert statuses["Office365OneDrive"] == ["Insufficient History"] * 5  # no User seats
    first = apps["Office365SharePoint"]["backupHistory"][0]
    assert first["timeWindow"] == "Between0dAnd1d"
    assert (first["startTime"], first["endTime"]) == (known_backups, known_backups - DAY_MS)
    exchange = apps["Office365Exchange"]["backupHistory"][0]
    assert (exchange["activeServiceCount"], exchange["activeServiceWithBackupCount"],
            exchange["activeServiceWithPerfectBackupCount"]) == (2, 1, 1)
    team_before_it_existed = apps["Office365Teams"]["backupHistory"][3]
    assert team_before_it_existed["totalServiceCount"] == 0


def test_last_fully_protected_time_is_epoch_ms_or_its_text_bucket(api, partner, known_backups):
    apps = report(api, partner)
    assert apps["Office365SharePoint"]["lastFullyProtectedTime"] == known_backups - HOUR_MS
    assert apps["Office365Exchange"]["lastFullyProtectedTime"] == "OVER_10_DAYS_AGO"
    assert apps["Office365OneDrive"]["lastFullyProtectedTime"] is None


def test_a_seat_never_backed_up_leaves_its_app_never_fully_protected(api, partner, aws):
    seat_store.save_seats([
        seat(partner, "site-a", "Site", 3, {"Office365SharePoint": backup(now_ms(aws))}),
        seat(partner, "site-b", "Site", 3, {}),
    ])
    sharepoint = report(api, partner)["Office365SharePoint"]
    assert sharepoint["lastFullyProtectedTime"] is None
    assert sharepoint["uningestedServiceCount"] == 1


def _bulk(api: Client, partner: Partner, index: int, body: dict[str, Any]) -> Any:
    customer = partner.customers[index]
    return api.http.put(
        f"/api/v1/saas/{customer.saas_customer_id}/{customer.external_subscription_id}"
        "/bulkSeatChange", body=json.dumps(body).encode(),
        headers={"authorization": partner.authorization, "content-type": "application/json"})


def test_bulk_results_carry_integer_ids_stable_per_seat(api, partner, known_backups):
    body = {"seat_type": "SharedMailbox", "action_type": "Pause", "ids": ["box-2", "box-1", "x"]}
    first, again = _bulk(api, partner, 0, body), _bulk(api, partner, 0, body)
    assert first.status_code == 200
    results = first.json_body
    assert [set(r) for r in results] == [{"action", "appType", "customerId", "id", "status"}] * 3
    assert all(type(r["id"]) is int and 0 <= r["id"] < 2**53 for r in results)
    assert len({r["id"] for r in results}) == 3
    assert [r["id"] for r in again.json_body] == [r["id"] for r in results]
    assert [r["status"] for r in results] == ["Success", "Success", "Failed"]
    assert results[0]["id"] == seats.change_id(partner.customers[0].saas_customer_id, "box-2")


def test_google_workspace_bulk_changes_are_refused_and_change_nothing(api, partner):
    google = partner.customers[1]
    before = {s.remote_id: s.seat_state for s in seat_store.seats_of_customer(
        google.saas_customer_id)}
    chosen = partner.seats[google.saas_customer_id][0]  # its seat types are drawn at random
    reply = _bulk(api, partner, 1, {"seat_type": chosen.seat_type, "action_type": "Pause",
                                    "ids": [chosen.remote_id]})
    assert reply.status_code == 400
    assert reply.json_body["code"] == "invalid_input"
    assert "Google Workspace" in reply.json_body["message"]
    assert {s.remote_id: s.seat_state for s in seat_store.seats_of_customer(
        google.saas_customer_id)} == before


def remaining(reply: Any) -> int:
    return int(reply.headers["X-API-Limit-Remaining"])


def test_answers_after_sign_in_are_charged_whatever_their_status(api, partner, aws):
    customer, auth = partner.customers[0], {"authorization": partner.authorization}
    start = remaining(api.http.get("/api/v1/saas/domains", headers=auth))
    bad_days = api.http.get(f"/api/v1/saas/{customer.saas_customer_id}/applications"
                            "?daysUntil=0", headers=auth)
    unknown_customer = api.http.get("/api/v1/saas/999999999/seats", headers=auth)
    bad_page = api.http.get("/api/v1/saas/domains?_perPage=0", headers=auth)
    scoped = api_keys.issue(aws, partner.company.company_id, "one", "tests",
                            customers=[partner.customers[1].saas_customer_id])
    out_of_scope = api.http.get(f"/api/v1/saas/{customer.saas_customer_id}/seats", headers={
        "authorization": basic(scoped.key.public_key, scoped.secret)})
    for reply, status, cost in ((bad_days, 400, "2"), (unknown_customer, 404, "1"),
                                (bad_page, 400, "1"), (out_of_scope, 403, "1")):
        assert (reply.status_code, reply.headers["X-API-Limit-Cost"]) == (status, cost)
    assert remaining(out_of_scope) == start - 5
    assert remaining(api.http.get("/api/v1/saas/domains", headers=auth)) == start - 6


def test_answers_before_sign_in_are_charged_to_nobody(api, partner):
    auth = {"authorization": partner.authorization}
    start = remaining(api.http.get("/api/v1/saas/domains", headers=auth))
    wrong = api.http.get("/api/v1/saas/domains", headers={"authorization": "Basic d3Jvbmc6a2V5"})
    unknown_route = api.http.get("/api/v1/saas/nothing-here", headers=auth)
    document = api.http.get("/api/v1/openapi.json")
    for reply, status in ((wrong, 401), (unknown_route, 404), (document, 200)):
        assert reply.status_code == status
        assert reply.headers["X-API-Limit-Cost"] == "0"
    assert remaining(api.http.get("/api/v1/saas/domains", headers=auth)) == start - 1


def test_limit_resets_is_the_next_hour_in_utc_iso_8601(api, partner, aws):
    reply = api.http.get("/api/v1/saas/domains", headers={"authorization": partner.authorization})
    resets = dt.datetime.strptime(reply.headers["X-API-Limit-Resets"], "%Y-%m-%dT%H:%M:%SZ")
    now = aws.clock.now().astimezone(dt.UTC).replace(tzinfo=None)
    assert resets.minute == resets.second == 0
    assert dt.timedelta(0) < resets - now <= dt.timedelta(hours=1)
