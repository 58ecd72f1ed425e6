"""Upstream failures end in a visible, logged outcome with nothing lost; checkpointed runs."""

from __future__ import annotations

import datetime as dt
import json

from chalicelib.itdocs.directory import ItDocsDirectory
from chalicelib.outbound import HttpResponse, Unreachable
from chalicelib.storage.itdocs import integrations as integration_store
from chalicelib.storage.itdocs import sync_checkpoints as checkpoint_store
from chalicelib.sync import card, integrations, run, scheduled
from tests.fakes import use_sleep, use_transport
from tests.sync.helpers import CUSTOMERS, FailingTransport, connected, seat_requests


def _first_sync(aws, frozen_time):
    setup = connected(aws)
    iid = setup.integration.integration_id
    integrations.start_manual_sync(aws, setup.admin, iid)
    cards = {org: card.saas_card(aws, setup.admin, org)
             for org in setup.organization_ids.values()}
    frozen_time.advance(hours=6)
    return setup, iid, cards


def test_seats_failing_for_one_customer_fall_back_to_seats_used_and_say_so(aws, frozen_time):
    setup, iid, cards = _first_sync(aws, frozen_time)
    failing = setup.partner.customers[0]
    transport = FailingTransport(setup.transport, f"/saas/{failing.saas_customer_id}/seats",
                                 HttpResponse(504, b'{"code":"timeout","message":"slow"}'))
    use_transport(aws, transport)

    shown = integrations.start_manual_sync(aws, setup.admin, iid)

    assert transport.hits == 1  # a 504 is the vendor's answer for a large customer: final
    assert shown.status == "OK"
    assert "Seats of 1 customer could not be fetched" in shown.status_reason
    log = integrations.sync_logs(aws, setup.admin, iid)[0]
    assert any(f"Seats of customer {failing.saas_customer_id}" in n and "seatsUsed" in n
               and "HTTP 504" in n and "not retried in this run" in n for n in log.notes)
    org_id = setup.organization_ids[failing.organization_name]
    after = card.saas_card(aws, setup.admin, org_id)
    assert after.protected_seats == cards[org_id].protected_seats  # the stored seats are kept
    assert "could not be fetched" in after.sections[0].seats_note


def test_a_long_retry_after_pauses_the_run_until_then_and_it_goes_on(aws, frozen_time):
    setup, iid, cards = _first_sync(aws, frozen_time)
    transport = FailingTransport(setup.transport, "/saas/domains",
                                 HttpResponse(429, b"{}", {"retry-after": "3600"}), times=1)
    use_transport(aws, transport)
    resumes = (aws.clock.now() + dt.timedelta(hours=1)).strftime("%H:%M")

    shown = integrations.start_manual_sync(aws, setup.admin, iid)

    note = f"Rate limited by SaaS Protection; continuing at {resumes} UTC."
    assert (shown.status, shown.status_reason) == ("Syncing...", note)
    assert {org: card.saas_card(aws, setup.admin, org) for org in cards} == cards
    frozen_time.advance(minutes=59)
    assert scheduled.tick(aws) == []  # not before the time the vendor asked for
    frozen_time.advance(minutes=1)
    (claim,) = scheduled.tick(aws)
    assert claim.trigger == "manual"
    shown = integrations.get(aws, setup.admin, iid)
    assert shown.status == "OK"
    log = integrations.sync_logs(aws, setup.admin, iid)[0]
    assert log.outcome == "OK" and note in log.notes


def test_a_short_429_is_waited_out_and_the_sync_succeeds(aws, frozen_time):
    setup, iid, _ = _first_sync(aws, frozen_time)
    waits: list[float] = []
    use_sleep(aws, waits.append)
    use_transport(aws, FailingTransport(
        setup.transport, "/saas/domains", HttpResponse(429, b"{}", {"retry-after": "7"}),
        times=2))

    shown = integrations.start_manual_sync(aws, setup.admin, iid)

    assert shown.status == "OK"
    assert waits == [7, 7]


