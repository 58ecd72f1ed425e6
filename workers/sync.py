"""The sync's functions: the five-minute tick that starts due runs, and the sync queue's worker."""

from __future__ import annotations

from typing import Any

from chalicelib import runtime
from chalicelib.itdocs.directory import ItDocsDirectory
from chalicelib.sync import key_check
from chalicelib.sync import scheduled as sync_scheduled
from workers import sqs_messages


def run_sync_message(body: str) -> None:
    """One sync-queue message: a key check, or one worker of the run it names, matching to IT
    Docs organizations."""
    rt = runtime.current()
    if key_check.handles(body):
        key_check.handle_message(rt, body)
        return
    sync_scheduled.handle_message(rt, body, directory=ItDocsDirectory(rt))


def sync_tick(event: dict[str, Any], context: Any = None) -> None:
    """Start the runs that are due."""
    sync_scheduled.tick(runtime.current())


def sync_worker(event: dict[str, Any], context: Any = None) -> None:
    """Each message of the batch (one, as the queue is configured)."""
    for _, body in sqs_messages(event):
        run_sync_message(body)
