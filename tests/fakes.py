"""The ports the fixtures build runtimes with: a test points them elsewhere, as it moves the clock.

A runtime is frozen and tests pass the fixture's runtime around, so a test never replaces a port;
it tells the fixture's transport or sleep what to do instead (`use_transport`, `use_sleep`).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from chalicelib import runtime
from chalicelib.clock import Clock
from chalicelib.outbound import DEFAULT_TIMEOUT_SECONDS, HttpResponse, Transport, UrllibTransport
from chalicelib.runtime import Runtime
from chalicelib.settings import Settings

Sleep = Callable[[float], None]


class SwitchTransport:
    """Outbound HTTP for tests: the standard library's client until a test switches it."""

    def __init__(self) -> None:
        self.target: Transport = UrllibTransport()

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> HttpResponse:
        return self.target.request(method, url, headers=headers, body=body, timeout=timeout)


class SwitchSleep:
    """Sleep for tests: really waits until a test switches it (to a no-op, or a recorder)."""

    def __init__(self) -> None:
        self.target: Sleep = time.sleep

    def __call__(self, seconds: float) -> None:
        self.target(seconds)


def build_for_tests(settings: Settings, clock: Clock | None = None) -> Runtime:
    """A runtime whose transport and sleep a test can switch."""
    return runtime.build(settings, clock=clock, transport=SwitchTransport(), sleep=SwitchSleep())


def use_transport(rt: Runtime, transport: Transport) -> None:
    """Send `rt`'s outbound requests to `transport` from now on."""
    switch = rt.transport
    assert isinstance(switch, SwitchTransport), "build the runtime with build_for_tests"
    switch.target = transport


def use_sleep(rt: Runtime, sleep: Sleep) -> None:
    """Make `rt`'s waits (REST client back-off, retries) call `sleep` instead."""
    switch = rt.sleep
    assert isinstance(switch, SwitchSleep), "build the runtime with build_for_tests"
    switch.target = sleep
