"""The process's container: typed ports that are never None, built once from settings.

The ports: clock, randomness and ids, secret box, signer, outbound HTTP transport, sleep, monotonic
timer and queues; `build(settings, clock=..., transport=...)` takes a fake for any of them. Routes
and handlers ask `current()`; tests and the devstack `install()` a runtime they built. A context
keeps a per-runtime cache with `rt.cache(KeyCache, KeyCache)`, so a new runtime starts cold.
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from chalicelib import queues as queues_module
from chalicelib import settings as settings_module
from chalicelib.clock import Clock, SystemClock
from chalicelib.outbound import Transport, UrllibTransport
from chalicelib.queues import Queues
from chalicelib.secretbox import SecretBox, build_secret_box, signing_secret
from chalicelib.settings import Settings
from chalicelib.signing import Signer
from chalicelib.storage import tables

T = TypeVar("T")
Sleep = Callable[[float], None]
Timer = Callable[[], float]


class Randomness:
    """Injected randomness: tokens and ids. Tests may subclass for determinism."""

    def token(self, nbytes: int = 32) -> str:
        return secrets.token_urlsafe(nbytes)

    def hex(self, nbytes: int = 16) -> str:
        return secrets.token_hex(nbytes)

    def below(self, upper: int) -> int:
        return secrets.randbelow(upper)

    def new_id(self) -> str:
        """A record id (32 hex digits of a random UUID)."""
        return uuid.uuid4().hex


@dataclass(frozen=True)
class Runtime:
    """Everything with an effect outside the process, as typed ports; see `build`."""

    settings: Settings
    clock: Clock
    random: Randomness
    box: SecretBox
    signer: Signer
    transport: Transport
    sleep: Sleep
    monotonic: Timer
    queues: Queues
    _caches: dict[type, object] = field(default_factory=dict, init=False, repr=False,
                                        compare=False)
    _caches_lock: threading.Lock = field(default_factory=threading.Lock, init=False,
                                         repr=False, compare=False)

    def cache(self, kind: type[T], build: Callable[[Runtime], T]) -> T:
        """This runtime's one `kind` (a context's cache), made by `build(self)` on first use."""
        with self._caches_lock:
            found = self._caches.get(kind)
            if isinstance(found, kind):
                return found
            made = build(self)
            self._caches[kind] = made
            return made


def build(
    settings: Settings,
    *,
    clock: Clock | None = None,
    random: Randomness | None = None,
    box: SecretBox | None = None,
    transport: Transport | None = None,
    sleep: Sleep = time.sleep,
    monotonic: Timer = time.monotonic,
    queues: Queues | None = None,
) -> Runtime:
    """The runtime for `settings`; each port given replaces the real one (tests, benchmarks)."""
    clock = clock or SystemClock()
    return Runtime(
        settings=settings,
        clock=clock,
        random=random or Randomness(),
        box=box or build_secret_box(settings),
        signer=Signer([signing_secret(settings)], clock),
        transport=transport or UrllibTransport(),
        sleep=sleep,
        monotonic=monotonic,
        queues=queues or queues_module.from_settings(settings),
    )


_current: Runtime | None = None
_install_lock = threading.Lock()


def current() -> Runtime:
    """The installed runtime; built from the environment on first use (Lambda, chalice local)."""
    global _current
    with _install_lock:
        if _current is None:
            settings = settings_module.from_environment()
            tables.configure(settings)
            _current = build(settings)
        return _current


def install(runtime: Runtime) -> Runtime:
    """Use this runtime from now on (tests, devstack); configures storage for its settings."""
    global _current
    tables.configure(runtime.settings)
    with _install_lock:
        _current = runtime
    return runtime


def reset() -> None:
    global _current
    with _install_lock:
        _current = None
