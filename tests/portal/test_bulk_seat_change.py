"""A bulk seat change reads the customer with the seats it names once and writes the changed seats
with the summary after them in one transaction (per 99 seats): what a client and the domains list
see afterwards, the calls it costs, and a change racing another one."""

from __future__ import annotations

import json
from typing import Any

from chalicelib import runtime
from chalicelib.portal import catalog, seats
from chalicelib.storage import tables
from chalicelib.storage.portal import saas_customers as customer_store
from chalicelib.storage.portal import saas_seats as seat_store
from tests.portal.helpers import Partner, make_partner
from tests.web_client import Reply, WebClient


def _bulk(client: WebClient, partner: Partner, ids: list[str], action: str = "Unlicense",
          seat_type: str = "User") -> Reply:
    customer = partner.customers[0]
    return client.request(
        "PUT", f"/api/v1/saas/{customer.saas_customer_id}/{customer.external_subscription_id}"
               "/bulkSeatChange",
        headers={"authorization": partner.authorization, "content-type": "application/json"},
        body=json.dumps({"seat_type": seat_type, "action_type": action, "ids": ids}))


def _stored(partner: Partner) -> dict[str, seat_store.Seat]:
    return {s.remote_id: s for s in seat_store.seats_of_customer(
        partner.customers[0].saas_customer_id)}


def _summary_is_recomputed(partner: Partner) -> None:
    """The customer's stored summary is the one its stored seats give now."""
    customer = partner.customers[0]
    stored = customer_store.get_customer(customer.company_id, customer.saas_customer_id)
    expected = seats.summarize(_stored(partner).values(), customer.product_type,
                               runtime.current().clock.now())
    assert (stored.seats_used, stored.active_services, stored.recent_backup_services) == (
        expected.seats_used, expected.active_services, expected.recent_backup_services)


def _users(partner: Partner, state: str | None = None) -> list[str]:
    return [s.remote_id for s in partner.seats[partner.customers[0].saas_customer_id]
            if s.seat_type == "User" and (state is None or s.seat_state == state)]


def _warm(client: WebClient, partner: Partner) -> None:
    """The key's secret verified once in this process, as on any working day."""
    assert client.get("/api/v1/saas/domains",
                      headers={"authorization": partner.authorization}).status == 200


def test_a_hundred_seats_change_in_two_transactions_with_the_summary(client, aws):
    partner = make_partner(customers=((catalog.OFFICE365, 320, True),))
    licensed = [i for i in _users(partner) if i not in _users(partner, catalog.UNPROTECTED)]
    assert len(licensed) >= 100, "the generated customer has fewer licensed users than needed"
    _warm(client, partner)
    before = customer_store.get_customer(partner.company.company_id,
                                         partner.customers[0].saas_customer_id)
    with tables.counting_calls() as calls:
        reply = _bulk(client, partner, licensed[:100])
    assert reply.status == 200, reply
    assert [r["status"] for r in reply.json] == ["Success"] * 100
    # The admission; the customer with 99 seats, then the last seat (DynamoDB reads 100 items
    # at a time); 99 seats and the summary, then the last one.
    assert dict(calls.calls) == {"UpdateItem": 1, "BatchGetItem": 2, "TransactWriteItems": 2}
    stored = _stored(partner)
    assert {(stored[i].seat_state, stored[i].billable) for i in licensed[:100]} == {
        (catalog.UNPROTECTED, "")}
    _summary_is_recomputed(partner)
    after = customer_store.get_customer(partner.company.company_id,
                                        partner.customers[0].saas_customer_id)
    assert after.seats_version == before.seats_version + 2
    assert after.seats_used < before.seats_used


def test_unknown_ids_fail_alone_and_seats_already_so_are_not_written(client, aws):
    partner = make_partner(customers=((catalog.OFFICE365, 40, True),))
    licensed = [i for i in _users(partner) if i not in _users(partner, catalog.UNPROTECTED)]
    _warm(client, partner)
    assert _bulk(client, partner, licensed[:1]).status == 200
    with tables.counting_calls() as calls:
        reply = _bulk(client, partner, [licensed[0], "no-such-seat", licensed[1]])
    assert [r["status"] for r in reply.json] == ["Success", "Failed", "Success"]
    assert [r["id"] for r in reply.json] == [
        seats.change_id(partner.customers[0].saas_customer_id, i)
        for i in (licensed[0], "no-such-seat", licensed[1])]
    assert calls.calls["TransactWriteItems"] == 1
    assert _stored(partner)[licensed[1]].seat_state == catalog.UNPROTECTED
    assert "no-such-seat" not in _stored(partner)  # a failed id is never created
    _summary_is_recomputed(partner)


def test_ids_of_another_seat_type_or_none_at_all_write_nothing(client, aws):
    partner = make_partner(customers=((catalog.OFFICE365, 30, True),))
    _warm(client, partner)
    before = _stored(partner)
    with tables.counting_calls() as calls:
        reply = _bulk(client, partner, _users(partner)[:2], seat_type="SharedMailbox")
    assert [r["status"] for r in reply.json] == ["Failed", "Failed"]
    assert "TransactWriteItems" not in calls.calls
    assert _stored(partner) == before


def _racing(partner: Partner, other: list[str]) -> Any:
    """`read_for_change` whose first answer is overtaken by another change of `other`."""
    original = seat_store.read_for_change
    state = {"raced": False}

    def read(*args: Any, **kwargs: Any) -> Any:
        found = original(*args, **kwargs)
        if not state["raced"]:
            state["raced"] = True
            customer = customer_store.get_customer(partner.company.company_id,
                                                   partner.customers[0].saas_customer_id)
            change = seats.BulkChange("User", "Pause", other)
            assert {r["status"] for r in seats.bulk_change(
                customer, change, runtime.current().clock.now())} == {"Success"}
        return found

    return read


