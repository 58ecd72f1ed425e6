"""Queued syncs: a change on the matching screen syncs again one hour later (status `Queued`)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from chalicelib import logs
from chalicelib.runtime import Runtime
from chalicelib.storage.itdocs.integrations import IntegrationRecord
from chalicelib.sync import lifecycle


def queue_sync(rt: Runtime, integration_id: str, *, reason: str,
               seen: IntegrationRecord | None = None) -> dt.datetime:
    """Queue a sync one hour from now unless one is already queued sooner; when it will run.

    `seen`: the integration as read earlier in this request (see `lifecycle.change`)."""
    wanted = rt.clock.now() + lifecycle.QUEUE_DELAY
    chosen = wanted

    def decide(record: IntegrationRecord) -> IntegrationRecord | None:
        nonlocal chosen
        if record.queued_sync_at is not None and record.queued_sync_at <= wanted:
            chosen = record.queued_sync_at
            return None
        chosen = wanted
        return dataclasses.replace(record, queued_sync_at=wanted, queued_reason=reason[:200])

    lifecycle.change(integration_id, decide, seen)
    logs.event("sync_queued", integration_id=integration_id, at=chosen.isoformat())
    return chosen
