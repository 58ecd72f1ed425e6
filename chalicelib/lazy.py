"""A module imported on the first use of one of its names, so a cold start loads what it uses.

`app.py` declares every scheduled and queue function and wires the in-process queues (local runs,
tests) to their consumers; with `LazyModule` it names the `workers` entries without importing them,
so the API function's cold start does not load the sync, the mail outbox or the deprovisioning
subscribers until something calls them. `infra/functions.py` counts a lazily named module in the
reach (and IAM policy) of the function that names it, exactly as if it were imported.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType
from typing import Any


class LazyModule:
    """Stands for the module `name`; importing it is left to the first attribute asked for."""

    def __init__(self, name: str) -> None:
        self.module_name = name

    def load(self) -> ModuleType:
        """The module itself (imported once; Python's import lock makes it thread-safe)."""
        return importlib.import_module(self.module_name)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.load(), name)

    def later(self, name: str) -> Callable[..., Any]:
        """A callable that imports the module when called, then calls its function `name`."""

        def call(*args: Any, **kwargs: Any) -> Any:
            return getattr(self.load(), name)(*args, **kwargs)

        call.__qualname__ = call.__name__ = f"{self.module_name}.{name}"
        return call
