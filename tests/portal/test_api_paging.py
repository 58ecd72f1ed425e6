"""Paging of /saas/domains and /saas/{id}/seats (`_page`, `_perPage`, the totals headers), the
scoped key's domain list, and the vendor-realism setting of `/seats` — through the real routes."""

from __future__ import annotations

import pytest

from chalicelib import runtime
from chalicelib.portal import catalog, rest_api
from chalicelib.portal.paging import Paging
from chalicelib.storage import tables
from tests.fakes import build_for_tests, use_sleep
from tests.portal.helpers import make_partner
from tests.web_client import Reply, WebClient


def get(client: WebClient, path: str, partner) -> Reply:
    return client.get("/api/v1" + path, headers={"authorization": partner.authorization})


def page_through(client: WebClient, path: str, partner, per_page: int) -> tuple[list[dict], Reply]:
    """Every page up to X-Total-Pages, and the reply to the first page after them."""
    items: list[dict] = []
    page = 1
    while True:
        sep = "&" if "?" in path else "?"
        reply = get(client, f"{path}{sep}_page={page}&_perPage={per_page}", partner)
        assert reply.status == 200, reply.text
        assert reply.headers["x-page"] == str(page)
        assert reply.headers["x-per-page"] == str(per_page)
        if page > int(reply.headers["x-total-pages"]):
            return items, reply
        assert reply.json, f"page {page} of {reply.headers['x-total-pages']} was empty"
        items.extend(reply.json)
        page += 1


@pytest.fixture
def big(aws):
    return make_partner(customers=((catalog.OFFICE365, 250, True), (catalog.GOOGLE_WORKSPACE, 3,
                                                                     False)))


def test_seats_page_through_every_seat_once_in_type_then_creation_order(client, big):
    customer = big.customers[0]
    seats, after = page_through(client, f"/saas/{customer.saas_customer_id}/seats", big, 100)
    stored = big.seats[customer.saas_customer_id]
    assert len(seats) == 250
    assert sorted(s["remoteId"] for s in seats) == sorted(s.remote_id for s in stored)
    expected = sorted(stored, key=lambda s: s.seat_type)  # stable: creation order per type
    assert [s["remoteId"] for s in seats] == [s.remote_id for s in expected]
    assert after.json == []
    assert after.headers["x-total-count"] == "250" and after.headers["x-total-pages"] == "3"


def test_a_page_holds_per_page_seats_and_the_last_the_rest(client, big):
    customer_id = big.customers[0].saas_customer_id
    sizes = [len(get(client, f"/saas/{customer_id}/seats?_page={n}&_perPage=100", big).json)
             for n in (1, 2, 3, 4)]
    assert sizes == [100, 100, 50, 0]


def test_without_paging_the_vendor_defaults_serve_page_one_of_100(client, big):
    reply = get(client, f"/saas/{big.customers[0].saas_customer_id}/seats", big)
    assert reply.status == 200 and len(reply.json) == 100
    assert (reply.headers["x-page"], reply.headers["x-per-page"]) == ("1", "100")
    assert (reply.headers["x-total-count"], reply.headers["x-total-pages"]) == ("250", "3")


def test_the_largest_page_is_1000_and_holds_the_whole_small_list(client, big):
    reply = get(client, f"/saas/{big.customers[0].saas_customer_id}/seats?_perPage=1000", big)
    assert len(reply.json) == 250 and reply.headers["x-total-pages"] == "1"


@pytest.mark.parametrize("query, name", [
    ("_page=0", "_page"), ("_perPage=0", "_perPage"), ("_perPage=1001", "_perPage"),
    ("_page=%C2%B9", "_page"), ("_perPage=%D9%A1", "_perPage"), ("_page=-1", "_page"),
    ("_perPage=1e3", "_perPage"), ("_page=9999999", "_page"), ("_perPage=", "_perPage"),
])
@pytest.mark.parametrize("path", ["/saas/domains", "/saas/{id}/seats"])
def test_paging_out_of_range_is_a_400_in_the_vendor_shape(client, big, path, query, name):
    path = path.replace("{id}", str(big.customers[0].saas_customer_id))
    reply = get(client, f"{path}?{query}", big)
    assert reply.status == 400, reply.text
    assert reply.json["code"] == "invalid_input" and name in reply.json["message"]
    assert "x-request-id" in reply.headers and "x-total-count" not in reply.headers


