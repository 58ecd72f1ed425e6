"""The seat list's ETag and If-None-Match: what a client sees, what a 304 costs, and that every
writer of seats moves the ETag on (so a client holding the old one is sent the new seats)."""

from __future__ import annotations

import json

import pytest

from chalicelib import runtime
from chalicelib.portal import catalog, seats
from chalicelib.storage import tables
from chalicelib.storage.portal import saas_seats as seat_store
from tests.portal.helpers import Partner, make_partner
from tests.queried import tables_queried
from tests.web_client import Reply, WebClient

SEAT_TABLE = seat_store.SaasSeatModel.Meta.table_name


def _path(partner: Partner, query: str = "") -> str:
    return f"/api/v1/saas/{partner.customers[0].saas_customer_id}/seats{query}"


def _get(client: WebClient, partner: Partner, query: str = "",
         condition: str | None = None) -> Reply:
    headers = {"authorization": partner.authorization}
    if condition is not None:
        headers["if-none-match"] = condition
    return client.get(_path(partner, query), headers=headers)


@pytest.fixture
def partner(client: WebClient, aws: runtime.Runtime) -> Partner:
    made = make_partner(customers=((catalog.OFFICE365, 12, True),))
    assert client.get("/api/v1/saas/domains",
                      headers={"authorization": made.authorization}).status == 200  # warm key
    return made


def test_every_page_of_a_list_carries_one_etag_and_a_match_answers_304_reading_no_seat(
        client, partner):
    with tables_queried() as served:
        pages = [_get(client, partner, f"?_perPage=5&_page={n}") for n in (1, 2, 3)]
    assert [t for t in served if t.endswith(SEAT_TABLE)]  # a 200 reads its seats
    tags = {reply.headers["etag"] for reply in pages}
    assert len(tags) == 1 and all(reply.status == 200 for reply in pages)
    (tag,) = tags
    assert tag.startswith('"') and tag.endswith('"')

    with tables.counting_calls() as calls, tables_queried() as queried:
        reply = _get(client, partner, "?_perPage=5&_page=1", tag)

    assert reply.status == 304 and reply.body in (b"", None)
    assert reply.headers["etag"] == tag
    assert reply.headers["x-total-count"] == "12" and reply.headers["x-total-pages"] == "3"
    assert "x-api-limit-remaining" in {name.lower() for name in reply.headers}
    assert not [t for t in queried if t.endswith(SEAT_TABLE)]  # a 304 reads no seat
    assert dict(calls.calls) == {"BatchGetItem": 1, "UpdateItem": 1}


def test_the_etag_differs_by_filter_and_page_size_not_by_page(client, partner):
    plain = _get(client, partner).headers["etag"]
    assert _get(client, partner, "?_page=2").headers["etag"] == plain
    assert _get(client, partner, "?_perPage=5").headers["etag"] != plain
    filtered = _get(client, partner, "?seatType=User").headers["etag"]
    assert filtered != plain
    assert _get(client, partner, "?seatType=User", plain).status == 200


@pytest.mark.parametrize("condition", ["*", "W/{tag}", '"other", {tag}', '{tag} , "x"',
                                       ',{tag},', '"a,b", W/{tag}'])
def test_if_none_match_forms_that_name_the_list_answer_304(client, partner, condition):
    tag = _get(client, partner).headers["etag"]
    assert _get(client, partner, "", condition.format(tag=tag)).status == 304


@pytest.mark.parametrize("condition", ['"other"', "{bare}", '{tag} garbage', "*, {tag}",
                                       "w/{tag}", '"unterminated', "", '{tag}' + " " * 5000])
def test_if_none_match_that_does_not_name_the_list_gets_the_full_page(client, partner,
                                                                        condition):
    tag = _get(client, partner).headers["etag"]
    reply = _get(client, partner, "", condition.format(tag=tag, bare=tag.strip('"')))
    assert reply.status == 200 and len(reply.json) == 12


