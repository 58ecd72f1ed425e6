"""The mail queue's function: send a mail, or run the job that makes one."""

from __future__ import annotations

from typing import Any

from chalicelib import runtime
from chalicelib.auth.hub import password_reset as hub_password_reset
from chalicelib.mail import outbox as mail_outbox
from workers import sqs_messages


def run_mail_message(body: str) -> None:
    """One mail-queue message: send a mail, or run the hub's password-reset job that makes one."""
    mail_outbox.handle(runtime.current(), body,
                       jobs={hub_password_reset.JOB: hub_password_reset.run_request})


def mail_worker(event: dict[str, Any], context: Any = None) -> None:
    """Each message of the batch (one, as the queue is configured)."""
    for _, body in sqs_messages(event):
        run_mail_message(body)