def test_a_seat_type_filter_pages_and_counts_only_those_types(client, big):
    customer_id = big.customers[0].saas_customer_id
    wanted = {"User", "SharedMailbox"}
    stored = [s for s in big.seats[customer_id] if s.seat_type in wanted]
    seats, after = page_through(client, f"/saas/{customer_id}/seats?seatType="
                                + ",".join(sorted(wanted)), big, 7)
    assert sorted(s["remoteId"] for s in seats) == sorted(s.remote_id for s in stored)
    assert {s["seatType"] for s in seats} == wanted
    assert after.headers["x-total-count"] == str(len(stored))


def test_domains_page_through_every_customer_once(client, aws):
    partner = make_partner(customers=tuple((catalog.OFFICE365, 1, True) for _ in range(7)))
    customers, after = page_through(client, "/saas/domains", partner, 3)
    assert [c["saasCustomerId"] for c in customers] == [c.saas_customer_id
                                                        for c in partner.customers]
    assert (after.headers["x-total-count"], after.headers["x-total-pages"]) == ("7", "3")
    assert customers[0]["organizationName"] == partner.organizations[0].name
    assert set(customers[0]) >= {"backupStats", "externalSubscriptionId", "seatsUsed"}


def test_a_page_of_seats_costs_one_read_one_budget_write_and_one_query(client, big):
    customer_id = big.customers[0].saas_customer_id
    get(client, f"/saas/{customer_id}/seats?_page=2", big)  # the key's secret is verified once
    with tables.counting_calls() as counter:
        reply = get(client, f"/saas/{customer_id}/seats?_page=2&_perPage=100", big)
    assert len(reply.json) == 100
    # The key, the customer and the list's sizes in one read, the budget; then the page's range.
    assert counter.calls == {"BatchGetItem": 1, "UpdateItem": 1, "Query": 1}


def test_a_scoped_key_lists_only_its_customers_and_pages_them(aws):
    partner = make_partner(customers=tuple((catalog.OFFICE365, 1, True) for _ in range(5)))
    other = make_partner(customers=((catalog.OFFICE365, 1, True),))
    ids = [c.saas_customer_id for c in partner.customers]
    scope = frozenset({ids[4], ids[1], ids[3], other.customers[0].saas_customer_id})
    caller = rest_api.Caller(partner.company.company_id, partner.public_key, scope)
    first = rest_api.domains(runtime.current(), caller, Paging(1, 2))
    second = rest_api.domains(runtime.current(), caller, Paging(2, 2))
    assert [c["saasCustomerId"] for c in first.items + second.items] == [ids[1], ids[3], ids[4]]
    assert first.total == 3 and first.total_pages == 2


def with_vendor_realism(frozen_time, **settings: object) -> list[float]:
    """Reinstall the runtime with these settings; the list collects every requested sleep."""
    rt = runtime.current()
    runtime.install(build_for_tests(rt.settings.with_overrides(**settings), clock=frozen_time))
    slept: list[float] = []
    use_sleep(runtime.current(), slept.append)
    return slept


def test_vendor_realism_is_off_by_default(client, big, frozen_time):
    slept = with_vendor_realism(frozen_time)
    reply = get(client, f"/saas/{big.customers[0].saas_customer_id}/seats", big)
    assert reply.status == 200 and slept == []


def test_vendor_realism_waits_per_seat_of_the_customer(client, big, frozen_time):
    slept = with_vendor_realism(frozen_time, vendor_seat_latency_ms=40.0)
    small, large = big.customers[1], big.customers[0]
    assert get(client, f"/saas/{small.saas_customer_id}/seats", big).status == 200
    assert get(client, f"/saas/{large.saas_customer_id}/seats?_perPage=10", big).status == 200
    assert slept == [pytest.approx(0.12), pytest.approx(10.0)]


