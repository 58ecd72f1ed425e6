"""The client asks 500 seats (or customers) a page, and stays whole against a server that serves
another page size without saying so: only a page shorter than the vendor's own 100 ends a list
whose page count was not announced (issue 17)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

from chalicelib.outbound import HttpResponse
from chalicelib.sync.saas_client import PER_PAGE, SaasClient

BASE = "https://api.example.test/v1"


class _Server:
    """Pages of `items` at `serves` a page (None: at the `_perPage` asked), announcing the page
    count in `X-Total-Pages` when `announces`."""

    def __init__(self, items: list[dict[str, Any]], serves: int | None, announces: bool) -> None:
        self.items, self.serves, self.announces = items, serves, announces
        self.asked: list[tuple[int, int]] = []

    def request(self, method: str, url: str, **_: object) -> HttpResponse:
        query = parse_qs(urlsplit(url).query)
        page, per_page = int(query["_page"][0]), int(query["_perPage"][0])
        self.asked.append((page, per_page))
        size = self.serves or per_page
        body = json.dumps(self.items[(page - 1) * size:page * size]).encode()
        pages = {"x-total-pages": str(-(-len(self.items) // size))} if self.announces else {}
        return HttpResponse(200, body, pages)


def _seats(count: int) -> list[dict[str, Any]]:
    return [{"mainId": f"u{i}@c.example.com", "name": f"User {i}", "seatType": "User",
             "seatState": "Active", "billable": "1", "dateAdded": "2024-01-01T00:00:00+00:00",
             "remoteId": f"r-{i}"} for i in range(count)]


def _customers(count: int) -> list[dict[str, Any]]:
    return [{"saasCustomerId": 1000 + i, "saasCustomerName": f"C{i}", "productType": "Office365"}
            for i in range(count)]


def _client(server: _Server) -> SaasClient:
    return SaasClient(server, BASE, "pub", "sec", sleep=lambda s: None)


def test_the_client_asks_500_a_page_and_follows_the_announced_pages():
    server = _Server(_seats(1200), serves=None, announces=True)
    seats = _client(server).seats("7")
    assert PER_PAGE == 500
    assert server.asked == [(1, 500), (2, 500), (3, 500)]
    assert sorted(s.remote_id for s in seats) == sorted(f"r-{i}" for i in range(1200))


def test_a_server_ignoring_per_page_at_100_a_page_loses_no_seat():
    server = _Server(_seats(250), serves=100, announces=False)
    seats = _client(server).seats("7")
    assert len(seats) == 250 and {s.remote_id for s in seats} == {f"r-{i}" for i in range(250)}
    assert [page for page, _ in server.asked] == [1, 2, 3]  # 100, 100, then 50: short


def test_a_full_vendor_page_of_an_unannounced_list_is_followed_by_one_more_request():
    server = _Server(_seats(150), serves=None, announces=False)
    seats = _client(server).seats("7")
    assert len(seats) == 150
    assert [page for page, _ in server.asked] == [1, 2]  # 150 of 500 could be a 100-page server


def test_a_customer_list_served_100_a_page_without_totals_arrives_whole():
    server = _Server(_customers(250), serves=100, announces=False)
    customers = _client(server).customers()
    assert sorted(int(c.customer_id) for c in customers) == list(range(1000, 1250))
    assert [page for page, _ in server.asked] == [1, 2, 3]