def test_malformed_json_ends_in_error_with_the_data_kept(aws, frozen_time):
    setup, iid, cards = _first_sync(aws, frozen_time)
    use_transport(aws, FailingTransport(
        setup.transport, "/saas/domains", HttpResponse(200, b'[{"saasCustomerId": 1,')))

    shown = integrations.start_manual_sync(aws, setup.admin, iid)

    assert shown.status == "Error"
    assert shown.status_reason == (
        "The SaaS Protection API returned malformed JSON for GET /saas/domains.")
    assert integrations.sync_logs(aws, setup.admin, iid)[0].outcome == "Error"
    assert {org: card.saas_card(aws, setup.admin, org) for org in cards} == cards


def test_an_unreachable_host_is_retried_then_reported(aws, frozen_time):
    setup, iid, cards = _first_sync(aws, frozen_time)
    use_transport(aws, FailingTransport(
        setup.transport, "/saas/domains", Unreachable("api.example could not be reached")))

    shown = integrations.start_manual_sync(aws, setup.admin, iid)

    assert shown.status == "Error"
    assert "could not be reached" in shown.status_reason and "4 attempts" in shown.status_reason
    assert {org: card.saas_card(aws, setup.admin, org) for org in cards} == cards


def test_a_run_continues_from_its_checkpoint_across_workers_with_a_tiny_budget(aws):
    setup = connected(aws, customers=CUSTOMERS + CUSTOMERS)
    iid = setup.integration.integration_id
    record = integration_store.get_integration(iid)
    claim = scheduled.claim_due(aws, record, aws.clock.now())
    assert claim is not None

    results = []
    token = claim.lease_token
    while True:
        result = run.work(aws, iid, token, directory=ItDocsDirectory(aws), budget_seconds=0,
                          page_size=2)
        results.append(result.state)
        if result.state != "continue":
            break
        # a late duplicate of the previous worker's message does nothing
        late = run.work(aws, iid, token, directory=ItDocsDirectory(aws), budget_seconds=0,
                        page_size=2)
        assert late.state == "stale"
        checkpoint = checkpoint_store.get_checkpoint(iid)
        assert checkpoint is not None and (checkpoint.done, checkpoint.total) == (len(results), 6)
        progress = integration_store.get_integration(iid)
        assert (progress.sync_done, progress.sync_total) == (len(results), 6)
        token = result.lease_token

    # with no budget left, each worker does one customer (at least one) and hands on
    assert results == ["continue"] * 5 + ["done"]
    customers = [str(c.saas_customer_id) for c in setup.partner.customers]
    assert sorted(seat_requests(setup.transport)) == sorted(
        f"/api/v1/saas/{c}/seats" for c in customers)  # each fetched once: nothing redone
    (log,) = integrations.sync_logs(aws, setup.admin, iid)
    assert log.outcome == "OK" and log.customers_seen == 6
    assert log.seats_seen == sum(len(s) for s in setup.partner.seats.values())
    for org_id in setup.organization_ids.values():
        assert card.saas_card(aws, setup.admin, org_id) is not None


def test_unknown_seat_states_are_logged_and_not_protected(aws):
    setup = connected(aws, customers=CUSTOMERS[:1])
    customer = setup.partner.customers[0]
    path = f"/saas/{customer.saas_customer_id}/seats"
    seats = [{"mainId": "a@x.com", "name": "A", "seatType": "User", "seatState": "Active",
              "billable": "1", "dateAdded": "2024-01-01T00:00:00+00:00", "remoteId": "r1"},
             {"mainId": "b@x.com", "name": "B", "seatType": "User", "seatState": "Frozen",
              "billable": "1", "dateAdded": "2024-01-01T00:00:00+00:00", "remoteId": "r2"}]
    use_transport(aws, FailingTransport(
        setup.transport, path, HttpResponse(200, json.dumps({"pagination": {"totalPages": 1},
                                                             "items": seats}).encode())))

    integrations.start_manual_sync(aws, setup.admin, setup.integration.integration_id)

    shown = card.saas_card(aws, setup.admin, setup.organization_ids[
        customer.organization_name])
    assert shown.protected_seats == 1
    assert shown.sections[0].seats_not_counted == {"Frozen": 1}
    log = integrations.sync_logs(aws, setup.admin, setup.integration.integration_id)[0]
    assert any("unknown seatState 'Frozen'" in n for n in log.notes)