def test_a_change_overtaken_by_another_reads_again_and_both_count(client, aws, monkeypatch):
    partner = make_partner(customers=((catalog.OFFICE365, 60, True),))
    users = _users(partner)
    mine, theirs = users[:3], users[3:6]
    _warm(client, partner)
    monkeypatch.setattr(seat_store, "read_for_change", _racing(partner, theirs))
    with tables.counting_calls() as calls:
        reply = _bulk(client, partner, mine)
    monkeypatch.undo()
    assert [r["status"] for r in reply.json] == ["Success"] * 3
    stored = _stored(partner)
    assert {stored[i].seat_state for i in mine} == {catalog.UNPROTECTED}
    assert {stored[i].seat_state for i in theirs} == {catalog.PAUSED}  # not undone by the race
    _summary_is_recomputed(partner)
    # The lost transaction, the customer and the seats read again, the write that held.
    assert calls.calls["BatchGetItem"] >= 2 and calls.calls["TransactWriteItems"] >= 2


def test_seat_list_sizes_read_with_the_key_are_current(client, aws):
    partner = make_partner(customers=((catalog.OFFICE365, 12, True),))
    customer = partner.customers[0]
    path = f"/api/v1/saas/{customer.saas_customer_id}/seats"
    headers = {"authorization": partner.authorization}
    assert client.get(path, headers=headers).headers["x-total-count"] == "12"
    extra = [seat_store.Seat(customer.saas_customer_id, f"extra-{n}", f"extra{n}@c.example",
                             f"Extra {n}", "User", catalog.ACTIVE, "1",
                             runtime.current().clock.now()) for n in range(3)]
    seat_store.save_seats(extra)
    with tables.counting_calls() as calls:
        reply = client.get(path + "?_perPage=5&_page=3", headers=headers)
    assert reply.headers["x-total-count"] == "15" and reply.headers["x-total-pages"] == "3"
    assert len(reply.json) == 5
    assert dict(calls.calls) == {"BatchGetItem": 1, "UpdateItem": 1, "Query": 1}


def test_another_partners_customer_shows_no_sizes_of_it(client, aws):
    partner, other = make_partner(), make_partner()
    headers = {"authorization": partner.authorization}
    _warm(client, partner)
    reply = client.get(f"/api/v1/saas/{other.customers[0].saas_customer_id}/seats",
                       headers=headers)
    assert reply.status == 404 and "x-total-count" not in reply.headers
    domains = client.get("/api/v1/saas/domains", headers=headers)
    assert domains.headers["x-total-count"] == str(len(partner.customers))


def test_a_change_costs_the_admission_one_read_and_one_write(client, aws):
    partner = make_partner(customers=((catalog.OFFICE365, 30, True),))
    licensed = [i for i in _users(partner) if i not in _users(partner, catalog.UNPROTECTED)]
    _warm(client, partner)
    with tables.counting_calls() as calls:
        reply = _bulk(client, partner, licensed[:3] + ["no-such-seat"], action="Pause")
    assert [r["status"] for r in reply.json] == ["Success"] * 3 + ["Failed"]
    # The admission; the customer with the four seats named; the three seats and the summary.
    assert dict(calls.calls) == {"UpdateItem": 1, "BatchGetItem": 1, "TransactWriteItems": 1}
    assert {_stored(partner)[i].seat_state for i in licensed[:3]} == {catalog.PAUSED}
    _summary_is_recomputed(partner)


def _put(client: WebClient, partner: Partner, customer_id: int, subscription: str,
         body: str) -> Reply:
    return client.request(
        "PUT", f"/api/v1/saas/{customer_id}/{subscription}/bulkSeatChange",
        headers={"authorization": partner.authorization, "content-type": "application/json"},
        body=body)


def test_refusals_answer_as_before_within_three_calls_writing_nothing(client, aws):
    """The customer is read with the seats, then checked in the order every endpoint checks it:
    no such customer (another partner's too), no such subscription, a product without bulk
    changes, then the body."""
    partner = make_partner(customers=((catalog.OFFICE365, 12, True),
                                      (catalog.GOOGLE_WORKSPACE, 6, False)))
    other = make_partner()
    office, google = partner.customers
    users = _users(partner)[:2]
    good = json.dumps({"seat_type": "User", "action_type": "Pause", "ids": users})
    _warm(client, partner)
    cases = [
        (other.customers[0].saas_customer_id, other.customers[0].external_subscription_id, good,
         404, "No such SaaS Protection customer."),
        (office.saas_customer_id, "Classic:Office365:1", good, 404,
         "No such subscription for this customer."),
        (google.saas_customer_id, google.external_subscription_id, "not json", 400,
         "Bulk seat changes are not available for"),
        (office.saas_customer_id, office.external_subscription_id, "[1]", 400,
         "The body must be a JSON object."),
        (office.saas_customer_id, office.external_subscription_id,
         json.dumps({"seat_type": "Mailbox", "action_type": "Pause", "ids": users}), 400,
         "seat_type must be one of"),
    ]
    before = _stored(partner)
    for customer_id, subscription, body, status, words in cases:
        with tables.counting_calls() as calls:
            reply = _put(client, partner, customer_id, subscription, body)
        assert (reply.status, reply.json["message"][:len(words)]) == (status, words), reply
        assert dict(calls.calls) == {"UpdateItem": 1, "BatchGetItem": 1}, (words, calls.calls)
    assert _stored(partner) == before
