"""linkhub's Chalice app: registers blueprints, schedules and queue handlers. No logic here."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from chalice import Chalice, Rate

from chalicelib import logs, queues, runtime, settings
from chalicelib.auth import lifecycle_events as lifecycle
from chalicelib.auth.hub import password_reset as hub_password_reset
from chalicelib.auth.hub import routes as hub_routes
from chalicelib.auth.hub.oidc import keys as hub_signing_keys
from chalicelib.itdocs import deprovisioning as itdocs_deprovisioning
from chalicelib.itdocs import routes as itdocs_routes
from chalicelib.itdocs.directory import ItDocsDirectory
from chalicelib.mail import outbox as mail_outbox
from chalicelib.portal import api_routes as portal_api_routes
from chalicelib.portal import deprovisioning, scheduled
from chalicelib.portal import routes as portal_routes
from chalicelib.sync import key_check
from chalicelib.sync import scheduled as sync_scheduled
from chalicelib.web.routes import web_routes

app = Chalice(app_name="linkhub")
app.register_blueprint(web_routes)
for blueprint, prefix in (*hub_routes.MOUNTS, *portal_routes.MOUNTS, *portal_api_routes.MOUNTS,
                          *itdocs_routes.MOUNTS):
    app.register_blueprint(blueprint, url_prefix=prefix)
lifecycle.subscribe(deprovisioning.on_hub_event)
lifecycle.subscribe(itdocs_deprovisioning.on_hub_event)


def deliver_lifecycle_message(body: str) -> None:
    """One lifecycle-queue message to every subscriber (each is idempotent)."""
    lifecycle.deliver(lifecycle.LifecycleEvent.from_json(body))


def run_sync_message(body: str) -> None:
    """One sync-queue message: a key check, or one worker of the run it names, matching to IT
    Docs organizations."""
    rt = runtime.current()
    if key_check.handles(body):
        key_check.handle_message(rt, body)
        return
    sync_scheduled.handle_message(rt, body, directory=ItDocsDirectory(rt))


def run_mail_message(body: str) -> None:
    """One mail-queue message: send a mail, or run the hub's password-reset job that makes one."""
    mail_outbox.handle(runtime.current(), body,
                       jobs={hub_password_reset.JOB: hub_password_reset.run_request})


# Without a queue URL (local stack, tests) each queue hands its messages to the same functions.
queues.LIFECYCLE_INLINE.consume_with(deliver_lifecycle_message)
queues.SYNC_INLINE.consume_with(run_sync_message)
queues.SYNC_BACKGROUND.consume_with(run_sync_message)
queues.MAIL_INLINE.consume_with(run_mail_message)
queues.MAIL_BACKGROUND.consume_with(run_mail_message)


class LifecycleMessagesFailed(RuntimeError):
    """Some records of a lifecycle batch failed; SQS redelivers them (then dead-letters them)."""


# batch_size=1: Chalice 1.34 cannot report a partial batch failure (no ReportBatchItemFailures),
# so a failed invocation returns its whole batch to the queue. One message per invocation gives
# each message its own retries and its own way to the dead-letter queue. Each record is still
# handled on its own, the failures raised only after the rest were delivered.
@app.on_sqs_message(queue=settings.LIFECYCLE_QUEUE_NAME, batch_size=1)
def lifecycle_events(event: Any) -> None:
    failed: list[str] = []
    for record in event:
        try:
            deliver_lifecycle_message(record.body)
        except Exception as exc:  # the queue boundary: this record fails alone
            message_id = str(record.to_dict().get("messageId", ""))
            logs.event("queue_message_failed", queue=settings.LIFECYCLE_QUEUE_NAME,
                       message_id=message_id, error=type(exc).__name__)
            failed.append(message_id)
    if failed:
        raise LifecycleMessagesFailed(f"{len(failed)} lifecycle messages failed: {failed}")


@app.schedule(Rate(1, unit=Rate.HOURS))
def portal_tick(event: Any) -> None:
    scheduled.tick(runtime.current())


@app.schedule(Rate(5, unit=Rate.MINUTES))
def sync_tick(event: Any) -> None:
    sync_scheduled.tick(runtime.current())


@app.schedule(Rate(1, unit=Rate.DAYS))
def signing_key_rotation(event: Any) -> None:
    """Rotate the hub's ID-token signing key once it is older than its rotation age."""
    hub_signing_keys.rotate_when_due(runtime.current())


@app.on_sqs_message(queue=settings.SYNC_QUEUE_NAME, batch_size=1)
def sync_worker(event: Any) -> None:
    for record in event:
        run_sync_message(record.body)


# One message per invocation: a failed send returns to the queue alone (then its dead-letter queue).
@app.on_sqs_message(queue=settings.MAIL_QUEUE_NAME, batch_size=1)
def mail_worker(event: Any) -> None:
    for record in event:
        run_mail_message(record.body)


@app.middleware("http")
def request_log(event: Any, get_response: Callable[[Any], Any]) -> Any:
    """One JSON line per request: method, route, status, duration (never bodies or cookies)."""
    started = time.perf_counter()
    response = get_response(event)
    logs.event(
        "request",
        method=event.method,
        route=event.path,
        status=response.status_code,
        ms=round((time.perf_counter() - started) * 1000, 1),
        request_id=(event.context or {}).get("requestId"),
    )
    return response


# Registered after request_log, so it runs inside it and the log line shows the framed status.
app.register_middleware(portal_api_routes.frame_api_answers, "http")