def test_vendor_realism_answers_504_above_the_seat_threshold(client, big, frozen_time):
    with_vendor_realism(frozen_time, vendor_seats_504_above=3)
    small, large = big.customers[1], big.customers[0]
    assert get(client, f"/saas/{small.saas_customer_id}/seats", big).status == 200
    reply = get(client, f"/saas/{large.saas_customer_id}/seats", big)
    assert reply.status == 504
    assert reply.json["code"] == "gateway_timeout" and "250 seats" in reply.json["message"]
    assert "x-request-id" in reply.headers
    assert get(client, "/saas/domains", big).status == 200  # /seats only


def test_vendor_realism_is_read_from_the_environment():
    from chalicelib.settings import from_environment

    chosen = from_environment({"LINKHUB_VENDOR_SEAT_LATENCY_MS": "45",
                               "LINKHUB_VENDOR_SEATS_504_ABOVE": "40"})
    assert (chosen.vendor_seat_latency_ms, chosen.vendor_seats_504_above) == (45.0, 40)
    default = from_environment({})
    assert (default.vendor_seat_latency_ms, default.vendor_seats_504_above) == (0.0, 0)


def test_a_scoped_key_pages_only_its_customers_through_the_route(client, aws):
    from chalicelib.portal import api_keys
    from tests.portal.helpers import basic

    partner = make_partner(customers=tuple((catalog.OFFICE365, 1, True) for _ in range(5)))
    ids = [c.saas_customer_id for c in partner.customers]
    scoped = api_keys.issue(runtime.current(), partner.company.company_id, "scoped",
                            partner.admin.username, customers=[ids[3], ids[0], ids[2]])
    headers = {"authorization": basic(scoped.key.public_key, scoped.secret)}
    first = client.get("/api/v1/saas/domains?_perPage=2", headers=headers)
    second = client.get("/api/v1/saas/domains?_perPage=2&_page=2", headers=headers)
    listed = [c["saasCustomerId"] for c in first.json + second.json]
    assert listed == [ids[0], ids[2], ids[3]]
    assert (first.headers["x-total-count"], first.headers["x-total-pages"]) == ("3", "2")


def test_a_refused_duplicate_customer_leaves_no_hole_in_the_pages(client, aws):
    from chalicelib.errors import AlreadyExists
    from chalicelib.storage.portal import saas_customers as customer_store

    partner = make_partner(customers=tuple((catalog.OFFICE365, 1, True) for _ in range(3)))
    with pytest.raises(AlreadyExists):
        customer_store.create_customer(partner.customers[1])
    reply = get(client, "/saas/domains?_perPage=3", partner)
    assert [c["saasCustomerId"] for c in reply.json] == [c.saas_customer_id
                                                         for c in partner.customers]
    assert reply.headers["x-total-count"] == "3" and reply.headers["x-total-pages"] == "1"


@pytest.mark.parametrize("per_page", [5, 100, 500])
def test_the_it_docs_client_fetches_every_customer_and_seat_from_these_pages(aws, per_page):
    from app import app
    from chalicelib.sync.saas_client import SaasClient
    from tests.loopback import LoopbackTransport

    partner = make_partner(customers=((catalog.OFFICE365, 250, True),) + tuple(
        (catalog.GOOGLE_WORKSPACE, 2, False) for _ in range(11)))
    transport = LoopbackTransport(app, "http://portal.test")
    client = SaasClient(transport, "http://portal.test/api/v1", *partner.auth,
                        sleep=lambda _: None, per_page=per_page)
    customers = client.customers()
    assert sorted(int(c.customer_id) for c in customers) == sorted(
        c.saas_customer_id for c in partner.customers)
    for customer in partner.customers[:2]:
        seats = client.seats(str(customer.saas_customer_id))
        assert sorted(s.remote_id for s in seats) == sorted(
            s.remote_id for s in partner.seats[customer.saas_customer_id])
