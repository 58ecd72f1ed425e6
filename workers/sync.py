"""The sync's functions: the five-minute tick that starts due runs, and the sync queue's worker.

The sync queue also carries IT Docs' removals (an organization's, an integration's): the request
marks what is being deleted and the worker here removes it. A removal that meets a throttled
table waits and tries again a few times, then raises, so SQS delivers the message again. An
integration's removal that must wait for the sync run its mark interrupted (`NotYet`) sends its
message again, delayed until then (SQS's delay; a timer locally), and ends without error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib import logs, queues, runtime
from chalicelib.errors import StorageUnavailable
from chalicelib.itdocs import organization_deletion
from chalicelib.itdocs.directory import ItDocsDirectory
from chalicelib.runtime import Runtime
from chalicelib.sync import integration_deletion, key_check
from chalicelib.sync import scheduled as sync_scheduled
from workers import sqs_messages

Removal = Callable[[Runtime, str], object]
REMOVAL_WAITS = (1.0, 2.0, 4.0)
"""Seconds a removal waits after a throttled attempt before the next (then the queue retries)."""


def run_sync_message(body: str) -> None:
    """One sync-queue message: a removal, a key check, or one worker of the run it names,
    matching to IT Docs organizations."""
    rt = runtime.current()
    removal = removal_of(body)
    if removal is not None:
        run_removal(rt, removal, body)
        return
    if key_check.handles(body):
        key_check.handle_message(rt, body)
        return
    sync_scheduled.handle_message(rt, body, directory=ItDocsDirectory(rt))


def removal_of(body: str) -> Removal | None:
    """The removal a message asks for (None: not a removal). Named in code, not in a table, so
    the infra build sees this function reach both (its tables in the IAM policy)."""
    kind = queues.kind_of(body)
    if kind == organization_deletion.KIND:
        return organization_deletion.handle_message
    if kind == integration_deletion.KIND:
        return integration_deletion.handle_message
    return None


def run_removal(rt: Runtime, removal: Removal, body: str) -> None:
    """Run a removal; one that must wait for a sync run comes back later (`send_later`)."""
    try:
        _retrying(rt, removal, body)
    except integration_deletion.NotYet as not_yet:
        queues.send_later(rt.queues.sync, body, not_yet.seconds)


def _retrying(rt: Runtime, removal: Removal, body: str) -> None:
    """Run a removal, waiting and trying again while DynamoDB throttles; the last throttle is
    raised (the queue keeps the message and delivers it again)."""
    for wait in REMOVAL_WAITS:
        try:
            removal(rt, body)
            return
        except StorageUnavailable:
            logs.event("removal_throttled", kind=queues.kind_of(body), wait_seconds=wait)
            rt.sleep(wait)
    removal(rt, body)


def sync_tick(event: dict[str, Any], context: Any = None) -> None:
    """Start the runs that are due."""
    sync_scheduled.tick(runtime.current())


def sync_worker(event: dict[str, Any], context: Any = None) -> None:
    """Each message of the batch (one, as the queue is configured)."""
    for _, body in sqs_messages(event):
        run_sync_message(body)
