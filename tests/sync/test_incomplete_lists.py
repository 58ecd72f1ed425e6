"""An incomplete customer list never deletes anything: scripted vendor answers for /saas/domains.

Each case serves the portal's real customers through a scripted `/saas/domains` (seats come from
the portal itself) and checks what is stored, the status and the sync log.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from chalicelib.outbound import HttpResponse
from chalicelib.storage.itdocs import backup_customers as customer_store
from chalicelib.sync import integrations
from chalicelib.sync.saas_client import IncompleteList, SaasClient
from tests.fakes import use_transport
from tests.sync.helpers import Setup, connected

Script = Callable[[int, list[dict[str, Any]]], Any]
INCOMPLETE = "Incomplete answer from SaaS Protection"


class ScriptedDomains:
    """Wraps the portal: GET /saas/domains answers `script(page, customers)`; the rest passes."""

    def __init__(self, inner: Any, script: Script) -> None:
        self.inner = inner
        self.script = script
        self.pages: list[int] = []

    def request(self, method: str, url: str, **kwargs: Any) -> HttpResponse:
        if "/saas/domains" not in url:
            return self.inner.request(method, url, **kwargs)  # type: ignore[no-any-return]
        whole = url.split("?")[0] + "?_page=1&_perPage=1000"  # the portal's whole list
        real = json.loads(self.inner.request(method, whole, **kwargs).body)
        page = int(url.split("_page=")[1].split("&")[0])
        self.pages.append(page)
        return HttpResponse(200, json.dumps(self.script(page, real)).encode())


def _envelope(page: int, items: list[dict[str, Any]], pages: int, total: int) -> dict[str, Any]:
    return {"pagination": {"page": page, "perPage": 1, "totalPages": pages, "totalItems": total},
            "items": items}


def _synced(aws: Any, frozen_time: Any) -> tuple[Setup, str, set[str]]:
    setup = connected(aws)
    iid = setup.integration.integration_id
    assert integrations.start_manual_sync(aws, setup.admin, iid).status == "OK"
    frozen_time.advance(hours=6)
    return setup, iid, _stored(iid)


def _stored(iid: str) -> set[str]:
    return {c.customer_id for c in customer_store.customers_of_integration(iid)
            if c.missing_since_run is None}


def _sync_with(aws: Any, setup: Setup, script: Script) -> Any:
    transport = ScriptedDomains(setup.transport, script)
    use_transport(aws, transport)
    return integrations.start_manual_sync(aws, setup.admin, setup.integration.integration_id)


def _assert_refused_and_kept(aws: Any, setup: Setup, iid: str, shown: Any,
                             before: set[str], detail: str) -> None:
    assert shown.status == "Error"
    assert INCOMPLETE in shown.status_reason and detail in shown.status_reason
    log = integrations.sync_logs(aws, setup.admin, iid)[0]
    assert (log.outcome, log.items_written) == ("Error", 0)
    assert INCOMPLETE in log.reason
    assert _stored(iid) == before  # nothing deleted, nothing marked missing


def test_a_page_that_repeats_the_previous_one_deletes_nothing(aws, frozen_time):
    setup, iid, before = _synced(aws, frozen_time)

    shown = _sync_with(aws, setup, lambda page, real: _envelope(
        page, real[:1] if page <= 2 else real[2:3], 3, 3))

    _assert_refused_and_kept(aws, setup, iid, shown, before,
                             "page 2 of 3 repeated customers already received")


def test_an_empty_page_mid_list_deletes_nothing(aws, frozen_time):
    setup, iid, before = _synced(aws, frozen_time)

    shown = _sync_with(aws, setup, lambda page, real: _envelope(
        page, [] if page == 2 else real[page - 1:page], 3, 3))

    _assert_refused_and_kept(aws, setup, iid, shown, before, "page 2 of 3 was empty")


def test_a_customer_vanishing_between_page_fetches_deletes_nothing(aws, frozen_time):
    setup, iid, before = _synced(aws, frozen_time)

    def shifting(page: int, real: list[dict[str, Any]]) -> Any:
        if page == 1:
            return _envelope(1, real[:1], 3, 3)
        rest = real[1:]  # the first customer vanished: everything moves up one place
        return _envelope(page, rest[page - 1:page], 2, 2)

    shown = _sync_with(aws, setup, shifting)

    _assert_refused_and_kept(aws, setup, iid, shown, before,
                             "page 2 announced 2 pages where an earlier page announced 3")


def test_a_total_that_does_not_add_up_deletes_nothing(aws, frozen_time):
    setup, iid, before = _synced(aws, frozen_time)

    shown = _sync_with(aws, setup, lambda page, real: _envelope(
        page, real[page - 1:page], 3, 4))

    _assert_refused_and_kept(aws, setup, iid, shown, before,
                             "3 distinct customers arrived where 4 were announced")


def test_duplicates_by_id_with_changed_stats_count_once(aws, frozen_time):
    setup, iid, before = _synced(aws, frozen_time)

    def restated(page: int, real: list[dict[str, Any]]) -> Any:
        items = [dict(item, seatsUsed=item["seatsUsed"] + page) for item in real]
        return _envelope(page, items[:2] if page == 1 else items[1:2], 2, 3)

    shown = _sync_with(aws, setup, restated)  # page 2 repeats a customer with new figures

    _assert_refused_and_kept(aws, setup, iid, shown, before,
                             "page 2 of 2 repeated customers already received")


def test_a_customer_is_deleted_only_after_two_consecutive_complete_lists(aws, frozen_time):
    setup, iid, before = _synced(aws, frozen_time)
    gone = sorted(before)[0]

    def without(page: int, real: list[dict[str, Any]]) -> Any:
        return [item for item in real if str(item["saasCustomerId"]) != gone]

    assert _sync_with(aws, setup, without).status == "OK"
    marked = customer_store.get_customer(iid, gone)
    assert marked is not None and marked.missing_since_run  # first miss only recorded
    frozen_time.advance(hours=6)
    refused = _sync_with(aws, setup, lambda page, real: _envelope(page, [], 2, 2))
    assert refused.status == "Error"  # an incomplete list in between: still not deleted
    assert customer_store.get_customer(iid, gone) is not None
    frozen_time.advance(hours=6)

    assert _sync_with(aws, setup, without).status == "OK"

    assert customer_store.get_customer(iid, gone) is None
    assert _stored(iid) == before - {gone}
    log = integrations.sync_logs(aws, setup.admin, iid)[0]
    assert any("1 customers no longer listed removed" in note for note in log.notes)


def test_a_customer_back_in_the_list_loses_its_first_miss(aws, frozen_time):
    setup, iid, before = _synced(aws, frozen_time)
    gone = sorted(before)[0]
    _sync_with(aws, setup, lambda page, real: [
        item for item in real if str(item["saasCustomerId"]) != gone])
    frozen_time.advance(hours=6)
    assert _sync_with(aws, setup, lambda page, real: real).status == "OK"
    frozen_time.advance(hours=6)

    _sync_with(aws, setup, lambda page, real: [
        item for item in real if str(item["saasCustomerId"]) != gone])

    kept = customer_store.get_customer(iid, gone)  # missing twice, but not consecutively
    assert kept is not None and kept.missing_since_run


# -- a server that ignores _page ---------------------------------------------------------------
class IgnoresPaging:
    """Answers every page with the whole list, its figures changing on every call."""

    def __init__(self, count: int, envelope: dict[str, Any] | None = None) -> None:
        self.count = count
        self.envelope = envelope
        self.requests: list[str] = []

    def request(self, method: str, url: str, **kwargs: Any) -> HttpResponse:
        self.requests.append(url)
        items = [{"saasCustomerId": n, "saasCustomerName": f"C{n}", "productType": "Office365",
                  "seatsUsed": len(self.requests)} for n in range(1, self.count + 1)]
        body: Any = items if self.envelope is None else {"pagination": self.envelope,
                                                         "items": items}
        return HttpResponse(200, json.dumps(body).encode())


def test_a_server_ignoring_page_is_asked_twice_not_a_thousand_times():
    server = IgnoresPaging(5)
    client = SaasClient(server, "https://api.example.test/v1", "pub", "sec",
                        sleep=lambda s: None, per_page=2)

    customers = client.customers()

    assert sorted(c.customer_id for c in customers) == ["1", "2", "3", "4", "5"]
    assert len(server.requests) == 2


def test_a_server_ignoring_page_short_of_its_announced_total_is_incomplete():
    server = IgnoresPaging(3, envelope={"totalItems": 5})
    client = SaasClient(server, "https://api.example.test/v1", "pub", "sec",
                        sleep=lambda s: None, per_page=2)

    try:
        client.customers()
    except IncompleteList as exc:
        assert "page 2 repeated customers already received" in exc.message
    else:
        raise AssertionError("an incomplete list was accepted")
    assert len(server.requests) == 2


class BarePages:
    """A bare-array server that pages, but answers page 3 with page 2 again."""

    def __init__(self) -> None:
        self.requests = 0

    def request(self, method: str, url: str, **kwargs: Any) -> HttpResponse:
        self.requests += 1
        page = min(int(url.split("_page=")[1].split("&")[0]), 2)
        items = [{"saasCustomerId": page * 10 + n, "productType": "Office365"} for n in range(2)]
        return HttpResponse(200, json.dumps(items).encode())


def test_a_bare_page_repeating_the_previous_one_is_incomplete():
    server = BarePages()
    client = SaasClient(server, "https://api.example.test/v1", "pub", "sec",
                        sleep=lambda s: None, per_page=2)
    try:
        client.customers()
    except IncompleteList as exc:
        assert "page 3 repeated customers already received" in exc.message
    else:
        raise AssertionError("a repeated page was accepted")
    assert server.requests == 3
