"""Upgrading a database stored before the REST API's lists were paged (DynamoDB Local): the
missing index is added and every older seat and customer gets a place in the pages, so neither the
API nor an IT Docs sync ever sees a partner's older customers as gone."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app import app
from chalicelib import runtime
from chalicelib.portal import catalog
from chalicelib.settings import from_environment
from chalicelib.storage import tables
from chalicelib.storage.portal import list_backfill, list_positions
from chalicelib.storage.portal.saas_customers import SaasCustomerModel
from chalicelib.storage.portal.saas_seats import SaasSeatModel
from devstack import dynamodb_local
from tests.fakes import build_for_tests
from tests.portal.helpers import make_partner
from tests.web_client import WebClient

pytestmark = pytest.mark.ddblocal
OLDER = (SaasSeatModel, SaasCustomerModel)


@pytest.fixture
def own_tables(frozen_time) -> Iterator[WebClient]:
    """A DynamoDB Local of this test's own (building an index on the shared one waits behind
    every other test's tables), the seats' and customers' tables made as an older version made
    them: without the list index."""
    port = dynamodb_local.free_port()
    process = dynamodb_local.start(port)
    settings = from_environment().with_overrides(
        dynamodb_endpoint=f"http://127.0.0.1:{port}", table_prefix="upgrade-")
    runtime.install(build_for_tests(settings, clock=frozen_time))
    client = tables.connection().client
    for model in tables.all_models():
        if model in OLDER:
            schema = model._get_schema()
            client.create_table(TableName=model.Meta.table_name,
                                KeySchema=sorted(schema["key_schema"],
                                                 key=lambda k: k["KeyType"] != "HASH"),
                                AttributeDefinitions=[a for a in schema["attribute_definitions"]
                                                      if a["AttributeName"] != "list_key"],
                                BillingMode="PAY_PER_REQUEST")
        else:
            model.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
    try:
        yield WebClient(app)
    finally:
        runtime.reset()
        dynamodb_local.stop(process)


def _as_stored_before_paging() -> None:
    """No list sizes and no `list_key` on any item, as an older version left them."""
    for model in OLDER:
        for item in model.scan():
            item.update(actions=[model.list_key.remove()])
    for size in list_positions.ListSizeModel.scan():
        size.delete()


def _all_pages(client: WebClient, path: str, headers: dict[str, str]) -> list[dict]:
    found: list[dict] = []
    page = 1
    while True:
        reply = client.get(f"{path}?_page={page}&_perPage=7", headers=headers)
        assert reply.status == 200, reply.text
        found.extend(reply.json)
        if page >= int(reply.headers["x-total-pages"]):
            return found
        page += 1


def test_an_older_database_is_upgraded_and_lists_every_customer_and_seat(own_tables):
    ddb_client = own_tables
    partner = make_partner(customers=((catalog.OFFICE365, 30, True),
                                      (catalog.GOOGLE_WORKSPACE, 4, False)))
    headers = {"authorization": partner.authorization}
    _as_stored_before_paging()

    tables.create_tables()
    placed = list_backfill.place_unlisted()

    customers = _all_pages(ddb_client, "/api/v1/saas/domains", headers)
    assert sorted(c["saasCustomerId"] for c in customers) == sorted(
        c.saas_customer_id for c in partner.customers)
    for customer in partner.customers:
        seats = _all_pages(ddb_client, f"/api/v1/saas/{customer.saas_customer_id}/seats", headers)
        stored = partner.seats[customer.saas_customer_id]
        assert sorted(s["remoteId"] for s in seats) == sorted(s.remote_id for s in stored)
    assert placed == len(partner.customers) + sum(len(s) for s in partner.seats.values())
    assert list_backfill.place_unlisted() == 0  # nothing moves a second time


def test_a_seat_list_etag_from_before_the_upgrade_no_longer_matches(own_tables):
    ddb_client = own_tables
    partner = make_partner(customers=((catalog.OFFICE365, 5, True),))
    customer = partner.customers[0]
    path = f"/api/v1/saas/{customer.saas_customer_id}/seats"
    headers = {"authorization": partner.authorization}
    _as_stored_before_paging()
    tables.create_tables()
    before = ddb_client.get(path, headers=headers)
    assert before.status == 200 and before.json == []  # unplaced seats are in no page yet

    list_backfill.place_unlisted()

    after = ddb_client.get(path, headers={**headers,
                                          "if-none-match": before.headers["etag"]})
    assert after.status == 200
    assert sorted(s["remoteId"] for s in after.json) == sorted(
        s.remote_id for s in partner.seats[customer.saas_customer_id])
