"""A 429 holds every thread fetching with one SaaS client; a stopped client sends nothing."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from chalicelib.outbound import HttpResponse
from chalicelib.sync.request_gate import Stopped
from chalicelib.sync.saas_client import RateLimited, SaasClient

SEATS = b'[{"remoteId": "r-1", "mainId": "a@example.com", "seatState": "Active"}]'


class _Vendor:
    """Seat lists by customer; `limited` answers its first request with a 429."""

    def __init__(self, limited: str, retry_after: str) -> None:
        self.limited, self.retry_after = limited, retry_after
        self.sent: list[tuple[str, str]] = []  # (thread, customer) in the order sent
        self.lock = threading.Lock()

    def request(self, method: str, url: str, **_: object) -> HttpResponse:
        customer = url.split("/saas/")[1].split("/")[0]
        with self.lock:
            first = all(c != customer for _, c in self.sent)
            self.sent.append((threading.current_thread().name, customer))
        if customer == self.limited and first:
            return HttpResponse(429, b"{}", {"retry-after": self.retry_after})
        return HttpResponse(200, SEATS)


def _client(vendor: _Vendor, sleep: Callable[[float], None]) -> SaasClient:
    return SaasClient(vendor, "https://api.example/v1", "public", "secret", sleep=sleep,
                      monotonic=lambda: 100.0)


def _in_thread(name: str, work: Callable[[], object]) -> tuple[threading.Thread, list[object]]:
    out: list[object] = []

    def run() -> None:
        try:
            out.append(work())
        except Exception as exc:  # noqa: BLE001 (handed to the test to assert)
            out.append(exc)

    thread = threading.Thread(target=run, name=name)
    thread.start()
    return thread, out


def test_a_429_to_one_fetcher_holds_the_other_before_its_next_request():
    vendor = _Vendor(limited="1", retry_after="30")
    other_done = threading.Event()
    slept: list[tuple[str, float]] = []

    def sleep(seconds: float) -> None:
        slept.append((threading.current_thread().name, seconds))
        if threading.current_thread().name == "first":  # the 429's own wait lasts until the
            other_done.wait(5)  # other fetcher has had its chance to send too early

    client = _client(vendor, sleep)
    first, first_out = _in_thread("first", lambda: client.seat_list("1"))
    while not slept:  # the first fetcher is in its Retry-After
        threading.Event().wait(0.001)
    second, second_out = _in_thread("second", lambda: client.seat_list("2"))
    second.join(5)
    other_done.set()
    first.join(5)

    # the second fetcher waited out the rest of the pause before sending anything
    assert slept == [("first", 30), ("second", 30)]
    assert vendor.sent == [("first", "1"), ("second", "2"), ("first", "1")]  # no extra request
    assert [s.remote_id for s in first_out[0].seats] == ["r-1"]  # type: ignore[union-attr]
    assert [s.remote_id for s in second_out[0].seats] == ["r-1"]  # type: ignore[union-attr]


def test_a_429_the_client_gives_up_on_refuses_every_later_request_unsent():
    vendor = _Vendor(limited="1", retry_after="3600")  # longer than the client waits
    client = _client(vendor, lambda seconds: None)

    with pytest.raises(RateLimited) as limited:
        client.seat_list("1")
    with pytest.raises(RateLimited) as later:
        client.seat_list("2")

    assert limited.value.retry_after == later.value.retry_after == 3600
    assert later.value is not limited.value
    assert vendor.sent == [("MainThread", "1")]


def test_a_stopped_client_sends_nothing_more():
    vendor = _Vendor(limited="", retry_after="0")
    client = _client(vendor, lambda seconds: None)
    client.seat_list("1")

    client.gate.stop()

    with pytest.raises(Stopped):
        client.seat_list("2")
    assert vendor.sent == [("MainThread", "1")]