def test_a_304_is_charged_and_checked_like_a_200(client, aws, partner):
    tag = _get(client, partner).headers["etag"]
    unauthenticated = client.get(_path(partner), headers={"if-none-match": tag})
    assert unauthenticated.status == 401
    first = _get(client, partner, "", tag)
    second = _get(client, partner, "", tag)
    assert second.status == 304
    assert int(second.headers["x-api-limit-remaining"]) == int(
        first.headers["x-api-limit-remaining"]) - 1
    other = make_partner()
    foreign = client.get(_path(partner), headers={"authorization": other.authorization,
                                                  "if-none-match": "*"})
    assert foreign.status == 404


def test_a_bulk_change_moves_the_etag_on_and_the_old_one_gets_the_new_seats(
        client, partner, frozen_time):
    tag = _get(client, partner).headers["etag"]
    customer = partner.customers[0]
    licensed = next(s.remote_id for s in partner.seats[customer.saas_customer_id]
                    if s.seat_type == "User" and s.seat_state != catalog.UNPROTECTED)
    reply = client.request(
        "PUT", f"/api/v1/saas/{customer.saas_customer_id}/{customer.external_subscription_id}"
               "/bulkSeatChange",
        headers={"authorization": partner.authorization, "content-type": "application/json"},
        body=json.dumps({"seat_type": "User", "action_type": "Unlicense", "ids": [licensed]}))
    assert reply.status == 200

    fresh = _get(client, partner, "", tag)
    assert fresh.status == 200
    changed = next(s for s in fresh.json if s["remoteId"] == licensed)
    assert changed["seatState"] == catalog.UNPROTECTED
    # Just changed: the index serving pages may lag the table, so no ETag is served yet.
    assert "etag" not in fresh.headers
    frozen_time.advance(seconds=seats.ETAG_SETTLE.total_seconds())
    settled = _get(client, partner).headers["etag"]
    assert settled != tag
    assert _get(client, partner, "", settled).status == 304


def test_a_single_seat_update_moves_the_etag_on(client, aws, partner):
    tag = _get(client, partner).headers["etag"]
    customer = partner.customers[0]
    seat = partner.seats[customer.saas_customer_id][0]
    assert seat_store.update_seat(customer.company_id, customer.saas_customer_id, seat.remote_id,
                                  seat.seat_type, catalog.PAUSED, None, aws.clock.now())

    reply = _get(client, partner, "", tag)
    assert reply.status == 200
    assert next(s for s in reply.json if s["remoteId"] == seat.remote_id)["seatState"] == (
        catalog.PAUSED)


def test_a_refused_single_seat_update_moves_nothing(client, aws, partner):
    tag = _get(client, partner).headers["etag"]
    customer = partner.customers[0]
    seat = partner.seats[customer.saas_customer_id][0]
    wrong_type = "SharedMailbox" if seat.seat_type != "SharedMailbox" else "User"
    assert not seat_store.update_seat(customer.company_id, customer.saas_customer_id,
                                      seat.remote_id, wrong_type, catalog.PAUSED, None,
                                      aws.clock.now())
    assert _get(client, partner, "", tag).status == 304


def test_seats_loaded_for_an_existing_customer_move_the_etag_on(client, aws, partner):
    tag = _get(client, partner).headers["etag"]
    customer = partner.customers[0]
    extra = [seat_store.Seat(customer.saas_customer_id, f"extra-{n}", f"extra{n}@c.example",
                             f"Extra {n}", "User", catalog.ACTIVE, "1", aws.clock.now())
             for n in range(2)]
    seat_store.save_seats(extra, company_id=customer.company_id, changed_at=aws.clock.now())

    reply = _get(client, partner, "", tag)
    assert reply.status == 200 and len(reply.json) == 14
    assert {"extra-0", "extra-1"} <= {s["remoteId"] for s in reply.json}
