"""linkhub's Chalice app: registers blueprints, schedules and queue handlers. No logic here."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from chalice import Rate

from chalicelib import logs, queues, settings
from chalicelib.lazy import LazyModule
from chalicelib.web import route_table
from chalicelib.web.products import PerThreadChalice, Products, is_api_request

# Each product's code is imported on its first request, each worker's on its first call: a cold
# start loads only what its first request needs (chalicelib/web/products.py, chalicelib/lazy.py).
lifecycle_function = LazyModule("workers.lifecycle")
mail_function = LazyModule("workers.mail")
portal_function = LazyModule("workers.portal")
signing_keys_function = LazyModule("workers.signing_keys")
sync_functions = LazyModule("workers.sync")
api_serving = LazyModule("chalicelib.portal.api_routes.serving")

app = PerThreadChalice(app_name="linkhub")
products = Products(app)
products.register(route_table.ROUTES)

# Without a queue URL (local stack, tests) each queue hands its messages to the same functions.
queues.LIFECYCLE_INLINE.consume_with(lifecycle_function.later("deliver_lifecycle_message"))
queues.SYNC_INLINE.consume_with(sync_functions.later("run_sync_message"))
queues.SYNC_BACKGROUND.consume_with(sync_functions.later("run_sync_message"))
queues.MAIL_INLINE.consume_with(mail_function.later("run_mail_message"))
queues.MAIL_BACKGROUND.consume_with(mail_function.later("run_mail_message"))

# The scheduled and queue functions, declared here for Chalice (schedules, queues, local runs);
# each calls the entry in workers/ that the packaged template runs directly. batch_size=1:
# Chalice 1.34 cannot report a partial batch failure (no ReportBatchItemFailures), so a failed
# invocation returns its whole batch to the queue; one message per invocation gives each message
# its own retries and its own way to the dead-letter queue.


@app.on_sqs_message(queue=settings.LIFECYCLE_QUEUE_NAME, batch_size=1)
def lifecycle_events(event: Any) -> None:
    lifecycle_function.lifecycle_events(event.to_dict(), event.context)


@app.schedule(Rate(5, unit=Rate.MINUTES))
def portal_tick(event: Any) -> None:
    portal_function.portal_tick(event.to_dict(), event.context)


@app.schedule(Rate(5, unit=Rate.MINUTES))
def sync_tick(event: Any) -> None:
    sync_functions.sync_tick(event.to_dict(), event.context)


@app.schedule(Rate(1, unit=Rate.DAYS))
def signing_key_rotation(event: Any) -> None:
    signing_keys_function.signing_key_rotation(event.to_dict(), event.context)


@app.on_sqs_message(queue=settings.SYNC_QUEUE_NAME, batch_size=1)
def sync_worker(event: Any) -> None:
    sync_functions.sync_worker(event.to_dict(), event.context)


@app.on_sqs_message(queue=settings.MAIL_QUEUE_NAME, batch_size=1)
def mail_worker(event: Any) -> None:
    mail_function.mail_worker(event.to_dict(), event.context)


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
@app.middleware("http")
def api_answers(event: Any, get_response: Callable[[Any], Any]) -> Any:
    """Every /api/v1 answer in the contract's shape (the REST API loaded only for its paths)."""
    if not is_api_request(event):
        return get_response(event)
    return api_serving.frame_api_answers(event, get_response)
