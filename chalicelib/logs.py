"""One JSON line per request and per sync: ids and outcomes, never secrets or tokens."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

_logger = logging.getLogger("linkhub")
if not _logger.handlers:
    _handler = logging.StreamHandler(sys.stdout)
    _handler.setFormatter(logging.Formatter("%(message)s"))
    _logger.addHandler(_handler)
    _logger.setLevel(logging.INFO)
    _logger.propagate = False

# Field names that must never reach a log line, whatever a caller passes.
_REDACTED = {"password", "secret", "token", "code", "authorization", "cookie", "secret_key", "totp"}


def event(event_name: str, **fields: Any) -> dict[str, Any]:
    """Write one JSON log line; returns the record (tests read it back)."""
    record = {"event": event_name}
    for key, value in fields.items():
        record[key] = "[redacted]" if key.lower() in _REDACTED else value
    _logger.info(json.dumps(record, default=str, separators=(",", ":")))
    return record
