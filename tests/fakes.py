"""The ports the fixtures build runtimes with: a test points them elsewhere, as it moves the clock.

A runtime is frozen and tests pass the fixture's runtime around, so a test never replaces a port;
it tells the fixture's transport, sleep or sync queue what to do instead (`use_transport`,
`use_sleep`, `hold_sync_queue`).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

from chalicelib import queues, runtime
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


class SwitchQueue:
    """The sync queue for tests: the settings' local queue until a test holds it."""

    def __init__(self, target: queues.Queue) -> None:
        self.target = target

    def send(self, body: str) -> None:
        self.target.send(body)

    def send_later(self, body: str, seconds: float) -> None:
        queues.send_later(self.target, body, seconds)


class HeldQueue:
    """Keeps the sync queue's messages until the test delivers them, as SQS holds them until a
    worker takes them: what a request did before any worker ran can be looked at."""

    def __init__(self, deliver: queues.Queue) -> None:
        self.bodies: list[str] = []
        self.delayed: list[tuple[str, float]] = []  # (body, seconds): sent with `send_later`
        self._deliver = deliver

    def send(self, body: str) -> None:
        self.bodies.append(body)

    def send_later(self, body: str, seconds: float) -> None:
        self.delayed.append((body, seconds))

    def deliver_all(self, limit: int = 1000) -> int:
        """Hand every held message to the consumer (and those it sends on); how many."""
        delivered = 0
        while self.bodies and delivered < limit:
            self._deliver.send(self.bodies.pop(0))
            delivered += 1
        assert not self.bodies, f"the queue still holds {len(self.bodies)} messages"
        return delivered


def build_for_tests(settings: Settings, clock: Clock | None = None) -> Runtime:
    """A runtime whose transport, sleep and sync queue a test can switch."""
    built = queues.from_settings(settings)
    held = dataclasses.replace(built, sync=SwitchQueue(built.sync))
    return runtime.build(settings, clock=clock, transport=SwitchTransport(), sleep=SwitchSleep(),
                         queues=held)


def hold_sync_queue(rt: Runtime) -> HeldQueue:
    """Hold `rt`'s sync-queue messages from now on; `deliver_all()` runs them inline."""
    switch = rt.queues.sync
    assert isinstance(switch, SwitchQueue), "build the runtime with build_for_tests"
    held = HeldQueue(queues.SYNC_INLINE)
    switch.target = held
    return held


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
