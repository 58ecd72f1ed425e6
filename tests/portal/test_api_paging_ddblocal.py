"""Paging /saas/{id}/seats and /saas/domains on DynamoDB Local: every item once, in order, and each
page reads only its own items from DynamoDB (calls and items read counted per page)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from chalicelib import runtime
from chalicelib.portal import catalog
from chalicelib.storage import low_level, tables
from tests.portal.helpers import make_partner
from tests.web_client import WebClient

pytestmark = pytest.mark.ddblocal

SEATS = 1_234
PER_PAGE = 100


class ItemsRead:
    """Items DynamoDB examined per Query (ScannedCount): from botocore's after-call hook (model
    reads) and from the answers of the lean transport (`low_level`: the seat pages)."""

    def __init__(self) -> None:
        self.per_query: list[int] = []

    def on_call(self, model: Any = None, parsed: Any = None, **_: Any) -> None:
        if model is not None and model.name == "Query" and isinstance(parsed, dict):
            self.per_query.append(int(parsed.get("ScannedCount", 0)))

    def on_lean(self, operation: str, answer: dict[str, Any]) -> None:
        if operation == "Query" and low_level.wire() is not None:  # else botocore saw it
            self.per_query.append(int(answer.get("ScannedCount", 0)))


@contextmanager
def reading_items() -> Iterator[ItemsRead]:
    read = ItemsRead()
    client = tables.connection().client
    client.meta.events.register("after-call.dynamodb", read.on_call)
    real_post = low_level.post

    def post(operation: str, request: dict[str, Any]) -> dict[str, Any]:
        answer = real_post(operation, request)
        read.on_lean(operation, answer)
        return answer

    low_level.post = post  # type: ignore[assignment]
    try:
        yield read
    finally:
        low_level.post = real_post  # type: ignore[assignment]
        client.meta.events.unregister("after-call.dynamodb", read.on_call)


@pytest.fixture
def partner(ddb):
    return make_partner(customers=((catalog.OFFICE365, SEATS, True),
                                   (catalog.GOOGLE_WORKSPACE, 5, False)))


def test_paging_1234_seats_returns_each_once_in_order_and_reads_only_each_page(ddb_client:
                                                                              WebClient, partner):
    customer = partner.customers[0]
    headers = {"authorization": partner.authorization}
    path = f"/api/v1/saas/{customer.saas_customer_id}/seats?_perPage={PER_PAGE}"
    ddb_client.get(path, headers=headers)  # the key's secret is verified (and cached) once
    seen: list[str] = []
    pages = -(-SEATS // PER_PAGE)
    for page in range(1, pages + 2):
        with tables.counting_calls() as calls, reading_items() as read:
            reply = ddb_client.get(f"{path}&_page={page}", headers=headers)
        assert reply.status == 200, reply.text
        assert reply.headers["x-total-count"] == str(SEATS)
        assert reply.headers["x-total-pages"] == str(pages)
        expected = min(PER_PAGE, max(SEATS - (page - 1) * PER_PAGE, 0))
        assert len(reply.json) == expected
        # Key, customer and the list's sizes (one BatchGetItem), budget (UpdateItem), the
        # page's one key range (Query; none past the end): the same whatever the page number.
        assert calls.calls == {"BatchGetItem": 1, "UpdateItem": 1} | (
            {"Query": 1} if expected else {})
        assert read.per_query == ([expected] if expected else [])
        seen.extend(s["remoteId"] for s in reply.json)
    stored = partner.seats[customer.saas_customer_id]
    assert len(seen) == len(set(seen)) == SEATS
    assert seen == [s.remote_id for s in sorted(stored, key=lambda s: s.seat_type)]


def test_a_page_never_carries_the_fields_the_api_drops(ddb, partner):
    from chalicelib.storage.portal import saas_seats

    customer_id = partner.customers[0].saas_customer_id
    page = saas_seats.seat_page(customer_id, [], 1_200, PER_PAGE)
    assert len(page.seats) == SEATS - 1_200 and page.total == SEATS
    assert all(seat.services == {} for seat in page.seats)  # the index holds no `services`
    assert any(s.services for s in saas_seats.seats_of_customer(customer_id))


def test_domains_page_by_key_range_on_a_real_index(ddb_client: WebClient, ddb):
    partner = make_partner(customers=tuple((catalog.OFFICE365, 1, True) for _ in range(12)))
    headers = {"authorization": partner.authorization}
    got: list[int] = []
    for page in (1, 2, 3):
        with reading_items() as read:
            reply = ddb_client.get(f"/api/v1/saas/domains?_page={page}&_perPage=5",
                                   headers=headers)
        assert reply.status == 200 and reply.headers["x-total-pages"] == "3"
        # Every call, the first included, reads the size item beside its admission (a
        # BatchGetItem): the only Query reads just the page.
        assert read.per_query == [len(reply.json)]
        got.extend(c["saasCustomerId"] for c in reply.json)
    assert got == [c.saas_customer_id for c in partner.customers]
    assert runtime.current() is ddb


def test_a_client_pages_every_seat_over_real_http(live_server, live):
    import requests

    partner = make_partner(customers=((catalog.OFFICE365, 250, True),))
    customer_id = partner.customers[0].saas_customer_id
    seen: list[str] = []
    page, total_pages = 1, 1
    while page <= total_pages:
        reply = requests.get(live_server.url(f"/api/v1/saas/{customer_id}/seats"),
                             params={"_page": page, "_perPage": 100},
                             headers={"Authorization": partner.authorization}, timeout=30)
        assert reply.status_code == 200, reply.text
        assert isinstance(reply.json(), list)  # the contract's bare array
        total_pages = int(reply.headers["X-Total-Pages"])
        assert reply.headers["X-Total-Count"] == "250"
        seen.extend(s["remoteId"] for s in reply.json())
        page += 1
    assert page == 4
    assert sorted(seen) == sorted(s.remote_id for s in partner.seats[customer_id])
    refused = requests.get(live_server.url(f"/api/v1/saas/{customer_id}/seats?_perPage=5000"),
                           headers={"Authorization": partner.authorization}, timeout=30)
    assert refused.status_code == 400 and refused.json()["code"] == "invalid_input"
