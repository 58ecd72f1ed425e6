"""The sync's conditional seat requests: a re-sync of unchanged seats reads and writes none, a
change made by any portal writer is still shown, and a server without (or with per-page) ETags
is read in full as before."""

from __future__ import annotations

import dataclasses
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from chalicelib.itdocs.directory import ItDocsDirectory
from chalicelib.outbound import HttpResponse
from chalicelib.portal import catalog, seats
from chalicelib.storage import tables
from chalicelib.storage.itdocs import backup_customers as customer_store
from chalicelib.storage.itdocs import backup_seats as backup_seat_store
from chalicelib.storage.itdocs import integrations as integration_store
from chalicelib.storage.portal import saas_seats as portal_seats
from chalicelib.sync import card, customer_seats, integrations, lifecycle, run, scheduled
from chalicelib.sync.saas_answers import MalformedResponse
from chalicelib.sync.saas_client import SaasClient
from tests.fakes import use_transport
from tests.queried import tables_queried
from tests.sync.helpers import Setup, connected, seat_requests

BASE = "https://api.example.test/v1"
PORTAL_SEATS = portal_seats.SaasSeatModel.Meta.table_name
BACKUP_SEATS = backup_seat_store.BackupSeatModel.Meta.table_name


# -- the client against a scripted server -------------------------------------------------------
class _Server:
    """Seat pages of 2 with the ETag `tags(page)` gives (None: no ETag); `not_modified`: answers
    304 whenever asked with If-None-Match."""

    def __init__(self, tags: Any, not_modified: bool = False, count: int = 5) -> None:
        self.tags, self.not_modified, self.count = tags, not_modified, count
        self.conditions: list[str | None] = []

    def request(self, method: str, url: str, *, headers: dict[str, str] | None = None,
                **_: object) -> HttpResponse:
        page = int(parse_qs(urlsplit(url).query)["_page"][0])
        condition = (headers or {}).get("if-none-match")
        self.conditions.append(condition)
        tag = self.tags(page)
        if self.not_modified and condition:
            return HttpResponse(304, b"", {"etag": condition})
        items = [{"mainId": f"u{i}@c.example", "name": f"U {i}", "seatType": "User",
                  "seatState": "Active", "billable": "1",
                  "dateAdded": "2024-01-01T00:00:00+00:00", "remoteId": f"r-{i}"}
                 for i in range(self.count)][(page - 1) * 2:page * 2]
        headers_out = {"x-total-pages": str(-(-self.count // 2))}
        if tag is not None:
            headers_out["etag"] = tag
        return HttpResponse(200, json.dumps(items).encode(), headers_out)


def _client(server: _Server) -> SaasClient:
    return SaasClient(server, BASE, "pub", "sec", sleep=lambda s: None, per_page=2)


def test_a_list_whose_every_page_has_one_strong_etag_is_remembered_by_it():
    server = _Server(lambda page: '"v7"')
    listed = _client(server).seat_list("9")
    assert listed.etag == '"v7"' and len(listed.seats) == 5 and not listed.unchanged
    assert server.conditions == [None, None, None]


@pytest.mark.parametrize("tags", [lambda page: f'"p{page}"',  # an ETag per page
                                  lambda page: '"v7"' if page < 3 else None,  # one page none
                                  lambda page: 'W/"v7"',  # weak
                                  lambda page: "v7",  # not an entity tag
                                  lambda page: None])  # no ETags at all
def test_a_list_without_one_strong_etag_on_every_page_is_remembered_without(tags):
    listed = _client(_Server(tags)).seat_list("9")
    assert listed.etag == "" and len(listed.seats) == 5


def test_the_etag_goes_on_page_one_only_and_a_304_says_the_list_is_unchanged():
    server = _Server(lambda page: '"v7"', not_modified=True)
    listed = _client(server).seat_list("9", '"v7"')
    assert listed.unchanged and listed.seats == [] and listed.etag == '"v7"'
    assert server.conditions == ['"v7"']
    changed = _Server(lambda page: '"v8"')
    again = _client(changed).seat_list("9", '"v7"')
    assert again.etag == '"v8"' and len(again.seats) == 5
    assert changed.conditions == ['"v7"', None, None]


def test_a_304_to_a_request_naming_no_etag_is_a_broken_answer():
    class Unasked(_Server):
        def request(self, method: str, url: str, **kwargs: Any) -> HttpResponse:
            return HttpResponse(304, b"", {})

    with pytest.raises(MalformedResponse):
        _client(Unasked(lambda page: None)).seat_list("9")


# -- end to end against the portal's REST API --------------------------------------------------
def _settled_first_sync(aws: Any, frozen_time: Any) -> tuple[Setup, str]:
    setup = connected(aws)
    iid = setup.integration.integration_id
    integrations.start_manual_sync(aws, setup.admin, iid)
    frozen_time.advance(hours=7)
    return setup, iid


def _cards(aws: Any, setup: Setup) -> dict[str, Any]:
    return {org: card.saas_card(aws, setup.admin, org) for org in setup.organization_ids.values()}


def _counts(cards: dict[str, Any]) -> dict[str, Any]:
    """What each card shows of the seats: protected seats, and the others by state."""
    return {org: (c.protected_seats, [dict(s.seats_not_counted) for s in c.sections])
            for org, c in cards.items() if c is not None}


def test_an_unchanged_resync_reads_no_seat_on_either_side_and_writes_nothing(aws, frozen_time):
    setup, iid = _settled_first_sync(aws, frozen_time)
    first = integrations.sync_logs(aws, setup.admin, iid)[0]
    cards = _cards(aws, setup)
    assert all(c.seats_etag for c in customer_store.customers_of_integration(iid))

    with tables.counting_calls() as counter, tables_queried() as queried:
        integrations.start_manual_sync(aws, setup.admin, iid)

    newest = integrations.sync_logs(aws, setup.admin, iid)[0]
    assert newest.outcome == "OK" and newest.items_written == 0
    assert (newest.customers_seen, newest.seats_seen) == (first.customers_seen, first.seats_seen)
    assert newest.seats_seen == sum(len(s) for s in setup.partner.seats.values())
    assert not [t for t in queried if t.endswith((PORTAL_SEATS, BACKUP_SEATS))]
    assert counter.calls["BatchWriteItem"] == 0
    assert _counts(_cards(aws, setup)) == _counts(cards)
    # every customer was still asked for, each once, and answered 304
    assert len(seat_requests(setup.transport)) == 2 * len(setup.partner.customers)


def _bulk_unlicense(setup: Setup, customer: Any, remote_id: str) -> None:
    reply = setup.transport.request(
        "PUT", f"{aws_base(setup)}/api/v1/saas/{customer.saas_customer_id}/"
               f"{customer.external_subscription_id}/bulkSeatChange",
        headers={"authorization": setup.partner.authorization,
                 "content-type": "application/json"},
        body=json.dumps({"seat_type": "User", "action_type": "Unlicense",
                         "ids": [remote_id]}).encode())
    assert reply.status == 200, reply.body


def aws_base(setup: Setup) -> str:
    return setup.rt.settings.base_url.rstrip("/")


def _active_user(setup: Setup) -> tuple[Any, Any]:
    customer = next(c for c in setup.partner.customers
                    if c.organization_id is not None and c.product_type == catalog.OFFICE365)
    seat = next(s for s in setup.partner.seats[customer.saas_customer_id]
                if s.seat_state == catalog.ACTIVE and s.seat_type == "User")
    return customer, seat


@pytest.mark.parametrize("settle", [False, True])
def test_a_bulk_change_in_the_portal_shows_on_the_next_sync(aws, frozen_time, settle):
    setup, iid = _settled_first_sync(aws, frozen_time)
    customer, seat = _active_user(setup)
    org_id = setup.organization_ids[customer.organization_name]
    before = card.saas_card(aws, setup.admin, org_id)
    _bulk_unlicense(setup, customer, seat.remote_id)
    if settle:  # the list's new ETag is served
        frozen_time.advance(seconds=seats.ETAG_SETTLE.total_seconds())

    integrations.start_manual_sync(aws, setup.admin, iid)

    after = card.saas_card(aws, setup.admin, org_id)
    assert after.protected_seats == before.protected_seats - 1
    (shown,) = card.contact_protection(aws, setup.admin, org_id, [seat.main_id])
    assert shown.seat_state == catalog.UNPROTECTED and not shown.protected
    stored = customer_store.get_customer(iid, str(customer.saas_customer_id))
    assert bool(stored.seats_etag) == settle  # no ETag is served for a list just changed
    newest = integrations.sync_logs(aws, setup.admin, iid)[0]
    # the customer's new seatsUsed from the list, the seat, and the customer's seat summary
    assert newest.items_written == 3


def test_a_seat_loaded_for_an_existing_customer_shows_on_the_next_sync(aws, frozen_time):
    setup, iid = _settled_first_sync(aws, frozen_time)
    customer, _ = _active_user(setup)
    extra = portal_seats.Seat(customer.saas_customer_id, "late-1", "late@c.example", "Late",
                              "User", catalog.ACTIVE, "1", aws.clock.now())
    portal_seats.save_seats([extra], company_id=customer.company_id, changed_at=aws.clock.now())

    integrations.start_manual_sync(aws, setup.admin, iid)

    stored = {s.seat_key for s in backup_seat_store.seats_of_customer(
        iid, str(customer.saas_customer_id))}
    assert "late-1" in stored


def test_a_server_without_etags_is_synced_in_full_every_time(aws, frozen_time):
    setup = connected(aws)
    iid = setup.integration.integration_id
    stripped = _StripEtags(setup.transport)
    use_transport(aws, stripped)
    integrations.start_manual_sync(aws, setup.admin, iid)
    assert not any(c.seats_etag for c in customer_store.customers_of_integration(iid))
    frozen_time.advance(hours=7)
    customer, seat = _active_user(setup)
    portal_seats.update_seat(customer.company_id, customer.saas_customer_id, seat.remote_id,
                             seat.seat_type, catalog.PAUSED, "", aws.clock.now())

    with tables_queried() as queried:
        integrations.start_manual_sync(aws, setup.admin, iid)

    assert stripped.conditions == []  # never asked conditionally
    assert len([t for t in queried if t.endswith(PORTAL_SEATS)]) >= len(setup.partner.customers)
    newest = integrations.sync_logs(aws, setup.admin, iid)[0]
    assert newest.outcome == "OK" and newest.items_written == 2
    (shown,) = card.contact_protection(aws, setup.admin,
                                       setup.organization_ids[customer.organization_name],
                                       [seat.main_id])
    assert shown.seat_state == catalog.PAUSED


class _StripEtags:
    """The portal as a server without ETags; notes any conditional request it gets."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.conditions: list[str] = []

    def request(self, method: str, url: str, *, headers: dict[str, str] | None = None,
                **kwargs: Any) -> HttpResponse:
        if headers and "if-none-match" in headers:
            self.conditions.append(headers["if-none-match"])
        reply = self.inner.request(method, url, headers=headers, **kwargs)
        return dataclasses.replace(reply, headers={k: v for k, v in reply.headers.items()
                                                   if k != "etag"})


def test_an_etag_stored_without_its_seats_digest_is_not_sent(aws, frozen_time):
    setup, iid = _settled_first_sync(aws, frozen_time)
    customer, _ = _active_user(setup)
    stored = customer_store.get_customer(iid, str(customer.saas_customer_id))
    customer_store.write_customers([dataclasses.replace(stored, seats_digest="")])
    backup_seat_store.delete_seats_of_customer(iid, str(customer.saas_customer_id))

    integrations.start_manual_sync(aws, setup.admin, iid)

    again = {s.seat_key for s in backup_seat_store.seats_of_customer(
        iid, str(customer.saas_customer_id))}
    assert again == {s.remote_id for s in setup.partner.seats[customer.saas_customer_id]}


class _Killed(Exception):
    """The worker's process ends here."""


def test_a_sync_killed_between_seats_and_customers_keeps_the_old_etag_and_loses_nothing(
        aws, frozen_time, monkeypatch):
    setup, iid = _settled_first_sync(aws, frozen_time)
    customer, seat = _active_user(setup)
    old_tag = customer_store.get_customer(iid, str(customer.saas_customer_id)).seats_etag
    portal_seats.update_seat(customer.company_id, customer.saas_customer_id, seat.remote_id,
                             seat.seat_type, catalog.PAUSED, "", aws.clock.now())
    frozen_time.advance(seconds=seats.ETAG_SETTLE.total_seconds())
    real_write = customer_seats.write_items

    def dies_before_customers(writes: list[Any]) -> int:
        if any(w.table == customer_store.BackupCustomerModel.Meta.table_name for w in writes):
            raise _Killed()
        return real_write(writes)

    monkeypatch.setattr(customer_seats, "write_items", dies_before_customers)
    claim = scheduled.claim_due(aws, integration_store.get_integration(iid), aws.clock.now())
    assert claim is not None
    with pytest.raises(_Killed):
        run.work(aws, iid, claim.lease_token, directory=ItDocsDirectory(aws))
    monkeypatch.setattr(customer_seats, "write_items", real_write)
    # the changed seat is stored, its customer record (and ETag) is not: the old ETag stands
    killed = {s.seat_key: s for s in backup_seat_store.seats_of_customer(
        iid, str(customer.saas_customer_id))}
    assert killed[seat.remote_id].seat_state == catalog.PAUSED
    assert customer_store.get_customer(iid, str(customer.saas_customer_id)).seats_etag == old_tag

    frozen_time.advance(seconds=lifecycle.LEASE.total_seconds() + 1)
    resumed = scheduled.claim_due(aws, integration_store.get_integration(iid), aws.clock.now())
    assert resumed is not None
    assert run.work(aws, iid, resumed.lease_token,
                    directory=ItDocsDirectory(aws)).state == "done"

    stored = customer_store.get_customer(iid, str(customer.saas_customer_id))
    assert stored.seats_etag not in ("", old_tag)
    org_id = setup.organization_ids[customer.organization_name]
    (shown,) = card.contact_protection(aws, setup.admin, org_id, [seat.main_id])
    assert shown.seat_state == catalog.PAUSED
    for linked in setup.partner.customers:
        kept = {s.seat_key for s in backup_seat_store.seats_of_customer(
            iid, str(linked.saas_customer_id))}
        assert kept == {s.remote_id for s in setup.partner.seats[linked.saas_customer_id]}
