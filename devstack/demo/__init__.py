"""Demo data for `make run`: each module here has `load(rt) -> list[str]` (lines to print).

Loaders are discovered, so a context adds its demo data by adding a module; none edits a list.
A loader is idempotent (a second `make run` finds its data and leaves it) and may set `ORDER`
(default 50) to run before or after others: the hub's loader runs first, since modules link to it.
"""

from __future__ import annotations

import importlib
import pkgutil
import traceback
from types import ModuleType

from chalicelib.runtime import Runtime

DEFAULT_ORDER = 50


def loaders() -> list[ModuleType]:
    """Every demo module with a `load` function, by (ORDER, name)."""
    found = []
    for info in pkgutil.iter_modules(__path__, prefix=f"{__name__}."):
        module = importlib.import_module(info.name)
        if callable(getattr(module, "load", None)):
            found.append(module)
    return sorted(found, key=lambda m: (getattr(m, "ORDER", DEFAULT_ORDER), m.__name__))


def load_all(rt: Runtime) -> list[str]:
    """Run every loader; returns the lines they want printed (logins, passwords, hints).

    A loader that fails does not stop the others or the stack: its traceback goes to stderr and
    a line saying so joins the printed lines.
    """
    lines: list[str] = []
    for module in loaders():
        try:
            lines.extend(module.load(rt))
        except Exception as exc:  # one context's broken demo data must not keep the stack down
            traceback.print_exc()
            lines.append(f"!!! {module.__name__}.load failed: {type(exc).__name__}: {exc}")
    return lines
