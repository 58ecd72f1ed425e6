"""Lambda entries of the scheduled and queue functions, one module per area.

Each module imports only what its handlers use, so a sync tick's cold start loads neither the page
templates nor password hashing nor QR codes that every request of the API needs. Each entry takes
the raw Lambda event. `app.py` declares the same functions to Chalice (their schedules, queues and
local runs) and calls these entries; the packaged template points each function's Handler here
(`infra/functions.py`), and `make package` adds this package to the deployment zip.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def sqs_messages(event: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(message id, body) of each record of a raw SQS event."""
    for record in event.get("Records", []):
        yield str(record.get("messageId", "")), str(record["body"])
