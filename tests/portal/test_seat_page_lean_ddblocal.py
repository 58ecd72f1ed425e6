"""The seat list's pages read on the lean transport (`low_level`), on DynamoDB Local: the very seats
and API entries botocore's client reads from the same items, every seat of the model layer once,
and DynamoDB's refusals mapped as for every storage call (a throttled Query is retried, then the
caller sees "temporarily unavailable" and a log line says why). Faults are answered by a local
endpoint in front of DynamoDB Local (`dynamodb_faults`)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from chalicelib.portal import catalog, rest_api
from chalicelib.runtime import Runtime
from chalicelib.storage import low_level, tables
from chalicelib.storage.portal import saas_seats
from tests.portal.helpers import Partner, make_partner
from tests.storage.dynamodb_faults import Waits, WireFault, faulty_endpoint, hot_calls_through
from tests.web_client import WebClient

pytestmark = pytest.mark.ddblocal
THROTTLED = {"Code": "ProvisionedThroughputExceededException",
             "Message": "The configured provisioned throughput for the index was exceeded."}

# (seat types, offset, limit): unfiltered, filtered, across the types' border, past the end
PAGES = [((), 0, 500), ((), 100, 150), (("User",), 0, 70), (("TeamSite", "Team"), 10, 30),
         ((), 195, 40), ((), 400, 10)]


@pytest.fixture
def partner(ddb: Runtime) -> Partner:
    return make_partner(customers=((catalog.OFFICE365, 230, True),))


def _botocore_query(request: dict[str, Any]) -> dict[str, Any]:
    """The seat Query as it was read before the lean transport: botocore's client."""
    answer: dict[str, Any] = tables.connection().client.query(**request)
    return answer


def test_lean_pages_equal_botocore_reads_of_the_same_items(partner, monkeypatch):
    assert low_level.wire() is not None  # DynamoDB Local is reached on the lean transport
    customer_id = partner.customers[0].saas_customer_id
    lean = [saas_seats.seat_page(customer_id, list(types), offset, limit)
            for types, offset, limit in PAGES]
    monkeypatch.setattr(saas_seats, "_query", _botocore_query)
    botocore = [saas_seats.seat_page(customer_id, list(types), offset, limit)
                for types, offset, limit in PAGES]

    assert lean == botocore
    assert [[rest_api.seat_entry(s) for s in p.seats] for p in lean] == [
        [rest_api.seat_entry(s) for s in p.seats] for p in botocore]
    assert [len(p.seats) for p in lean][0] == 230
    assert {s.billable for s in lean[0].seats} == {"1", ""}  # both kinds compared


def test_every_seat_of_the_model_layer_once_without_its_services(partner):
    customer_id = partner.customers[0].saas_customer_id
    page = saas_seats.seat_page(customer_id, [], 0, 500)
    modelled = [dataclasses.replace(s, services={})
                for s in saas_seats.seats_of_customer(customer_id)]

    assert sorted(page.seats, key=lambda s: s.remote_id) == sorted(
        modelled, key=lambda s: s.remote_id)
    assert page.total == 230


def _seats_path(partner: Partner) -> str:
    return f"/api/v1/saas/{partner.customers[0].saas_customer_id}/seats?_perPage=100"


def test_a_throttled_seat_query_is_retried_then_unavailable_and_logged(
        ddb_client: WebClient, partner, ddblocal_endpoint: str,
        caplog: pytest.LogCaptureFixture):
    headers = {"authorization": partner.authorization}
    waits = Waits()
    with (faulty_endpoint(ddblocal_endpoint) as endpoint,
          hot_calls_through(endpoint, waits) as lean):
        once = endpoint.add(WireFault("Query", "portal_saas_seats", error=THROTTLED, times=1))
        reply = ddb_client.get(_seats_path(partner), headers=headers)
        assert reply.status == 200 and len(reply.json) == 100  # retried once, then served
        assert once.seen == 2
        endpoint.faults.clear()
        always = endpoint.add(WireFault("Query", "portal_saas_seats", error=THROTTLED))
        refused = ddb_client.get(_seats_path(partner), headers=headers)

    assert refused.status == 503 and refused.json["code"] == "unavailable", refused.text
    assert always.seen == lean.limits.attempts
    logged = [json.loads(r.getMessage()) for r in caplog.records if r.getMessage().startswith("{")]
    assert {"event": "storage_unavailable", "operation": "Query",
            "error": THROTTLED["Code"]} in [
        {k: e.get(k) for k in ("event", "operation", "error")} for e in logged]
