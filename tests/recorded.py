"""Fixtures that record what the app told the world while a test ran: its JSON log lines and its
lifecycle events. Test modules import the fixtures they use."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.auth import lifecycle_events as lifecycle
from chalicelib.auth.lifecycle_events import LifecycleEvent


class Recorded(logging.Handler):
    """The app's JSON log lines while a test runs."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.events.append(json.loads(record.getMessage()))

    def named(self, name: str) -> list[dict[str, Any]]:
        return [event for event in self.events if event.get("event") == name]


@pytest.fixture
def log_lines() -> Iterator[Recorded]:
    recorded = Recorded()
    logger = logging.getLogger("linkhub")
    logger.addHandler(recorded)
    yield recorded
    logger.removeHandler(recorded)


@pytest.fixture
def published() -> Iterator[list[LifecycleEvent]]:
    events: list[LifecycleEvent] = []
    lifecycle.subscribe(events.append)
    yield events
    lifecycle.unsubscribe(events.append)
