"""The Partner Portal's hourly function."""

from __future__ import annotations

from typing import Any

from chalicelib import runtime
from chalicelib.portal import scheduled


def portal_tick(event: dict[str, Any], context: Any = None) -> None:
    """Refresh the insights the portal publishes to the hub that are due."""
    scheduled.tick(runtime.current())
