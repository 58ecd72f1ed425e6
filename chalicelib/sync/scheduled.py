"""The sync tick and the sync queue's worker.

`tick(rt)` (EventBridge every 5 minutes in AWS; the devstack tick every few seconds locally) finds
integrations whose due time has come through the `by_due` index, claims each with a write
conditional on the version it read, and dispatches the run: one message per integration on the
runtime's sync queue (SQS in AWS; in-process locally and in tests, where the message goes at once
to the same consumer).

`handle_message(rt, body, directory=...)` is the queue consumer's per-record function: it runs one
worker of the run whose lease token the message carries, matching customers to the organizations
of the directory the consumer hands in (IT Docs', wired in app.py). A redelivered or late message
finds another token (or none) and does nothing; a message for the current lease resumes from the
checkpoint, which is harmless because every write is a diff.

A run whose lease ended without a result had its worker die: the tick resumes it and counts the
attempt on the integration record (`run_attempts`, whether or not a checkpoint exists yet), and
after `run.MAX_ATTEMPTS` ends it in a logged Error. A run the rate limit paused
(`run_resumes_at`) is resumed without counting an attempt.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

from chalicelib import logs
from chalicelib.errors import ConcurrentChange
from chalicelib.runtime import Runtime
from chalicelib.storage.itdocs import integrations as integration_store
from chalicelib.storage.itdocs.integrations import IntegrationRecord
from chalicelib.sync import lifecycle, run
from chalicelib.sync.directory import OrganizationDirectory


@dataclasses.dataclass(frozen=True)
class Claim:
    """A run the caller now holds: the integration and the lease token to pass to workers."""

    integration_id: str
    lease_token: str
    trigger: str


def tick(rt: Runtime) -> list[Claim]:
    """Claim and dispatch every due integration; the claims made."""
    now = rt.clock.now()
    claims = []
    for shard in range(integration_store.DUE_SHARDS):
        for record in integration_store.due_integrations(f"due#{shard}", now):
            claim = claim_due(rt, record, now)
            if claim is not None:
                claims.append(claim)
                dispatch(rt, claim)
    return claims


def claim_due(rt: Runtime, record: IntegrationRecord, now: dt.datetime) -> Claim | None:
    """Take a due integration for a run (None: not due after all, or another tick took it)."""
    token = rt.random.token(16)
    resume = bool(record.lease_token)
    if resume and lifecycle.leased(record, now):
        return None
    wanted = _resumed(rt, record, token, now) if resume else _started(rt, record, token, now)
    if wanted is None:
        return None
    try:
        integration_store.save_integration(lifecycle.with_due(wanted), record.version)
    except ConcurrentChange:
        return None
    trigger = wanted.run_trigger or "automatic"
    logs.event("sync_claimed", integration_id=record.integration_id, trigger=trigger,
               resumed=resume, attempt=wanted.run_attempts)
    return Claim(record.integration_id, token, trigger)


def _resumed(rt: Runtime, record: IntegrationRecord, token: str,
             now: dt.datetime) -> IntegrationRecord | None:
    """The run whose lease ended, taken again: a pause ended, or a worker died (an attempt)."""
    paused = record.run_resumes_at is not None
    if not paused and record.run_attempts >= run.MAX_ATTEMPTS:
        _give_up(rt, record)
        return None
    return dataclasses.replace(
        record, lease_token=token, lease_until=now + lifecycle.LEASE, run_resumes_at=None,
        run_trigger=record.run_trigger or "automatic",
        run_attempts=record.run_attempts + (0 if paused else 1))


def _started(rt: Runtime, record: IntegrationRecord, token: str,
             now: dt.datetime) -> IntegrationRecord | None:
    """A new run of an idle integration whose automatic or queued sync is due (None: none is)."""
    queued = record.queued_sync_at is not None and record.queued_sync_at <= now
    automatic = record.next_sync_at is not None and record.next_sync_at <= now
    if not record.sync_enabled or not (queued or automatic):
        _refresh_due(record)
        return None
    return dataclasses.replace(
        record, lease_token=token, lease_until=now + lifecycle.LEASE,
        run_id=rt.random.hex(8), run_trigger="queued" if queued else "automatic",
        run_started_at=now, queued_sync_at=None, queued_reason=None, run_attempts=1,
        run_pauses=0, run_resumes_at=None, run_note="", sync_done=0, sync_total=0,
        next_sync_at=(lifecycle.next_automatic(record.connected_at, now)
                      if automatic else record.next_sync_at))


def dispatch(rt: Runtime, claim: Claim) -> None:
    """Hand the claimed run to the sync queue (a worker consumes it)."""
    _send(rt, claim.integration_id, claim.lease_token)


def _send(rt: Runtime, integration_id: str, lease_token: str) -> None:
    body = json.dumps({"integration_id": integration_id, "lease_token": lease_token})
    rt.queues.sync.send(body)


def handle_message(rt: Runtime, body: str, *,
                   directory: OrganizationDirectory) -> run.WorkResult:
    """One queue message: one worker; out of budget, the next worker gets its own message."""
    try:
        message: dict[str, Any] = json.loads(body)
        integration_id = str(message["integration_id"])
        token = str(message["lease_token"])
    except (ValueError, KeyError, TypeError):
        logs.event("sync_message_unreadable")
        return run.WorkResult("stale")
    result = run.work(rt, integration_id, token, directory=directory)
    if result.state == "continue" and result.lease_token:
        _send(rt, integration_id, result.lease_token)
    return result


def _give_up(rt: Runtime, record: IntegrationRecord) -> None:
    """A run whose workers died MAX_ATTEMPTS times ends as Error (its data so far is kept)."""
    logs.event("sync_given_up", integration_id=record.integration_id, run_id=record.run_id,
               attempts=record.run_attempts)
    run.fail(rt, record, f"The sync stopped unexpectedly {run.MAX_ATTEMPTS} times and was "
                         "given up.")


def _refresh_due(record: IntegrationRecord) -> None:
    """A record in the index that is not due (a stale entry): put its due time right."""

    def decide(current: IntegrationRecord) -> IntegrationRecord | None:
        fixed = lifecycle.with_due(current)
        return fixed if (fixed.due_at, fixed.due_shard) != (current.due_at,
                                                            current.due_shard) else None

    try:
        lifecycle.change(record.integration_id, decide)
    except ConcurrentChange:
        pass
