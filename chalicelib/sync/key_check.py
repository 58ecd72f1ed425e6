"""The API-key check of Connect and Change API keys, run on the sync queue.

The vendor takes half a minute to list the customers (`GET /saas/domains`), longer than a request
may wait, so the keys are stored at once with the status "Checking keys..." and one message on the
sync queue asks a worker to check them. The worker ends the check with the usual status (Never
synced, or OK with the last sync's time) and how many customers the keys see, or with an Error
saying "Keys refused" and why. The message names the stored keys by a fingerprint of their
sealed form, so a check of keys replaced since is dropped (never trusted for the new ones), and a
redelivered message finds the status settled and writes nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from typing import Any

from chalicelib import logs
from chalicelib.errors import InvalidInput, LinkhubError, NotFound
from chalicelib.runtime import Runtime
from chalicelib.storage.itdocs import integrations as integration_store
from chalicelib.storage.itdocs.integrations import IntegrationRecord
from chalicelib.sync import lifecycle, run
from chalicelib.sync.saas_client import SaasClient

KIND = "key_check"
CHECKING = lifecycle.CHECKING_KEYS
CHECK_ATTEMPTS = 2
# Two attempts of at most 75 s each end well within this; a check still waited for after it was
# lost (its worker killed, its message gone), and the status says so instead of waiting forever.
CHECK_LIMIT = dt.timedelta(minutes=15)


def fingerprint(record: IntegrationRecord) -> str:
    """Names the stored key pair (the sealed secret differs on every save) without revealing it."""
    material = f"{record.public_key}\0{record.secret_key}".encode()
    return hashlib.sha256(material).hexdigest()[:24]


def checking(record: IntegrationRecord, now: dt.datetime) -> IntegrationRecord:
    """The record as saved while its keys wait for the check."""
    return dataclasses.replace(record, last_outcome=CHECKING, last_reason="",
                               key_check_ends_by=now + CHECK_LIMIT)


def request(rt: Runtime, record: IntegrationRecord) -> None:
    """Send the check of the record's stored keys to the sync queue."""
    body = {"kind": KIND, "integration_id": record.integration_id, "keys": fingerprint(record)}
    logs.event("key_check_requested", integration_id=record.integration_id)
    rt.queues.sync.send(json.dumps(body))


def handles(body: str) -> bool:
    """Whether a sync-queue message is a key check (the rest are runs' workers)."""
    try:
        message = json.loads(body)
    except ValueError:
        return False
    return isinstance(message, dict) and message.get("kind") == KIND


def handle_message(rt: Runtime, body: str) -> str:
    """Check the keys a message names: "accepted", "refused", "failed" or "stale"."""
    message: dict[str, Any] = json.loads(body)
    integration_id = str(message.get("integration_id", ""))
    keys = str(message.get("keys", ""))
    try:
        record = integration_store.get_integration(integration_id)
    except NotFound:
        return _logged(integration_id, "stale")
    if record.last_outcome != CHECKING or fingerprint(record) != keys:
        return _logged(integration_id, "stale")
    outcome, status, reason = _check(rt, record)
    if not _settle(integration_id, keys, status, reason):
        outcome = "stale"
    return _logged(integration_id, outcome)


def _check(rt: Runtime, record: IntegrationRecord) -> tuple[str, str, str]:
    """(outcome, status, reason) of asking the REST API for the customer list."""
    secret = rt.box.decrypt(record.secret_key, run.secret_context(record.integration_id))
    client = SaasClient(rt.transport, record.base_url, record.public_key, secret.decode(),
                        sleep=rt.sleep, attempts=CHECK_ATTEMPTS)
    try:
        count = len(client.customers())
    except InvalidInput as refused:
        return "refused", lifecycle.ERROR, f"Keys refused: {refused.message}"
    except LinkhubError as trouble:
        return "failed", lifecycle.ERROR, f"The keys could not be checked: {trouble.message}"
    except Exception as exc:  # never leave "Checking keys..." behind: say it, log the kind
        logs.event("key_check_crashed", integration_id=record.integration_id,
                   error=type(exc).__name__)
        return "failed", lifecycle.ERROR, "The keys could not be checked (unexpected error)."
    status = lifecycle.OK if record.last_sync_at is not None else lifecycle.NEVER_SYNCED
    plural = "" if count == 1 else "s"
    return "accepted", status, f"Keys accepted: SaaS Protection lists {count} customer{plural}."


def _settle(integration_id: str, keys: str, status: str, reason: str) -> bool:
    """Write the check's status, only while the same keys are still waiting for it."""

    def decide(current: IntegrationRecord) -> IntegrationRecord | None:
        if current.last_outcome != CHECKING or fingerprint(current) != keys:
            return None
        return dataclasses.replace(current, last_outcome=status, last_reason=reason,
                                   key_check_ends_by=None)

    try:
        return lifecycle.change(integration_id, decide) is not None
    except NotFound:
        return False


def _logged(integration_id: str, outcome: str) -> str:
    """One log line per check message, whatever became of it."""
    logs.event("key_check", integration_id=integration_id, outcome=outcome)
    return outcome
