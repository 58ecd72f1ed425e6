"""The process's shared parts (settings, clock, randomness, secret box, signer), built lazily.

Routes and handlers ask `current()`; tests `install()` their own Runtime with a frozen clock.
Contexts cache their own components with `component(name, factory)`.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from chalicelib import settings as settings_module
from chalicelib.clock import Clock, SystemClock
from chalicelib.secretbox import SecretBox, build_secret_box, signing_secret
from chalicelib.signing import Signer
from chalicelib.storage import tables

T = TypeVar("T")


class Randomness:
    """Injected randomness: tokens and ids. Tests may subclass for determinism."""

    def token(self, nbytes: int = 32) -> str:
        return secrets.token_urlsafe(nbytes)

    def hex(self, nbytes: int = 16) -> str:
        return secrets.token_hex(nbytes)

    def below(self, upper: int) -> int:
        return secrets.randbelow(upper)


@dataclass
class Runtime:
    settings: settings_module.Settings
    clock: Clock = field(default_factory=SystemClock)
    random: Randomness = field(default_factory=Randomness)
    box: SecretBox | None = None
    signer: Signer | None = None
    _components: dict[str, Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if self.box is None:
            self.box = build_secret_box(self.settings)
        if self.signer is None:
            self.signer = Signer([signing_secret(self.settings)], self.clock)

    def component(self, name: str, factory: Callable[[Runtime], T]) -> T:
        """One instance per runtime of a context's component (built on first use)."""
        with self._lock:
            if name not in self._components:
                self._components[name] = factory(self)
            return self._components[name]  # type: ignore[no-any-return]


_current: Runtime | None = None
_install_lock = threading.Lock()


def current() -> Runtime:
    global _current
    with _install_lock:
        if _current is None:
            settings = settings_module.from_environment()
            tables.configure(settings)
            _current = Runtime(settings=settings)
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
